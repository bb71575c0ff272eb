"""The functional forms of topograd's layers, activations and losses, as
``torch.nn.functional``.

One module in banner sections: layers (linear, dropout, batch norm, one-hot, pad),
activations, and losses (the ``reduction`` argument and target checks they share, then
the regression and the classification losses). Each function validates its arguments
with PyTorch's messages and calls one primitive of :mod:`topograd.primitives` (or a
composition of Tensor methods where the math is a line of elementwise ops); the modules
of :mod:`topograd.nn` and the losses of :mod:`topograd.keras.losses` call these.

The losses take ``reduction='mean'|'sum'|'none'``; the deprecated ``size_average`` and
``reduce`` arguments are accepted (with PyTorch's deprecation warning) so positional calls
line up.

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
from .._warn import user_stacklevel
from ..primitives import nn as P
from ..primitives import nn_loss
from ..primitives.softmax import LogSoftmax, Softmax
from ..tensor import Tensor


def _t(x) -> Tensor:
    """``x`` itself when it is a Tensor, else a new Tensor of it."""
    return x if isinstance(x, Tensor) else Tensor(x)


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


# -- losses: reduction and targets --------------------------------------------------------


def _reduction(size_average, reduce, reduction: str, allowed=("none", "mean", "sum")) -> str:
    """The checked ``reduction``, with the deprecated ``size_average``/``reduce`` folded in
    (and warned about); the loss modules check theirs with it at construction."""
    if size_average is not None or reduce is not None:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      "reduction='mean' (or 'sum', 'none') instead.", stacklevel=3)
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction: expected one of "
                         + ", ".join(repr(a) for a in allowed))
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """``loss`` reduced by 'mean', 'sum' or 'none'."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _same_size(input: Tensor, target: Tensor) -> None:
    """PyTorch's warning when the target would broadcast against the input."""
    if input.shape != target.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=user_stacklevel(),
        )


def _float_target(input: Tensor, target) -> Tensor:
    """``target`` as a Tensor, of ``input``'s dtype when that is floating."""
    target = _t(target)
    if target._data.dtype != input._data.dtype and input._data.dtype.kind == "f":
        target = target.type(input._data.dtype)
    return target


def _weighted(loss: Tensor, weight, reduction: str, mean_by_weight: bool) -> Tensor:
    """``loss`` times the per-element ``weight``, reduced; with ``mean_by_weight`` the mean
    divides by the summed weights."""
    if weight is None:
        return _reduce(loss, reduction)
    weight = _t(weight)
    if weight.shape != loss.shape:
        raise ValueError(f"Weights and input must have the same size: weight "
                         f"{tuple(weight.shape)}, input {tuple(loss.shape)}")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


