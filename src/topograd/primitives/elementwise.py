"""Elementwise primitives: arithmetic, exp/log, activations, selection, casts, fills.

Each class is one graph node: ``forward`` on arrays, ``backward`` returns one gradient
per positional input (the engine sums broadcast gradients back to each input's shape).
``backward`` uses only operations arrays and Tensors share (see :mod:`.base`), so it
also runs on Tensors for higher derivatives. Each keeps only what its backward needs,
declared by index: ``Exp`` keeps its output, ``x * 2`` keeps nothing of x.

The three gates of the computational-graph lesson are here: ``Add`` distributes the
upstream gradient to both inputs, ``Maximum`` routes it to the larger input, ``Mul``
switches: each input gets the upstream gradient times the *other* input.
"""

from __future__ import annotations

import numpy as np

from . import base as xp
from .base import Primitive, data


class Add(Primitive):
    """x + y. Backward: the add gate distributes the gradient unchanged."""

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Primitive):
    """x - y."""

    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Primitive):
    """x * y. Backward: the mul gate switches, d/dx = y * g, d/dy = x * g."""

    @staticmethod
    def forward(ctx, x, y):
        need_x, need_y = ctx.needs_input_grad
        if need_x or need_y:  # each gradient needs the other input only: x * 2 keeps no x
            ctx.retain_inputs((0, 1) if need_x and need_y else (1,) if need_x else (0,))
        return x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_inputs
        need_x, need_y = ctx.needs_input_grad
        return (g * y if need_x else None, g * x if need_y else None)


class Div(Primitive):
    """x / y."""

    @staticmethod
    def forward(ctx, x, y):
        # x only for the divisor's gradient: x / 2 keeps nothing of x
        ctx.retain_inputs((0, 1) if ctx.needs_input_grad[1] else (1,))
        if type(y) is not np.ndarray and y != 0:
            return x / y
        with np.errstate(divide="ignore", invalid="ignore"):  # x / 0: inf or nan, silently
            return x / y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_inputs
        need_x, need_y = ctx.needs_input_grad
        gx = g / y if need_x else None
        gy = -g * x / (y * y) if need_y else None
        return gx, gy


class Pow(Primitive):
    """x ** y for a tensor or scalar base and exponent."""

    @staticmethod
    def forward(ctx, x, y):
        if type(y) is not np.ndarray and y >= 0 and float(y).is_integer():
            out = x**y
        else:
            with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** -1, (-1) ** 0.5
                out = x**y
        # as PyTorch: a number exponent keeps the base only, a tensor exponent the
        # output too (the exponent's gradient is out * log(x))
        ctx.retain_inputs((0, 1))
        if type(y) is np.ndarray:
            ctx.retain_outputs((0,))
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_inputs
        out = ctx.saved_outputs[0] if ctx.saved_outputs else None
        need_x, need_y = ctx.needs_input_grad
        gx = gy = None
        if need_x:
            if isinstance(y, (int, float)) and not isinstance(y, bool):
                if y == 2:
                    gx = g * (2 * x)
                elif y == 0:
                    gx = np.zeros_like(data(x))  # PyTorch: zeros (not g * 0 * x ** -1)
                else:
                    gx = g * (y * x ** (y - 1))
            else:
                gx = g * y * x ** (y - 1)
                zero = data(y) == 0
                if zero.any():  # x ** 0: PyTorch's gradient is 0 (not 0 * 0 ** -1 = nan)
                    gx = xp.where(zero, np.zeros((), data(gx).dtype), gx)
        if need_y:
            gy = g * _pow_exponent_grad(x, y, out)
        return gx, gy


class Remainder(Primitive):
    """x % y with the sign of y (Python's and NumPy's rule, PyTorch's ``remainder``).

    Backward: d/dx = 1, d/dy = -floor(x / y) (piecewise constant, so it is a constant
    in the graph of a second derivative).
    """

    @staticmethod
    def forward(ctx, x, y):
        if ctx.needs_input_grad[1]:  # only the divisor's gradient needs the inputs
            ctx.retain_inputs((0, 1))
        if type(y) is not np.ndarray and y != 0:
            return np.mod(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):  # x % 0 is nan, silently
            return np.mod(x, y)

    @staticmethod
    def backward(ctx, g):
        need_x, need_y = ctx.needs_input_grad
        gy = None
        if need_y:
            x, y = ctx.saved_inputs
            gy = g * -np.floor_divide(data(x), data(y))
        return (g if need_x else None), gy


class Neg(Primitive):
    """-x."""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Reciprocal(Primitive):
    """1 / x. Keeps its output: d(1/x) = -(1/x)^2. ``c / x`` is ``reciprocal(x) * c``, as
    in PyTorch (so it keeps nothing of x)."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore"):  # 1 / 0 is inf, silently
            out = 1 / x
        ctx.retain_outputs((0,))
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_outputs
        return -g * (out * out)


class Exp(Primitive):
    """e ** x. Keeps its output, which is its own derivative."""

    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.retain_outputs((0,))
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_outputs
        return g * out


class Log(Primitive):
    """Natural logarithm."""

    @staticmethod
    def forward(ctx, x):
        ctx.retain_inputs((0,))
        with np.errstate(divide="ignore", invalid="ignore"):  # log 0 = -inf, log -1 = nan
            return np.log(x)

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved_inputs[0]
        return g / x


class Sqrt(Primitive):
    """Square root. Keeps its output: d sqrt(x) = 1 / (2 sqrt(x))."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):  # sqrt(-1) is nan, silently
            out = np.sqrt(x)
        ctx.retain_outputs((0,))
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_outputs
        return g / (out * 2)


