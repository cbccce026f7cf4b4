"""Package attributes that load their module on first use.

The method packages' entry points import TensorFlow; their configs do not.
Loading the entry points lazily keeps ``import tfstyle`` and the command
line's flag parsing quick (well under a second), and TensorFlow's start-up
off every path that does not run a network (PEP 562 module ``__getattr__``).
"""

import importlib
from typing import Callable, Mapping, Tuple


def attach(package: str, names: Mapping[str, str] = None,
           modules: Mapping[str, str] = None, before: Callable = None) -> Tuple[Callable, Callable]:
    """(__getattr__, __dir__) for `package`.

    Args:
      package: the package's ``__name__``.
      names: attribute -> module (absolute) that defines an attribute of that name.
      modules: attribute -> module (absolute) that the attribute is.
      before: called before a module of `names` is first loaded (tfstyle's
        quiet TensorFlow import).
    """
    names, modules = dict(names or {}), dict(modules or {})

    def __getattr__(name):
        if name in names:
            if before is not None:
                before()
            return getattr(importlib.import_module(names[name]), name)
        if name in modules:
            return importlib.import_module(modules[name])
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(names) | set(modules))

    return __getattr__, __dir__
