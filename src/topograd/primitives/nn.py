"""Fused neural-network primitives: linear, activations, dropout, batch norm and losses.

NumPy cannot fuse a chain of small operations, so the compounds a training step spends
its time in are single graph nodes with hand-written backward rules: ``Linear`` is
``x @ W.T + b`` (plus a fused relu/sigmoid/tanh) in one node, ``CrossEntropy`` is
log-softmax and the negative log-likelihood in one node whose backward is
``(softmax - onehot) / N``.

Both faces run on these same primitives: ``nn.Linear`` and Keras's ``Dense`` call
:class:`Linear` (PyTorch's (out, in) weight, or Keras's (in, out) kernel with its
activation fused), ``nn.BatchNorm1d/2d`` and Keras's ``BatchNormalization`` call
:class:`BatchNorm` (the channel axis and the running-statistics convention are
arguments). Nothing is recorded when no input needs a gradient (``no_grad``, inference):
then a primitive is its forward on arrays, which is what ``predict`` runs.

Inputs are validated by the layers and ``topograd.nn.functional``; these classes assume
sane arrays. Each keeps only what its backward needs (inputs and outputs declared by
index, other arrays by ``save_for_backward``) and returns None for inputs that need no
gradient (``ctx.needs_input_grad``).

Double backward: ``Linear``'s rule is written with operations that arrays and Tensors
share, so ``create_graph=True`` differentiates through it. The other rules here are
array-only; asking for ``create_graph=True`` through them raises a RuntimeError
(compose the operation from Tensor methods when a second derivative is needed).

The loss primitives live in :mod:`topograd.primitives.nn_loss`.
"""

from __future__ import annotations

import math

import numpy as np

from ..random import default_generator
from .base import Primitive, array_only
from .elementwise import stable_sigmoid

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

#: The activations :class:`Linear` applies to its product in place, in the same node.
FUSED_ACTIVATIONS = ("relu", "sigmoid", "tanh")

#: The weight layouts :class:`Linear` takes: PyTorch's (out, in), Keras's (in, out).
LAYOUTS = ("out_in", "in_out")


def _dtype_name(dt) -> str:
    return {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long",
            "int32": "Int"}.get(np.dtype(dt).name, np.dtype(dt).name)


def _activate_(out: np.ndarray, activation: str) -> np.ndarray:
    """``activation(out)``, in place where NumPy allows (sigmoid makes a new array)."""
    if activation == "relu":
        np.maximum(out, 0, out=out)
    elif activation == "tanh":
        np.tanh(out, out=out)
    elif activation == "sigmoid":
        out = stable_sigmoid(out)
    else:
        raise ValueError(f"linear: activation expected None or one of {FUSED_ACTIVATIONS}, "
                         f"found {activation!r}")
    return out


