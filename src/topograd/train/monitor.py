"""Callbacks that watch a metric or steer the learning rate: EarlyStopping,
ReduceLROnPlateau, LearningRateScheduler (and ``get_lr``/``set_lr`` for both kinds of
optimizer).

>>> es = EarlyStopping(monitor="val_accuracy", patience=3)
>>> es.mode
'max'
"""

from __future__ import annotations

import math
import numbers
import warnings

from ..optim.lr_scheduler.plateau import Plateau
from .callbacks import Callback
from .checkpoint import load_model_state, model_state

__all__ = ["EarlyStopping", "LearningRateScheduler", "ReduceLROnPlateau", "get_lr", "set_lr"]


def _monitor_op(mode: str, monitor: str, owner: str):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: mode expected 'auto', 'min' or 'max', found {mode!r}")
    if mode == "auto":
        name = monitor[4:] if monitor.startswith("val_") else monitor
        maxish = ("acc", "accuracy", "auc", "precision", "recall", "f1")
        mode = "max" if name in maxish or name.endswith("accuracy") else "min"
    return mode


def _improved(current, best, mode, min_delta) -> bool:
    if best is None:
        return True
    if mode == "min":
        return current < best - min_delta
    return current > best + min_delta


def _get_monitor(logs, monitor, owner):
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn(f"{owner}: the monitored metric {monitor!r} is not in the logs; "
                      f"available: {', '.join(sorted(logs or {}))}", stacklevel=3)
    return value


class EarlyStopping(Callback):
    """Stops training when a monitored metric has stopped improving.

    Args:
        monitor: the logs key to watch, e.g. ``"val_loss"``.
        min_delta: a change smaller than this is no improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints a message when stopping.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (max for accuracies, min otherwise).
        baseline: stop unless the metric beats this within ``patience`` epochs.
        restore_best_weights: put back the weights of the best epoch when stopping
            (and at the end of training).
        start_from_epoch: epochs to wait before watching.

    >>> es = EarlyStopping(monitor="val_loss", patience=2)
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0) -> None:
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        self.patience = int(patience)
        self.verbose = verbose
        self.mode = _monitor_op(mode, monitor, "EarlyStopping")
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = int(start_from_epoch)
        self.best_weights = None
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self._reset()
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = _get_monitor(logs, self.monitor, "EarlyStopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = _get_weights(self.model)
        self.wait += 1
        if _improved(current, self.best, self.mode, self.min_delta):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _get_weights(self.model)
            if self.baseline is None or _improved(current, self.baseline, self.mode, 0.0):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            _set_weights(self.model, self.best_weights)

    def state_dict(self) -> dict:
        """Counters and best value (JSON-able); the best weights are not kept."""
        return {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.wait, self.best, self.best_epoch = state["wait"], state["best"], state["best_epoch"]


def get_lr(optimizer) -> float:
    """The learning rate of a topograd/PyTorch-style or Keras-style optimizer.

    >>> class Opt: param_groups = [{"lr": 0.1}]
    >>> get_lr(Opt())
    0.1
    """
    if optimizer is None:
        raise ValueError("this callback needs an optimizer; none is attached to the training")
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        return float(groups[0]["lr"])
    lr = getattr(optimizer, "learning_rate", None)
    if lr is None:
        raise TypeError(f"cannot read the learning rate of {type(optimizer).__name__}: expected "
                        "param_groups or a learning_rate attribute")
    return float(lr)


def set_lr(optimizer, value: float) -> None:
    """Set the learning rate of every parameter group of ``optimizer``.

    A topograd optimizer (either face) sets it with its ``set_lr``; another object with
    ``param_groups`` (``torch.optim``) gets each group's ``'lr'`` written.

    >>> class Opt: param_groups = [{"lr": 0.1}]
    >>> o = Opt(); set_lr(o, 0.01); o.param_groups
    [{'lr': 0.01}]
    """
    setter = getattr(optimizer, "set_lr", None)
    if setter is not None:
        setter(float(value))
        return
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        for g in groups:
            g["lr"] = float(value)
    else:
        optimizer.learning_rate = float(value)


def _optimizer_of(cb: Callback):
    opt = getattr(cb.trainer, "optimizer", None)
    return opt if opt is not None else getattr(cb.model, "optimizer", None)


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch from ``schedule(epoch, lr)``.

    Args:
        schedule: ``f(epoch, lr) -> new lr`` (epoch counted from 0).
        verbose: 1 prints the new rate.

    >>> sched = LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
    """

    def __init__(self, schedule, verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        opt = _optimizer_of(self)
        lr = self.schedule(epoch, get_lr(opt))
        if not isinstance(lr, numbers.Real) or not math.isfinite(lr):
            raise ValueError(f"LearningRateScheduler: the schedule returned {lr!r} for epoch "
                             f"{epoch}; expected a finite number")
        set_lr(opt, float(lr))
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = get_lr(_optimizer_of(self))


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by ``factor`` when a metric stops improving.

    Args:
        monitor: the logs key to watch.
        factor: new_lr = lr * factor (below 1).
        patience: epochs without improvement before reducing.
        verbose: 1 prints a message on each reduction.
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        min_delta: a change smaller than this is no improvement.
        cooldown: epochs to wait after a reduction before watching again.
        min_lr: the rate never goes below this.

    >>> cb = ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=3)
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0) -> None:
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor expected a number below 1, found "
                             f"{factor}")
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = int(patience)
        self.verbose = verbose
        self.mode = _monitor_op(mode, monitor, "ReduceLROnPlateau")
        self.min_delta = float(min_delta)
        self.cooldown = int(cooldown)
        self.min_lr = float(min_lr)
        self._reset()

    def _reset(self):
        # PyTorch's state machine, shared with topograd.optim.lr_scheduler: Keras counts
        # the epoch that reaches `patience`, and the epoch a cooldown ends on, as bad
        # epochs, so its patience and cooldown are PyTorch's plus one
        self._plateau = Plateau(self.mode, self.factor, max(self.patience - 1, 0),
                                self.min_delta, "abs", max(self.cooldown - 1, 0), eps=0.0)

    @property
    def wait(self) -> int:
        """Epochs without improvement since the last one (or the last reduction)."""
        return self._plateau.num_bad_epochs

    @property
    def cooldown_counter(self) -> int:
        """Epochs of cooldown left."""
        return self._plateau.cooldown_counter

    @property
    def best(self) -> float:
        """The best value of the monitored metric so far."""
        return self._plateau.best

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        opt = _optimizer_of(self)
        logs["learning_rate"] = get_lr(opt)
        current = _get_monitor(logs, self.monitor, "ReduceLROnPlateau")
        if current is None or not self._plateau.update(current):
            return
        old = get_lr(opt)
        new = self._plateau.reduce(old, self.min_lr)
        if new != old:  # at min_lr Keras neither reduces nor starts a cooldown
            set_lr(opt, new)
            if self.verbose:
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                      f"{new}.")
            self._plateau.restart()

    def state_dict(self) -> dict:
        """Counters and best value (JSON-able)."""
        best = None if self.best == self._plateau.mode_worse else self.best  # none yet
        return {"wait": self.wait, "cooldown_counter": self.cooldown_counter, "best": best}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""
        p = self._plateau
        p.num_bad_epochs, p.cooldown_counter = state["wait"], state["cooldown_counter"]
        p.best = p.mode_worse if state["best"] is None else state["best"]


def _get_weights(model) -> dict:
    """A copy of the model's parameters and buffers, by name (arrays)."""

    return {k: v.copy() for k, v in model_state(model).items()}


def _set_weights(model, weights: dict) -> None:
    load_model_state(model, weights)
