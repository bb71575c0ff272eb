"""gradcheck and gradgradcheck: they pass right gradients and name what is wrong."""

from __future__ import annotations

import re

import numpy as np
import pytest

import topograd
from topograd.autograd import Function, GradcheckError, gradcheck, gradgradcheck


def leaf(v, dtype=topograd.float64):
    return topograd.tensor(v, dtype=dtype, requires_grad=True)


class WrongAtOne(Function):
    """x**2 with a backward that is wrong for the element at index 1 only."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        wrong = topograd.tensor([1.0, 1.5, 1.0], dtype=topograd.float64)
        return g * 2 * x * wrong


def test_passes_a_correct_gradient():
    x, y = leaf([0.1, -0.7, 2.0]), leaf([[1.0], [2.0]])
    assert gradcheck(lambda a, b: (a * b).tanh(), (x, y))
    assert gradgradcheck(lambda a, b: (a * b).tanh(), (x, y))


def test_failure_names_input_element_and_both_values():
    x = leaf([0.5, 1.0, -2.0])
    c = leaf([1.0])
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda t, s: WrongAtOne.apply(t) * s, (x, c))
    msg = str(err.value)
    assert "input 0" in msg and "element (1,)" in msg
    analytic, numerical = map(float, re.findall(r"(?:analytic|numerical) (-?[\d.e+-]+)", msg))
    assert analytic != pytest.approx(numerical)
    assert "1 of 3 elements differ" in msg


def test_failure_returns_false_without_raise():
    x = leaf([0.5, 1.0, -2.0])
    assert gradcheck(WrongAtOne.apply, (x,), raise_exception=False) is False


def test_second_input_named():
    x, y = leaf([0.5, 1.0, -2.0]), leaf([0.5, 1.0, -2.0])
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(lambda a, b: a * WrongAtOne.apply(b), (x, y))


def test_float32_inputs_refused():
    with pytest.raises(GradcheckError, match="float64"):
        gradcheck(lambda t: t * 2, (leaf([1.0], topograd.float32),))


def test_no_input_requiring_grad_refused():
    with pytest.raises(GradcheckError, match="no input requires grad"):
        gradcheck(lambda t: t * 2, (topograd.ones(2, dtype=topograd.float64),))


def test_tolerances_and_eps_are_used():
    x = leaf([0.5, 1.0])
    # a gradient off by 1e-4 relative passes a loose check and fails a tight one
    class Slightly(Function):
        @staticmethod
        def forward(ctx, t):
            return t * 3

        @staticmethod
        def backward(ctx, g):
            return g * 3 * (1 + 1e-4)

    assert gradcheck(Slightly.apply, (x,), rtol=1e-3)
    with pytest.raises(GradcheckError):
        gradcheck(Slightly.apply, (x,), atol=1e-8, rtol=1e-6)
    assert gradcheck(lambda t: t.exp(), (x,), eps=1e-4, atol=1e-5)


def test_tuple_outputs_and_mixed_inputs():
    x, k = leaf([0.3, 0.4]), topograd.tensor([2.0, 3.0], dtype=topograd.float64)
    assert gradcheck(lambda a, b: (a * b, a.exp(), a.argmax()), (x, k))


def test_nan_gradient_is_a_mismatch():
    class NanGrad(Function):
        @staticmethod
        def forward(ctx, t):
            return t * 1

        @staticmethod
        def backward(ctx, g):
            return g * np.nan

    with pytest.raises(GradcheckError, match="analytic nan"):
        gradcheck(NanGrad.apply, (leaf([1.0]),))


def test_gradgradcheck_finds_a_wrong_second_derivative():
    class BadSecond(Function):
        """d/dx x^3 = 3x^2, written as 3 * x * x.detach(): the right value, but its own
        derivative misses a term."""

        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * t * t

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return g * 3 * t * t.detach()

    x = leaf([0.5, -1.5])
    assert gradcheck(BadSecond.apply, (x,))
    with pytest.raises(GradcheckError, match="input 0"):
        gradgradcheck(BadSecond.apply, (x,))
