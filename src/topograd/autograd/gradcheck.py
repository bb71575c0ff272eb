"""Numerical gradient checks: float64 central differences against backward.

>>> import topograd
>>> x = topograd.randn(3, dtype=topograd.float64, requires_grad=True)
>>> topograd.autograd.gradcheck(lambda t: (t.tanh() * t).sum(), (x,))
True
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .engine import grad as _grad


class GradcheckError(RuntimeError):
    """The analytic and numerical gradients disagree."""


def _as_inputs(inputs):
    return (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)


def numerical_grad(fn, inputs, k: int, eps: float = 1e-6, grad_output=None) -> np.ndarray:
    """Central-difference gradient of sum(fn(*inputs) * grad_output) w.r.t. inputs[k]."""
    x = inputs[k]
    flat = x._data.reshape(-1)  # a view: we perturb in place and restore
    out = np.zeros(flat.shape, dtype=np.float64)

    def value():
        y = fn(*inputs)
        ys = y if isinstance(y, (tuple, list)) else (y,)
        total = 0.0
        for i, t in enumerate(ys):
            if not isinstance(t, Tensor) or t.dtype.kind != "f":
                continue
            w = 1.0 if grad_output is None else grad_output[i]
            total += float(np.sum(t._data.astype(np.float64) * w))
        return total

    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        plus = value()
        flat[i] = orig - eps
        minus = value()
        flat[i] = orig
        out[i] = (plus - minus) / (2 * eps)
    return out.reshape(x._data.shape)


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """Compare backward's gradients with central differences, element by element.

    Args:
        fn: a function of the input tensors returning a tensor (or a tuple of them).
        inputs: a tensor or tuple of tensors; those with ``requires_grad`` are checked.
            Use float64: float32 differences are too coarse.
        eps: the finite-difference step.
        atol, rtol: tolerances: |analytic - numerical| <= atol + rtol * |numerical|.
        raise_exception: raise :class:`GradcheckError` on a mismatch (else return False).

    Returns:
        True when every element agrees.

    Raises:
        GradcheckError: naming the input, the element, and both values.
    """
    inputs = _as_inputs(inputs)
    for k, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t.dtype != np.float64:
            raise GradcheckError(
                f"gradcheck: input {k} has dtype {t.dtype}; use float64 inputs (central "
                "differences in float32 are too inexact)"
            )
    checked = [k for k, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise GradcheckError("gradcheck: no input requires grad")
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    outs = [o for o in outs if isinstance(o, Tensor) and o.requires_grad]
    rng = np.random.default_rng(1234)
    gos = [rng.standard_normal(o.shape) for o in outs]
    analytic = _grad(outs, [inputs[k] for k in checked],
                     grad_outputs=[Tensor(g, dtype=o.dtype) for g, o in zip(gos, outs)],
                     allow_unused=True)
    full_out = fn(*inputs)
    full_outs = full_out if isinstance(full_out, (tuple, list)) else (full_out,)
    weights = []
    j = 0
    for o in full_outs:
        if isinstance(o, Tensor) and o.requires_grad:
            weights.append(gos[j])
            j += 1
        else:
            weights.append(0.0)
    for k, a in zip(checked, analytic):
        num = numerical_grad(fn, inputs, k, eps, weights)
        ana = np.zeros_like(num) if a is None else a._data.astype(np.float64)
        bad = np.abs(ana - num) > atol + rtol * np.abs(num)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            msg = (
                f"Jacobian mismatch for input {k} (shape {tuple(inputs[k].shape)}) at element "
                f"{idx}: analytic {ana[idx]!r}, numerical {num[idx]!r} "
                f"({int(bad.sum())} of {bad.size} elements differ)"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Check second derivatives: gradcheck of the (create_graph) gradient of ``fn``."""
    inputs = _as_inputs(inputs)
    checked = [k for k, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]

    probe = fn(*inputs)
    probe = probe if isinstance(probe, Tensor) else probe[0]
    v = Tensor(np.random.default_rng(4321).standard_normal(probe.shape), dtype=probe.dtype)

    def first(*xs):
        out = fn(*xs)
        gs = _grad(out if isinstance(out, Tensor) else out[0], [xs[k] for k in checked],
                   grad_outputs=[v], create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None and g.requires_grad)

    return gradcheck(first, inputs, eps, atol, rtol)
