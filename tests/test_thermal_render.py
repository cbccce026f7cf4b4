"""Rendering a photo as a thermal image: the guided filter against He et al.'s
formula computed pixel by pixel, and the two controls of a rendering,
`contrast` and `edge_radius`, on a ridge fit of the tiny encoder to the toy
pairs (tests/test_infrared.py's scenes, at 64 px)."""

import numpy as np
import pytest

from tfstyle.core import samples
from tfstyle.thermal import fit as fit_lib
from tfstyle.thermal import transfer
from tfstyle.thermal.config import InfraredConfig

SIZE = 64


def _reflected(index: int, n: int) -> int:
    """scipy.ndimage's mode="reflect" (d c b a | a b c d | d c b a)."""
    if index < 0:
        return -index - 1
    if index >= n:
        return 2 * n - index - 1
    return index


def _window(y: int, x: int, shape, radius: int):
    """The (2r+1)^2 pixels of the window centred on (y, x), edges reflected
    (a pixel may appear twice)."""
    return [(_reflected(y + dy, shape[0]), _reflected(x + dx, shape[1]))
            for dy in range(-radius, radius + 1) for dx in range(-radius, radius + 1)]


def guided_filter_by_pixel(guide, source, radius, eps):
    """He et al. 2010, eq. 6-8, one window at a time: in the window w_k of
    each pixel k, a_k = (mean(I p) - mean(I) mean(p)) / (var(I) + eps) and
    b_k = mean(p) - a_k mean(I) (the least-squares line p ~ a I + b, var
    the population variance); then q_i is the mean over the windows k around
    i of a_k I_i + b_k."""
    shape = guide.shape
    a, b = np.zeros(shape), np.zeros(shape)
    for y in range(shape[0]):
        for x in range(shape[1]):
            i = np.array([guide[p] for p in _window(y, x, shape, radius)], np.float64)
            p = np.array([source[q] for q in _window(y, x, shape, radius)], np.float64)
            a[y, x] = (np.mean(i * p) - i.mean() * p.mean()) / (np.var(i) + eps)
            b[y, x] = p.mean() - a[y, x] * i.mean()
    out = np.zeros(shape)
    for y in range(shape[0]):
        for x in range(shape[1]):
            around = _window(y, x, shape, radius)
            out[y, x] = np.mean([a[k] * guide[y, x] + b[k] for k in around])
    return out


@pytest.mark.parametrize("radius, eps", [(1, 1e-3), (2, 1e-2), (3, 1e-3)])
def test_guided_filter_is_he_et_als_formula_pixel_by_pixel(radius, eps):
    rng = np.random.default_rng(radius)
    guide = rng.random((12, 10))
    # A source partly explained by the guide, so a and b both matter.
    source = 0.6 * guide + 0.4 * rng.random((12, 10))
    got = transfer.guided_filter(guide, source, radius, eps)
    np.testing.assert_allclose(got, guided_filter_by_pixel(guide, source, radius, eps),
                               rtol=0, atol=1e-9)


@pytest.fixture(scope="module")
def rendering(tiny_weights):
    """(render(**config fields) -> [H, W], the fit, the network, the photo,
    its masks): a ridge fit of the tiny encoder, rendered without the texture
    step (the shipped WCT² decoder needs the real VGG19)."""
    net = fit_lib.extractor(tiny_weights)
    pairs = [samples.toy_thermal_scene(seed, size=SIZE)[:2] for seed in (1, 2, 3)]
    learned = fit_lib.fit(pairs, analysis_size=SIZE, weights=tiny_weights, net=net,
                          route="ridge")
    photo, _, masks = samples.toy_thermal_scene(4, size=SIZE)

    def render(**fields):
        config = InfraredConfig(texture=0.0, analysis_size=SIZE, **fields)
        return transfer.render(learned, net, photo, config)

    return render, learned, net, photo, masks


def _total_variation(image):
    dy, dx = np.gradient(image.astype(np.float64))
    return np.abs(dx).mean() + np.abs(dy).mean()


def test_contrast_scales_the_spread_about_the_examples_mean(rendering):
    render, learned, _, _, masks = rendering
    half, one, two = (render(contrast=c) for c in (0.5, 1.0, 2.0))
    mean = learned.thermal_mean
    # The guided filter is linear in the map and keeps a flat map: before the
    # clip to [0, 1] the rendering is mean + contrast x (the same map).
    inside = (half > 0) & (half < 1) & (one > 0) & (one < 1)
    assert inside.mean() > 0.9
    np.testing.assert_allclose((half - mean)[inside], 0.5 * (one - mean)[inside], atol=1e-5)
    # Past the clip the spread still grows, if by less than twice.
    assert two.std() > 1.3 * one.std()
    hot_minus_cold = [m[masks["red"]].mean() - m[masks["blue"]].mean() for m in (half, one, two)]
    assert 0.1 < hot_minus_cold[0] < hot_minus_cold[1] < hot_minus_cold[2]


def test_a_larger_edge_radius_gives_a_softer_map(rendering):
    render, learned, net, photo, _ = rendering
    # 64 px: edge_radius 4 is a 1 px window radius, 32 an 8 px one.
    assert [transfer.edge_radius(InfraredConfig(edge_radius=r), photo.shape[:2])
            for r in (4.0, 32.0)] == [1, 8]
    sharp, soft = render(edge_radius=4.0), render(edge_radius=32.0)
    assert np.abs(sharp - soft).mean() > 0.01
    # Wider windows fit the map to the photo over more of it: less detail,
    # less spread, and further from the prediction the filter started from.
    assert _total_variation(soft) < 0.9 * _total_variation(sharp)
    assert soft.std() < 0.7 * sharp.std()
    z, _ = transfer.predict(learned, net, photo)
    raw = learned.thermal_mean + learned.thermal_std * z
    assert np.abs(soft - raw).mean() > 1.5 * np.abs(sharp - raw).mean()
