"""Fused loss primitives: cross-entropy, negative log-likelihood, binary cross-entropy,
KL divergence, Huber and multi-margin, each a single graph node.

Part of :mod:`topograd.primitives.nn`, which re-exports every class here (see its notes
on validation and double backward); ``topograd.nn.functional`` validates the inputs.
Every backward here is array-only (:func:`~topograd.primitives.base.array_only`), and
returns None for inputs that need no gradient (``ctx.needs_input_grad``).
"""

from __future__ import annotations

import numpy as np

from .base import Primitive, array_only
from .elementwise import stable_sigmoid

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
        array_only(g, "cross_entropy")
        (p,) = ctx.saved
        if not ctx.needs_input_grad[0]:
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
        array_only(g, "cross_entropy")
        logp, a = ctx.saved
        scale = _row_scale(ctx, g)
        need_x, need_t = ctx.needs_input_grad[:2]
        gx = gt = None
        if need_x:
            gx = np.exp(logp) * a.sum(axis=1, keepdims=True)
            gx -= a
            gx *= scale
            gx = _unrows(gx, ctx.shape)
        if need_t:
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
        array_only(g, "nll_loss")
        m = ctx.t.shape[0]
        gx = np.zeros((m, ctx.shape[1] if len(ctx.shape) > 1 else ctx.shape[0]), g.dtype)
        gx[np.arange(m), ctx.t] = -(_row_scale(ctx, g) * ctx.wy.reshape(-1, 1)).reshape(-1)
        return _unrows(gx, ctx.shape), None, None


_LOG_FLOOR = -100.0  # PyTorch clamps log(x) and log(1 - x) here in binary_cross_entropy
_BCE_EPS = float(np.float32(1e-12))  # PyTorch's floor of x (1 - x) in its backward, a float


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
        ctx.retain_inputs((0, 1, 2))
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        array_only(g, "binary_cross_entropy")
        x, y, w = ctx.saved_inputs
        need_x, need_y = ctx.needs_input_grad[:2]
        gw = g if w is None else g * w
        gx = gy = None
        if need_x:
            gx = gw * (x - y) / np.maximum((1 - x) * x, x.dtype.type(_BCE_EPS))
        if need_y:  # -logit(x), not floored: inf at x = 0, -inf at x = 1 (PyTorch)
            with np.errstate(divide="ignore"):
                gy = -np.log(x / (1 - x)) * gw
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
        ctx.retain_inputs((0, 1, 2, 3))
        ctx.lw, ctx.sp = lw, sp
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        array_only(g, "binary_cross_entropy_with_logits")
        x, y, w, pw = ctx.saved_inputs
        need_x, need_y = ctx.needs_input_grad[:2]
        gw = g if w is None else g * w
        gx = gy = None
        if need_x:
            s = stable_sigmoid(x)
            gx = gw * ((s - y) if ctx.lw is None else (1 - y) - ctx.lw * (1 - s))
        if need_y:
            gy = gw * (-x if pw is None else (pw - 1) * ctx.sp - x)
        return gx, gy, None, None


class KLDiv(Primitive):
    """Elementwise KL term: ``t (log t - x)`` (0 where t = 0), or with ``log_target``
    ``exp(t) (t - x)``; x holds log-probabilities. Array-only backward."""

    @staticmethod
    def forward(ctx, x, t, log_target=False):
        ctx.log_target = log_target
        ctx.retain_inputs((0, 1))
        # silent as PyTorch where its values are nan: 0 * -inf, -inf - -inf, log(-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            if log_target:
                return np.exp(t) * (t - x)
            tlogt = np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0)
            return (tlogt - t * x).astype(np.result_type(x, t), copy=False)

    @staticmethod
    def backward(ctx, g):
        array_only(g, "kl_div")
        x, t = ctx.saved_inputs
        need_x, need_t = ctx.needs_input_grad
        gx = gt = None
        if ctx.log_target:
            et = np.exp(t)
            gx = -g * et if need_x else None
            gt = g * et * (t - x + 1) if need_t else None
        else:
            gx = -g * t if need_x else None
            if need_t:  # PyTorch's xlogy(t, t) rule: nan (0 / 0) where t = 0
                with np.errstate(divide="ignore", invalid="ignore"):
                    gt = np.where(t == 0, np.nan, g * (np.log(t) + 1 - x))
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
        array_only(g, "huber_loss")
        (d,) = ctx.saved
        need_x, need_y = ctx.needs_input_grad
        gx = g * np.clip(d, -ctx.delta, ctx.delta)
        if ctx.scale != 1:
            gx *= ctx.scale
        return (gx if need_x else None, -gx if need_y else None)


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
        array_only(g, "multi_margin_loss")
        (z,) = ctx.saved
        d = (z > 0).astype(z.dtype) if ctx.p == 1 else 2 * np.maximum(z, 0)
        if ctx.wy is not None:
            d *= ctx.wy
        d *= g.reshape(-1, 1) / ctx.c
        m = z.shape[0]
        d[np.arange(m), ctx.t] = -d.sum(axis=1)  # z[y] is 0, so d[y] held 0 before
        return _unrows(d, ctx.shape), None, None
