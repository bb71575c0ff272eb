"""Callbacks: code the training loop calls at fixed points, with Keras's hook names.

A callback sees ``self.model`` (the model being trained, whose ``stop_training = True``
ends training after the current batch), ``self.params`` (``epochs``, ``steps``,
``verbose``) and ``self.trainer`` (the loop's state: ``optimizer``, ``interrupted``).
Validation metrics arrive in the epoch logs with a ``val_`` prefix.

>>> from topograd.train import LambdaCallback
>>> seen = []
>>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
>>> cb.on_epoch_end(0, {"loss": 1.0}); seen
[0]
"""

from __future__ import annotations

import csv
import math
import numbers
import os
import sys
import warnings

import numpy as np

__all__ = [
    "Callback", "CallbackList", "History", "LambdaCallback", "TerminateOnNaN", "EarlyStopping",
    "LearningRateScheduler", "ReduceLROnPlateau", "CSVLogger", "get_lr", "set_lr",
]

_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
                "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end")


class Callback:
    """Base class; override the hooks you need (all do nothing here).

    Hooks: ``on_train_begin/end(logs)``, ``on_epoch_begin/end(epoch, logs)``,
    ``on_train_batch_begin/end(batch, logs)``, and the ``on_test_*`` / ``on_predict_*``
    versions for evaluation and prediction. Callbacks that keep state across epochs may
    define ``state_dict()`` and ``load_state_dict(state)`` (JSON-able), so that
    :class:`~topograd.train.BackupAndRestore` can resume them.

    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch}: loss {logs['loss']:.2f}")
    >>> PrintLoss().on_epoch_end(0, {"loss": 0.25})
    epoch 0: loss 0.25
    """

    def __init__(self) -> None:
        self.model = None
        self.params = {}
        self.trainer = None

    def set_model(self, model) -> None:
        """Attach the model being trained."""
        self.model = model

    def set_params(self, params: dict) -> None:
        """Attach the run's parameters (``epochs``, ``steps``, ``verbose``)."""
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None): ...
    def on_train_batch_end(self, batch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...


class CallbackList:
    """Calls a list of callbacks in order; knows which of them need per-batch calls.

    Batch hooks are only dispatched to callbacks that override them, and the loop skips
    building per-batch logs when none does.

    Args:
        callbacks: Callback objects (None entries are dropped).
        model: the model, given to every callback.
        trainer: the loop's state object, given to every callback.
        params: ``epochs``, ``steps``, ``verbose``.

    >>> cbs = CallbackList([History()])
    >>> cbs.wants("on_train_batch_end")
    False
    """

    def __init__(self, callbacks=None, model=None, trainer=None, params=None) -> None:
        self.callbacks = [c for c in (callbacks or []) if c is not None]
        for c in self.callbacks:
            if not isinstance(c, Callback):
                raise TypeError(f"callbacks expected Callback objects, found "
                                f"{type(c).__name__}")
        self._batch = {h: [getattr(c, h) for c in self.callbacks
                           if getattr(type(c), h) is not getattr(Callback, h)]
                       for h in _BATCH_HOOKS}
        for c in self.callbacks:
            c.trainer = trainer
            if model is not None:
                c.set_model(model)
            if params is not None:
                c.set_params(params)

    def wants(self, hook: str) -> bool:
        """Whether some callback overrides the batch hook ``hook``."""
        return bool(self._batch[hook])

    def _call(self, name, *args):
        for c in self.callbacks:
            getattr(c, name)(*args)

    def _call_batch(self, hook, batch, logs):
        for fn in self._batch[hook]:
            fn(batch, logs)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs)
    def on_test_end(self, logs=None): self._call("on_test_end", logs)
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs)
    def on_predict_end(self, logs=None): self._call("on_predict_end", logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_batch("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_batch("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_batch("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch("on_predict_batch_end", batch, logs)

    def __iter__(self):
        return iter(self.callbacks)


class History(Callback):
    """Records the logs of every epoch: ``history.history["loss"]`` is a list per key.

    ``fit`` always adds one and returns it.

    >>> h = History()
    >>> h.on_train_begin()
    >>> h.on_epoch_end(0, {"loss": 0.5}); h.on_epoch_end(1, {"loss": 0.25})
    >>> h.history, h.epoch
    ({'loss': [0.5, 0.25]}, [0, 1])
    """

    def __init__(self) -> None:
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            try:
                self.model.history = self  # Keras exposes it as model.history
            except AttributeError:
                pass

    def state_dict(self) -> dict:
        """The recorded epochs and logs (JSON-able)."""
        return {"epoch": list(self.epoch), "history": {k: list(v) for k, v in
                                                          self.history.items()}}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.epoch = list(state["epoch"])
        self.history = {k: list(v) for k, v in state["history"].items()}


class LambdaCallback(Callback):
    """A callback made of plain functions, one per hook you pass.

    Args:
        on_epoch_begin, on_epoch_end: ``f(epoch, logs)``.
        on_train_begin, on_train_end: ``f(logs)``.
        on_train_batch_begin, on_train_batch_end: ``f(batch, logs)``
            (``on_batch_begin``/``on_batch_end`` are accepted as the same).
        **kwargs: any other hook name.

    >>> cb = LambdaCallback(on_train_begin=lambda logs: print("go"))
    >>> cb.on_train_begin()
    go
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs) -> None:
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin or kwargs.pop("on_batch_begin",
                                                                             None),
                     on_train_batch_end=on_train_batch_end or kwargs.pop("on_batch_end", None))
        for name in kwargs:
            if not (name.startswith("on_") and hasattr(Callback, name)):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}")
        hooks.update(kwargs)
        # Set on a per-instance subclass so CallbackList sees the batch hooks as overridden.
        fns = {name: _plain(fn, 1 if name.endswith(("_begin", "_end")) and
                            name.split("_")[1] in ("train", "test", "predict") and
                            "batch" not in name else 2)
               for name, fn in hooks.items() if fn is not None}
        self.__class__ = type("LambdaCallback", (LambdaCallback,), fns)


def _plain(fn, arity: int):
    def hook(self, *args):
        return fn(*args, *(None,) * (arity - len(args)))  # logs default to None
    return hook


class TerminateOnNaN(Callback):
    """Stops training when the loss becomes NaN or infinite.

    >>> cb = TerminateOnNaN()
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: invalid loss {loss}, terminating training", file=sys.stderr)
            self.model.stop_training = True


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

    >>> class Opt: param_groups = [{"lr": 0.1}]
    >>> o = Opt(); set_lr(o, 0.01); o.param_groups
    [{'lr': 0.01}]
    """
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
        self.wait = 0
        self.cooldown_counter = 0
        self.best = None

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        opt = _optimizer_of(self)
        logs["learning_rate"] = get_lr(opt)
        current = _get_monitor(logs, self.monitor, "ReduceLROnPlateau")
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if _improved(current, self.best, self.mode, self.min_delta):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = get_lr(opt)
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    set_lr(opt, new)
                    if self.verbose:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning "
                              f"rate to {new}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def state_dict(self) -> dict:
        """Counters and best value (JSON-able)."""
        return {"wait": self.wait, "cooldown_counter": self.cooldown_counter, "best": self.best}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.wait = state["wait"]
        self.cooldown_counter = state["cooldown_counter"]
        self.best = state["best"]


class CSVLogger(Callback):
    """Writes one CSV row of logs per epoch (``epoch`` first, then the keys sorted).

    Args:
        filename: the CSV file.
        separator: the field separator.
        append: add to an existing file (its header is kept) instead of starting over.

    >>> logger = CSVLogger("training.csv")
    """

    def __init__(self, filename, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self._file = None
        self._writer = None

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename) and os.path.getsize(
            self.filename) > 0
        if exists:
            with open(self.filename, newline="") as f:
                header = f.readline().strip()
            self.keys = header.split(self.sep)[1:] if header else None
        else:
            self.keys = None
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self._writer = None
        self._has_header = exists

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        if self._writer is None:
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch", *self.keys],
                                          delimiter=self.sep, extrasaction="ignore")
            if not self._has_header:
                self._writer.writeheader()
        row = {"epoch": epoch}
        for k in self.keys:
            v = logs.get(k, "NA")
            row[k] = float(v) if isinstance(v, (np.floating, np.integer)) else v
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
            self._writer = None


def _get_weights(model) -> dict:
    """A copy of the model's parameters and buffers, by name (arrays)."""
    from .checkpoint import model_state

    return {k: v.copy() for k, v in model_state(model).items()}


def _set_weights(model, weights: dict) -> None:
    from .checkpoint import load_model_state

    load_model_state(model, weights)
