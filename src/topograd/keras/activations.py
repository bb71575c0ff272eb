"""Activation functions by Keras's names (functions on Tensors).

>>> import topograd
>>> from topograd.keras import activations
>>> activations.get("relu")(topograd.tensor([-1.0, 2.0])).tolist()
[0.0, 2.0]
"""

from __future__ import annotations

import topograd.nn.functional as F
from topograd.primitives.softmax import LogSoftmax, Softmax

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "leaky_relu", "elu", "selu",
           "gelu", "linear", "softplus", "softsign", "swish", "silu", "exponential", "relu6",
           "hard_sigmoid", "get", "serialize", "ACTIVATIONS"]


def relu(x, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0):
    """max(x, 0), Keras's form: optional ``negative_slope`` below ``threshold``, ``max_value`` cap.

    >>> import topograd
    >>> relu(topograd.tensor([-1.0, 3.0]), max_value=2.0).tolist()
    [0.0, 2.0]
    """
    if negative_slope == 0 and max_value is None and threshold == 0:
        return x.relu()
    if threshold != 0:
        y = (x - threshold).relu() + threshold * (x > threshold).float()
        if negative_slope:
            y = y + negative_slope * (x - threshold).clamp(max=0.0)
    elif negative_slope:
        y = F.leaky_relu(x, negative_slope)
    else:
        y = x.relu()
    if max_value is not None:
        y = y.clamp(max=float(max_value))
    return y


def sigmoid(x):
    """1 / (1 + exp(-x)).

    >>> import topograd
    >>> sigmoid(topograd.tensor([0.0])).tolist()
    [0.5]
    """
    return x.sigmoid()


def tanh(x):
    """Hyperbolic tangent.

    >>> import topograd
    >>> tanh(topograd.tensor([0.0])).tolist()
    [0.0]
    """
    return x.tanh()


def softmax(x, axis: int = -1):
    """exp(x) / sum(exp(x)) along ``axis`` (stable).

    >>> import topograd
    >>> softmax(topograd.tensor([[0.0, 0.0]])).tolist()
    [[0.5, 0.5]]
    """
    return Softmax.apply(x, axis % x.ndim)


def log_softmax(x, axis: int = -1):
    """log(softmax(x)) along ``axis``, computed stably.

    >>> import topograd
    >>> round(log_softmax(topograd.tensor([[0.0, 0.0]])).tolist()[0][0], 4)
    -0.6931
    """
    return LogSoftmax.apply(x, axis % x.ndim)


def leaky_relu(x, negative_slope: float = 0.2):
    """x for x > 0, else ``negative_slope * x`` (Keras's default slope is 0.2).

    >>> import topograd
    >>> leaky_relu(topograd.tensor([-1.0, 1.0])).tolist()
    [-0.20000000298023224, 1.0]
    """
    return F.leaky_relu(x, negative_slope)


def elu(x, alpha: float = 1.0):
    """x for x > 0, else ``alpha * (exp(x) - 1)``.

    >>> import topograd
    >>> round(elu(topograd.tensor([-1.0])).item(), 4)
    -0.6321
    """
    return F.elu(x, alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    """Scaled ELU: ``scale * elu(x, alpha)`` with the self-normalizing constants.

    >>> import topograd
    >>> round(selu(topograd.tensor([1.0])).item(), 4)
    1.0507
    """
    return F.elu(x, _SELU_ALPHA) * _SELU_SCALE


def gelu(x, approximate: bool = True):
    """Gaussian error linear unit; Keras's default is the tanh approximation.

    >>> import topograd
    >>> round(gelu(topograd.tensor([1.0])).item(), 4)
    0.8412
    """
    return F.gelu(x, approximate="tanh" if approximate else "none")


def linear(x):
    """The identity.

    >>> import topograd
    >>> linear(topograd.tensor([-1.0])).tolist()
    [-1.0]
    """
    return x


def softplus(x):
    """log(1 + exp(x)), stable.

    >>> import topograd
    >>> round(softplus(topograd.tensor([0.0])).item(), 4)
    0.6931
    """
    return F.softplus(x)


def softsign(x):
    """x / (1 + |x|).

    >>> import topograd
    >>> softsign(topograd.tensor([1.0])).tolist()
    [0.5]
    """
    return x / (x.abs() + 1.0)


def swish(x):
    """x * sigmoid(x) (also called SiLU).

    >>> import topograd
    >>> swish(topograd.tensor([0.0])).tolist()
    [0.0]
    """
    return x * x.sigmoid()


silu = swish


def exponential(x):
    """exp(x).

    >>> import topograd
    >>> exponential(topograd.tensor([0.0])).tolist()
    [1.0]
    """
    return x.exp()


def relu6(x):
    """min(max(x, 0), 6).

    >>> import topograd
    >>> relu6(topograd.tensor([-1.0, 7.0])).tolist()
    [0.0, 6.0]
    """
    return x.clamp(0.0, 6.0)


def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid: relu6(x + 3) / 6.

    >>> import topograd
    >>> hard_sigmoid(topograd.tensor([0.0])).tolist()
    [0.5]
    """
    return (x + 3.0).clamp(0.0, 6.0) / 6.0


#: Keras names -> functions.
ACTIVATIONS = {
    "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax,
    "log_softmax": log_softmax, "leaky_relu": leaky_relu, "elu": elu, "selu": selu,
    "gelu": gelu, "linear": linear, "softplus": softplus, "softsign": softsign,
    "swish": swish, "silu": silu, "exponential": exponential, "relu6": relu6,
    "hard_sigmoid": hard_sigmoid,
}


def get(identifier):
    """The activation function for a Keras name, a function, or None (linear).

    Args:
        identifier: a name such as ``"relu"``, a callable, or None.

    Returns:
        A function ``Tensor -> Tensor``.

    Raises:
        ValueError: an unknown name; the message lists the valid ones.

    >>> get(None) is linear, get("relu") is relu
    (True, True)
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = ACTIVATIONS.get(identifier.lower())
        if fn is None:
            raise ValueError(f"unknown activation {identifier!r}; valid names: "
                             f"{', '.join(sorted(ACTIVATIONS))}")
        return fn
    if callable(identifier):
        return identifier
    raise TypeError(f"activation expected a name or a callable, found "
                    f"{type(identifier).__name__}")


def serialize(fn) -> str:
    """The Keras name of an activation function (its ``__name__`` for user functions).

    >>> serialize(relu)
    'relu'
    """
    for name, f in ACTIVATIONS.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", repr(fn))

