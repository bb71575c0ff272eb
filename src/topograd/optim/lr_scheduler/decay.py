"""Fixed decay schedules: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR."""

from __future__ import annotations

import math
from collections import Counter

from ..optimizer import Optimizer
from .base import LRScheduler


class StepLR(LRScheduler):
    """Multiply each group's lr by ``gamma`` every ``step_size`` epochs.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        step_size: period of the decay, in epochs.
        gamma: multiplicative factor (default 0.1).
        last_epoch: index of the last epoch (default -1: start afresh).

    >>> import topograd
    >>> from topograd.optim import SGD
    >>> from topograd.optim.lr_scheduler import StepLR
    >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(sched.get_last_lr()[0]); sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """The current lrs, times ``gamma`` at each non-zero multiple of ``step_size``."""
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._group_lrs()
        return [lr * self.gamma for lr in self._group_lrs()]


class MultiStepLR(LRScheduler):
    """Multiply each group's lr by ``gamma`` at each of the given epochs.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        milestones: epoch indices (a milestone listed twice decays twice).
        gamma: multiplicative factor (default 0.1).
        last_epoch: index of the last epoch (default -1: start afresh).

    >>> import topograd
    >>> from topograd.optim import SGD
    >>> from topograd.optim.lr_scheduler import MultiStepLR
    >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(sched.get_last_lr()[0]); sched.step()
    >>> lrs
    [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, milestones, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """The current lrs, times ``gamma ** count`` when ``last_epoch`` is a milestone."""
        if self.last_epoch not in self.milestones:
            return self._group_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._group_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply each group's lr by ``gamma`` every epoch.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        gamma: multiplicative factor.
        last_epoch: index of the last epoch (default -1: start afresh).

    >>> import topograd
    >>> from topograd.optim import SGD
    >>> from topograd.optim.lr_scheduler import ExponentialLR
    >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> sched.step()
    >>> sched.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """The current lrs times ``gamma`` (unchanged on the constructor's step)."""
        if self._is_initial:
            return self._group_lrs()
        return [lr * self.gamma for lr in self._group_lrs()]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal each group's lr from its initial value to ``eta_min`` along a cosine.

    Uses PyTorch's recursive form, so that the sequence (and its interplay with other
    changes to the lr) matches PyTorch's; without outside changes it equals
    ``eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``, and past
    ``T_max`` it climbs back (a period of ``2 * T_max``). I. Loshchilov, F. Hutter,
    "SGDR: stochastic gradient descent with warm restarts", ICLR 2017.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        T_max: number of epochs of the half period.
        eta_min: the lowest learning rate (default 0).
        last_epoch: index of the last epoch (default -1: start afresh).

    >>> import topograd
    >>> from topograd.optim import SGD
    >>> from topograd.optim.lr_scheduler import CosineAnnealingLR
    >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = CosineAnnealingLR(opt, T_max=2)
    >>> lrs = []
    >>> for _ in range(3):
    ...     lrs.append(round(sched.get_last_lr()[0], 6)); sched.step()
    >>> lrs
    [1.0, 0.5, 0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """The next lrs by PyTorch's recursive cosine formula."""
        e, t, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return self._group_lrs()
        if (e - 1 - t) % (2 * t) == 0:
            return [g["lr"] + (base - eta_min) * (1 - math.cos(math.pi / t)) / 2
                    for base, g in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * e / t)) / (1 + math.cos(math.pi * (e - 1) / t))
                * (g["lr"] - eta_min) + eta_min for g in groups]


class LinearLR(LRScheduler):
    """Scale each group's lr by a factor moving linearly from ``start_factor`` to ``end_factor``.

    The factor reaches ``end_factor`` after ``total_iters`` epochs and stays there.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        start_factor: factor at epoch 0, in (0, 1] (default 1/3).
        end_factor: factor from epoch ``total_iters`` on, in [0, 1] (default 1).
        total_iters: number of epochs of the ramp (default 5).
        last_epoch: index of the last epoch (default -1: start afresh).

    >>> import topograd
    >>> from topograd.optim import SGD
    >>> from topograd.optim.lr_scheduler import LinearLR
    >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(sched.get_last_lr()[0], 6)); sched.step()
    >>> lrs
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or "
                f"equal to 1, got start_factor={start_factor}"
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(
                f"Ending multiplicative factor expected to be between 0 and 1, got "
                f"end_factor={end_factor}"
            )
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """The next lrs by PyTorch's recursive linear formula."""
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._group_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._group_lrs()
        s, d = self.start_factor, self.end_factor - self.start_factor
        factor = 1.0 + d / (self.total_iters * s + (self.last_epoch - 1) * d)
        return [lr * factor for lr in self._group_lrs()]
