"""topograd.autograd.Function: PyTorch-style custom operations, and the built-ins are ones."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd import primitives
from topograd.autograd import Function, gradcheck, gradgradcheck


def leaf(v, dtype=topograd.float64):
    return topograd.tensor(v, dtype=dtype, requires_grad=True)


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


class MyExp(Function):
    """Saves its output, as PyTorch's docs example does."""

    @staticmethod
    def forward(ctx, x):
        out = x.exp()
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class ScaleShift(Function):
    """Two tensor inputs, one Python number, two outputs."""

    @staticmethod
    def forward(ctx, x, y, k):
        ctx.k = k
        ctx.save_for_backward(x, y)
        return x * y * k, x + y

    @staticmethod
    def backward(ctx, g_prod, g_sum):
        x, y = ctx.saved_tensors
        gx = g_prod * y * ctx.k + g_sum if ctx.needs_input_grad[0] else None
        gy = g_prod * x * ctx.k + g_sum if ctx.needs_input_grad[1] else None
        return gx, gy, None


def test_custom_function_forward_backward():
    x = leaf([1.0, 2.0])
    y = Cube.apply(x)
    np.testing.assert_array_equal(y.numpy(), [1.0, 8.0])
    assert y.grad_fn.name == "Cube" and repr(y.grad_fn) == "<CubeBackward>"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 12.0])


@pytest.mark.parametrize("fn", [Cube, MyExp], ids=["saves-input", "saves-output"])
def test_custom_function_gradcheck_and_gradgradcheck(fn):
    x = leaf([0.3, -1.2, 0.8])
    assert gradcheck(fn.apply, (x,))
    assert gradgradcheck(fn.apply, (x,))


def test_custom_function_two_outputs_and_non_tensor_arg():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    p, s = ScaleShift.apply(x, y, 2.0)
    assert p.grad_fn is s.grad_fn
    (p.sum() + 10 * s.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3 * 2 + 10, 4 * 2 + 10])
    np.testing.assert_array_equal(y.grad.numpy(), [1 * 2 + 10, 2 * 2 + 10])
    assert gradcheck(lambda a, b: ScaleShift.apply(a, b, 2.0), (leaf([1.0]), leaf([2.0])))


def test_custom_function_one_output_unused_gets_zeros():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    p, _ = ScaleShift.apply(x, y, 1.0)
    p.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_needs_input_grad():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            return g, g

    Probe.apply(leaf([1.0]), topograd.tensor([2.0])).sum().backward()
    assert seen == [(True, False)]


def test_forward_runs_without_recording():
    inner = []

    class Spy(Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            inner.append((y.requires_grad, topograd.is_grad_enabled()))
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Spy.apply(leaf([1.0]))
    assert inner == [(False, False)]


def test_wrong_number_of_gradients_raises():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return (g,)

    out = Bad.apply(leaf([1.0]), leaf([2.0]))
    with pytest.raises(RuntimeError, match=r"BadBackward returned an incorrect number of "
                                           r"gradients \(expected 2, got 1\)"):
        out.sum().backward()


def test_gradient_of_wrong_shape_raises():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return topograd.ones(5, dtype=topograd.float64)

    with pytest.raises(RuntimeError, match=r"invalid gradient at index 0: got shape \(5,\) "
                                           r"but expected shape \(2,\)"):
        BadShape.apply(leaf([1.0, 2.0])).sum().backward()


def test_saved_tensors_freed_after_backward():
    x = leaf([1.0])
    y = Cube.apply(x)
    node = y.grad_fn
    y.sum().backward()
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        _ = node.saved_tensors


def test_missing_backward_raises():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    with pytest.raises(NotImplementedError, match="backward"):
        NoBackward.apply(leaf([1.0])).sum().backward()


def test_gradgradcheck_catches_a_gradient_that_create_graph_cannot_follow():
    class Detached(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x.detach()  # constant in the graph of the gradient: wrong

    x = leaf([0.5, 1.5])
    assert gradcheck(Detached.apply, (x,))
    with pytest.raises(topograd.autograd.GradcheckError, match="input 0"):
        gradgradcheck(Detached.apply, (x,))


@pytest.mark.parametrize("name", primitives.__all__)
def test_every_builtin_op_is_a_function(name):
    cls = getattr(primitives, name)
    assert issubclass(cls, Function)
    if name != "Primitive":
        assert cls.forward is not Function.forward and cls.backward is not Function.backward


def test_builtin_node_is_a_function_instance():
    y = leaf([1.0]) * 2
    assert isinstance(y.grad_fn, Function) and y.grad_fn.name == "Mul"
    assert y.grad_fn.in_shapes[0] == (1,) and y.grad_fn.in_shapes[1] is None
