"""main.py as a user runs it: one-line errors, nothing overwritten, real output."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import REPO
from tfstyle import samples
from tfstyle.image import save_image

MAIN = str(REPO / "main.py")


def run(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, MAIN, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def pictures(tmp_path):
    content = tmp_path / "content.png"
    y, x = np.mgrid[0:40, 0:56] / 56.0
    save_image(content, np.stack([x, 0.3 + 0 * x, 1 - y], -1).astype(np.float32))
    style = tmp_path / "style.jpg"
    save_image(style, samples.brushstrokes(64))
    return content, style


def _one_line_error(proc, expected):
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert expected in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("flag, expected", [
    ("--content=missing.jpg", "no such file: missing.jpg"),
    ("--content=notes.txt", "not a readable image"),
    ("--style_layers=conv1_1,conv6_1", "unknown VGG19 layer 'conv6_1'"),
    ("--size=-5", "size must be"),
    ("--output=nodir/out.png", "output directory does not exist"),
    ("--output=/proc/out.png", "output directory"),
    ("--output=out.txt", "unsupported extension"),
    ("--optimizer=sgd", "optimizer"),
    ("--nonsense=1", "nonsense"),
    ("--seed=-1", "seed must be"),
    ("--style_blend=0.7,x", "--style_blend must be comma-separated numbers"),
    ("--style_blend=0.7,0.3", "style_blend has 2 weights for 1 style images"),
    ("--preserve_color=sepia", "preserve_color"),
    ("--tv_weight=-1", "tv_weight must be"),
    ("--size=16", "needs a short side of at least 16 px"),
    ("--vgg_weights=missing.h5", "no such file: missing.h5"),
])
def test_bad_input_is_one_line_and_nonzero(tmp_path, pictures, flag, expected):
    (tmp_path / "notes.txt").write_text("not an image")
    content, style = pictures
    args = [f"--content={content}", f"--style={style}", "--size=32", "--steps=1",
            "--output=out.png", flag]
    if flag.startswith("--content="):
        args = [a for a in args if not a.startswith("--content=")] + [flag]
    proc = run(*args, cwd=tmp_path)
    _one_line_error(proc, expected)
    assert not (tmp_path / "out.png").exists()


def test_inputs_and_existing_outputs_are_never_overwritten(tmp_path, pictures):
    content, style = pictures
    before = content.read_bytes()
    proc = run(f"--content={content}", f"--style={style}", f"--output={content}", "--overwrite",
               cwd=tmp_path)
    _one_line_error(proc, "one of the input images")
    snapshot_named_like_input = tmp_path / "out_step00001.png"
    snapshot_named_like_input.write_bytes(content.read_bytes())
    proc = run(f"--content={snapshot_named_like_input}", f"--style={style}", "--output=out.png",
               "--save_every=1", "--steps=2", "--overwrite", cwd=tmp_path)
    _one_line_error(proc, "one of the input images")
    assert snapshot_named_like_input.read_bytes() == before
    existing = tmp_path / "keep.png"
    existing.write_bytes(b"precious")
    proc = run(f"--content={content}", f"--style={style}", f"--output={existing}", cwd=tmp_path)
    _one_line_error(proc, "exists; pass --overwrite")
    assert content.read_bytes() == before and existing.read_bytes() == b"precious"


@pytest.mark.slow
def test_real_run_writes_png_with_settings_and_snapshots(tmp_path, pictures):
    content, style = pictures
    proc = run(f"--content={content}", f"--style={style}", "--size=48", "--steps=4",
               "--save_every=2", "--output=out.png", "--optimizer=adam", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "step 4/4" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "content.png", "out.json", "out.png", "out_step00002.png", "out_step00004.png", "style.jpg"]
    with Image.open(tmp_path / "out.png") as img:
        assert img.size == (48, 34)
        settings = json.loads(img.text["tfstyle:settings"])
        losses = json.loads(img.text["tfstyle:losses"])
    assert settings["steps"] == 4 and settings["optimizer"] == "adam"
    assert settings["content"] == str(content) and settings["style"] == [str(style)]
    assert losses["total"] > 0 and len(img.text["tfstyle:weights_sha256"]) == 64
    record = json.loads((tmp_path / "out.json").read_text())
    assert record["settings"] == settings and record["losses"] == losses
    assert record["steps"] == 4 and record["seconds"] > 0
    assert record["weights_sha256"] == img.text["tfstyle:weights_sha256"]


@pytest.mark.slow
def test_embedded_default_runs_with_no_inputs(tmp_path):
    proc = run("--size=32", "--steps=2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with Image.open(tmp_path / "stylized.png") as img:
        assert img.size == (32, 21)
        assert json.loads(img.text["tfstyle:settings"])["content"] == "embedded:chelsea.png"
    os.unlink(tmp_path / "stylized.png")
    os.unlink(tmp_path / "stylized.json")


@pytest.mark.slow
def test_same_flags_and_seed_give_identical_bytes(tmp_path, pictures):
    content, style = pictures
    args = [f"--content={content}", f"--style={style}", "--size=40", "--steps=3", "--seed=7"]
    for name in ("a.png", "b.png"):
        assert run(*args, f"--output={name}", cwd=tmp_path).returncode == 0
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    proc = run(*args[:-1], "--seed=8", "--output=c.png", cwd=tmp_path)
    assert proc.returncode == 0
    assert (tmp_path / "c.png").read_bytes() != (tmp_path / "a.png").read_bytes()


def test_existing_sidecar_is_kept(tmp_path, pictures):
    content, style = pictures
    (tmp_path / "out.json").write_text("mine")
    proc = run(f"--content={content}", f"--style={style}", "--output=out.png", cwd=tmp_path)
    _one_line_error(proc, "out.json (the run record for out.png) exists")
    assert (tmp_path / "out.json").read_text() == "mine"
