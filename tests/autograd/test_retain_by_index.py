"""What a node keeps for backward, declared by index (``ctx.retain_inputs``,
``ctx.retain_outputs``): version-checked like PyTorch's saved tensors, and connected to
the graph under ``create_graph``."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd.autograd import Function, gradgradcheck

SAVED_MSG = "modified by an inplace operation"


class Exp(Function):
    """e ** x, its backward written with its kept output."""

    @staticmethod
    def forward(ctx, x):
        ctx.retain_outputs((0,))
        return x.exp()

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_outputs
        return g * out


class Times(Function):
    """x * y, keeping only the input the other gradient needs."""

    @staticmethod
    def forward(ctx, x, y):
        need_x, need_y = ctx.needs_input_grad
        ctx.retain_inputs(((1,) if need_x else ()) + ((0,) if need_y else ()))
        return x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_inputs
        need_x, need_y = ctx.needs_input_grad
        return (g * y if need_x else None, g * x if need_y else None)


def test_kept_output_is_its_own_derivative_twice():
    x = topograd.tensor([0.5, -1.0], dtype=topograd.float64, requires_grad=True)
    assert gradgradcheck(lambda t: Exp.apply(t), (x,))


def test_kept_input_and_output_are_version_checked():
    x = topograd.tensor([1.0, 2.0], requires_grad=True)
    y = Exp.apply(x * 1)
    y += 1
    with pytest.raises(RuntimeError, match=SAVED_MSG):
        y.sum().backward()
    d = x * 1
    z = Times.apply(topograd.ones(2, requires_grad=True), d)
    d += 1
    with pytest.raises(RuntimeError, match=SAVED_MSG):
        z.sum().backward()


def test_an_input_not_kept_may_change():
    x = topograd.tensor([1.0, 2.0], requires_grad=True)
    d = x * 1
    z = Times.apply(d, topograd.tensor([3.0, 4.0]))  # x's gradient needs only y
    d += 1
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_primitives_take_settings_as_keywords():
    from topograd.primitives import Sum

    x = topograd.ones(2, 3, requires_grad=True)
    y = Sum.apply(x, axis=(1,), keepdims=False)
    assert y.grad_fn.needs_input_grad == (True,)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))


def test_kept_values_are_freed_after_backward():
    x = topograd.tensor([1.0, 2.0], requires_grad=True)
    y = Exp.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
