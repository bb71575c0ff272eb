"""Fused neural-network primitives: linear, activations, dropout, batch norm and losses.

NumPy cannot fuse a chain of small operations, so the compounds a training step spends
its time in are single graph nodes with hand-written backward rules: ``Linear`` is
``x @ W.T + b`` in one node, ``CrossEntropy`` is log-softmax and the negative
log-likelihood in one node whose backward is ``(softmax - onehot) / N``.

Inputs are validated by ``topograd.nn.functional``; these classes assume sane arrays.
Every backward returns None for inputs that need no gradient (``ctx.next_edges``).

Double backward: ``Linear``'s rule is written with operations that arrays and Tensors
share, so ``create_graph=True`` differentiates through it. The other rules here are
array-only; asking for ``create_graph=True`` through them raises a RuntimeError
(compose the operation from Tensor methods when a second derivative is needed).

The loss primitives live in ``nn_loss`` and are re-exported here.
"""

from __future__ import annotations

import math

import numpy as np

from ..random import default_generator
from ._fused import _array_only, _need
from .elementwise import Primitive, stable_sigmoid
from .nn_loss import (  # noqa: F401 - the losses: nn_loss.py, re-exported here
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropy,
    HuberLoss,
    KLDiv,
    MultiMargin,
    NllLoss,
    SoftCrossEntropy,
)

_UNSET = object()
_scipy_erf = _UNSET  # scipy is an optional extra, imported on first use (it is slow to load)


def _load_scipy_erf():
    global _scipy_erf
    try:
        from scipy.special import erf
    except ImportError:  # pragma: no cover - depends on the environment
        erf = None
    _scipy_erf = erf
    return erf


# -- linear ---------------------------------------------------------------------------


def _dtype_name(dt) -> str:
    return {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long",
            "int32": "Int"}.get(np.dtype(dt).name, np.dtype(dt).name)


class Linear(Primitive):
    """``x @ W.T + b`` for x of shape (..., in), W (out, in), b (out,) or None.

    Backward: gx = g @ W, gW = g.T @ x, gb = g.sum(0), each only when needed. The rule
    also runs on Tensors, so double backward works.
    """

    @staticmethod
    def forward(ctx, x, w, b=None):
        if x.dtype != w.dtype:
            raise RuntimeError(
                f"mat1 and mat2 must have the same dtype, but got {_dtype_name(x.dtype)} and "
                f"{_dtype_name(w.dtype)} (input {x.dtype}, weight {w.dtype}): cast the input "
                f"with .{'double' if w.dtype == np.float64 else 'float'}() or the module with "
                f".{'double' if x.dtype == np.float64 else 'float'}()"
            )
        k = w.shape[1]
        if x.ndim == 0:
            raise RuntimeError("both arguments to linear need to be at least 1D, but they are "
                               f"0D and {w.ndim}D")
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        if x2.shape[1] != k:
            rows = x2.shape[0]
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x2.shape[1]} and "
                f"{k}x{w.shape[0]})"
            )
        out = x2 @ w.T
        if b is not None:
            out += b
        if x.ndim != 2:
            out = out.reshape(x.shape[:-1] + (w.shape[0],))
        if ctx.next_edges:  # gx needs W only, gW needs x only (as PyTorch saves them)
            ctx.save_for_backward(x if _need(ctx, 1) else None, w if _need(ctx, 0) else None)
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        x_shape, (n_out, n_in) = ctx.in_shapes[0], ctx.in_shapes[1]
        gx = gw = gb = None
        flat = len(g.shape) != 2
        g2 = g.reshape(-1, n_out) if flat else g
        if _need(ctx, 0):
            gx = g2 @ w
            if flat:
                gx = gx.reshape(x_shape)
        if _need(ctx, 1):
            x2 = x.reshape(-1, n_in) if flat else x
            gw = g2.T @ x2
        if _need(ctx, 2):
            gb = g2.sum(axis=0)
        return gx, gw, gb


# -- activations ----------------------------------------------------------------------


class LeakyRelu(Primitive):
    """x where x > 0, else ``slope * x``. Array-only backward."""

    @staticmethod
    def forward(ctx, x, slope=0.01):
        ctx.slope = slope
        ctx.save_for_backward(x)
        return np.where(x > 0, x, x * x.dtype.type(slope))

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "leaky_relu")
        (x,) = ctx.saved
        return np.where(x > 0, g, g * g.dtype.type(ctx.slope))


class Elu(Primitive):
    """x where x > 0, else ``alpha * (exp(x) - 1)`` (no overflow). Array-only backward."""

    @staticmethod
    def forward(ctx, x, alpha=1.0):
        ctx.alpha = alpha
        ctx.save_for_backward(x)
        neg = np.expm1(np.minimum(x, 0))
        neg *= x.dtype.type(alpha)
        return np.where(x > 0, x, neg)

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "elu")
        (x,) = ctx.saved
        d = np.exp(np.minimum(x, 0))
        d *= x.dtype.type(ctx.alpha)
        return np.where(x > 0, g, g * d)


