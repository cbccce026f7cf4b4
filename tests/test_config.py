import dataclasses

import numpy as np
from tfstyle.gatys import passes as gpasses
import pytest

from tfstyle.gatys.config import StyleConfig, format_layer_weights, parse_layer_weights
from tfstyle.core.errors import ConfigError


def test_defaults_are_the_papers():
    c = StyleConfig()
    assert c.content_layers == (("block4_conv2", 1.0),)
    assert c.style_layers == tuple((f"block{b}_conv1", 0.2) for b in range(1, 6))
    assert c.pooling == "avg" and c.normalize and c.optimizer == "lbfgs"
    assert c.layers == ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1",
                        "block4_conv2", "block5_conv1")


def test_layer_lists_parse_with_and_without_weights():
    assert parse_layer_weights("conv1_1,conv2_1") == (("block1_conv1", 0.5), ("block2_conv1", 0.5))
    assert parse_layer_weights("conv1_1:2,block3_conv1") == (("block1_conv1", 2.0), ("block3_conv1", 0.5))
    layers = parse_layer_weights("conv4_2", default_weight=1.0)
    assert parse_layer_weights(format_layer_weights(layers)) == layers


@pytest.mark.parametrize("kwargs, message", [
    ({"size": -5}, "size` must be"),
    ({"size": 8}, "size` must be"),
    ({"steps": 0}, "steps` must be"),
    ({"optimizer": "sgd"}, "optimizer` must be"),
    ({"init": "zeros"}, "init` must be"),
    ({"pooling": "min"}, "pooling` must be"),
    ({"content_weight": -1.0}, "content_weight"),
    ({"style_weight": float("nan")}, "style_weight"),
    ({"content_weight": 0.0, "style_weight": 0.0}, "both be 0"),
    ({"style_layers": "conv9_9"}, "unknown VGG19 layer"),
    ({"style_layers": (("block1_conv1", 1.0), ("conv1_1", 1.0))}, "twice"),
    ({"style_layers": "conv1_1:abc"}, "not a number"),
    ({"style_layers": "conv1_1:-1"}, ">= 0"),
    ({"style_scale": 0.0}, "style_scale"),
    ({"learning_rate": 0.0}, "learning_rate"),
    ({"seed": -1}, "seed` must be"),
    ({"style_weight": "big"}, "must be a finite number"),
])
def test_bad_settings_raise_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        StyleConfig(**kwargs)


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        StyleConfig().steps = 3


def test_numpy_ints_and_unweighted_content_layers():
    c = StyleConfig(size=np.int64(64), steps=np.int32(3), content_layers="conv2_2,conv4_2")
    assert c.content_layers == (("block2_conv2", 1.0), ("block4_conv2", 1.0))


def test_scale_plan_auto_halves_down_to_128_above_256_px():
    config = StyleConfig()
    assert config.scale_plan(512) == (128, 256, 512)
    assert config.scale_plan(1024) == (128, 256, 512, 1024)
    assert config.scale_plan(300) == (150, 300)
    assert config.scale_plan(256) == (256,) and config.scale_plan(64) == (64,)
    assert StyleConfig(scales=()).scale_plan(512) == (512,)
    assert StyleConfig(scales=(100, 200)).scale_plan(400) == (100, 200, 400)



def test_total_steps_counts_every_pass_and_tile():

    assert gpasses.total_steps((384, 512), StyleConfig(steps=50, coarse_steps=20)) == 90
    # 128 (whole), 256 (2 tiles of 192 px cores), 512 (3 x 2 tiles)
    config = StyleConfig(steps=50, coarse_steps=20, tile_size=192)
    assert gpasses.total_steps((384, 512), config) == 20 + 20 * 2 + 50 * 6


@pytest.mark.parametrize("kwargs, message", [
    (dict(scales=(256, 128)), "grow from coarse to fine"),
    (dict(scales=(8,)), "long sides >= 16"),
    (dict(coarse_steps=0), "coarse_steps` must be"),
])
def test_bad_scales_are_refused(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        StyleConfig(**kwargs)


def test_scales_must_stay_below_the_output_size():
    with pytest.raises(ConfigError, match="below the output's long side"):
        StyleConfig(scales=(256, 512)).scale_plan(512)
