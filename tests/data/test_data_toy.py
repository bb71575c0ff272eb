"""make_spiral and make_moons: shapes, seeding, and that they are not linearly separable."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd.data import make_moons, make_spiral

MAKERS = {"spiral": lambda **kw: make_spiral(n_samples=301, **kw),
          "moons": lambda **kw: make_moons(n_samples=301, **kw)}


def least_squares_accuracy(x, y):
    """Train accuracy of a linear least-squares classifier on one-hot targets."""
    a = np.c_[x, np.ones(len(x))]
    w = np.linalg.lstsq(a, np.eye(y.max() + 1)[y], rcond=None)[0]
    return float((np.argmax(a @ w, 1) == y).mean())


def softmax_regression_accuracy(x, y, steps=500, lr=1.0):
    """Train accuracy of a linear softmax classifier fit by full-batch gradient descent."""
    a = np.c_[x, np.ones(len(x))].astype(np.float64)
    k = y.max() + 1
    w = np.zeros((a.shape[1], k))
    onehot = np.eye(k)[y]
    for _ in range(steps):
        z = a @ w
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        w -= lr * a.T @ (p - onehot) / len(y)
    return float((np.argmax(a @ w, 1) == y).mean())


def nearest_neighbour_accuracy(x, y):
    """Leave-one-out 1-NN accuracy: high when the classes are cleanly structured."""
    d = ((x[:, None] - x[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return float((y[d.argmin(1)] == y).mean())


@pytest.mark.parametrize("name", MAKERS)
def test_shapes_dtypes_balance(name):
    x, y = MAKERS[name](seed=0)
    assert x.shape == (301, 2) and x.dtype == np.float32
    assert y.shape == (301,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1
    assert np.isfinite(x).all()


@pytest.mark.parametrize("name", MAKERS)
def test_seeding(name):
    a, b = MAKERS[name](seed=3), MAKERS[name](seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(MAKERS[name](seed=4)[0], a[0])
    g = MAKERS[name](generator=np.random.default_rng(3))
    np.testing.assert_array_equal(g[0], a[0])
    topograd.manual_seed(11)
    c = MAKERS[name]()
    topograd.manual_seed(11)
    np.testing.assert_array_equal(MAKERS[name]()[0], c[0])


@pytest.mark.parametrize("name", MAKERS)
def test_unshuffled_comes_class_by_class(name):
    _, y = MAKERS[name](seed=0, shuffle=False)
    assert (np.diff(y) >= 0).all()
    _, y = MAKERS[name](seed=0)
    assert not (np.diff(y) >= 0).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spiral_defeats_linear_classifiers(seed):
    x, y = make_spiral(600, n_classes=3, noise=0.2, seed=seed)
    assert least_squares_accuracy(x, y) < 0.6
    assert softmax_regression_accuracy(x, y) < 0.6
    assert nearest_neighbour_accuracy(x, y) > 0.95  # yet the classes are well defined


def test_spiral_geometry():
    x, y = make_spiral(300, n_classes=3, noise=0.0, shuffle=False)
    r = np.linalg.norm(x, axis=1)
    assert r.max() == pytest.approx(1.0, abs=1e-6) and r.min() == 0
    assert (np.diff(r[y == 1]) > 0).all()  # each arm winds outward
    x5, y5 = make_spiral(100, n_classes=5, seed=0)
    assert sorted(np.unique(y5).tolist()) == [0, 1, 2, 3, 4] and x5.shape == (100, 2)


def test_moons_are_nonlinear_but_learnable():
    x, y = make_moons(400, noise=0.1, seed=0)
    assert least_squares_accuracy(x, y) < 0.92
    assert softmax_regression_accuracy(x, y) < 0.92
    assert nearest_neighbour_accuracy(x, y) > 0.97


def test_moons_without_noise_lie_on_half_circles():
    x, y = make_moons(100, noise=0.0, shuffle=False)
    np.testing.assert_allclose(np.linalg.norm(x[y == 0], axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(x[y == 1] - [1.0, 0.5], axis=1), 1.0, atol=1e-6)
    assert (x[y == 0, 1] >= 0).all() and (x[y == 1, 1] <= 0.5).all()


@pytest.mark.parametrize("call, err, match", [
    (lambda: make_spiral(0), ValueError, "n_samples expected a positive int, found 0"),
    (lambda: make_spiral(10.5), TypeError, "n_samples expected a positive int"),
    (lambda: make_spiral(10, n_classes=1), ValueError, "2 <= n_classes <= n_samples"),
    (lambda: make_spiral(3, n_classes=4), ValueError, "n_classes=4, n_samples=3"),
    (lambda: make_spiral(10, noise=-0.1), ValueError, "noise expected a non-negative"),
    (lambda: make_moons(1), ValueError, "n_samples >= 2"),
    (lambda: make_moons(10, shuffle="no"), TypeError, "shuffle expected a bool"),
    (lambda: make_moons(10, seed=1, generator=np.random.default_rng()), ValueError,
     "either generator or seed"),
])
def test_argument_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()
