"""Gradient clipping: rescale (by norm) or clamp (by value) gradients in place."""

from __future__ import annotations

import math

import numpy as np

from ...tensor import Tensor


def _params(parameters) -> list:
    if isinstance(parameters, Tensor):
        return [parameters]
    if hasattr(parameters, "parameters") and callable(parameters.parameters):
        return list(parameters.parameters())  # a Module
    return list(parameters)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale the gradients in place so that their joint norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if concatenated into one vector.

    Args:
        parameters: a tensor, an iterable of tensors, or a Module.
        max_norm: the largest norm allowed.
        norm_type: the p of the p-norm (``float('inf')`` for the max norm).
        error_if_nonfinite: raise when the total norm is nan or inf.
        foreach: accepted for PyTorch compatibility.

    Returns:
        The total norm of the gradients before clipping, a 0-d Tensor.

    >>> import topograd
    >>> from topograd import nn
    >>> w = topograd.zeros(2, requires_grad=True)
    >>> w.grad = topograd.tensor([3.0, 4.0])
    >>> nn.utils.clip_grad_norm_([w], max_norm=1.0).item()
    5.0
    >>> [round(v, 4) for v in w.grad.tolist()]
    [0.6, 0.8]
    """
    grads = [p.grad._data for p in _params(parameters) if p.grad is not None]
    if not grads:
        return Tensor(np.array(0.0, dtype=np.float32))
    total = clip_by_norm_(grads, max_norm, norm_type, error_if_nonfinite=error_if_nonfinite)
    return Tensor(np.array(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``, in place.

    >>> import topograd
    >>> from topograd import nn
    >>> w = topograd.zeros(2, requires_grad=True)
    >>> w.grad = topograd.tensor([-3.0, 0.5])
    >>> nn.utils.clip_grad_value_([w], 1.0)
    >>> w.grad.tolist()
    [-1.0, 0.5]
    """
    clip_by_value_([p.grad._data for p in _params(parameters) if p.grad is not None],
                   clip_value)


# -- on arrays: the clipping both faces share (the Keras optimizers' clipnorm, clipvalue
# and global_clipnorm come here too) ----------------------------------------------------
def clip_by_norm_(arrays, max_norm: float, norm_type: float = 2.0, eps: float = 1e-6,
                  error_if_nonfinite: bool = False) -> float:
    """Scale NumPy arrays in place so that their joint p-norm is at most ``max_norm``.

    The arrays are scaled by ``max_norm / (norm + eps)`` when that is below 1: PyTorch's
    ``clip_grad_norm_`` uses ``eps=1e-6``, Keras's ``clipnorm`` and ``global_clipnorm``
    ``eps=0`` (scale only when the norm exceeds ``max_norm``).

    Args:
        arrays: the arrays (gradients), clipped together as one vector.
        max_norm: the largest norm allowed.
        norm_type: the p of the p-norm (``float('inf')`` for the max norm).
        eps: added to the norm in the scale.
        error_if_nonfinite: raise RuntimeError when the norm is nan or inf.

    Returns:
        The joint norm before clipping, a float (0.0 for no arrays).

    >>> import numpy as np
    >>> g = np.array([6.0, 8.0])
    >>> clip_by_norm_([g], 5.0, eps=0.0), g.tolist()
    (10.0, [3.0, 4.0])
    """
    arrays = list(arrays)
    if not arrays:
        return 0.0
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        total = float(max(np.abs(g).max() if g.size else 0.0 for g in arrays))
    else:
        total = float(sum(float(np.sum(np.abs(g, dtype=np.float64) ** norm_type))
                          for g in arrays)) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    if total + eps == 0:  # all-zero gradients: nothing to scale (and no 0 / 0)
        return total
    coef = float(max_norm) / (total + eps)
    if coef < 1.0:
        for g in arrays:
            g *= g.dtype.type(coef)
    return total


def clip_by_value_(arrays, clip_value: float) -> None:
    """Clamp every element of NumPy arrays into ``[-clip_value, clip_value]``, in place.

    >>> import numpy as np
    >>> g = np.array([-3.0, 0.5])
    >>> clip_by_value_([g], 1.0); g.tolist()
    [-1.0, 0.5]
    """
    c = float(clip_value)
    for g in arrays:
        np.clip(g, -c, c, out=g)