class Linear(Primitive):
    """``activation(x @ W.T + b)`` or ``activation(x @ K + b)`` in one node.

    x has shape (..., in); the weight is PyTorch's W of shape (out, in) with
    ``layout="out_in"`` (the default) or Keras's kernel K of shape (in, out) with
    ``layout="in_out"`` (then ``x @ K`` needs no transpose and K's gradient ``x.T @ g``
    comes out in K's own layout); b is (out,) or None. ``activation`` is None or one of
    :data:`FUSED_ACTIVATIONS`, applied in place on the product and differentiated from
    the output, which the node then keeps instead of a second array.

    Backward: gz = g * act'(out); gx = gz @ W (gz @ K.T), gW = gz.T @ x (gK = x.T @ gz),
    gb = gz.sum(0), each only when needed. The rule also runs on Tensors, so double
    backward works.

    >>> import numpy as np, topograd
    >>> x, k = topograd.ones(2, 3), topograd.tensor(np.full((3, 4), -1.0, np.float32))
    >>> Linear.apply(x, k, layout="in_out", activation="relu").tolist()
    [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    """

    @staticmethod
    def forward(ctx, x, w, b=None, *, layout="out_in", activation=None):
        if x.dtype != w.dtype:
            raise RuntimeError(
                f"mat1 and mat2 must have the same dtype, but got {_dtype_name(x.dtype)} and "
                f"{_dtype_name(w.dtype)} (input {x.dtype}, weight {w.dtype}): cast the input "
                f"with .{'double' if w.dtype == np.float64 else 'float'}() or the module with "
                f".{'double' if x.dtype == np.float64 else 'float'}()"
            )
        in_out = layout == "in_out"
        if in_out:
            k, n_out = w.shape
        elif layout == "out_in":
            n_out, k = w.shape
        else:
            raise ValueError(f"linear: layout expected one of {LAYOUTS}, found {layout!r}")
        nd = x.ndim
        if nd == 2:
            x2 = x
        elif nd == 0:
            raise RuntimeError("both arguments to linear need to be at least 1D, but they are "
                               f"0D and {w.ndim}D")
        else:
            x2 = x.reshape(-1, x.shape[-1])
        if x2.shape[1] != k:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({x2.shape[0]}x{x2.shape[1]} and "
                f"{k}x{n_out})"
            )
        out = x2 @ w if in_out else x2 @ w.T
        if b is not None:
            out += b
        if activation == "relu":
            np.maximum(out, 0, out=out)
        elif activation is not None:
            out = _activate_(out, activation)
        if nd != 2:
            out = out.reshape(x.shape[:-1] + (n_out,))
        need = ctx.needs_input_grad
        if True in need:  # gx needs W only, gW needs x only (as PyTorch keeps them)
            ctx.in_out = in_out
            ctx.activation = activation
            ctx.retain_inputs((0, 1) if need[0] and need[1] else (1,) if need[0] else
                              (0,) if need[1] else ())
            if activation is not None:
                ctx.retain_outputs((0,))
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_inputs[:2] if ctx.saved_inputs else (None, None)
        act = ctx.activation
        if act is not None:
            out = ctx.saved_outputs[0]
        if act == "relu":
            g = g * (out > 0)
        elif act == "sigmoid":
            g = g * (out * (1 - out))
        elif act == "tanh":
            g = g * (1 - out * out)
        in_out = ctx.in_out
        x_shape, w_shape = ctx.in_shapes[0], ctx.in_shapes[1]
        n_in, n_out = w_shape if in_out else w_shape[::-1]
        need = ctx.needs_input_grad
        gx = gw = gb = None
        flat = len(g.shape) != 2
        g2 = g.reshape(-1, n_out) if flat else g
        if need[0]:
            gx = g2 @ (w.T if in_out else w)
            if flat:
                gx = gx.reshape(x_shape)
        if need[1]:
            x2 = x.reshape(-1, n_in) if flat else x
            gw = x2.T @ g2 if in_out else g2.T @ x2
        if len(need) > 2 and need[2]:
            gb = g2.sum(axis=0)
        return gx, gw, gb


# -- activations ----------------------------------------------------------------------


class LeakyRelu(Primitive):
    """x where x > 0, else ``slope * x``. Array-only backward."""

    @staticmethod
    def forward(ctx, x, slope=0.01):
        ctx.slope = slope
        ctx.retain_inputs((0,))
        return np.where(x > 0, x, x * x.dtype.type(slope))

    @staticmethod
    def backward(ctx, g):
        array_only(g, "leaky_relu")
        x = ctx.saved_inputs[0]
        return np.where(x > 0, g, g * g.dtype.type(ctx.slope))


class Elu(Primitive):
    """x where x > 0, else ``alpha * (exp(x) - 1)`` (no overflow). Array-only backward."""

    @staticmethod
    def forward(ctx, x, alpha=1.0):
        ctx.alpha = alpha
        ctx.retain_inputs((0,))
        neg = np.expm1(np.minimum(x, 0))
        neg *= x.dtype.type(alpha)
        return np.where(x > 0, x, neg)

    @staticmethod
    def backward(ctx, g):
        array_only(g, "elu")
        x = ctx.saved_inputs[0]
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
        ctx.retain_inputs((0,))
        dt = x.dtype.type
        if approximate == "tanh":
            inner = dt(_SQRT_2_OVER_PI) * (x + dt(0.044715) * x * x * x)
            t = np.tanh(inner)
            ctx.save_for_backward(t)
            return dt(0.5) * x * (1 + t)
        cdf = erf(x * dt(_SQRT_HALF))
        cdf += 1
        cdf *= dt(0.5)
        ctx.save_for_backward(cdf)
        return x * cdf

    @staticmethod
    def backward(ctx, g):
        array_only(g, "gelu")
        x, (c,) = ctx.saved_inputs[0], ctx.saved
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
        ctx.retain_inputs((0,))  # backward reads x: modifying it in place must raise
        ctx.beta, ctx.threshold = beta, threshold
        soft = np.log1p(np.exp(-np.abs(bx)))
        soft += np.maximum(bx, 0)
        if beta != 1:
            soft /= dt(beta)
        return np.where(bx > threshold, x, soft)

    @staticmethod
    def backward(ctx, g):
        array_only(g, "softplus")
        x = ctx.saved_inputs[0]
        bx = x * x.dtype.type(ctx.beta) if ctx.beta != 1 else x
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
        array_only(g, "dropout")
        (mask,) = ctx.saved
        return g * mask


#: The running-statistics rules :class:`BatchNorm` knows (see its docstring).
CONVENTIONS = ("torch", "keras")


