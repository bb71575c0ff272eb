"""Linear (a fully connected layer), Identity and Flatten."""

from __future__ import annotations

import math

import numpy as np

from ..._device import check_device
from ...primitives.nn import Linear as _LinearFn
from ...tensor import Parameter, Tensor
from .. import init
from .module import Module


class Identity(Module):
    """Return the input unchanged (any constructor arguments are ignored).

    >>> import topograd
    >>> from topograd import nn
    >>> nn.Identity(54, unused="x")(topograd.ones(2)).tolist()
    [1.0, 1.0]
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """Fully connected layer ``y = x @ W.T + b``, one fused node.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias (default True).
        device: None (the default device) or "cpu"; "cuda" raises as PyTorch's CPU build.
        dtype: parameter dtype (default float32).

    Attributes:
        weight: shape (out_features, in_features), initialized as PyTorch does,
            kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)).
        bias: shape (out_features,), U(-1/sqrt(in), 1/sqrt(in)).

    >>> import topograd
    >>> from topograd import nn
    >>> layer = nn.Linear(in_features=10, out_features=5)
    >>> layer(topograd.zeros(4, 10)).shape
    topograd.Size([4, 5])
    >>> layer
    Linear(in_features=10, out_features=5, bias=True)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        check_device(device, "empty")  # None: the default device; "cuda" raises as PyTorch
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, found {v!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dt = np.dtype(np.float32 if dtype is None else dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dt))
        if bias:
            self.bias = Parameter(np.empty((self.out_features,), dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights and bias from the global generator, as PyTorch initializes."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        b = self._parameters["bias"]
        if b is None:
            return _LinearFn.apply(input, self._parameters["weight"])
        return _LinearFn.apply(input, self._parameters["weight"], b)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Merge dimensions ``start_dim``..``end_dim`` into one (by default all but the batch).

    >>> import topograd
    >>> from topograd import nn
    >>> nn.Flatten()(topograd.zeros(32, 1, 28, 28)).shape
    topograd.Size([32, 784])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``.

    >>> import topograd
    >>> from topograd import nn
    >>> nn.Unflatten(1, (1, 28, 28))(topograd.zeros(2, 784)).shape
    topograd.Size([2, 1, 28, 28])
    """

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
