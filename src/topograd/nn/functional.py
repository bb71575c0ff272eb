"""The functional forms of topograd's layers, activations and losses, as
``torch.nn.functional``.

>>> import topograd
>>> import topograd.nn.functional as F
>>> x = topograd.tensor([[2.0, 0.0, -1.0]])
>>> F.relu(x).tolist()
[[2.0, 0.0, 0.0]]
>>> round(F.cross_entropy(x, topograd.tensor([0])).item(), 4)
0.1698
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import ops
from ..primitives import nn as P
from ..primitives.softmax import LogSoftmax, Softmax
from ..tensor import Tensor
from ._common import as_tensor, user_stacklevel
from ._functional_loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    multi_margin_loss,
    nll_loss,
    smooth_l1_loss,
)

_t = as_tensor


# -- layers -------------------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` in one fused node.

    Args:
        input: shape (..., in_features).
        weight: shape (out_features, in_features), input's dtype.
        bias: shape (out_features,) or None.

    Returns:
        Shape (..., out_features).

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.linear(topograd.ones(2, 3), topograd.ones(4, 3), topograd.zeros(4)).shape
    topograd.Size([2, 4])
    """
    if bias is None:
        return P.Linear.apply(_t(input), weight)
    return P.Linear.apply(_t(input), weight, bias)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout: zero elements with probability ``p``, scale the rest by 1/(1-p).

    The identity when ``training`` is False (so evaluation needs no rescaling).

    Args:
        input: any shape.
        p: drop probability in [0, 1].
        training: apply dropout (True) or return ``input`` unchanged.
        inplace: accepted for PyTorch compatibility; the result is a new tensor.

    Returns:
        A tensor of input's shape and dtype.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.dropout(topograd.ones(3), p=0.5, training=False).tolist()
    [1.0, 1.0, 1.0]
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    return P.Dropout.apply(_t(input), p=float(p))


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization over every axis but 1 of ``input`` (N, C, ...).

    In training mode it normalizes by the batch mean and biased variance and updates
    ``running_mean``/``running_var`` in place (``(1 - momentum) * old + momentum * new``,
    with the unbiased variance); otherwise it normalizes by the running statistics.

    Args:
        input: shape (N, C, ...).
        running_mean: (C,) running mean, or None.
        running_var: (C,) running variance, or None.
        weight: (C,) scale, or None for 1.
        bias: (C,) shift, or None for 0.
        training: normalize by batch statistics (and update the running ones).
        momentum: the running-average factor.
        eps: added to the variance before the square root.

    Returns:
        ``weight * (input - mean) / sqrt(var + eps) + bias``, input's shape.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> x = topograd.tensor([[1.0], [3.0]])
    >>> [round(v, 4) for v in F.batch_norm(x, None, None, training=True).reshape(-1).tolist()]
    [-1.0, 1.0]
    """
    input = _t(input)
    if input.ndim < 2:
        raise ValueError(f"batch_norm expected an input of shape (N, C, ...), found shape "
                         f"{tuple(input.shape)}")
    c = input.shape[1]
    if training:
        n = input.numel() // max(c, 1)
        if n == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {input.shape}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(f"batch_norm: {name} should have shape ({c},) for an input with "
                               f"{c} channels, found {tuple(t.shape)}")
    kw = dict(running_mean=None if running_mean is None else running_mean._data,
              running_var=None if running_var is None else running_var._data,
              training=bool(training), momentum=float(momentum), eps=float(eps))
    if bias is None:
        return P.BatchNorm.apply(input, weight, **kw)
    return P.BatchNorm.apply(input, weight, bias, **kw)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices to one-hot rows: shape (*, num_classes), int64.

    Args:
        tensor: integer class indices, any shape.
        num_classes: the number of classes; -1 means ``tensor.max() + 1``.

    Returns:
        An int64 tensor with one more dimension than ``tensor``.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.one_hot(topograd.tensor([0, 2]), 3).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    arr = _t(tensor)._data
    if arr.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensor, found dtype {arr.dtype}")
    if arr.size and arr.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(arr.max()) + 1 if arr.size else 0
    if arr.size and arr.max() >= num_classes:
        raise RuntimeError(f"Class values must be smaller than num_classes ({num_classes}), "
                           f"found {int(arr.max())}.")
    out = np.zeros(arr.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, arr[..., None].astype(np.int64), 1, axis=-1)
    return Tensor._from_array(out)


def pad(input: Tensor, pad, mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad the last dimensions with ``value``, as ``torch.nn.functional.pad``.

    Args:
        input: any shape.
        pad: (left, right) widths, starting from the last dimension: ``(1, 2)`` pads the
            last dimension, ``(1, 1, 2, 2)`` the last two. Negative widths crop.
        mode: only "constant" is supported.
        value: the fill value.

    Returns:
        The padded tensor (differentiable).

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.pad(topograd.ones(2), (1, 2)).tolist()
    [0.0, 1.0, 1.0, 0.0, 0.0]
    """
    return ops.pad(_t(input), pad, mode, value)