class BatchNorm(Primitive):
    """Batch normalization over every axis of x but the channel ``axis``, in one node.

    With ``training=True`` it normalizes by the batch mean and biased variance and, when
    ``running_mean``/``running_var`` arrays are given, updates them in place by the
    ``convention``'s rule; otherwise it normalizes by the running statistics.
    ``weight``/``bias`` may be None.

    * ``convention="torch"`` (PyTorch's, with ``axis=1``, ``momentum=0.1``):
      ``running = (1 - momentum) * running + momentum * batch``, the unbiased variance
      going into ``running_var``.
    * ``convention="keras"`` (Keras's, with ``axis=-1``, ``momentum=0.99``):
      ``moving = momentum * moving + (1 - momentum) * batch``, the biased variance going
      into the moving variance. With the channels last, the statistics are summed with
      ``einsum`` over the (rows, C) view, as the Keras face always has (bit for bit).

    Array-only backward (analytic in training mode:
    ``gx = w invstd / n (n g - sum g - xhat sum(g xhat))``).

    >>> import numpy as np, topograd
    >>> mean, var = np.zeros(2, np.float32), np.ones(2, np.float32)
    >>> x = topograd.tensor([[1.0, 10.0], [3.0, 30.0]])
    >>> BatchNorm.apply(x, running_mean=mean, running_var=var, momentum=0.99, eps=1e-3,
    ...                 axis=-1, convention="keras").shape
    topograd.Size([2, 2])
    >>> [round(v, 4) for v in mean.tolist()]  # 0.99 * 0 + 0.01 * the batch mean
    [0.02, 0.2]
    """

    @staticmethod
    def forward(ctx, x, weight=None, bias=None, *, running_mean=None, running_var=None,
                training=True, momentum=0.1, eps=1e-5, axis=1, convention="torch"):
        if convention not in CONVENTIONS:
            raise ValueError(f"batch_norm: convention expected one of {CONVENTIONS}, found "
                             f"{convention!r}")
        c_axis = axis % x.ndim
        c = x.shape[c_axis]
        last = c_axis == x.ndim - 1
        if last:  # channels last: one (rows, C) view, reduced along its rows
            xv = x if x.ndim == 2 else x.reshape(-1, c)
            axes, bshape = (0,), (1, c)
        else:
            xv = x
            axes = tuple(i for i in range(x.ndim) if i != c_axis)
            bshape = tuple(c if i == c_axis else 1 for i in range(x.ndim))
        einsum = last and convention == "keras"
        dt = x.dtype.type
        if training:
            n = xv.size // c
            mean = xv.mean(axis=axes, keepdims=True)
            xc = xv - mean
            if einsum:
                var = (np.einsum("ij,ij->j", xc, xc) / dt(n)).reshape(bshape)
            else:
                var = np.mean(np.square(xc), axis=axes, keepdims=True)
            if convention == "keras":
                keep, take = momentum, 1 - momentum
                take_var = take
            else:
                keep, take = 1 - momentum, momentum
                take_var = momentum * n / max(n - 1, 1)
            if running_mean is not None:
                running_mean *= keep
                running_mean += take * mean.reshape(-1)
            if running_var is not None:
                running_var *= keep
                running_var += take_var * var.reshape(-1)
            invstd = 1.0 / np.sqrt(var + dt(eps))
            xhat = xc
            xhat *= invstd
        else:
            invstd = (1.0 / np.sqrt(running_var + eps)).astype(x.dtype).reshape(bshape)
            xhat = (xv - running_mean.astype(x.dtype).reshape(bshape)) * invstd
        w = None if weight is None else weight.reshape(bshape)
        out = xhat * w if w is not None else xhat.copy()
        if bias is not None:
            out += bias.reshape(bshape)
        if True in ctx.needs_input_grad:
            ctx.axes, ctx.training, ctx.einsum = axes, training, einsum
            ctx.save_for_backward(xhat, invstd, w)
        return out if xv is x else out.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        array_only(g, "batch_norm")
        xhat, invstd, w = ctx.saved
        axes = ctx.axes
        if g.shape != xhat.shape:
            g = g.reshape(xhat.shape)
        gb = g.sum(axis=axes, keepdims=True)
        if ctx.einsum:
            gw = np.einsum("ij,ij->j", g, xhat).reshape(gb.shape)
        else:
            gw = (g * xhat).sum(axis=axes, keepdims=True)
        need = ctx.needs_input_grad
        gx = None
        if need[0]:
            scale = invstd if w is None else invstd * w
            if ctx.training:
                n = xhat.size // gb.size
                gx = g - gb / n
                gx -= xhat * (gw / n)
                gx *= scale
            else:
                gx = g * scale
            gx = gx.reshape(ctx.in_shapes[0])
        return (gx, gw.reshape(-1) if len(need) > 1 and need[1] else None,
                gb.reshape(-1) if len(need) > 2 and need[2] else None)
