"""ReduceLROnPlateau: decay when a monitored metric stops improving; and the plateau state
machine it shares with the training callback of the same name."""

from __future__ import annotations

import math

from ..optimizer import Optimizer
from .base import LRScheduler


class Plateau:
    """The plateau state machine: counts epochs without improvement, says when to reduce.

    ``update(value)`` records one epoch's monitored value and returns True when the
    learning rate should be reduced now; the caller then computes each new rate with
    ``reduce(lr, min_lr)`` and calls ``restart()``, which starts the cooldown. This is
    PyTorch's machine: the torch-style scheduler below is one, and the Keras-style
    callback ``topograd.train.ReduceLROnPlateau`` maps its options onto one.

    Improving means, for ``mode='min'``, being below ``best * (1 - threshold)``
    (``threshold_mode='rel'``) or ``best - threshold`` (``'abs'``); ``mode='max'``
    mirrors this. ``update`` returns True after more than ``patience`` epochs without
    improvement; during the ``cooldown`` epochs after a restart, bad epochs are not
    counted.

    Args:
        mode: ``'min'`` or ``'max'``.
        factor: the new rate is the old one times ``factor``.
        patience: epochs without improvement tolerated.
        threshold: least change that counts as improvement.
        threshold_mode: ``'rel'`` or ``'abs'``.
        cooldown: epochs after a reduction whose bad epochs are not counted.
        eps: a change of the rate smaller than this is not applied.

    Attributes:
        best: the best value so far (``inf`` for ``'min'`` before any).
        num_bad_epochs: epochs without improvement, counted since the last one.
        cooldown_counter: epochs of cooldown left.

    >>> p = Plateau(mode="min", factor=0.5, patience=1)
    >>> [p.update(v) for v in [3.0, 2.0, 2.0, 2.0]]
    [False, False, False, True]
    >>> p.reduce(1.0, min_lr=0.0)
    0.5
    """

    def __init__(self, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 eps: float = 1e-8) -> None:
        self.factor = factor
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def update(self, current: float) -> bool:
        """Record one epoch's value; True when the rate should be reduced now.

        >>> p = Plateau(patience=0)
        >>> p.update(1.0), p.update(1.0)
        (False, True)
        """
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        return self.num_bad_epochs > self.patience

    def reduce(self, lr: float, min_lr: float) -> float:
        """The reduced rate, ``max(lr * factor, min_lr)``, or ``lr`` if that changes it by
        ``eps`` or less.

        >>> Plateau(factor=0.5).reduce(0.3, min_lr=0.2)
        0.2
        """
        new = max(lr * self.factor, min_lr)
        return new if lr - new > self.eps else lr

    def restart(self) -> None:
        """Start counting afresh after a reduction: the cooldown begins."""
        self.cooldown_counter = self.cooldown
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        """True while bad epochs are not counted, after a reduction."""
        return self.cooldown_counter > 0

    def is_better(self, a: float, best: float) -> bool:
        """Whether ``a`` improves on ``best`` by the threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode!r} is unknown! (expected 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"threshold mode {threshold_mode!r} is unknown! (expected 'rel' or 'abs')"
            )
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode


class ReduceLROnPlateau(LRScheduler, Plateau):
    """Reduce each group's lr by ``factor`` when a metric has stopped improving.

    Call ``step(metric)`` once per epoch with the validation metric. After more than
    ``patience`` epochs without improvement the lrs are multiplied by ``factor`` (not
    below ``min_lr``; changes smaller than ``eps`` are skipped), then ``cooldown`` epochs
    pass before bad epochs count again. Improving means, for ``mode='min'``, being below
    ``best * (1 - threshold)`` (``threshold_mode='rel'``) or ``best - threshold``
    (``'abs'``); ``mode='max'`` mirrors this. The counting is :class:`Plateau`'s.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        mode: ``'min'`` (default) or ``'max'``.
        factor: multiplicative factor, below 1 (default 0.1).
        patience: epochs without improvement tolerated (default 10).
        threshold: least change that counts as improvement (default 1e-4).
        threshold_mode: ``'rel'`` (default) or ``'abs'``.
        cooldown: epochs to wait after a reduction (default 0).
        min_lr: lower bound on the lr, one for all groups or a list (default 0).
        eps: smallest applied change of the lr (default 1e-8).

    >>> import topograd
    >>> from topograd.optim import SGD
    >>> from topograd.optim.lr_scheduler import ReduceLROnPlateau
    >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> for loss in [3.0, 2.0, 2.0, 2.0, 1.0]:
    ...     sched.step(loss)
    >>> sched.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr=0, eps: float = 1e-8) -> None:
        if factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0, got factor={factor}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"expected {n} min_lrs, got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * n
        self.last_epoch = 0
        self._last_lr = self._group_lrs()
        Plateau.__init__(self, mode, factor, patience, threshold, threshold_mode, cooldown, eps)

    def step(self, metrics) -> None:
        """Record one epoch's metric and reduce the lrs if it has plateaued.

        Args:
            metrics: the monitored quantity (a number or a one-element tensor).

        >>> import topograd
        >>> from topograd.optim import SGD
        >>> from topograd.optim.lr_scheduler import ReduceLROnPlateau
        >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = ReduceLROnPlateau(opt, patience=0)
        >>> sched.step(1.0); sched.step(1.0)
        >>> opt.param_groups[0]["lr"]
        0.1
        """
        current = float(metrics)
        self.last_epoch += 1
        if self.update(current):
            self._reduce_lr()
            self.restart()
        self._last_lr = self._group_lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"The number of param groups in the optimizer ({len(groups)}) differs "
                    f"from when ReduceLROnPlateau was initialized ({len(self.min_lrs)}), "
                    "usually due to a new param group being added to the optimizer. Please "
                    "modify the `min_lrs` field to match the length of the optimizer's "
                    "param groups."
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        self.optimizer.set_lr([self.reduce(float(group["lr"]), min_lr)
                               for group, min_lr in zip(groups, self.min_lrs)])

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the state saved by ``state_dict``.

        Args:
            state_dict: a dict returned by ``state_dict()``.

        >>> import topograd
        >>> from topograd.optim import SGD
        >>> from topograd.optim.lr_scheduler import ReduceLROnPlateau
        >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=1.0)
        >>> a, b = ReduceLROnPlateau(opt, mode="max"), ReduceLROnPlateau(opt)
        >>> a.step(3.0); b.load_state_dict(a.state_dict())
        >>> b.mode, b.best
        ('max', 3.0)
        """
        super().load_state_dict(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
