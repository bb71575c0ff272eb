"""Learning-rate schedules by Keras's names: ``schedule(step) -> learning rate``.

Give one as an optimizer's ``learning_rate``; the optimizer asks it for the rate before
every step (``step`` counts the optimizer's updates from 0).

>>> from topograd.keras.optimizers import schedules
>>> s = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> s(0), s(10), s(20)
(0.1, 0.05, 0.025)
"""

from __future__ import annotations

import bisect
import math

__all__ = ["LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay",
           "PiecewiseConstantDecay", "CosineDecay"]


class LearningRateSchedule:
    """Base class: ``__call__(step) -> float``."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict:
        """The constructor arguments."""
        return dict(vars(self))


class ExponentialDecay(LearningRateSchedule):
    """``initial * decay_rate ** (step / decay_steps)`` (integer division when ``staircase``).

    >>> ExponentialDecay(1.0, 2, 0.5, staircase=True)(3)
    0.5
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False) -> None:
        if decay_steps <= 0:
            raise ValueError(f"decay_steps expected a positive number, found {decay_steps}")
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.decay_rate = float(decay_rate)
        self.staircase = staircase

    def __call__(self, step):
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p


class InverseTimeDecay(LearningRateSchedule):
    """``initial / (1 + decay_rate * step / decay_steps)``.

    >>> InverseTimeDecay(1.0, 1, 1.0)(1)
    0.5
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False) -> None:
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.decay_rate = float(decay_rate)
        self.staircase = staircase

    def __call__(self, step):
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate / (1 + self.decay_rate * p)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]``.

    >>> s = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    >>> s(100), s(101), s(500)
    (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries, values) -> None:
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay expected one more value than boundaries, "
                             f"found {len(boundaries)} boundaries and {len(values)} values")
        self.boundaries = list(boundaries)
        self.values = [float(v) for v in values]

    def __call__(self, step):
        return self.values[bisect.bisect_left(self.boundaries, step)]


class CosineDecay(LearningRateSchedule):
    """Optional linear warm-up to ``warmup_target``, then a cosine decay to ``alpha`` times it.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps of the cosine decay (after the warm-up).
        alpha: the final rate as a fraction of the decayed-from rate.
        warmup_target: the rate reached after ``warmup_steps`` (None: no warm-up).
        warmup_steps: steps of linear warm-up.

    >>> s = CosineDecay(1.0, decay_steps=10)
    >>> s(0), round(s(5), 4), s(10)
    (1.0, 0.5, 0.0)
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 warmup_target: float | None = None, warmup_steps: int = 0) -> None:
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.alpha = float(alpha)
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        start = self.initial_learning_rate
        if self.warmup_target is not None and step < self.warmup_steps:
            return start + (self.warmup_target - start) * step / self.warmup_steps
        top = start if self.warmup_target is None else self.warmup_target
        t = min(step - (self.warmup_steps if self.warmup_target is not None else 0),
                self.decay_steps) / self.decay_steps
        cos = 0.5 * (1 + math.cos(math.pi * t))
        return top * ((1 - self.alpha) * cos + self.alpha)
