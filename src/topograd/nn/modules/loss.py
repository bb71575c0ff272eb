"""Loss modules: each wraps the function of the same name in ``topograd.nn.functional``.

``reduction`` ('mean', 'sum' or 'none') is checked when the loss is built. Per-class
``weight`` and BCEWithLogitsLoss's ``pos_weight`` are buffers, as in PyTorch.
"""

from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from ..functional import _reduction
from .module import Module


class _Loss(Module):
    _reductions = ("none", "mean", "sum")

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _reduction(size_average, reduce, reduction, self._reductions)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if weight is not None and not isinstance(weight, Tensor):
            weight = Tensor(weight)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error ``(x - y)^2``, reduced by ``reduction``.

    >>> import topograd
    >>> from topograd import nn
    >>> nn.MSELoss()(topograd.tensor([1.0, 3.0]), topograd.tensor([0.0, 0.0])).item()
    5.0
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error ``|x - y|``.

    >>> import topograd
    >>> from topograd import nn
    >>> nn.L1Loss(reduction="sum")(topograd.tensor([1.0, -3.0]), topograd.zeros(2)).item()
    4.0
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Huber loss: quadratic for errors below ``delta``, linear beyond.

    >>> import topograd
    >>> from topograd import nn
    >>> nn.HuberLoss(delta=1.0)(topograd.tensor([3.0]), topograd.zeros(1)).item()
    2.5
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        if delta <= 0:
            raise ValueError(f"HuberLoss: delta must be positive, found {delta}")
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """Smooth L1 loss: Huber loss divided by ``beta`` (L1 when beta is 0).

    >>> import topograd
    >>> from topograd import nn
    >>> nn.SmoothL1Loss()(topograd.tensor([0.5]), topograd.zeros(1)).item()
    0.125
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        if beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be non-negative, found {beta}")
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of raw scores (logits) against class indices or probabilities.

    It applies log-softmax itself (in one fused node with the loss), so the model should
    end with a Linear layer, not a Softmax: given inputs that look like probabilities it
    warns once per process.

    Args:
        weight: optional per-class weights (C,); the mean divides by the summed weights.
        ignore_index: class-index target value that contributes nothing.
        reduction: 'mean', 'sum' or 'none'.
        label_smoothing: in [0, 1], mixes the target with the uniform distribution.

    >>> import topograd
    >>> from topograd import nn
    >>> loss_fn = nn.CrossEntropyLoss()
    >>> round(loss_fn(topograd.zeros(2, 4), topograd.tensor([0, 3])).item(), 4)
    1.3863
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                             f"{label_smoothing}")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (e.g. after LogSoftmax).

    >>> import topograd
    >>> from topograd import nn
    >>> nn.NLLLoss()(topograd.tensor([[-0.5, -2.0]]), topograd.tensor([1])).item()
    2.0
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities in [0, 1] (e.g. after Sigmoid).

    >>> import topograd
    >>> from topograd import nn
    >>> round(nn.BCELoss()(topograd.tensor([0.5]), topograd.tensor([1.0])).item(), 4)
    0.6931
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of raw scores, sigmoid included (stable for any score).

    Args:
        weight: optional weight broadcast over the elements.
        reduction: 'mean', 'sum' or 'none'.
        pos_weight: optional weight of the positive term, broadcast along the last dim.

    >>> import topograd
    >>> from topograd import nn
    >>> round(nn.BCEWithLogitsLoss()(topograd.tensor([0.0]), topograd.tensor([1.0])).item(), 4)
    0.6931
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight=None) -> None:
        super().__init__(size_average, reduce, reduction)
        for name, v in (("weight", weight), ("pos_weight", pos_weight)):
            self.register_buffer(name, v if v is None or isinstance(v, Tensor) else Tensor(v))

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence; ``input`` holds log-probabilities.

    ``reduction='batchmean'`` gives the KL divergence per sample (the definition).

    >>> import topograd
    >>> from topograd import nn
    >>> p = topograd.tensor([[0.25, 0.75]])
    >>> nn.KLDivLoss(reduction="batchmean")(p.log(), p).item()
    0.0
    """

    _reductions = ("none", "mean", "sum", "batchmean")

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class MultiMarginLoss(_WeightedLoss):
    """Multiclass hinge (SVM) loss, per sample ``sum_{j != y} w_y max(0, m - x_y + x_j)^p / C``.

    Args:
        p: 1 or 2.
        margin: m, the margin the correct score should win by.
        weight: optional per-class weights (C,).
        reduction: 'mean', 'sum' or 'none'.

    >>> import topograd
    >>> from topograd import nn
    >>> round(nn.MultiMarginLoss()(topograd.tensor([[0.1, 0.2, 0.4, 0.8]]),
    ...                            topograd.tensor([3])).item(), 4)
    0.325
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, size_average=None,
                 reduce=None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"only p == 1 and p == 2 supported, found p={p}")
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)