# -- losses: regression -------------------------------------------------------------------


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
             weight=None) -> Tensor:
    """Mean squared error ``(x - y)^2``.

    With ``weight`` the mean is the weighted mean ``sum(w (x - y)^2) / sum(w)``.

    Args:
        input: predictions, any shape.
        target: targets, input's shape (a different shape broadcasts, with a warning).
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).
        reduction: 'mean', 'sum' or 'none'.
        weight: optional per-element weights, input's shape.

    Returns:
        The loss: a scalar, or per element with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.mse_loss(topograd.tensor([1.0, 3.0]), topograd.tensor([0.0, 0.0])).item()
    5.0
    """
    input, target = _t(input), _float_target(_t(input), target)
    _same_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    d = input - target
    return _weighted(d * d, weight, reduction, mean_by_weight=True)


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
            weight=None) -> Tensor:
    """Mean absolute error ``|x - y|`` (weighted mean as :func:`mse_loss`).

    Args:
        input: predictions, any shape.
        target: targets, input's shape (a different shape broadcasts, with a warning).
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).
        reduction: 'mean', 'sum' or 'none'.
        weight: optional per-element weights, input's shape.

    Returns:
        The loss: a scalar, or per element with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.l1_loss(topograd.tensor([1.0, -3.0]), topograd.tensor([0.0, 0.0])).item()
    2.0
    """
    input, target = _t(input), _float_target(_t(input), target)
    _same_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    return _weighted((input - target).abs(), weight, reduction, mean_by_weight=True)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0,
               weight=None) -> Tensor:
    """Huber loss: ``d^2 / 2`` where ``|d| < delta``, else ``delta (|d| - delta / 2)``.

    Args:
        input: predictions, any shape.
        target: targets, input's shape.
        reduction: 'mean', 'sum' or 'none'.
        delta: where the loss turns from quadratic to linear (positive).
        weight: optional per-element weights (the mean is then the plain mean).

    Returns:
        The loss: a scalar, or per element with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.huber_loss(topograd.tensor([0.5, 3.0]), topograd.zeros(2), reduction="none").tolist()
    [0.125, 2.5]
    """
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, "
                           f"found {delta}")
    input, target = _t(input), _float_target(_t(input), target)
    _same_size(input, target)
    reduction = _reduction(None, None, reduction)
    loss = nn_loss.HuberLoss.apply(input, target, delta=float(delta))
    return _weighted(loss, weight, reduction, mean_by_weight=False)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Smooth L1: ``d^2 / (2 beta)`` where ``|d| < beta``, else ``|d| - beta / 2``.

    It is the Huber loss divided by beta, and the L1 loss when beta is 0.

    Args:
        input: predictions, any shape.
        target: targets, input's shape.
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).
        reduction: 'mean', 'sum' or 'none'.
        beta: the threshold (non-negative).

    Returns:
        The loss: a scalar, or per element with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.smooth_l1_loss(topograd.tensor([0.5, 3.0]), topograd.zeros(2), reduction="sum").item()
    2.625
    """
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, "
                           f"found {beta}")
    reduction = _reduction(size_average, reduce, reduction)
    if beta == 0:  # as PyTorch: the L1 loss
        return l1_loss(input, target, reduction=reduction)
    input, target = _t(input), _float_target(_t(input), target)
    _same_size(input, target)
    loss = nn_loss.HuberLoss.apply(input, target, delta=float(beta), scale=1.0 / beta)
    return _reduce(loss, reduction)


# -- losses: classification ---------------------------------------------------------------


PROBABILITY_INPUT_WARNING = (
    "cross_entropy/CrossEntropyLoss received inputs whose rows are all non-negative and sum "
    "to 1: they look like probabilities (the output of a Softmax). CrossEntropyLoss expects "
    "raw, unnormalized scores (logits) and applies log-softmax itself, so applying softmax "
    "first squashes the gradients. Remove the Softmax layer before the loss (or use "
    "NLLLoss on log-probabilities)."
)
_warned_probabilities = False


def _class_targets(input: Tensor, target, ignore_index, name: str):
    """Validate class-index targets for ``input`` (class axis 1, or 0 when 1-D).

    Returns the targets as int64 and whether any of them equals ``ignore_index``.
    """
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    shape = tuple(input.shape)
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, found a 0-d tensor")
    if t.dtype.kind not in "iub":
        hint = ""
        if name == "cross_entropy":
            hint = (f"; for class probabilities pass a floating target of the input's shape "
                    f"{shape}")
        raise RuntimeError(f"{name}: expected class-index targets of an integer dtype (int64), "
                           f"found {t.dtype} target of shape {tuple(t.shape)}{hint}")
    expected = () if input.ndim == 1 else (shape[0],) + shape[2:]
    if t.shape != expected:
        if input.ndim >= 2 and (t.ndim == 0 or t.shape[0] != shape[0]):
            found = t.shape[0] if t.ndim else "a 0-d tensor"
            raise ValueError(f"Expected input batch_size ({shape[0]}) to match target "
                             f"batch_size ({found}).")
        raise RuntimeError(f"{name}: expected target size {list(expected)} for input of size "
                           f"{list(shape)}, got {list(t.shape)}")
    t = t.astype(np.int64, copy=False)
    n_classes = shape[1] if input.ndim >= 2 else shape[0]
    if not t.size:
        return t, False
    lo, hi = t.min(), t.max()
    if 0 <= lo and hi < n_classes:  # the common case: two reductions, nothing to skip
        ignored = (ignore_index is not None and 0 <= ignore_index < n_classes
                   and bool((t == ignore_index).any()))
        return t, ignored
    counted = t if ignore_index is None else t[t != ignore_index]
    if counted.size:
        lo, hi = counted.min(), counted.max()
        if lo < 0 or hi >= n_classes:
            bad = int(hi if hi >= n_classes else lo)
            raise IndexError(f"Target {bad} is out of bounds: expected class indices in "
                             f"[0, {n_classes})" + ("" if ignore_index is None else
                                                    f" or ignore_index={ignore_index}"))
    return t, True


def _class_weight(weight, input: Tensor, name: str):
    if weight is None:
        return None
    w = weight._data if isinstance(weight, Tensor) else np.asarray(weight)
    c = input.shape[1] if input.ndim >= 2 else input.shape[0]
    if w.shape != (c,):
        raise RuntimeError(f"{name}: weight should be a 1D tensor of one value per class "
                           f"(shape ({c},)), found shape {tuple(w.shape)}")
    return w.astype(input._data.dtype, copy=False)


def _check_float_input(input: Tensor, name: str) -> None:
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating-point input (logits), found "
                           f"{input._data.dtype}")


def _warn_if_probabilities(x: np.ndarray) -> None:
    global _warned_probabilities
    axis = 1 if x.ndim >= 2 else 0
    if x.size == 0 or x.shape[axis] < 2 or x.min() < 0:
        return
    if np.allclose(x.sum(axis=axis), 1.0, rtol=0, atol=1e-3):
        _warned_probabilities = True
        warnings.warn(PROBABILITY_INPUT_WARNING, UserWarning, stacklevel=user_stacklevel())


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of raw scores (logits) against class indices or class probabilities.

    Log-softmax and the negative log-likelihood run as one fused node. Formulas are
    PyTorch's: with class indices the mean is divided by the summed ``weight`` of the
    counted targets; ``ignore_index`` targets count for nothing; ``label_smoothing`` mixes
    in the uniform distribution. Warns once per process when the input rows already
    look like probabilities (a Softmax before this loss is a common mistake).

    Args:
        input: logits (N, C), (C,) or (N, C, d1, ...).
        target: class indices (N,) / () / (N, d1, ...), or probabilities shaped as input.
        weight: optional per-class weights (C,).
        ignore_index: a class-index target value to skip.
        reduction: 'mean', 'sum' or 'none'.
        label_smoothing: in [0, 1].
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).

    Returns:
        The loss (a scalar, or per-sample with reduction='none').

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> logits = topograd.tensor([[2.0, 1.0, 0.1]], requires_grad=True)
    >>> loss = F.cross_entropy(logits, topograd.tensor([0]))
    >>> round(loss.item(), 4)
    0.417
    >>> loss.backward()
    >>> [round(v, 4) for v in logits.grad.tolist()[0]]
    [-0.341, 0.2424, 0.0986]
    """
    input = _t(input)
    _check_float_input(input, "cross_entropy")
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if not _warned_probabilities:
        _warn_if_probabilities(input._data)
    w = _class_weight(weight, input, "cross_entropy")
    target = _t(target)
    if target._data.dtype.kind == "f":
        index_shape = () if input.ndim == 1 else (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) == index_shape:
            _class_targets(input, target, ignore_index, "cross_entropy")  # explains the dtype
        if target.shape != input.shape:
            raise RuntimeError(
                f"cross_entropy: a floating target holds class probabilities and must have "
                f"the input's shape {tuple(input.shape)}, found {tuple(target.shape)}; class "
                "indices must be integers (use .long())")
        if ignore_index != -100:
            raise RuntimeError("ignore_index is not supported for floating point target")
        target = _float_target(input, target)
        return nn_loss.SoftCrossEntropy.apply(input, target, weight=w,
                                              label_smoothing=float(label_smoothing),
                                              reduction=reduction)
    t, ignored = _class_targets(input, target, ignore_index, "cross_entropy")
    return nn_loss.CrossEntropy.apply(input, t, weight=w,
                                      ignore_index=ignore_index if ignored else None,
                                      label_smoothing=float(label_smoothing), reduction=reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` at class-index ``target``.

    ``nll_loss(log_softmax(x, 1), y)`` equals ``cross_entropy(x, y)``.

    Args:
        input: log-probabilities (N, C), (C,) or (N, C, d1, ...).
        target: class indices (N,), () or (N, d1, ...).
        weight: optional per-class weights (C,); the mean divides by their sum.
        size_average: deprecated (see ``reduction``).
        ignore_index: a target value to skip.
        reduce: deprecated (see ``reduction``).
        reduction: 'mean', 'sum' or 'none'.

    Returns:
        The loss: a scalar, or per sample with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.nll_loss(topograd.tensor([[-0.5, -1.0]]), topograd.tensor([1])).item()
    1.0
    """
    input = _t(input)
    _check_float_input(input, "nll_loss")
    reduction = _reduction(size_average, reduce, reduction)
    t, ignored = _class_targets(input, target, ignore_index, "nll_loss")
    w = _class_weight(weight, input, "nll_loss")
    return nn_loss.NllLoss.apply(input, t, weight=w,
                                 ignore_index=ignore_index if ignored else None,
                                 reduction=reduction)


def _same_size_strict(input: Tensor, target: Tensor, name: str) -> None:
    if input.shape != target.shape:
        raise ValueError(f"{name}: Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")


def _broadcast_weight(weight, shape, dtype):
    if weight is None:
        return None
    w = weight._data if isinstance(weight, Tensor) else np.asarray(weight)
    try:
        return np.broadcast_to(w, shape).astype(dtype, copy=False)
    except ValueError:
        raise RuntimeError(f"weight of shape {tuple(w.shape)} cannot be broadcast to the input "
                           f"shape {tuple(shape)}") from None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities ``input`` in [0, 1] against ``target``.

    Logs are floored at -100 as in PyTorch. For raw scores use
    :func:`binary_cross_entropy_with_logits` (stable, and faster).

    Args:
        input: probabilities in [0, 1], any shape.
        target: targets in [0, 1], input's shape.
        weight: optional weights broadcast to input's shape.
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).
        reduction: 'mean', 'sum' or 'none'.

    Returns:
        The loss: a scalar, or per element with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> round(F.binary_cross_entropy(topograd.tensor([0.8]), topograd.tensor([1.0])).item(), 4)
    0.2231
    """
    input = _t(input)
    target = _float_target(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _same_size_strict(input, target, "binary_cross_entropy")
    x = input._data
    if x.size and (x.min() < 0 or x.max() > 1):
        raise RuntimeError("all elements of input should be between 0 and 1 (binary_cross_"
                           "entropy takes probabilities; for raw scores use "
                           "binary_cross_entropy_with_logits)")
    w = _broadcast_weight(weight, x.shape, x.dtype)
    return _reduce(nn_loss.BinaryCrossEntropy.apply(input, target, w), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction: str = "mean", pos_weight=None) -> Tensor:
    """Binary cross-entropy of raw scores: ``sigmoid`` and the loss in one stable node.

    Args:
        input: raw scores, any shape.
        target: targets in [0, 1], input's shape.
        weight: optional weights broadcast to input's shape.
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).
        reduction: 'mean', 'sum' or 'none'.
        pos_weight: optional weight of the positive term, broadcast along the last dim.

    Returns:
        The loss: a scalar, or per element with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.binary_cross_entropy_with_logits(topograd.tensor([1000.0]), topograd.tensor([1.0])).item()
    0.0
    """
    input = _t(input)
    target = _float_target(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _same_size_strict(input, target, "binary_cross_entropy_with_logits")
    x = input._data
    w = _broadcast_weight(weight, x.shape, x.dtype)
    pw = _broadcast_weight(pos_weight, x.shape, x.dtype)
    return _reduce(nn_loss.BinaryCrossEntropyWithLogits.apply(input, target, w, pw), reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``target (log target - input)``, input log-probabilities.

    ``reduction='batchmean'`` divides the sum by the batch size (the KL definition);
    'mean' divides by the number of elements and warns, as PyTorch does.

    Args:
        input: log-probabilities, any shape.
        target: probabilities (or log-probabilities with ``log_target``), input's shape.
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).
        reduction: 'batchmean', 'mean', 'sum' or 'none'.
        log_target: the target holds log-probabilities.

    Returns:
        The loss: a scalar, or per element with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> p = topograd.tensor([[0.5, 0.5]])
    >>> F.kl_div(p.log(), p, reduction="batchmean").item()
    0.0
    """
    input = _t(input)
    target = _float_target(input, target)
    reduction = _reduction(size_average, reduce, reduction,
                           allowed=("none", "mean", "sum", "batchmean"))
    if reduction == "mean" and size_average is None and reduce is None:
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.", stacklevel=user_stacklevel())
    loss = nn_loss.KLDiv.apply(input, target, log_target=bool(log_target))
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Multiclass hinge (SVM) loss, per sample ``sum_{j != y} w_y max(0, m - x_y + x_j)^p / C``.

    Args:
        input: scores (N, C) or (C,).
        target: class indices (N,) or ().
        p: 1 or 2.
        margin: the margin the correct score should win by.
        weight: optional per-class weights (C,), applied by the target's class.
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).
        reduction: 'mean', 'sum' or 'none'.

    Returns:
        The loss: a scalar, or per sample with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> x = topograd.tensor([[0.1, 0.2, 0.4, 0.8]])
    >>> round(F.multi_margin_loss(x, topograd.tensor([3])).item(), 4)
    0.325
    """
    input = _t(input)
    _check_float_input(input, "multi_margin_loss")
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError(f"only p == 1 and p == 2 supported, found p={p}")
    if input.ndim not in (1, 2) or input.numel() == 0:
        raise RuntimeError(f"multi_margin_loss: expected a non-empty (C,) or (N, C) input, "
                           f"found shape {tuple(input.shape)}")
    t, _ = _class_targets(input, target, None, "multi_margin_loss")
    w = _class_weight(weight, input, "multi_margin_loss")
    loss = nn_loss.MultiMargin.apply(input, t, p=int(p), margin=float(margin), weight=w)
    return _reduce(loss, reduction)


__all__ = [
    "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "dropout", "elu", "gelu", "huber_loss", "kl_div", "l1_loss", "leaky_relu", "linear",
    "log_softmax", "mse_loss", "multi_margin_loss", "nll_loss", "one_hot", "pad", "relu",
    "sigmoid", "smooth_l1_loss", "softmax", "softplus", "tanh",
]