# -- activations --------------------------------------------------------------------------


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0), elementwise.

    Args:
        input: any shape.
        inplace: accepted for PyTorch compatibility; the result is a new tensor.

    Returns:
        A tensor of input's shape and dtype.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.relu(topograd.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return _t(input).relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else ``negative_slope * x``.

    Args:
        input: any shape.
        negative_slope: the slope for negative inputs.
        inplace: accepted for PyTorch compatibility; the result is a new tensor.

    Returns:
        A tensor of input's shape and dtype.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.leaky_relu(topograd.tensor([-2.0, 3.0]), 0.5).tolist()
    [-1.0, 3.0]
    """
    return P.LeakyRelu.apply(_t(input), slope=float(negative_slope))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else ``alpha * (exp(x) - 1)``.

    Args:
        input: any shape.
        alpha: the value approached as x goes to minus infinity is ``-alpha``.
        inplace: accepted for PyTorch compatibility; the result is a new tensor.

    Returns:
        A tensor of input's shape and dtype.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.elu(topograd.tensor([0.0, 1.0])).tolist()
    [0.0, 1.0]
    """
    return P.Elu.apply(_t(input), alpha=float(alpha))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU: ``x * Phi(x)``, Phi the standard normal CDF (PyTorch's exact erf form).

    Args:
        input: any shape.
        approximate: "none" (erf) or "tanh" (the tanh approximation).

    Returns:
        A tensor of input's shape and dtype.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> round(F.gelu(topograd.tensor([1.0])).item(), 4)
    0.8413
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate argument must be either none or tanh, found {approximate!r}")
    return P.Gelu.apply(_t(input), approximate=approximate)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold``; stable.

    Args:
        input: any shape.
        beta: the sharpness.
        threshold: above ``beta x > threshold`` the result is x itself.

    Returns:
        A tensor of input's shape and dtype.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.softplus(topograd.tensor([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.6931471824645996, 1000.0]
    """
    return P.Softplus.apply(_t(input), beta=float(beta), threshold=float(threshold))


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), stable for any x.

    Args:
        input: any shape.

    Returns:
        A tensor of input's shape and dtype, values in [0, 1].

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.sigmoid(topograd.tensor([0.0])).tolist()
    [0.5]
    """
    return _t(input).sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent.

    Args:
        input: any shape.

    Returns:
        A tensor of input's shape and dtype, values in [-1, 1].

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.tanh(topograd.tensor([0.0])).tolist()
    [0.0]
    """
    return _t(input).tanh()


def _get_softmax_dim(name: str, ndim: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to "
        "include dim=X as an argument.",
        stacklevel=user_stacklevel(),
    )
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_like(prim, name: str, input, dim, dtype):
    input = _t(input)
    if dim is None:
        dim = _get_softmax_dim(name, input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    if input.ndim == 0:
        return prim.apply(input.reshape(1), 0).reshape(())
    return prim.apply(input, input._norm_dim(dim))


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (shifted by the max: never overflows).

    Without ``dim`` it picks one as PyTorch does (0 for 0-, 1- and 3-D input, else 1)
    and warns.

    Args:
        input: any shape.
        dim: the dimension that sums to 1.
        _stacklevel: accepted for PyTorch compatibility.
        dtype: cast the input to this dtype first.

    Returns:
        A tensor of input's shape.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.softmax(topograd.tensor([[0.0, 0.0]]), dim=1).tolist()
    [[0.5, 0.5]]
    """
    return _softmax_like(Softmax, "softmax", input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """x - logsumexp(x) along ``dim``, computed stably (dim chosen as in :func:`softmax`).

    Args:
        input: any shape.
        dim: the dimension to normalize over.
        _stacklevel: accepted for PyTorch compatibility.
        dtype: cast the input to this dtype first.

    Returns:
        A tensor of input's shape.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.log_softmax(topograd.tensor([[1000.0, 0.0]]), dim=1).tolist()
    [[0.0, -1000.0]]
    """
    return _softmax_like(LogSoftmax, "log_softmax", input, dim, dtype)


__all__ = [
    "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "dropout", "elu", "gelu", "huber_loss", "kl_div", "l1_loss", "leaky_relu", "linear",
    "log_softmax", "mse_loss", "multi_margin_loss", "nll_loss", "one_hot", "pad", "relu",
    "sigmoid", "smooth_l1_loss", "softmax", "softplus", "tanh",
]
