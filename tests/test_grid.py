import numpy as np
import pytest

from tfstyle.gatys import passes as gpasses, targets as gtargets, transfer

from tfstyle.gatys import grid
from tfstyle.gatys.config import StyleConfig, parse_layer_weights
from tfstyle.core.errors import ConfigError
from tfstyle.core.sheet import contact_sheet

from test_gatys import CONTENT, SMALL, STYLE


def test_contact_sheet_places_every_image_and_draws_the_labels():
    rng = np.random.default_rng(0)
    images = [[rng.uniform(0, 1, (20, 30, 3)).astype(np.float32) for _ in range(3)]
              for _ in range(2)]
    sheet = contact_sheet(images, ["row one", "row two"], ["a", "b", "c"], gap=4, font_size=12)
    top = sheet.shape[0] - (2 * 20 + 4)
    left = sheet.shape[1] - (3 * 30 + 2 * 4)
    assert top > 10 and left > 30
    for r in range(2):
        for c in range(3):
            y, x = top + r * 24, left + c * 34
            np.testing.assert_allclose(sheet[y:y + 20, x:x + 30], images[r][c], atol=1 / 255)
    assert sheet[:top, left:].min() < 0.5   # header text
    assert sheet[top:, :left].min() < 0.5   # row label text
    plain = contact_sheet(images)
    assert plain.shape == (44, 98, 3)


def test_layer_set_labels_and_parsing():
    assert [grid.layer_set_label(s) for s in grid.PAPER_STYLE_LAYER_SETS] == [
        "conv1_1", "conv1_1+conv2_1", "conv1_1..conv3_1", "conv1_1..conv4_1", "conv1_1..conv5_1"]
    assert grid.PAPER_STYLE_LAYER_SETS[2] == tuple((f"block{b}_conv1", 1 / 3) for b in (1, 2, 3))
    sets = grid.parse_layer_sets("conv2_2; conv4_2", default_weight=1.0)
    assert sets == ((("block2_conv2", 1.0),), (("block4_conv2", 1.0),))
    with pytest.raises(ConfigError, match="empty"):
        grid.parse_layer_sets(" ; ")
    paper = grid.parse_layer_sets(grid.format_layer_sets(grid.PAPER_STYLE_LAYER_SETS))
    assert [[n for n, _ in s] for s in paper] == [
        [n for n, _ in s] for s in grid.PAPER_STYLE_LAYER_SETS]
    assert all(w == pytest.approx(1 / len(s)) for s in paper for _, w in s)


def test_grid_shares_one_network_and_one_set_of_targets(tiny_weights, monkeypatch):
    calls = {"network": 0, "targets": 0}
    for module, name in ((gpasses, "network"), (gtargets, "compute_targets")):
        real = getattr(module, name)

        def counted(*args, _real=real, _key=name, **kwargs):
            calls["targets" if _key == "compute_targets" else "network"] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    sets = (parse_layer_weights("conv1_1"), parse_layer_weights("conv1_1,conv2_1"))
    seen = []
    out = grid.style_grid(CONTENT, STYLE, StyleConfig(**dict(SMALL, steps=4)),
                          style_layer_sets=sets, ratios=(1e-3, 1e-5),
                          content_layer_sets=(parse_layer_weights("conv1_2", 1.0),
                                              parse_layer_weights("conv2_2", 1.0)),
                          weights=tiny_weights, callback=seen.append)
    assert calls == {"network": 1, "targets": 1}
    assert len(out.cells) == 8 and [(c.row, c.column) for c in out.cells][:3] == [(0, 0), (0, 1), (1, 0)]
    assert out.row_labels[3] == "content conv2_2, style conv1_1+conv2_1"
    assert out.column_labels == ("alpha/beta = 0.001", "alpha/beta = 1e-05")
    assert [p.step for p in seen] == list(range(1, 33)) and seen[-1].steps == 32
    cell = out.cells[3].result
    assert cell.config.style_weight == pytest.approx(1e5)
    assert cell.config.content_layers == (("block1_conv2", 1.0),)
    assert out.sheet.shape[0] > 4 * 24 and out.sheet.shape[1] > 2 * 32


@pytest.mark.parametrize("independent", [False, True])
def test_a_grid_cell_is_the_run_stylize_makes_with_its_settings(tiny_weights, independent):
    sets = (parse_layer_weights("conv1_1"), parse_layer_weights("conv1_1,conv2_1"))
    ratio = 1e-4 if not independent else 1e-4 * 24 * 32 / 512**2  # the same balance
    out = grid.style_grid(CONTENT, STYLE, StyleConfig(**dict(SMALL, steps=5,
                                                             size_independent=independent)),
                          style_layer_sets=sets, ratios=(ratio,), weights=tiny_weights)
    for cell in out.cells:
        alone = transfer.stylize(CONTENT, STYLE, cell.result.config, weights=tiny_weights)
        np.testing.assert_allclose(cell.result.image, alone.image, atol=1e-4)
        assert cell.result.losses["total"] == pytest.approx(alone.losses["total"], rel=1e-3)
    # More style layers, other picture.
    assert np.abs(out.cells[0].result.image - out.cells[1].result.image).mean() > 1e-3


def test_default_columns_bracket_the_configs_ratio(fake_weights):
    out = grid.style_grid(CONTENT, STYLE, StyleConfig(**dict(SMALL, steps=1, style_weight=1e5)),
                          style_layer_sets=(parse_layer_weights("conv1_1"),),
                          weights=fake_weights)
    assert [c.result.config.style_weight for c in out.cells] == pytest.approx([1e4, 1e5, 1e6])
    with pytest.raises(ConfigError, match="ratios must be"):
        grid.style_grid(CONTENT, STYLE, StyleConfig(**SMALL), ratios=(0,), weights=fake_weights)


def test_every_method_is_one_call_of_the_package(tiny_weights):
    import tfstyle
    from tfstyle import api

    assert set(tfstyle.__all__) >= set(tfstyle.METHODS)
    for name in tfstyle.METHODS:
        assert callable(getattr(tfstyle, name))
    assert tfstyle.reconstruct is api.reconstruct and tfstyle.grid is api.grid
    # The old flat module aliases are gone: one spelling per module.
    for old in ("losses", "vgg", "tiles", "summary", "stylize", "adain_transfer"):
        assert not hasattr(tfstyle, old), old
    # Overrides are the config's fields, applied on top of `config`.
    out = tfstyle.texture(STYLE, StyleConfig(**SMALL), vgg_weights=tiny_weights, steps=2,
                          output_size=(20, 24))  # (width, height)
    assert out.image.shape == (24, 20, 3) and out.steps == 2
    assert out.settings["steps"] == 2 and set(out.losses) >= {"style"}
    with pytest.raises(ConfigError, match="no setting `stpes`; did you mean `steps`"):
        tfstyle.reconstruct(CONTENT, vgg_weights=tiny_weights, stpes=2)


def test_grid_checks_every_cell_before_running_any(fake_weights):
    seen = []
    with pytest.raises(ConfigError, match="names a layer twice"):
        grid.style_grid(CONTENT, STYLE, StyleConfig(**SMALL),
                        style_layer_sets=grid.parse_layer_sets("conv1_1;conv2_1,conv2_1"),
                        ratios=(1e-4,), weights=fake_weights, callback=seen.append)
    assert seen == []
    with pytest.raises(ConfigError, match="scales does not apply"):
        grid.style_grid(CONTENT, STYLE, StyleConfig(**dict(SMALL, scales=(16,))),
                        weights=fake_weights)
