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
"""

from __future__ import annotations

import math

import numpy as np

from ..random import default_generator
from .elementwise import Primitive, stable_sigmoid

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


def _array_only(g, name: str) -> None:
    if type(g) is not np.ndarray:
        raise RuntimeError(
            f"{name}: double backward (create_graph=True) is not supported through this fused "
            "primitive; compose the operation from Tensor methods to differentiate twice"
        )


def _need(ctx, i: int) -> bool:
    e = ctx.next_edges
    return i < len(e) and e[i] is not None


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
        ctx.save_for_backward(x, w)
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        gx = gw = gb = None
        flat = len(g.shape) != 2
        g2 = g.reshape(-1, w.shape[0]) if flat else g
        if _need(ctx, 0):
            gx = g2 @ w
            if flat:
                gx = gx.reshape(x.shape)
        if _need(ctx, 1):
            x2 = x.reshape(-1, w.shape[1]) if flat else x
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


# -- losses ---------------------------------------------------------------------------


def _rows(x: np.ndarray) -> np.ndarray:
    """(N, C, d1, ...) -> (N*d1*..., C); (C,) -> (1, C); (N, C) unchanged."""
    if x.ndim == 2:
        return x
    if x.ndim == 1:
        return x[None]
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(a: np.ndarray, shape) -> np.ndarray:
    if len(shape) == 2:
        return a
    if len(shape) == 1:
        return a[0]
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return np.moveaxis(a.reshape(moved), -1, 1)


def _reduce(rows: np.ndarray, reduction: str, denom, out_shape):
    """Reduce per-row losses; return the value and the scale backward multiplies by."""
    if reduction == "none":
        return rows.reshape(out_shape), None
    total = rows.sum()
    if reduction == "sum":
        return total, 1.0
    if denom == 0:  # every target ignored: nan, as PyTorch
        return total * np.nan, np.nan
    return total / denom, 1.0 / denom


def _row_scale(ctx, g):
    return g.reshape(-1)[:, None] if ctx.scale is None else g * ctx.scale


class CrossEntropy(Primitive):
    """Cross-entropy of logits x (class axis 1) against class indices, fused.

    ``weight`` (C,) or None; rows whose target equals ``ignore_index`` contribute
    nothing (None: no target is ignored, the fast path); ``label_smoothing`` mixes in
    the uniform distribution; ``reduction`` is 'mean' (divided by the summed weights of
    the counted targets, as PyTorch), 'sum' or 'none'. Keeps the softmax: backward is
    ``scale (p A - a)`` with ``a`` the (smoothed, weighted) target coefficients.
    Array-only backward.
    """

    @staticmethod
    def forward(ctx, x, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                reduction="mean"):
        x2 = _rows(x)
        m, c = x2.shape
        t = target.reshape(-1)
        all_valid = ignore_index is None
        valid = None if all_valid else t != ignore_index
        if not all_valid:
            t = np.where(valid, t, 0)
        ar = np.arange(m)
        sh = x2 - x2.max(axis=1, keepdims=True)
        picked = sh[ar, t]
        eps = label_smoothing
        if eps > 0:
            smooth_sum = sh.sum(axis=1) if weight is None else sh @ weight
        p = np.exp(sh, out=sh)
        s = p.sum(axis=1, keepdims=True)
        p /= s
        logs = np.log(s).reshape(-1)
        nll = logs - picked  # -log p[target]
        if weight is None:
            wy = None if all_valid else valid.astype(x.dtype)
            denom = m if all_valid else wy.sum()
        else:
            wy = weight[t] if all_valid else weight[t] * valid
            denom = wy.sum()
        if wy is not None:
            nll *= wy
        if eps > 0:
            wsum = c if weight is None else weight.sum()
            smooth = logs * x.dtype.type(wsum) - smooth_sum
            if not all_valid:
                smooth *= valid
            nll *= 1 - eps
            nll += (eps / c) * smooth
        out, ctx.scale = _reduce(nll, reduction, denom, target.shape)
        ctx.t, ctx.ar, ctx.wy, ctx.valid, ctx.eps, ctx.shape = t, ar, wy, valid, eps, x.shape
        ctx.weight = weight
        ctx.save_for_backward(p)
        return np.asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "cross_entropy")
        (p,) = ctx.saved
        if not _need(ctx, 0):
            return (None,) * 6
        m, c = p.shape
        scale = _row_scale(ctx, g)
        wy, eps = ctx.wy, ctx.eps
        # a_ic = (1 - eps) w_y [c = y] + eps / C w_c, zero on ignored rows; A_i = sum_c a_ic
        hit = (1 - eps) * (scale if wy is None else scale * wy.reshape(-1, 1))
        if eps > 0:
            wsum = c if ctx.weight is None else ctx.weight.sum()
            rowmask = scale if ctx.valid is None else ctx.valid.reshape(-1, 1) * scale
            a_row = hit + rowmask * (eps / c * wsum)
            gx = p * a_row
            spread = rowmask * (eps / c)
            gx -= spread if ctx.weight is None else spread * ctx.weight
        else:
            gx = p * hit
        gx[ctx.ar, ctx.t] -= hit.reshape(-1) if hit.ndim else hit  # one target per row
        return _unrows(gx.astype(p.dtype, copy=False), ctx.shape), None, None


class SoftCrossEntropy(Primitive):
    """Cross-entropy of logits x (class axis 1) against class probabilities (x's shape).

    Mean reduction divides by the number of samples. Gradients for the input and the
    target. Array-only backward.
    """

    @staticmethod
    def forward(ctx, x, target, weight=None, label_smoothing=0.0, reduction="mean"):
        x2, t2 = _rows(x), _rows(target)
        m, c = x2.shape
        logp = x2 - x2.max(axis=1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
        a = t2 * (1 - label_smoothing) + label_smoothing / c if label_smoothing > 0 else t2
        if weight is not None:
            a = a * weight
        rows = -(a * logp).sum(axis=1)
        out_shape = target.shape[:1] + target.shape[2:] if x.ndim > 1 else ()
        out, ctx.scale = _reduce(rows, reduction, m, out_shape)
        ctx.weight, ctx.eps, ctx.shape = weight, label_smoothing, x.shape
        ctx.save_for_backward(logp, a)
        return np.asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "cross_entropy")
        logp, a = ctx.saved
        scale = _row_scale(ctx, g)
        gx = gt = None
        if _need(ctx, 0):
            gx = np.exp(logp) * a.sum(axis=1, keepdims=True)
            gx -= a
            gx *= scale
            gx = _unrows(gx, ctx.shape)
        if _need(ctx, 1):
            gt = -logp * scale * (1 - ctx.eps)
            if ctx.weight is not None:
                gt *= ctx.weight
            gt = _unrows(gt, ctx.shape)
        return gx, gt, None


class NllLoss(Primitive):
    """Negative log-likelihood: ``-w_y x[y]`` for log-probabilities x (class axis 1).

    Same ``weight``/``ignore_index``/``reduction`` rules as :class:`CrossEntropy`.
    Array-only backward.
    """

    @staticmethod
    def forward(ctx, x, target, weight=None, ignore_index=-100, reduction="mean"):
        x2 = _rows(x)
        m = x2.shape[0]
        t = target.reshape(-1)
        valid = None
        if ignore_index is not None:
            valid = t != ignore_index
            t = np.where(valid, t, 0)
        wy = np.ones(m, x.dtype) if weight is None else weight[t]
        if valid is not None:
            wy = wy * valid
        rows = -x2[np.arange(m), t] * wy
        out, ctx.scale = _reduce(rows, reduction, wy.sum(), target.shape)
        ctx.t, ctx.wy, ctx.shape = t, wy, x.shape
        return np.asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "nll_loss")
        m = ctx.t.shape[0]
        gx = np.zeros((m, ctx.shape[1] if len(ctx.shape) > 1 else ctx.shape[0]), g.dtype)
        gx[np.arange(m), ctx.t] = -(_row_scale(ctx, g) * ctx.wy.reshape(-1, 1)).reshape(-1)
        return _unrows(gx, ctx.shape), None, None


_LOG_FLOOR = -100.0  # PyTorch clamps log(x) and log(1 - x) here in binary_cross_entropy


class BinaryCrossEntropy(Primitive):
    """Elementwise ``-w (y log x + (1 - y) log(1 - x))`` on probabilities, logs floored at
    -100 as PyTorch. Array-only backward (input and target)."""

    @staticmethod
    def forward(ctx, x, y, weight=None):
        with np.errstate(divide="ignore"):
            lx = np.maximum(np.log(x), _LOG_FLOOR)
            l1x = np.maximum(np.log1p(-x), _LOG_FLOOR)
        out = -(y * lx + (1 - y) * l1x)
        if weight is not None:
            out *= weight
        ctx.save_for_backward(x, y, weight)
        ctx.logs = (lx, l1x)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "binary_cross_entropy")
        x, y, w = ctx.saved
        gw = g if w is None else g * w
        gx = gy = None
        if _need(ctx, 0):
            gx = gw * (x - y) / np.maximum((1 - x) * x, x.dtype.type(1e-12))
        if _need(ctx, 1):
            lx, l1x = ctx.logs
            gy = gw * (l1x - lx)
        return gx, gy, None


class BinaryCrossEntropyWithLogits(Primitive):
    """Elementwise ``w ((1 - y) x + (1 + (pw - 1) y) log(1 + exp(-x)))``, stable for any
    x. Array-only backward (input and target)."""

    @staticmethod
    def forward(ctx, x, y, weight=None, pos_weight=None):
        sp = np.log1p(np.exp(-np.abs(x)))
        sp += np.maximum(-x, 0)  # softplus(-x) = log(1 + exp(-x))
        lw = None if pos_weight is None else (pos_weight - 1) * y + 1
        out = (1 - y) * x + (sp if lw is None else lw * sp)
        if weight is not None:
            out *= weight
        ctx.save_for_backward(x, y, weight, pos_weight)
        ctx.lw, ctx.sp = lw, sp
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "binary_cross_entropy_with_logits")
        x, y, w, pw = ctx.saved
        gw = g if w is None else g * w
        gx = gy = None
        if _need(ctx, 0):
            s = stable_sigmoid(x)
            gx = gw * ((s - y) if ctx.lw is None else (1 - y) - ctx.lw * (1 - s))
        if _need(ctx, 1):
            gy = gw * (-x if pw is None else (pw - 1) * ctx.sp - x)
        return gx, gy, None, None


class KLDiv(Primitive):
    """Elementwise KL term: ``t (log t - x)`` (0 where t = 0), or with ``log_target``
    ``exp(t) (t - x)``; x holds log-probabilities. Array-only backward."""

    @staticmethod
    def forward(ctx, x, t, log_target=False):
        ctx.log_target = log_target
        ctx.save_for_backward(x, t)
        if log_target:
            return np.exp(t) * (t - x)
        with np.errstate(divide="ignore", invalid="ignore"):
            tlogt = np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0)
        return (tlogt - t * x).astype(np.result_type(x, t), copy=False)

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "kl_div")
        x, t = ctx.saved
        gx = gt = None
        if ctx.log_target:
            et = np.exp(t)
            gx = -g * et if _need(ctx, 0) else None
            gt = g * et * (t - x + 1) if _need(ctx, 1) else None
        else:
            gx = -g * t if _need(ctx, 0) else None
            if _need(ctx, 1):
                with np.errstate(divide="ignore"):
                    gt = g * (np.log(t) + 1 - x)
        return gx, gt


class HuberLoss(Primitive):
    """Elementwise Huber loss of d = x - y: ``d^2 / 2`` where ``|d| < delta``, else
    ``delta (|d| - delta / 2)``, times ``scale`` (1/beta gives smooth L1).
    Array-only backward."""

    @staticmethod
    def forward(ctx, x, y, delta=1.0, scale=1.0):
        d = x - y
        ad = np.abs(d)
        out = np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
        if scale != 1:
            out *= scale
        ctx.delta, ctx.scale = delta, scale
        ctx.save_for_backward(d)
        return out.astype(d.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "huber_loss")
        (d,) = ctx.saved
        gx = g * np.clip(d, -ctx.delta, ctx.delta)
        if ctx.scale != 1:
            gx *= ctx.scale
        return (gx if _need(ctx, 0) else None, -gx if _need(ctx, 1) else None)


class MultiMargin(Primitive):
    """Per-sample multiclass hinge loss on scores x (N, C) with class indices y:
    ``sum_{j != y} w_y max(0, margin - x_y + x_j)^p / C``. Array-only backward."""

    @staticmethod
    def forward(ctx, x, y, p=1, margin=1.0, weight=None):
        x2 = _rows(x)
        m, c = x2.shape
        ar = np.arange(m)
        t = y.reshape(-1)
        z = x2 - x2[ar, t][:, None]
        z += margin
        z[ar, t] = 0
        h = np.maximum(z, 0)
        if p == 2:
            h = h * h
        wy = None if weight is None else weight[t][:, None]
        if wy is not None:
            h *= wy
        ctx.save_for_backward(z)
        ctx.p, ctx.wy, ctx.t, ctx.c, ctx.shape = p, wy, t, c, x.shape
        rows = h.sum(axis=1) / c
        return rows.reshape(y.shape).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "multi_margin_loss")
        (z,) = ctx.saved
        d = (z > 0).astype(z.dtype) if ctx.p == 1 else 2 * np.maximum(z, 0)
        if ctx.wy is not None:
            d *= ctx.wy
        d *= g.reshape(-1, 1) / ctx.c
        m = z.shape[0]
        d[np.arange(m), ctx.t] = -d.sum(axis=1)  # z[y] is 0, so d[y] held 0 before
        return _unrows(d, ctx.shape), None, None
