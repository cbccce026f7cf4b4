"""notebooks/quickstart.ipynb runs top to bottom, at tiny sizes, so it cannot rot."""

import os

import nbclient
import nbformat
import pytest

from conftest import REPO

NOTEBOOK = REPO / "notebooks" / "quickstart.ipynb"


@pytest.mark.slow
def test_quickstart_notebook_runs(tmp_path, monkeypatch):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") or cell.get("execution_count")
                   for cell in nb.cells if cell.cell_type == "code"), \
        "the notebook is stored with outputs; clear them"

    # The kernel inherits this process's environment: conftest's KERAS_HOME
    # (the fetched wheels, linked) and these. IPython's profile, Jupyter's
    # connection files and the notebook's temporary folders go under tmp_path.
    for name, sub in [("IPYTHONDIR", "ipython"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                      ("TMPDIR", "tmp")]:
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(name, str(tmp_path / sub))
    monkeypatch.setenv("TFSTYLE_NOTEBOOK_TINY", "1")
    cwd = tmp_path / "cwd"
    cwd.mkdir()

    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=300,
                                     resources={"metadata": {"path": str(cwd)}})
    client.execute()  # raises CellExecutionError on the first failing cell

    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    text = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    assert "SIZE=64 STEPS=5" in text
    # The weights came from the test's cache, not the user's home.
    assert os.environ["KERAS_HOME"] in text
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) == 6, f"{len(images)} images shown, not 6"
    assert "3 stylized, 0 failed" in text
    assert "event files: ['gatys_luminance/events." in text
    assert os.listdir(cwd) == [], "the notebook wrote into its working directory"