_SQRT_HALF = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_vec_erf = np.frompyfunc(math.erf, 1, 1)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise, in ``x``'s dtype.

    Uses ``scipy.special.erf`` when scipy is installed. Without it, float64 (and wider)
    uses ``math.erf`` elementwise (exact, slower) and narrower floats use Abramowitz and
    Stegun 7.1.26 (absolute error below 1.5e-7, under float32's resolution).
    """
    fn = _load_scipy_erf() if _scipy_erf is _UNSET else _scipy_erf
    if fn is not None:
        return np.asarray(fn(x), dtype=x.dtype)
    if x.dtype.itemsize >= 8:
        return _vec_erf(x).astype(x.dtype)
    return _erf_as(x)


def _erf_as(x: np.ndarray) -> np.ndarray:
    a = np.abs(x).astype(np.float64)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                          + t * 1.061405429))))
    y = 1.0 - poly * np.exp(-a * a)
    return (np.sign(x) * y).astype(x.dtype)


class Gelu(Primitive):
    """``x * Phi(x)`` with PyTorch's exact erf form, or its tanh approximation.

    Array-only backward.
    """

    @staticmethod
    def forward(ctx, x, approximate="none"):
        ctx.approximate = approximate
        dt = x.dtype.type
        if approximate == "tanh":
            inner = dt(_SQRT_2_OVER_PI) * (x + dt(0.044715) * x * x * x)
            t = np.tanh(inner)
            ctx.save_for_backward(x, t)
            return dt(0.5) * x * (1 + t)
        cdf = erf(x * dt(_SQRT_HALF))
        cdf += 1
        cdf *= dt(0.5)
        ctx.save_for_backward(x, cdf)
        return x * cdf

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "gelu")
        x, c = ctx.saved
        dt = x.dtype.type
        if ctx.approximate == "tanh":
            d_inner = dt(_SQRT_2_OVER_PI) * (1 + dt(3 * 0.044715) * x * x)
            d = dt(0.5) * (1 + c) + dt(0.5) * x * (1 - c * c) * d_inner
        else:
            d = c + x * np.exp(dt(-0.5) * x * x) * dt(_INV_SQRT_2PI)
        return g * d


class Softplus(Primitive):
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold``; never overflows.

    Array-only backward.
    """

    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=20.0):
        dt = x.dtype.type
        bx = x * dt(beta) if beta != 1 else x
        ctx.save_for_backward(bx)
        ctx.threshold = threshold
        soft = np.log1p(np.exp(-np.abs(bx)))
        soft += np.maximum(bx, 0)
        if beta != 1:
            soft /= dt(beta)
        return np.where(bx > threshold, x, soft)

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "softplus")
        (bx,) = ctx.saved
        return np.where(bx > ctx.threshold, g, g * stable_sigmoid(bx))


# -- dropout and batch norm -----------------------------------------------------------


class Dropout(Primitive):
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p).

    The mask (already scaled) is drawn from ``topograd.random.default_generator()`` and
    saved; backward multiplies by it. Array-only backward.
    """

    @staticmethod
    def forward(ctx, x, p=0.5):
        if p >= 1:
            mask = np.zeros(x.shape, dtype=x.dtype)
        else:
            rdt = x.dtype if x.dtype in (np.float32, np.float64) else np.float32
            keep = default_generator().random(x.shape, dtype=rdt) >= p
            mask = np.multiply(keep, x.dtype.type(1.0 / (1.0 - p)), dtype=x.dtype)
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "dropout")
        (mask,) = ctx.saved
        return g * mask


class BatchNorm(Primitive):
    """Batch normalization over every axis but 1 of x (N, C, ...), in one node.

    With ``training=True`` it normalizes by the batch mean and biased variance and, when
    ``running_mean``/``running_var`` arrays are given, updates them in place (momentum,
    unbiased variance), as PyTorch does. Otherwise it uses the running statistics.
    ``weight``/``bias`` may be None. Array-only backward (analytic in training mode:
    ``gx = w invstd / n (n g - sum g - xhat sum(g xhat))``).
    """

    @staticmethod
    def forward(ctx, x, weight=None, bias=None, *, running_mean=None, running_var=None,
                training=True, momentum=0.1, eps=1e-5):
        axes = (0,) + tuple(range(2, x.ndim))
        bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        dt = x.dtype.type
        if training:
            n = x.size // x.shape[1]
            mean = x.mean(axis=axes, keepdims=True)
            xc = x - mean
            var = np.mean(np.square(xc), axis=axes, keepdims=True)
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean.reshape(-1)
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += (momentum * n / max(n - 1, 1)) * var.reshape(-1)
            invstd = 1.0 / np.sqrt(var + dt(eps))
            xhat = xc
            xhat *= invstd
        else:
            invstd = (1.0 / np.sqrt(running_var + eps)).astype(x.dtype).reshape(bshape)
            xhat = (x - running_mean.astype(x.dtype).reshape(bshape)) * invstd
        ctx.axes, ctx.bshape, ctx.training = axes, bshape, training
        w = None if weight is None else weight.reshape(bshape)
        ctx.save_for_backward(xhat, invstd, w)
        out = xhat * w if w is not None else xhat.copy()
        if bias is not None:
            out += bias.reshape(bshape)
        return out

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "batch_norm")
        xhat, invstd, w = ctx.saved
        axes = ctx.axes
        gb = g.sum(axis=axes, keepdims=True)
        gw = (g * xhat).sum(axis=axes, keepdims=True)
        gx = None
        if _need(ctx, 0):
            scale = invstd if w is None else invstd * w
            if ctx.training:
                n = xhat.size // xhat.shape[1]
                gx = g - gb / n
                gx -= xhat * (gw / n)
                gx *= scale
            else:
                gx = g * scale
        return (gx, gw.reshape(-1) if _need(ctx, 1) else None,
                gb.reshape(-1) if _need(ctx, 2) else None)
