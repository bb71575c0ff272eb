"""Batch normalization: normalize each channel by batch statistics while training and by
running averages of them in evaluation, then scale and shift (learnable)."""

from __future__ import annotations

import numpy as np

from ..._device import check_device
from ...tensor import Parameter, Tensor
from .. import functional as F
from .module import Module


class _BatchNorm(Module):
    _expected_dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        check_device(device, "empty")  # None: the default device; "cuda" raises as PyTorch
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1] or None, found {momentum}")
        if eps <= 0:
            raise ValueError(f"eps must be positive, found {eps}")
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dt = np.dtype(np.float32 if dtype is None else dtype)
        c = self.num_features
        if affine:
            self.weight = Parameter(np.ones(c, dtype=dt))
            if bias:
                self.bias = Parameter(np.zeros(c, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(c, dtype=dt)))
            self.register_buffer("running_var", Tensor(np.ones(c, dtype=dt)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Zero the running mean and counter, set the running variance to one."""
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        """Reset the running statistics, weight (ones) and bias (zeros)."""
        self.reset_running_stats()
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in self._expected_dims:
            dims = " or ".join(f"{d}D" for d in self._expected_dims)
            raise ValueError(f"expected {dims} input (got {input.ndim}D input)")
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}) expected {self.num_features} "
                f"channels in dimension 1, found input of shape {tuple(input.shape)}"
            )

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked._data)
        if self.training:
            use_batch = True
        else:
            use_batch = self.running_mean is None and self.running_var is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)

    def _load_from_state_dict(self, state, prefix, missing, errors, assign) -> None:
        # a state dict without num_batches_tracked (older PyTorch, Keras) keeps the counter
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and key not in state and self.num_batches_tracked is not None:
            state[key] = self.num_batches_tracked
        super()._load_from_state_dict(state, prefix, missing, errors, assign)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input, per channel C.

    Training mode normalizes by the batch mean and biased variance and updates
    ``running_mean``/``running_var`` (buffers, in ``state_dict``) with
    ``(1 - momentum) * running + momentum * batch`` (unbiased variance there);
    ``momentum=None`` gives a cumulative average. Eval mode normalizes by the running
    statistics. Then ``y = weight * xhat + bias``.

    Args:
        num_features: C.
        eps: added to the variance for stability.
        momentum: running-average factor, or None.
        affine: learn ``weight`` (ones) and ``bias`` (zeros).
        track_running_stats: keep running statistics (else always use batch statistics).

    >>> import topograd
    >>> from topograd import nn
    >>> bn = nn.BatchNorm1d(2)
    >>> y = bn(topograd.tensor([[1.0, 10.0], [3.0, 30.0]]))
    >>> [round(v, 3) for v in y[:, 0].tolist()], bn.running_mean.tolist()
    ([-1.0, 1.0], [0.20000000298023224, 2.0])
    """

    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input, per channel C (see :class:`BatchNorm1d`).

    >>> import topograd
    >>> from topograd import nn
    >>> nn.BatchNorm2d(3)(topograd.randn(4, 3, 5, 5)).shape
    topograd.Size([4, 3, 5, 5])
    """

    _expected_dims = (4,)
