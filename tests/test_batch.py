"""Folder stylization: mirrored names, resuming, bad files, the manifest."""

import json

import numpy as np
import pytest

from tfstyle import batch
from tfstyle.core.errors import ImageError
from tfstyle.core.image import load_image, save_image


def _tree(root):
    root.mkdir()
    save_image(root / "a.png", np.full((8, 10, 3), 0.2, np.float32))
    (root / "deep" / "er").mkdir(parents=True)
    save_image(root / "deep" / "er" / "b.jpg", np.full((6, 6, 3), 0.8, np.float32))
    (root / "deep" / "broken.png").write_bytes(b"\x89PNG not really")
    (root / "notes.txt").write_text("not an image, not picked up")
    (root / ".hidden").mkdir()
    save_image(root / ".hidden" / "c.png", np.zeros((4, 4, 3), np.float32))


def _invert(path):
    return 1.0 - load_image(path)


def _manifest(folder):
    return [json.loads(line) for line in (folder / batch.MANIFEST).open()]


def test_outputs_mirror_the_tree_and_a_bad_file_is_recorded_not_fatal(tmp_path):
    _tree(tmp_path / "in")
    seen = []
    result = batch.stylize_dir(tmp_path / "in", tmp_path / "out", _invert,
                               settings={"alpha": 0.5}, callback=seen.append)
    assert (result.count("done"), result.count("error")) == (2, 1)
    np.testing.assert_allclose(load_image(tmp_path / "out" / "a.png"), 0.8, atol=1 / 255)
    assert (tmp_path / "out" / "deep" / "er" / "b.png").exists()
    assert not (tmp_path / "out" / ".hidden").exists()
    records = _manifest(tmp_path / "out")
    assert [r["status"] for r in records] == ["done", "error", "done"]  # sorted paths
    assert "not a readable image" in records[1]["error"]
    assert all(r["settings"] == {"alpha": 0.5} for r in records)
    assert [p.step for p in seen] == [1, 2, 3] and seen[-1].steps == 3


def test_a_rerun_skips_finished_outputs_and_overwrite_redoes_them(tmp_path):
    _tree(tmp_path / "in")
    batch.stylize_dir(tmp_path / "in", tmp_path / "out", _invert)
    calls = []

    def render(path):
        calls.append(path.name)
        return _invert(path)

    again = batch.stylize_dir(tmp_path / "in", tmp_path / "out", render)
    assert again.count("skipped") == 2 and calls == ["broken.png"]  # only the failure retried
    batch.stylize_dir(tmp_path / "in", tmp_path / "out", render, overwrite=True)
    assert calls.count("a.png") == 1 and calls.count("b.jpg") == 1


def test_interrupted_run_leaves_only_whole_files_and_resumes(tmp_path):
    _tree(tmp_path / "in")

    def stop_at_second(path):
        if path.name == "b.jpg":
            raise KeyboardInterrupt
        return _invert(path)

    with pytest.raises(KeyboardInterrupt):
        batch.stylize_dir(tmp_path / "in", tmp_path / "out", stop_at_second)
    written = sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written == ["a.png", batch.MANIFEST]  # no temporary or partial file
    result = batch.stylize_dir(tmp_path / "in", tmp_path / "out", _invert)
    assert (result.count("skipped"), result.count("done")) == (1, 1)


def test_output_folder_inside_the_input_folder_is_not_read_back(tmp_path):
    _tree(tmp_path / "in")
    batch.stylize_dir(tmp_path / "in", tmp_path / "in" / "styled", _invert)
    again = batch.stylize_dir(tmp_path / "in", tmp_path / "in" / "styled", _invert)
    assert len(again.items) == 3 and not (tmp_path / "in" / "styled" / "styled").exists()


def test_clashing_names_and_bad_folders_are_clear_errors(tmp_path):
    (tmp_path / "in").mkdir()
    save_image(tmp_path / "in" / "x.png", np.zeros((4, 4, 3), np.float32))
    save_image(tmp_path / "in" / "x.jpg", np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ImageError, match="would both be written to"):
        batch.stylize_dir(tmp_path / "in", tmp_path / "out", _invert)
    with pytest.raises(ImageError, match="is not a directory"):
        batch.stylize_dir(tmp_path / "nowhere", tmp_path / "out", _invert)
    (tmp_path / "file").write_text("")
    with pytest.raises(ImageError, match="is a file"):
        batch.stylize_dir(tmp_path / "in", tmp_path / "file", _invert)
    assert not (tmp_path / "out").exists()


def test_one_channel_outputs_hold_the_luminance(tmp_path):
    _tree(tmp_path / "in")
    batch.stylize_dir(tmp_path / "in", tmp_path / "out", _invert, channels=1)
    from PIL import Image

    with Image.open(tmp_path / "out" / "a.png") as img:
        assert img.mode == "L"
        assert abs(np.asarray(img, np.float32).mean() / 255 - 0.8) < 2 / 255


def test_a_rerun_with_other_settings_does_not_pass_old_outputs_off(tmp_path):
    _tree(tmp_path / "in")
    batch.stylize_dir(tmp_path / "in", tmp_path / "out", _invert, settings={"alpha": 0.5})
    with pytest.raises(ImageError, match=r"made with other settings \(alpha\)"):
        batch.stylize_dir(tmp_path / "in", tmp_path / "out", _invert, settings={"alpha": 1.0})
    again = batch.stylize_dir(tmp_path / "in", tmp_path / "out", _invert,
                              settings={"alpha": 1.0}, overwrite=True)
    assert again.count("done") == 2


def test_same_folder_refused_and_input_folder_inside_output_folder_allowed(tmp_path):
    _tree(tmp_path / "in")
    with pytest.raises(ImageError, match="the same folder"):
        batch.stylize_dir(tmp_path / "in", tmp_path / "in", _invert)
    result = batch.stylize_dir(tmp_path / "in", tmp_path, _invert)  # outputs beside "in"
    assert result.count("done") == 2 and (tmp_path / "a.png").exists()


def test_progress_line_has_a_bar_and_the_time_left():
    import io

    from tfstyle.cli.output import BatchPrinter

    stream = io.StringIO()
    printer = BatchPrinter(stream)
    item = batch.BatchItem("in/a.png", "out/a.png", "done", 2.0)
    printer(batch.BatchProgress(1, 4, item, elapsed=2.0, rendered=1))
    printer(batch.BatchProgress(2, 4, batch.BatchItem("in/b.png", "out/b.png", "error", 0.1,
                                                      "not a readable image"), 2.1, 2))
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[####............] 1/4 in/a.png -> out/a.png (2.0 s)")
    assert lines[0].endswith("0m06s left")  # 3 left at 2 s each
    assert "FAILED: not a readable image" in lines[1]
