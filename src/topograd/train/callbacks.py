"""Callbacks: code the training loop calls at fixed points, with Keras's hook names.

A callback sees ``self.model`` (the model being trained, whose ``stop_training = True``
ends training after the current batch), ``self.params`` (``epochs``, ``steps``,
``verbose``) and ``self.trainer`` (the loop's state: ``optimizer``, ``interrupted``).
Validation metrics arrive in the epoch logs with a ``val_`` prefix.

The loop only calls a :class:`CallbackList`'s hooks; what ``fit`` always does beyond the
steps is callbacks too: :class:`History` records the epochs' logs and
:class:`ProgbarLogger` draws the progress (:mod:`topograd.train.progress`), both added by
the list (``add_history=True``, ``add_progbar=verbose != 0``) as in Keras.

>>> from topograd.train import LambdaCallback
>>> seen = []
>>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
>>> cb.on_epoch_end(0, {"loss": 1.0}); seen
[0]
"""

from __future__ import annotations

import csv
import math
import os
import sys

import numpy as np

from .progress import Progress

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "LambdaCallback",
           "TerminateOnNaN", "CSVLogger"]

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
    """Calls a list of callbacks in order: the one object the training loop talks to.

    Batch hooks are only dispatched to callbacks that override them, and the loop skips
    building per-batch logs when none does. ``add_history`` adds a :class:`History` when the
    list has none, after the other callbacks (it records what they add to the logs) and
    before those that must run last (``BackupAndRestore``, which saves everyone's state, the
    History's included); ``add_progbar`` adds a :class:`ProgbarLogger` at the end. The
    progress bar finishes its line before the other callbacks' ``on_epoch_end``,
    ``on_test_end``, ``on_predict_end`` and ``on_train_end`` run, so that what they print
    starts on a line of its own. Used as a context manager, the list closes a live progress
    bar however the run ends (an error, Ctrl-C).

    Args:
        callbacks: Callback objects (None entries are dropped).
        add_history: add a History when there is none (``fit`` does).
        add_progbar: add a ProgbarLogger when there is none (``verbose != 0`` does).
        model: the model, given to every callback.
        trainer: the loop's state object, given to every callback.
        params: ``epochs``, ``steps``, ``verbose``.

    Attributes:
        callbacks: the callbacks, in the order they are called.
        history: the list's History, or None.

    >>> cbs = CallbackList([], add_history=True)
    >>> [type(c).__name__ for c in cbs], cbs.wants("on_train_batch_end")
    (['History'], False)
    """

    def __init__(self, callbacks=None, *, add_history: bool = False, add_progbar: bool = False,
                 model=None, trainer=None, params=None) -> None:
        cbs = [c for c in (callbacks or []) if c is not None]
        for c in cbs:
            if not isinstance(c, Callback):
                raise TypeError(f"callbacks expected Callback objects, found "
                                f"{type(c).__name__}")
        self.history = next((c for c in cbs if isinstance(c, History)), None)
        if self.history is None and add_history:
            self.history = History()
            last = [c for c in cbs if getattr(c, "_run_last", False)]
            cbs = [c for c in cbs if c not in last] + [self.history] + last
        self._progbar = next((c for c in cbs if isinstance(c, ProgbarLogger)), None)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            cbs.append(self._progbar)
        self.callbacks = cbs
        self._ending = cbs if self._progbar is None else \
            [self._progbar] + [c for c in cbs if c is not self._progbar]
        self._batch = {h: [getattr(c, h) for c in cbs
                           if getattr(type(c), h) is not getattr(Callback, h)]
                       for h in _BATCH_HOOKS}
        for c in cbs:
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

    def _call_end(self, name, *args):
        for c in self._ending:
            getattr(c, name)(*args)

    def _call_batch(self, hook, batch, logs):
        for fn in self._batch[hook]:
            fn(batch, logs)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call_end("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call_end("on_epoch_end", epoch, logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs)
    def on_test_end(self, logs=None): self._call_end("on_test_end", logs)
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs)
    def on_predict_end(self, logs=None): self._call_end("on_predict_end", logs)

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

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._progbar is not None:
            self._progbar.close()
        return False


class History(Callback):
    """Records the logs of every epoch: ``history.history["loss"]`` is a list per key.

    ``fit`` adds one (unless its callbacks hold one) and returns it.

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


class ProgbarLogger(Callback):
    """Draws the progress of ``fit``, ``evaluate`` and ``predict``, in Keras's format.

    It drives a :class:`~topograd.train.Progress`: a live bar on a terminal, else one line
    per epoch, as ``params["verbose"]`` (1 or 2) says.

    The loop adds one when ``verbose != 0``. In ``fit`` the validation pass draws nothing of
    its own: its results join the epoch's line as ``val_*``.

    >>> import numpy as np
    >>> from topograd import nn, train
    >>> model = nn.Linear(2, 2, bias=False)
    >>> _ = train.evaluate(model, nn.CrossEntropyLoss(), np.zeros((4, 2), np.float32),
    ...                    np.zeros(4, np.int64), verbose=2)  # doctest: +ELLIPSIS
    1/1 - ...s/step - loss: 0.6931
    """

    def __init__(self) -> None:
        super().__init__()
        self.progress = None
        self._in_fit = False
        self._seen = 0

    def _open(self, epochs=None) -> None:
        verbose = self.params.get("verbose", 1)
        self.progress = Progress(verbose, epochs) if verbose else None
        self._seen = 0

    def _update(self, batch, logs) -> None:
        self._seen = batch + 1
        if self.progress is not None:
            self.progress.update(self._seen, logs or {})

    def _finish(self, logs) -> None:
        if self.progress is not None:
            self.progress.epoch_end(self._seen, logs or {})

    def close(self) -> None:
        """Stop a live bar left open (the list's context manager calls it however a run
        ends)."""
        if self.progress is not None:
            self.progress.close()

    # -- fit: one bar per epoch ------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._in_fit = True
        self._open(self.params.get("epochs"))

    def on_epoch_begin(self, epoch, logs=None):
        self._seen = 0
        if self.progress is not None:
            self.progress.epoch_begin(epoch, self.params.get("steps"))

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def on_train_end(self, logs=None):
        self._in_fit = False
        self.close()

    # -- evaluate (not fit's validation) and predict: one bar ------------------------
    def _open_one(self) -> None:
        self._open()
        if self.progress is not None:
            self.progress.epoch_begin(0, self.params.get("steps"))

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._open_one()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finish(logs)
            self.close()

    def on_predict_begin(self, logs=None):
        self._open_one()

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, {})  # the logs hold the batch's outputs: not for display

    def on_predict_end(self, logs=None):
        self._finish({})
        self.close()


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
