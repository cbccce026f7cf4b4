"""A full disk is a one-line error, and leaves no empty or partial file."""

import contextlib
import errno
import io
import os

import pytest

from tfstyle import batch
from tfstyle.cli import main as cli
from tfstyle.core import fileio, samples
from tfstyle.core.image import save_image


def _full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_manifest_line_that_does_not_fit_leaves_no_empty_file(tmp_path, monkeypatch):
    path = tmp_path / "manifest.jsonl"
    monkeypatch.setattr(fileio.os, "fsync", _full)
    with pytest.raises(OSError) as caught:
        fileio.append_line(path, '{"a": 1}')
    assert fileio.out_of_space(caught.value) and not path.exists()


def test_a_manifest_line_that_does_not_fit_leaves_the_earlier_lines_whole(tmp_path, monkeypatch):
    path = tmp_path / "manifest.jsonl"
    fileio.append_line(path, '{"a": 1}')
    monkeypatch.setattr(fileio.os, "fsync", _full)
    with pytest.raises(OSError):
        fileio.append_line(path, '{"b": 2}')
    assert path.read_text() == '{"a": 1}\n'


def test_dev_full_is_out_of_space():
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    with pytest.raises(OSError) as caught:
        fileio.append_line("/dev/full", "x")
    assert fileio.out_of_space(caught.value)
    assert not fileio.out_of_space(OSError(errno.EACCES, "Permission denied"))


def test_the_command_line_says_so_in_one_line(tmp_path, monkeypatch):
    photos = tmp_path / "photos"
    photos.mkdir()
    save_image(photos / "a.png", samples.brushstrokes(64))

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(batch, "check_writable", full)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(["tfstyle", "multistyle", f"--content_dir={photos}",
                         f"--output_dir={tmp_path / 'out'}"])
    lines = err.getvalue().strip().splitlines()
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith("error: no space left on the disk writing ") and "again" in lines[0]
