"""Numerical gradient checks: float64 central differences against backward.

>>> import topograd
>>> x = topograd.randn(3, dtype=topograd.float64, requires_grad=True)
>>> topograd.autograd.gradcheck(lambda t: (t.tanh() * t).sum(), (x,))
True
"""

from __future__ import annotations

import numpy as np

from .. import tensor as _tensor  # the core loop: Tensor is read at call time
from .engine import grad as _grad


class GradcheckError(RuntimeError):
    """The analytic and numerical gradients disagree.

    >>> import topograd
    >>> issubclass(topograd.autograd.GradcheckError, RuntimeError)
    True
    """


def _as_inputs(inputs):
    Tensor = _tensor.Tensor
    return (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)


def numerical_grad(fn, inputs, k: int, eps: float = 1e-6, grad_output=None) -> np.ndarray:
    """Central-difference gradient of sum(fn(*inputs) * grad_output) w.r.t. inputs[k]."""
    Tensor = _tensor.Tensor
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
              raise_exception: bool = True, *, _strict: bool = False) -> bool:
    """Compare backward's gradients with central differences, element by element.

    The outputs are reduced to a number with fixed random weights (a random vector-Jacobian
    product), so one backward pass checks every output element.

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

    >>> import topograd
    >>> x = topograd.tensor([0.5, -1.0], dtype=topograd.float64, requires_grad=True)
    >>> topograd.autograd.gradcheck(lambda t: t.exp() * t, (x,))
    True
    """
    Tensor = _tensor.Tensor
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
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    floats = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.dtype.kind == "f"]
    diff = [i for i in floats if outs[i].requires_grad]
    # strict (gradgradcheck): an output that is not differentiable still counts
    # numerically, so a gradient that create_graph left constant is caught
    rng = np.random.default_rng(1234)
    gos = {i: rng.standard_normal(outs[i].shape) for i in (floats if _strict else diff)}
    if diff:
        analytic = _grad([outs[i] for i in diff], [inputs[k] for k in checked],
                         grad_outputs=[Tensor(gos[i], dtype=outs[i].dtype) for i in diff],
                         allow_unused=True)
    else:
        analytic = [None] * len(checked)
    weights = [gos.get(i, 0.0) for i in range(len(outs))]
    for k, a in zip(checked, analytic):
        num = numerical_grad(fn, inputs, k, eps, weights)
        ana = np.zeros_like(num) if a is None else a._data.astype(np.float64)
        bad = ~(np.abs(ana - num) <= atol + rtol * np.abs(num))  # NaN counts as a mismatch
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            msg = (
                f"Jacobian mismatch for input {k} (shape {tuple(inputs[k].shape)}) at element "
                f"{idx}: analytic {float(ana[idx])!r}, numerical {float(num[idx])!r} "
                f"({int(bad.sum())} of {bad.size} elements differ)"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True) -> bool:
    """Check second derivatives: gradcheck of the ``create_graph=True`` gradient of ``fn``.

    Args:
        fn: a function of the input tensors returning a tensor (or a tuple; the first
            output is differentiated).
        inputs: a tensor or tuple of float64 tensors.
        eps, atol, rtol, raise_exception: as in :func:`gradcheck`.

    Returns:
        True when the gradient's own gradient agrees with central differences.

    Raises:
        GradcheckError: naming the input, the element and both values; also when the
            gradient is constant in the graph (not differentiable) but varies numerically.

    >>> import topograd
    >>> x = topograd.tensor([0.5, -1.0], dtype=topograd.float64, requires_grad=True)
    >>> topograd.autograd.gradgradcheck(lambda t: t.sin() * t, (x,))
    True
    """
    Tensor = _tensor.Tensor
    inputs = _as_inputs(inputs)
    checked = [k for k, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]

    probe = fn(*inputs)
    probe = probe if isinstance(probe, Tensor) else probe[0]
    v = Tensor(np.random.default_rng(4321).standard_normal(probe.shape), dtype=probe.dtype)

    def first(*xs):
        out = fn(*xs)
        gs = _grad(out if isinstance(out, Tensor) else out[0], [xs[k] for k in checked],
                   grad_outputs=[v], create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first, inputs, eps, atol, rtol, raise_exception, _strict=True)
