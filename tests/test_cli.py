"""main.py as a user runs it: one-line errors, nothing overwritten, real output."""

import contextlib
import dataclasses
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import REPO
from tfstyle.core import samples
from tfstyle.core.image import load_image, save_image

MAIN = str(REPO / "main.py")
sys.path.insert(0, str(REPO))
import main as cli  # noqa: E402


@dataclasses.dataclass
class Finished:
    returncode: int
    stderr: str


def run(*args, cwd) -> Finished:
    """main.py in this process, as `python main.py ARGS` in `cwd` would run it:
    flags parsed afresh (and restored after), stderr captured."""
    stderr = io.StringIO()
    before = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stderr(stderr):
            code = cli.main(["main.py", *args])
    finally:
        os.chdir(before)
    return Finished(code, stderr.getvalue())


def run_process(*args, cwd):
    """main.py as a separate process: what a user's shell starts."""
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
    ("--style_blend=0.7,0.3", "--style_blend has 2 weights for 1 styles"),
    ("--preserve_color=sepia", "preserve_color"),
    ("--tv_weight=-1", "tv_weight must be"),
    ("--size=16", "needs a short side of at least 16 px"),
    ("--vgg_weights=missing.h5", "no such file: missing.h5"),
    ("--mode=painting", "mode"),
    ("--mode=content_reconstruction --style=x.png", "`tfstyle reconstruct` has no flag --style"),
    ("--output_size=64x64", "`tfstyle transfer` has no flag --output_size (it belongs to texture)"),
    ("--mode=texture --output_size=12", "--output_size must be WIDTHxHEIGHT"),
    ("--mode=texture --output_size=64x0", "--output_size must be WIDTHxHEIGHT"),
    ("--style_source_mask=m.png", "--style_source_mask needs --style_mask"),
    ("--style_mask=missing.png", "no such file: missing.png"),
    ("--style_mask=black.png", "mask 1 selects no pixels"),
    ("--mode=grid --grid_ratios=1e-5,0", "ratios must be numbers > 0"),
    ("--mode=grid --grid_ratios=1e-5,x", "--grid_ratios must be comma-separated numbers"),
    ("--mode=grid --grid_style_layers=conv1_1;conv9_1", "unknown VGG19 layer 'conv9_1'"),
    ("--mode=grid --save_every=2", "`tfstyle grid` has no flag --save_every"),
    ("--logdir=notes.txt", "is a file, not a directory"),
    ("--log_images_every=-1", "--log_images_every must be >= 0"),
    ("--scales=abc", "--scales must be 'auto', 'none' or long sides"),
    ("--scales=16,64", "must all be below the output's long side (32 px)"),
    ("--coarse_steps=0", "--coarse_steps must be an integer >= 1"),
    ("--tile_size=big", "--tile_size must be 'auto', 'none' or a tile side"),
    ("--tile_size=64", "tile_size must be 0 (never tile) or at least 128 px"),
    ("--mode=texture --tile_size=256", "`tfstyle texture` has no flag --tile_size"),
    ("--seeds=0,x", "--seeds must be comma-separated integers"),
    ("--seeds=0,1 --seed=3", "--seed: --seeds lists every seed"),
    ("--seeds=0,1 --init=content", "--seeds needs --init=noise"),
    ("--seeds=0,0", "--seeds must be different integers >= 0"),
    ("--seeds=3,-1", "--seeds must be different integers >= 0"),
    ("--seeds=0,1 --save_every=1", "--save_every: snapshots belong to one image"),
    ("--mode=grid --seeds=0,1", "`tfstyle grid` has no flag --seeds"),
])
def test_bad_input_is_one_line_and_nonzero(tmp_path, pictures, flag, expected):
    """`flag` may hold several space-separated flags."""
    (tmp_path / "notes.txt").write_text("not an image")
    save_image(tmp_path / "black.png", np.zeros((8, 8, 3), np.float32))
    content, style = pictures
    flag = flag.split(" ")
    args = [f"--content={content}", f"--style={style}", "--size=32", "--steps=1",
            "--output=out.png", *flag]
    # The flag under test replaces the default input of its kind; a mode drops
    # the input it has no use for.
    drop = {"--mode=texture": "--content=", "--mode=content_reconstruction": "--style="}
    for name in ("--content=", "--style="):
        if any(f.startswith(name) for f in flag) or drop.get(flag[0]) == name:
            args = [a for a in args if not a.startswith(name)] + [f for f in flag if f.startswith(name)]
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
    proc = run_process("--size=32", "--steps=2", cwd=tmp_path)
    assert "Traceback" not in proc.stderr and "cuInit" not in proc.stderr
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


