"""ReduceLROnPlateau: decay when a monitored metric stops improving."""

from __future__ import annotations

import math

from ..optimizer import Optimizer
from .base import LRScheduler


class ReduceLROnPlateau(LRScheduler):
    """Reduce each group's lr by ``factor`` when a metric has stopped improving.

    Call ``step(metric)`` once per epoch with the validation metric. After more than
    ``patience`` epochs without improvement the lrs are multiplied by ``factor`` (not
    below ``min_lr``; changes smaller than ``eps`` are skipped), then ``cooldown`` epochs
    pass before bad epochs count again. Improving means, for ``mode='min'``, being below
    ``best * (1 - threshold)`` (``threshold_mode='rel'``) or ``best - threshold``
    (``'abs'``); ``mode='max'`` mirrors this.

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
        self.factor = factor
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
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = self._group_lrs()
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

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
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._group_lrs()

    @property
    def in_cooldown(self) -> bool:
        """True while the scheduler waits after a reduction."""
        return self.cooldown_counter > 0

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
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def _is_better(self, a: float, best: float) -> bool:
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
