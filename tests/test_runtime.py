"""tfstyle.core.runtime: the process's memory pools."""

import os

from tfstyle.core import runtime


def test_import_turns_the_pools_on():
    import tfstyle  # noqa: F401  (imported by conftest already: the settings are in place)

    assert os.environ.get("TF_CPU_ALLOCATOR_USE_BFC") == "true"
    assert runtime.pool_memory()


def test_the_pools_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("TFSTYLE_POOL_MEMORY", "0")
    assert not runtime.pool_memory()
