"""Weight initialization, as ``torch.nn.init``: every function fills a tensor in place
(outside the graph), draws from topograd's seeded global generator and returns the tensor.

Why it matters: a layer multiplies the variance of its input by ``fan_in * Var(w)``
(times 1/2 after a ReLU), so over many layers a badly scaled init makes activations
vanish or explode. Xavier/Glorot (Var = 2 / (fan_in + fan_out)) keeps tanh and sigmoid
networks stable; He/Kaiming (Var = 2 / fan_in) does the same for ReLU.

>>> import topograd
>>> from topograd import nn
>>> w = topograd.empty(256, 256)
>>> _ = topograd.manual_seed(0)
>>> round(float(nn.init.kaiming_normal_(w, nonlinearity="relu").var()) * 256, 1)
2.0
"""

from __future__ import annotations

import math

import numpy as np

from ..random import default_generator
from ..tensor import Tensor

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table).

    linear/conv/sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu: sqrt(2 / (1 + slope^2));
    selu: 3/4.

    >>> from topograd import nn
    >>> round(nn.init.calculate_gain("relu"), 4)
    1.4142
    """
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (found shape {tuple(shape)})")
    receptive = 1
    for d in shape[2:]:
        receptive *= d
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values) -> Tensor:
    """Write ``values`` into ``tensor`` in place, outside the graph."""
    arr = tensor._data
    if arr.flags.writeable:
        arr[...] = values
    else:
        tensor._data = np.array(np.broadcast_to(values, arr.shape), dtype=arr.dtype)
    tensor._bump_version()
    return tensor


def _draw_dtype(tensor: Tensor):
    dt = tensor._data.dtype
    return dt if dt in (np.float32, np.float64) else np.float64


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from U(a, b).

    >>> import topograd
    >>> from topograd import nn
    >>> bool((nn.init.uniform_(topograd.empty(100), -1, 1).abs() <= 1).all())
    True
    """
    g = generator or default_generator()
    vals = g.random(tensor.shape, dtype=_draw_dtype(tensor))
    vals *= b - a
    vals += a
    return _fill(tensor, vals)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from N(mean, std^2).

    >>> import topograd
    >>> from topograd import nn
    >>> nn.init.normal_(topograd.empty(2, 3), std=0.01).shape
    topograd.Size([2, 3])
    """
    g = generator or default_generator()
    vals = g.standard_normal(tensor.shape, dtype=_draw_dtype(tensor))
    vals *= std
    vals += mean
    return _fill(tensor, vals)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Fill with N(mean, std^2) draws redrawn until they lie in [a, b].

    >>> import topograd
    >>> from topograd import nn
    >>> bool((nn.init.trunc_normal_(topograd.empty(1000)).abs() <= 2).all())
    True
    """
    g = generator or default_generator()
    vals = g.normal(mean, std, tensor.shape)
    bad = (vals < a) | (vals > b)
    while bad.any():
        vals[bad] = g.normal(mean, std, int(bad.sum()))
        bad = (vals < a) | (vals > b)
    return _fill(tensor, vals)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``.

    >>> import topograd
    >>> from topograd import nn
    >>> nn.init.constant_(topograd.empty(2), 0.5).tolist()
    [0.5, 0.5]
    """
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros.

    >>> import topograd
    >>> from topograd import nn
    >>> nn.init.zeros_(topograd.empty(2)).tolist()
    [0.0, 0.0]
    """
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones.

    >>> import topograd
    >>> from topograd import nn
    >>> nn.init.ones_(topograd.empty(2)).tolist()
    [1.0, 1.0]
    """
    return _fill(tensor, 1)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix.

    >>> import topograd
    >>> from topograd import nn
    >>> nn.init.eye_(topograd.empty(2, 2)).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    if tensor.ndim != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported, found {tensor.ndim}")
    return _fill(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot/Xavier uniform init: U(-a, a), ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    The variance is ``gain^2 * 2 / (fan_in + fan_out)``.

    Args:
        tensor: at least 2-D (out, in, ...).
        gain: a scale, e.g. ``calculate_gain("tanh")``.
        generator: a ``numpy.random.Generator`` instead of the global one.

    Returns:
        ``tensor``, filled in place.

    >>> import topograd
    >>> from topograd import nn
    >>> float(nn.init.xavier_uniform_(topograd.empty(3, 3)).abs().max()) <= 1.0
    True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot/Xavier normal init: N(0, std^2), ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    For a square N x N layer the variance is 1/N.

    Args:
        tensor: at least 2-D (out, in, ...).
        gain: a scale, e.g. ``calculate_gain("tanh")``.
        generator: a ``numpy.random.Generator`` instead of the global one.

    Returns:
        ``tensor``, filled in place.

    >>> import topograd
    >>> from topograd import nn
    >>> nn.init.xavier_normal_(topograd.empty(4, 4)).shape
    topograd.Size([4, 4])
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He/Kaiming uniform init: U(-b, b) with ``b = gain * sqrt(3 / fan)``.

    Args:
        tensor: at least 2-D (out, in, ...).
        a: the negative slope of the leaky ReLU that follows (gain from
            :func:`calculate_gain`).
        mode: "fan_in" (keeps forward variance) or "fan_out" (keeps backward variance).
        nonlinearity: "relu", "leaky_relu", "tanh", ...
        generator: a ``numpy.random.Generator`` instead of the global one.

    Returns:
        ``tensor``, filled in place.

    >>> import topograd
    >>> from topograd import nn
    >>> w = nn.init.kaiming_uniform_(topograd.empty(5, 10), a=5 ** 0.5)
    >>> float(w.abs().max()) <= 10 ** -0.5
    True
    """
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He/Kaiming normal init: N(0, std^2) with ``std = gain / sqrt(fan)``.

    With ReLU and a square N x N layer the variance is 2/N.

    Args:
        tensor: at least 2-D (out, in, ...).
        a: the negative slope of the leaky ReLU that follows.
        mode: "fan_in" (keeps forward variance) or "fan_out" (keeps backward variance).
        nonlinearity: "relu", "leaky_relu", "tanh", ...
        generator: a ``numpy.random.Generator`` instead of the global one.

    Returns:
        ``tensor``, filled in place.

    >>> import topograd
    >>> from topograd import nn
    >>> nn.init.kaiming_normal_(topograd.empty(4, 4), mode="fan_out").shape
    topograd.Size([4, 4])
    """
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times ``gain`` (QR of a normal draw).

    Dimensions after the first are flattened.

    Args:
        tensor: at least 2-D.
        gain: a scale.
        generator: a ``numpy.random.Generator`` instead of the global one.

    Returns:
        ``tensor``, filled in place.

    >>> import numpy as np
    >>> import topograd
    >>> from topograd import nn
    >>> w = nn.init.orthogonal_(topograd.empty(3, 3)).numpy()
    >>> bool(np.allclose(w @ w.T, np.eye(3), atol=1e-5))
    True
    """
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    g = generator or default_generator()
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = g.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))
