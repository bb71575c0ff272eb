"""The primitives the Keras face runs on, with its conventions: Linear with Keras's (in, out)
kernel and a fused activation, BatchNorm with the channels last and Keras's momentum."""

import numpy as np
import pytest

import topograd
from topograd.autograd import gradcheck, gradgradcheck
from topograd.primitives import nn as P

rng = np.random.default_rng(0)


def _t(shape, grad=True):
    return topograd.tensor(rng.normal(size=shape), dtype=topograd.float64, requires_grad=grad)


def _dense(*args, act="linear"):
    return P.Linear.apply(*args, layout="in_out", activation=None if act == "linear" else act)


@pytest.mark.parametrize("act", ["linear", "relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_dense_matches_composition_and_gradcheck(act, x_shape, bias):
    x, k = _t(x_shape), _t((4, 3))
    b = _t((3,)) if bias else None
    args = (x, k, b) if bias else (x, k)
    out = _dense(*args, act=act)
    ref = x @ k + (b if bias else 0.0)
    ref = {"linear": ref, "relu": ref.relu(), "sigmoid": ref.sigmoid(), "tanh": ref.tanh()}[act]
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12)
    assert gradcheck(lambda *a: _dense(*a, act=act), args)


def test_dense_skips_the_input_gradient_when_not_needed():
    x, k = _t((6, 4), grad=False), _t((4, 3))
    _dense(x, k, act="relu").sum().backward()
    assert x.grad is None and k.grad.shape == (4, 3)
    assert k.grad.numpy().flags.c_contiguous


@pytest.mark.parametrize("act", ["linear", "relu", "sigmoid", "tanh"])
def test_dense_differentiates_twice(act):
    x, k, b = _t((3, 4)), _t((4, 2)), _t((2,))
    assert gradgradcheck(lambda *a: _dense(*a, act=act), (x, k, b))


def test_both_layouts_are_the_same_linear():
    x, w, b = _t((5, 4)), _t((3, 4)), _t((3,))
    torch_face = P.Linear.apply(x, w, b)
    keras_face = P.Linear.apply(x, topograd.tensor(w.numpy().T.copy()), b, layout="in_out")
    np.testing.assert_allclose(torch_face.numpy(), keras_face.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match=r"shapes cannot be multiplied \(5x4 and 3x4\)"):
        P.Linear.apply(x, w, b, layout="in_out")
    with pytest.raises(ValueError, match="layout"):
        P.Linear.apply(x, w, b, layout="kernel")


def test_batchnorm_training_forward_backward_and_moving_stats():
    x = rng.normal(2.0, 3.0, size=(16, 5))
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    mm, mv = np.zeros(5), np.ones(5)
    out = P.BatchNorm.apply(topograd.tensor(x), topograd.tensor(gamma), topograd.tensor(beta),
                            running_mean=mm, running_var=mv, training=True, momentum=0.9,
                            eps=1e-3, axis=-1, convention="keras")
    want = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3) * gamma + beta
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-10)
    np.testing.assert_allclose(mm, 0.1 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(mv, 0.9 + 0.1 * x.var(0), rtol=1e-12)  # biased variance
    args = (_t((8, 3)), _t((3,)), _t((3,)))

    def fn(x, g, b):
        return P.BatchNorm.apply(x, g, b, running_mean=np.zeros(3), running_var=np.ones(3),
                                 training=True, axis=-1, convention="keras")

    assert gradcheck(fn, args)


def test_batchnorm_inference_uses_moving_stats():
    x = _t((4, 3))
    mm, mv = np.array([1.0, 2.0, 3.0]), np.array([4.0, 1.0, 0.25])

    def fn(x, g):
        return P.BatchNorm.apply(x, g, running_mean=mm, running_var=mv, training=False,
                                 eps=0.0, axis=-1, convention="keras")

    g = _t((3,))
    out = fn(x, g)
    np.testing.assert_allclose(out.numpy(), (x.numpy() - mm) / np.sqrt(mv) * g.numpy())
    assert gradcheck(fn, (x, g))


@pytest.mark.parametrize("shape,axis", [((6, 3, 4), 1), ((6, 4, 3), -1), ((5, 2, 3, 3), 1)])
def test_batchnorm_conventions_differ_only_in_the_running_rule(shape, axis):
    x = rng.normal(1.0, 2.0, size=shape)
    c = shape[axis]
    runs = {}
    for conv, m in (("torch", 0.25), ("keras", 0.75)):
        mean, var = np.zeros(c), np.ones(c)
        out = P.BatchNorm.apply(topograd.tensor(x), running_mean=mean, running_var=var,
                                momentum=m, eps=1e-5, axis=axis, convention=conv)
        runs[conv] = (out.numpy(), mean, var)
    axes = tuple(i for i in range(len(shape)) if i != axis % len(shape))
    n = x.size // c
    np.testing.assert_allclose(runs["torch"][0], runs["keras"][0], rtol=1e-10)
    for conv in runs:  # both keep 0.75 of the old value and take 0.25 of the batch's
        np.testing.assert_allclose(runs[conv][1], 0.25 * x.mean(axes), rtol=1e-10)
    np.testing.assert_allclose(runs["torch"][2], 0.75 + 0.25 * x.var(axes) * n / (n - 1),
                               rtol=1e-10)  # PyTorch: unbiased
    np.testing.assert_allclose(runs["keras"][2], 0.75 + 0.25 * x.var(axes), rtol=1e-10)
    with pytest.raises(ValueError, match="convention"):
        P.BatchNorm.apply(topograd.tensor(x), axis=axis, convention="caffe")
