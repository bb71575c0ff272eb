"""Batch augmentation: shapes/dtypes, seeding, exactness against scipy.ndimage references."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd.data.transforms import (
    Compose,
    GaussianNoise,
    RandomAffine,
    RandomErasing,
    RandomHorizontalFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    warp,
)

ndimage = pytest.importorskip("scipy.ndimage")  # the reference implementation

FACTORIES = {
    "translation": lambda **kw: RandomTranslation(0.2, **kw),
    "rotation": lambda **kw: RandomRotation(30, **kw),
    "zoom": lambda **kw: RandomZoom((0.7, 1.3), **kw),
    "affine": lambda **kw: RandomAffine(20, 0.1, 0.2, **kw),
    "flip": lambda **kw: RandomHorizontalFlip(0.5, **kw),
    "erasing": lambda **kw: RandomErasing(0.9, **kw),
    "noise": lambda **kw: GaussianNoise(0.2, **kw),
}
LAYOUTS = {  # batch shape, image_shape
    "NHW": ((6, 10, 12), None),
    "NHWC": ((6, 10, 12, 3), None),
    "flat": ((6, 120), (10, 12)),
    "flat-color": ((6, 360), (10, 12, 3)),
}


def batch_of(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, 256, size=shape).astype(dtype)
    return rng.random(shape).astype(dtype)


def make(name, image_shape=None, seed=None):
    kw = {"seed": seed}
    if name != "noise":
        kw["image_shape"] = image_shape
    return FACTORIES[name](**kw)


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_shape_dtype_kept_and_input_untouched(name, layout, dtype):
    shape, image_shape = LAYOUTS[layout]
    x = batch_of(shape, dtype)
    before = x.copy()
    out = make(name, image_shape, seed=0)(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    np.testing.assert_array_equal(x, before)
    assert not np.shares_memory(out, x)
    assert not np.array_equal(out, x)  # these settings change something in 6 samples


@pytest.mark.parametrize("name", FACTORIES)
def test_seeded_and_global_reproducibility(name):
    x = batch_of((8, 9, 9), np.float32)
    np.testing.assert_array_equal(make(name, seed=1)(x), make(name, seed=1)(x))
    assert not np.array_equal(make(name, seed=1)(x), make(name, seed=2)(x))
    t = make(name)  # global generator, looked up on each call
    topograd.manual_seed(3)
    a, b = t(x), t(x)
    topograd.manual_seed(3)
    np.testing.assert_array_equal(t(x), a)
    np.testing.assert_array_equal(t(x), b)
    assert not np.array_equal(a, b)  # each call draws new parameters
    g = np.random.default_rng(4)
    kw = {} if name == "noise" else {"image_shape": None}
    assert np.array_equal(FACTORIES[name](generator=g, **kw)(x),
                          FACTORIES[name](generator=np.random.default_rng(4), **kw)(x))


@pytest.mark.parametrize("name", FACTORIES)
def test_flat_batch_matches_image_batch(name):
    x = batch_of((5, 7, 8), np.float32)
    flat = make(name, image_shape=(7, 8), seed=3)(x.reshape(5, 56))
    np.testing.assert_array_equal(flat.reshape(5, 7, 8), make(name, seed=3)(x))


def test_params_drawn_per_sample_in_one_call():
    params = RandomAffine(10, 0.1, 0.1, seed=0).get_params((32, 28, 28, 1),
                                                           np.random.default_rng(0))
    assert params["angle"].shape == (32,) and params["scale"].shape == (32,)
    assert params["shift"].shape == (32, 2)
    assert len(np.unique(params["angle"])) == 32
    assert np.all(np.abs(params["angle"]) <= 10)
    assert np.all(np.abs(params["shift"]) <= 2.8 + 1e-9)
    assert np.all((params["scale"] >= 0.9) & (params["scale"] <= 1.1))


def test_rotation_matches_scipy_rotate():
    x = batch_of((6, 11, 14), np.float64)
    t = RandomRotation((-40, 40), fill=0.25, seed=0)
    params = t.get_params((6, 11, 14, 1), np.random.default_rng(0))
    out = t.apply(x, params)
    for i, angle in enumerate(params["angle"]):
        ref = ndimage.rotate(x[i], angle, reshape=False, order=1, mode="grid-constant",
                             cval=0.25)
        np.testing.assert_allclose(out[i], ref, atol=1e-5)


def test_rotation_by_90_degrees_is_rot90_counter_clockwise():
    x = batch_of((3, 6, 6), np.uint8)
    out = RandomRotation((90, 90))(x)
    np.testing.assert_array_equal(out, np.rot90(x, k=1, axes=(1, 2)))


def test_translation_by_whole_pixels_is_exact():
    x = batch_of((2, 8, 9), np.uint8)
    t = RandomTranslation(0.5, fill=7)
    out = t.apply(x, {"shift": np.array([[2.0, -3.0], [0.0, 1.0]])})
    np.testing.assert_array_equal(out[0, 2:, :-3], x[0, :-2, 3:])
    assert (out[0, :2] == 7).all() and (out[0, :, -3:] == 7).all()
    np.testing.assert_array_equal(out[1, :, 1:], x[1, :, :-1])


def test_subpixel_translation_matches_scipy_shift():
    x = batch_of((4, 9, 10), np.float64)
    t = RandomTranslation((0.3, 0.2))
    params = t.get_params((4, 9, 10, 1), np.random.default_rng(5))
    out = t.apply(x, params)
    for i, shift in enumerate(params["shift"]):
        ref = ndimage.shift(x[i], shift, order=1, mode="grid-constant", cval=0.0)
        np.testing.assert_allclose(out[i], ref, atol=1e-5)


def test_zoom_matches_scipy_affine_transform():
    x = batch_of((4, 12, 10), np.float64)
    t = RandomZoom((0.5, 2.0))
    params = t.get_params((4, 12, 10, 1), np.random.default_rng(1))
    out = t.apply(x, params)
    center = np.array([5.5, 4.5])
    for i, s in enumerate(params["scale"]):
        ref = ndimage.affine_transform(x[i], np.eye(2) / s, offset=center - center / s,
                                       order=1, mode="grid-constant")
        np.testing.assert_allclose(out[i], ref, atol=1e-5)


def test_zoom_in_enlarges_a_centred_square():
    x = np.zeros((1, 21, 21), np.float32)
    x[0, 8:13, 8:13] = 1.0  # 5x5 square
    out = RandomZoom((2.0, 2.0))(x)
    assert out[0].sum() == pytest.approx(4 * x[0].sum(), rel=0.1)
    assert out[0, 10, 10] == 1.0 and out[0, 10, 14] > 0.5 and out[0, 10, 17] == 0


def test_affine_is_zoom_then_rotation_then_shift():
    x = batch_of((3, 15, 15), np.float64)
    aff = RandomAffine(30, 0.2, 0.3)
    params = aff.get_params((3, 15, 15, 1), np.random.default_rng(2))
    out = aff.apply(x, params)
    c = np.array([7.0, 7.0])
    for i in range(3):
        th, s, d = np.deg2rad(params["angle"][i]), params["scale"][i], params["shift"][i]
        forward = s * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
        inv = np.linalg.inv(forward)  # output p -> input inv @ (p - c - d) + c
        ref = ndimage.affine_transform(x[i], inv, offset=c - inv @ (c + d), order=1,
                                       mode="grid-constant")
        np.testing.assert_allclose(out[i], ref, atol=1e-5)


def test_warp_multichannel_equals_per_channel():
    x = batch_of((3, 7, 9, 3), np.float32)
    rng = np.random.default_rng(0)
    a = np.eye(2) + 0.2 * rng.standard_normal((3, 2, 2))
    t = rng.standard_normal((3, 2))
    full = warp(x, a, t, fill=0.5)
    for ch in range(3):
        np.testing.assert_allclose(full[..., ch], warp(x[..., ch:ch + 1], a, t, 0.5)[..., 0],
                                   atol=1e-6)


def test_identity_affine_is_exact_on_integers():
    x = batch_of((4, 9, 9), np.uint8)
    out = RandomAffine().apply(x, {"angle": np.zeros(4), "scale": np.ones(4),
                                   "shift": np.zeros((4, 2))})
    np.testing.assert_array_equal(out, x)


def test_flip_probabilities_and_axis():
    x = batch_of((40, 4, 5, 2), np.float32)
    np.testing.assert_array_equal(RandomHorizontalFlip(1.0)(x), x[:, :, ::-1, :])
    np.testing.assert_array_equal(RandomHorizontalFlip(0.0)(x), x)
    t = RandomHorizontalFlip(0.5)
    params = t.get_params((40, 4, 5, 2), np.random.default_rng(0))
    out = t.apply(x, params)
    flip = params["flip"]
    assert 5 < flip.sum() < 35
    np.testing.assert_array_equal(out[flip], x[flip][:, :, ::-1])
    np.testing.assert_array_equal(out[~flip], x[~flip])


def test_erasing_blanks_one_rectangle_within_scale():
    x = np.ones((200, 20, 30), np.float32)
    t = RandomErasing(p=1.0, scale=(0.05, 0.2), ratio=(0.5, 2.0), value=-1.0, seed=0)
    out = t(x)
    erased = out == -1.0
    assert np.all(np.isin(out, [1.0, -1.0]))
    area = erased.sum(axis=(1, 2)) / 600
    assert area.min() >= 0.03 and area.max() <= 0.23  # rounding of h and w
    for i in range(0, 200, 17):  # the erased pixels form one axis-aligned rectangle
        rows, cols = np.nonzero(erased[i])
        box = erased[i, rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        assert box.all() and box.sum() == erased[i].sum()
    tops = [np.nonzero(erased[i])[0].min() for i in range(200)]
    assert len(set(tops)) > 5
    np.testing.assert_array_equal(RandomErasing(p=0.0)(x), x)
    rate = RandomErasing(p=0.3, seed=1).get_params((2000, 20, 30, 1),
                                                   np.random.default_rng(1))["erase"].mean()
    assert 0.25 < rate < 0.35


def test_noise_statistics_and_integer_clipping():
    x = np.zeros((100, 50, 50), np.float32)
    noise = GaussianNoise(std=0.5, mean=0.1, seed=0)(x)
    assert abs(noise.std() - 0.5) < 0.01 and abs(noise.mean() - 0.1) < 0.01
    clipped = GaussianNoise(std=0.5, clip=(0.0, 1.0), seed=0)(x)
    assert clipped.min() == 0.0 and clipped.max() <= 1.0
    bright = np.full((10, 8, 8), 250, np.uint8)
    out = GaussianNoise(std=30.0, seed=0)(bright)
    assert out.dtype == np.uint8 and out.max() == 255 and out.min() > 100  # no wrap-around
    assert (out == 255).mean() > 0.3


def test_compose_applies_in_order():
    x = batch_of((5, 8, 8), np.float32)
    aug = Compose([RandomRotation(20, seed=0), RandomHorizontalFlip(seed=1),
                   GaussianNoise(0.1, seed=2)])
    expected = GaussianNoise(0.1, seed=2)(RandomHorizontalFlip(seed=1)(
        RandomRotation(20, seed=0)(x)))
    np.testing.assert_array_equal(aug(x), expected)
    assert "RandomRotation" in repr(aug) and "GaussianNoise" in repr(aug)


@pytest.mark.parametrize("make_bad, err, match", [
    (lambda: RandomRotation(10)(np.zeros((4, 784))), ValueError, "pass image_shape"),
    (lambda: RandomRotation(10, image_shape=(27, 28))(np.zeros((4, 784))), ValueError,
     r"holds 756 values per sample but the batch has shape \(4, 784\)"),
    (lambda: RandomRotation(10, image_shape=(28,)), ValueError, "image_shape expected"),
    (lambda: RandomHorizontalFlip(1.5), ValueError, r"p expected a float in \[0, 1\], found 1.5"),
    (lambda: RandomRotation((10, -10)), ValueError, "lo <= hi"),
    (lambda: RandomRotation("big"), TypeError, "number or a pair"),
    (lambda: RandomZoom(1.5), ValueError, "expected values > 0"),
    (lambda: RandomZoom((0.0, 2.0)), ValueError, "expected values > 0"),
    (lambda: RandomTranslation((0.1, 0.1, 0.1)), ValueError, "pair of fractions"),
    (lambda: RandomErasing(scale=(0.1, 1.5)), ValueError, r"fractions in \(0, 1\]"),
    (lambda: GaussianNoise(-1.0), ValueError, "std expected a non-negative"),
    (lambda: RandomAffine(fill="black"), TypeError, "fill expected a number"),
    (lambda: RandomRotation(5, seed=1, generator=np.random.default_rng()), ValueError,
     "either generator or seed"),
    (lambda: Compose([RandomRotation(5), "flip"]), TypeError, "found str at position 1"),
])
def test_argument_errors(make_bad, err, match):
    with pytest.raises(err, match=match):
        make_bad()