@pytest.mark.slow
def test_seeds_write_one_output_each_and_keep_existing_ones(tmp_path, pictures):
    content, style = pictures
    args = [f"--content={content}", f"--style={style}", "--size=40", "--steps=3",
            "--optimizer=adam", "--output=out.png"]
    existing = tmp_path / "out_seed2.png"
    existing.write_bytes(b"precious")
    proc = run(*args, "--seeds=1,2", cwd=tmp_path)
    _one_line_error(proc, "out_seed2.png exists; pass --overwrite")
    assert existing.read_bytes() == b"precious" and not (tmp_path / "out_seed1.png").exists()
    existing.unlink()
    proc = run(*args, "--seeds=1,2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "out.png").exists()
    for seed in (1, 2):
        with Image.open(tmp_path / f"out_seed{seed}.png") as img:
            settings = json.loads(img.text["tfstyle:settings"])
        assert settings["seed"] == seed and settings["seeds"] == [1, 2]
        assert json.loads((tmp_path / f"out_seed{seed}.json").read_text())["settings"] == settings
    # Adam's update is per pixel: each image of the batch is its seed's single run.
    proc = run(*args[:-1], "--init=noise", "--seed=2", "--output=single.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    batch, single = load_image(tmp_path / "out_seed2.png"), load_image(tmp_path / "single.png")
    assert np.abs(batch - single).max() <= 2 / 255
    assert np.abs(batch - load_image(tmp_path / "out_seed1.png")).max() > 0.05


def test_existing_sidecar_is_kept(tmp_path, pictures):
    content, style = pictures
    (tmp_path / "out.json").write_text("mine")
    proc = run(f"--content={content}", f"--style={style}", "--output=out.png", cwd=tmp_path)
    _one_line_error(proc, "out.json (the run record for out.png) exists")
    assert (tmp_path / "out.json").read_text() == "mine"


@pytest.mark.slow
def test_texture_mode_any_size_with_tensorboard_logs(tmp_path, pictures):
    _, style = pictures
    proc = run("--mode=texture", f"--style={style}", "--size=48", "--output_size=72x40",
               "--style_layers=conv1_1,conv2_1", "--steps=4", "--output=tex.png",
               "--logdir=runs/tex", "--log_images_every=2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with Image.open(tmp_path / "tex.png") as img:
        assert img.size == (72, 40)
        settings = json.loads(img.text["tfstyle:settings"])
    assert settings["command"] == "texture" and settings["output_size"] == "72x40"
    assert "content" not in settings and set(json.loads(img.text["tfstyle:losses"])) == {
        "total", "style"}
    events = list((tmp_path / "runs" / "tex").glob("events.out.tfevents.*"))
    assert len(events) == 1 and events[0].stat().st_size > 1000


@pytest.mark.slow
def test_grid_mode_writes_one_sheet_and_every_cells_record(tmp_path, pictures):
    content, style = pictures
    proc = run("--mode=grid", f"--content={content}", f"--style={style}", "--size=40",
               "--steps=2", "--grid_style_layers=conv1_1;conv1_1,conv2_1",
               "--grid_ratios=1e-4,1e-6", "--grid_content_layers=conv2_2;conv4_2",
               "--output=grid.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "4 rows x 2 columns" in proc.stderr
    record = json.loads((tmp_path / "grid.json").read_text())
    assert record["rows"] == 4 and record["columns"] == 2 and len(record["cells"]) == 8
    assert record["cells"][7]["row"] == "content conv4_2, style conv1_1+conv2_1"
    assert record["cells"][7]["style_weight"] == pytest.approx(1e6)
    with Image.open(tmp_path / "grid.png") as img:
        assert img.width > 2 * 40 and img.height > 4 * 27


@pytest.mark.slow
def test_masks_from_files_keep_the_uncovered_photo(tmp_path, pictures):
    content, style = pictures
    mask = np.zeros((40, 56, 3), np.float32)
    mask[:, :28] = 1
    save_image(tmp_path / "left.png", mask)
    proc = run(f"--content={content}", f"--style={style}", "--style_mask=left.png",
               "--size=56", "--steps=3", "--output=out.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with Image.open(tmp_path / "out.png") as out, Image.open(content) as photo:
        out, photo = np.asarray(out, np.int16), np.asarray(photo, np.int16)
    assert np.abs(out[:, 30:] - photo[:, 30:]).max() <= 1
    assert np.abs(out[:, :26] - photo[:, :26]).mean() > 10


@pytest.mark.parametrize("flag, expected", [
    ("", "adain needs a --model"),
    ("--model=a.pth,b.pth,c.pth", "--model is one file, or two"),
    ("--model=missing.weights.h5", "no such file: missing.weights.h5"),
    ("--model=notes.txt", "not an AdaIN weights file"),
    ("--model=m.weights.h5 --alpha=1.5", "--alpha must be in [0, 1]"),
    ("--model=m.weights.h5 --steps=3", "`tfstyle adain` has no flag --steps"),
    ("--model=m.weights.h5 --content_dir=.", "--content: give --content or --content_dir"),
    ("--model=m.weights.h5 --output_dir=out", "--output_dir goes with --content_dir"),
    ("--model=m.weights.h5 --style_size=-1", "--style_size must be an integer >= 16"),
    ("--model=m.weights.h5 --style=missing.jpg", "no such file: missing.jpg"),
])
def test_adain_mode_bad_input_is_one_line_and_nonzero(tmp_path, pictures, flag, expected):
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "m.weights.h5").write_bytes(b"stand-in; the errors come before it is read")
    content, style = pictures
    args = ["--mode=adain", f"--content={content}", "--output=out.png"]
    proc = run(*args, *[f for f in flag.split(" ") if f], cwd=tmp_path)
    _one_line_error(proc, expected)
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("flag, expected", [
    ("", "needs --content_dir and --style_dir"),
    ("--content_dir=photos --style_dir=nowhere", "style_dir nowhere is not a directory"),
    ("--content_dir=empty --style_dir=photos", "content_dir empty holds no images"),
    ("--content_dir=photos --style_dir=photos --output=model.h5", "saved as <name>.weights.h5"),
    ("--content_dir=photos --style_dir=photos --crop_size=600", "cannot exceed --load_size"),
    ("--content_dir=photos --style_dir=photos --batch_size=0", "batch_size must be"),
    ("--content_dir=photos --style_dir=photos --alpha=0.5", "`tfstyle train-adain` has no flag --alpha"),
])
def test_train_adain_bad_input_is_one_line_and_nonzero(tmp_path, pictures, flag, expected):
    (tmp_path / "photos").mkdir()
    (tmp_path / "empty").mkdir()
    save_image(tmp_path / "photos" / "a.png", np.full((40, 40, 3), 0.5, np.float32))
    proc = run("--mode=train_adain", *[f for f in flag.split(" ") if f], cwd=tmp_path)
    _one_line_error(proc, expected)
    assert not (tmp_path / "adain.weights.h5").exists()


@pytest.mark.slow
def test_train_adain_then_stylize_one_image_and_a_folder(tmp_path, pictures):
    content, style = pictures
    for folder, seed in (("photos", 0), ("paintings", 1)):
        (tmp_path / folder / "sub").mkdir(parents=True)
        rng = np.random.default_rng(seed)
        for i in range(3):
            save_image(tmp_path / folder / ("sub" if i else "") / f"{i}.png",
                       rng.uniform(0, 1, (48, 56, 3)).astype(np.float32))
    (tmp_path / "photos" / "sub" / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    proc = run("--mode=train_adain", "--content_dir=photos", "--style_dir=paintings",
               "--steps=3", "--batch_size=2", "--load_size=40", "--crop_size=32",
               "--logdir=logs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "wrote adain.weights.h5 at step 3" in proc.stderr
    assert (tmp_path / "adain_checkpoints" / "checkpoint").exists()
    assert list((tmp_path / "logs").iterdir())

    proc = run("--mode=adain", "--model=adain.weights.h5", f"--content={content}",
               f"--style={style}", "--alpha=0.5", "--size=0", "--output=one.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with Image.open(tmp_path / "one.png") as img:
        assert img.size == (56, 40)
        assert json.loads(img.text["tfstyle:settings"])["alpha"] == 0.5
    assert json.loads((tmp_path / "one.json").read_text())["settings"]["command"] == "adain"

    folder = ["--mode=adain", "--model=adain.weights.h5", "--content_dir=photos",
              "--output_dir=styled", f"--style={style}", "--size=32"]
    proc = run(*folder, cwd=tmp_path)
    assert proc.returncode == 1  # the broken file is reported by the exit code ...
    assert "3 stylized, 0 already there, 1 failed" in proc.stderr
    assert (tmp_path / "styled" / "0.png").exists() and (tmp_path / "styled" / "sub" / "2.png").exists()
    records = [json.loads(line) for line in (tmp_path / "styled" / "manifest.jsonl").open()]
    assert sorted(r["status"] for r in records) == ["done", "done", "done", "error"]
    assert "broken.jpg" in next(r["input"] for r in records if r["status"] == "error")
    # ... and a rerun skips what is done.
    proc = run(*folder, cwd=tmp_path)
    assert "0 stylized, 3 already there, 1 failed" in proc.stderr


@pytest.mark.slow
def test_transfer_folder_writes_one_channel_images_and_resumes(tmp_path, pictures):
    content, style = pictures
    (tmp_path / "photos" / "b").mkdir(parents=True)
    save_image(tmp_path / "photos" / "a.png", load_image(content))
    save_image(tmp_path / "photos" / "b" / "c.jpg", load_image(content)[::-1])
    args = ["--content_dir=photos", "--output_dir=out", f"--style={style}", "--size=32",
            "--steps=2", "--output_channels=1"]
    proc = run(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "2 stylized, 0 already there, 0 failed" in proc.stderr
    for name in ("a.png", "b/c.png"):
        with Image.open(tmp_path / "out" / name) as img:
            assert img.mode == "L" and img.size == (32, 23)
            assert json.loads(img.text["tfstyle:settings"])["output_channels"] == 1
    assert "0 stylized, 2 already there" in run(*args, cwd=tmp_path).stderr


@pytest.mark.parametrize("args, expected", [
    (["--content=missing.jpg"], "error: no such file: missing.jpg"),
    (["--nonsense=1"], "nonsense"),
    (["--mode=adain"], "error: adain needs a --model"),
])
def test_a_real_process_fails_in_one_line(tmp_path, args, expected):
    proc = run_process(*args, cwd=tmp_path)
    _one_line_error(proc, expected)


@pytest.mark.parametrize("flag, expected", [
    ("--steps=3", "`tfstyle photoreal` has no flag --steps"),
    ("--content_labels=lab.png", "label maps come in pairs: --content_labels and --style_labels"),
    ("--content_labels=lab.png --style_labels=small.png",
     "--content_labels is 40x40 px but its image is 56x40"),
    ("--content_labels=notes.txt --style_labels=lab.png", "not a readable image"),
    ("--transfer_at=encoder,nose", "--transfer_at must name one or more of encoder, skip"),
    ("--model=missing.npz", "no such file: missing.npz"),
    ("--model=a.pth,b.pth,c.pth", "--model is one file, or two"),
    ("--content_dir=. --content_labels=lab.png --output_dir=o", "--content: give --content"),
    ("--alpha=2", "--alpha must be in [0, 1]"),
])
def test_photoreal_mode_bad_input_is_one_line_and_nonzero(tmp_path, pictures, flag, expected):
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "m.npz").write_bytes(b"stand-in; the errors come before it is read")
    save_image(tmp_path / "lab.png", np.zeros((40, 40, 3), np.float32))
    save_image(tmp_path / "small.png", np.zeros((20, 20, 3), np.float32))
    content, style = pictures
    args = ["--mode=photoreal", f"--content={content}", f"--style={style}", "--output=out.png"]
    proc = run(*args, *[f for f in flag.split(" ") if f], cwd=tmp_path)
    _one_line_error(proc, expected)
    assert not (tmp_path / "out.png").exists()


@pytest.mark.slow
def test_photoreal_with_the_shipped_decoder_one_image_labels_and_a_folder(tmp_path, pictures):
    """The shipped decoder and the real VGG19: an image, its label maps, a folder."""
    content, style = pictures
    halves = np.zeros((40, 56, 3), np.float32)
    halves[:, 28:] = 1.0
    save_image(tmp_path / "c_labels.png", halves)
    save_image(tmp_path / "s_labels.png", np.ones((64, 64, 3), np.float32))  # one label only
    proc = run("--mode=photoreal", f"--content={content}", f"--style={style}", "--size=0",
               "--content_labels=c_labels.png", "--style_labels=s_labels.png",
               "--output=out.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = load_image(tmp_path / "out.png")
    assert out.shape == (40, 56, 3)
    with Image.open(tmp_path / "out.png") as img:
        settings = json.loads(img.text["tfstyle:settings"])
    assert settings["model"] == ["shipped"] and settings["transfer_at"] == "decoder"
    # The black label is in the content map only: that half keeps the photo (the
    # decoder's reconstruction of it), while the white half takes the style's colours.
    photo = load_image(content)
    assert np.abs(out[:, :20] - photo[:, :20]).mean() < 0.05
    assert np.abs(out[:, 36:] - photo[:, 36:]).mean() > np.abs(out[:, :20] - photo[:, :20]).mean()
    (tmp_path / "photos").mkdir()
    save_image(tmp_path / "photos" / "a.png", photo)
    save_image(tmp_path / "photos" / "b.png", photo[::-1])
    args = ["--mode=photoreal", "--content_dir=photos", "--output_dir=styled", f"--style={style}",
            "--size=0", "--alpha=0.5"]
    proc = run(*args, cwd=tmp_path)
    assert proc.returncode == 0 and "2 stylized, 0 already there, 0 failed" in proc.stderr, proc.stderr
    assert load_image(tmp_path / "styled" / "b.png").shape == (40, 56, 3)
    assert "0 stylized, 2 already there" in run(*args, cwd=tmp_path).stderr


@pytest.mark.slow
def test_shipped_photoreal_decoder_reconstructs_a_photo(tmp_path):
    """alpha=0 is the decoder's round trip: on the embedded photo it gives the photo back."""
    import tfstyle
    from tfstyle.core import samples

    photo = load_image(samples.default_content(), 256)
    back = tfstyle.photoreal(photo, photo, alpha=0.0, size=None).image
    psnr = 10 * np.log10(1.0 / np.mean((back - photo) ** 2))
    assert psnr > 30, psnr


def test_a_flagfile_that_is_not_text_is_a_one_line_error(tmp_path):
    (tmp_path / "photo.cfg").write_bytes(bytes(range(256)) * 4)
    _one_line_error(run("--flagfile=photo.cfg", cwd=tmp_path), "cannot read photo.cfg")


def test_size_independent_flag_reaches_the_config_and_the_record(tmp_path, pictures):
    content, style = pictures
    args = [f"--content={content}", f"--style={style}", "--size=40", "--steps=2",
            "--scales=none"]
    for flag, expected in (("--size_independent", True), ("--nosize_independent", False)):
        out = tmp_path / f"{expected}.png"
        proc = run(*args, flag, f"--output={out}", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        settings = json.loads(out.with_suffix(".json").read_text())["settings"]
        assert settings["size_independent"] is expected


@pytest.mark.parametrize("first, second, expected", [
    ("--style=bad.png", "--content=nope.jpg", "not a readable image: bad.png"),
    ("--content=nope.jpg", "--style=bad.png", "no such file: nope.jpg"),
    ("--output=exists.png", "--content=nope.jpg", "exists.png exists"),
    ("--size=-3", "--content=nope.jpg", "--size must be"),
    ("--content=nope.jpg", "--size=-3", "no such file: nope.jpg"),
    ("--flagfile=early.cfg", "--content=nope.jpg", "not a readable image: bad.png"),
    ("--content=nope.jpg", "--flagfile=early.cfg", "no such file: nope.jpg"),
])
def test_errors_come_in_the_order_typed(first, second, expected, tmp_path):
    (tmp_path / "bad.png").write_text("not an image")
    (tmp_path / "early.cfg").write_text("--steps=3\n--style=bad.png\n")
    save_image(tmp_path / "exists.png", np.zeros((8, 8, 3), np.float32))
    done = run(first, second, cwd=tmp_path)
    _one_line_error(done, expected)