class Abs(Primitive):
    """|x| (gradient 0 at 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.retain_inputs((0,))
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved_inputs[0]
        return g * xp.sign(x)


class Sign(Primitive):
    """sign(x); its gradient is zero everywhere."""

    @staticmethod
    def forward(ctx, x):
        return np.sign(x)

    @staticmethod
    def backward(ctx, g):
        return g * 0


class Sin(Primitive):
    """sin(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.retain_inputs((0,))
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved_inputs[0]
        return g * xp.cos(x)


class Cos(Primitive):
    """cos(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.retain_inputs((0,))
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved_inputs[0]
        return -g * xp.sin(x)


class Tanh(Primitive):
    """tanh(x). Keeps its output: d tanh = 1 - tanh^2."""

    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.retain_outputs((0,))
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_outputs
        return g * (1 - out * out)


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x) without overflow: exp only ever sees non-positive numbers."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class Sigmoid(Primitive):
    """1 / (1 + e^-x), stable for any x. Keeps its output: d s = s (1 - s)."""

    @staticmethod
    def forward(ctx, x):
        out = stable_sigmoid(x)
        ctx.retain_outputs((0,))
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_outputs
        return g * out * (1 - out)


class Relu(Primitive):
    """max(x, 0). Keeps its output (as Chainer does): the gradient passes where out > 0."""

    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.retain_outputs((0,))
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_outputs
        return g * (out > 0)


class Maximum(Primitive):
    """Elementwise max(x, y). The max gate routes the gradient to the larger input
    (split evenly on ties, as PyTorch does)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.retain_inputs((0, 1))
        return np.maximum(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_inputs
        return _route(g, x, y, ctx.needs_input_grad)


class Minimum(Primitive):
    """Elementwise min(x, y); the gradient goes to the smaller input."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.retain_inputs((0, 1))
        return np.minimum(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_inputs
        return _route(g, y, x, ctx.needs_input_grad)


def _route(g, win, lose, need):
    a = data(win)
    b = data(lose)
    share = (a > b) + 0.5 * (a == b)
    other = (a < b) + 0.5 * (a == b)
    return (g * share if need[0] else None, g * other if need[1] else None)


def _pow_exponent_grad(x, y, out):
    """d(x ** y)/dy = out * log(x), with PyTorch's values at x = 0: 0 where y >= 0
    (not 0 * -inf = nan), -inf (out * log 0) where y < 0."""
    if not hasattr(x, "shape"):  # a number base: its log is a number (a weak scalar)
        lx = float(np.log(np.float64(x)))
        if x != 0:
            return out * lx
        return xp.where(data(y) >= 0, np.zeros((), data(out).dtype), out * lx)
    xd = data(x)
    zero = xd == 0
    if not zero.any():
        return out * xp.log(x)
    # log(x) with x = 0 replaced (a constant -inf): no log(0) in a create_graph replay
    dt = data(out).dtype
    lx = xp.where(zero, np.full((), -np.inf, dt), xp.log(xp.where(zero, np.ones((), dt), x)))
    return xp.where(zero & (data(y) >= 0), np.zeros((), dt), out * lx)


class Clamp(Primitive):
    """Clamp x into [lo, hi] (either may be None). The gradient passes where
    lo <= x <= hi, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, *, lo=None, hi=None):
        out = x
        mask = None
        if lo is not None:
            out = np.maximum(out, np.asarray(lo, dtype=x.dtype))
            mask = x >= lo
        if hi is not None:
            out = np.minimum(out, np.asarray(hi, dtype=x.dtype))
            mask = x <= hi if mask is None else mask & (x <= hi)
        ctx.mask = mask
        ctx.retain_inputs((0,))  # unused by backward, but version-checked (as PyTorch)
        return out

    @staticmethod
    def backward(ctx, g):
        return g if ctx.mask is None else g * ctx.mask


class Where(Primitive):
    """Take x where ``cond`` holds, else y."""

    @staticmethod
    def forward(ctx, cond, x, y):
        ctx.cond = cond = np.asarray(cond, dtype=bool)
        return np.where(cond, x, y)

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        zero = g * 0
        return (
            None,
            xp.where(ctx.cond, g, zero) if need[1] else None,
            xp.where(ctx.cond, zero, g) if need[2] else None,
        )


class Cast(Primitive):
    """Change the dtype; the gradient is cast back to the input's dtype."""

    @staticmethod
    def forward(ctx, x, *, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        if type(g) is np.ndarray:
            return g.astype(ctx.dtype, copy=False)
        return g.to(ctx.dtype)


class Overwrite(Primitive):
    """``old`` overwritten by the constant ``new`` (fill_, zero_, ...): the result keeps
    ``old``'s place in the graph, and ``old``'s gradient is zero (PyTorch's
    ``FillBackward``)."""

    @staticmethod
    def forward(ctx, old, new):
        return new

    @staticmethod
    def backward(ctx, g):
        return xp.zeros_like(g), None
