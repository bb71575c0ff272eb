"""The fused primitives of the Keras face: Dense(+activation) and batch normalization."""

import numpy as np
import pytest

import topograd
from topograd.autograd import gradcheck
from topograd.keras import _ops

rng = np.random.default_rng(0)


def _t(shape, grad=True):
    return topograd.tensor(rng.normal(size=shape), dtype=topograd.float64, requires_grad=grad)


@pytest.mark.parametrize("act", ["linear", "relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_dense_matches_composition_and_gradcheck(act, x_shape, bias):
    x, k = _t(x_shape), _t((4, 3))
    b = _t((3,)) if bias else None
    args = (x, k, b) if bias else (x, k)
    out = _ops.Dense.apply(*args, activation=act)
    ref = x @ k + (b if bias else 0.0)
    ref = {"linear": ref, "relu": ref.relu(), "sigmoid": ref.sigmoid(), "tanh": ref.tanh()}[act]
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12)
    assert gradcheck(lambda *a: _ops.Dense.apply(*a, activation=act), args)


def test_dense_skips_the_input_gradient_when_not_needed():
    x, k = _t((6, 4), grad=False), _t((4, 3))
    _ops.Dense.apply(x, k, activation="relu").sum().backward()
    assert x.grad is None and k.grad.shape == (4, 3)
    assert k.grad.numpy().flags.c_contiguous


def test_batchnorm_training_forward_backward_and_moving_stats():
    x = rng.normal(2.0, 3.0, size=(16, 5))
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    mm, mv = np.zeros(5), np.ones(5)
    out = _ops.BatchNorm.apply(topograd.tensor(x), topograd.tensor(gamma), topograd.tensor(beta),
                               moving_mean=mm, moving_variance=mv, training=True,
                               momentum=0.9, epsilon=1e-3)
    want = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3) * gamma + beta
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-10)
    np.testing.assert_allclose(mm, 0.1 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(mv, 0.9 + 0.1 * x.var(0), rtol=1e-12)  # biased variance
    args = (_t((8, 3)), _t((3,)), _t((3,)))

    def fn(x, g, b):
        return _ops.BatchNorm.apply(x, g, b, moving_mean=np.zeros(3), moving_variance=np.ones(3),
                                    training=True)

    assert gradcheck(fn, args)


def test_batchnorm_inference_uses_moving_stats():
    x = _t((4, 3))
    mm, mv = np.array([1.0, 2.0, 3.0]), np.array([4.0, 1.0, 0.25])

    def fn(x, g):
        return _ops.BatchNorm.apply(x, g, moving_mean=mm, moving_variance=mv, training=False,
                                    epsilon=0.0)

    g = _t((3,))
    out = fn(x, g)
    np.testing.assert_allclose(out.numpy(), (x.numpy() - mm) / np.sqrt(mv) * g.numpy())
    assert gradcheck(fn, (x, g))
