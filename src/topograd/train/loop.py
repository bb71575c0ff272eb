"""The training loop both faces share: batches, forward, loss, backward, step, metrics.

:class:`Trainer` holds a model, a loss and an optimizer. Its ``train_step`` /
``test_step`` / ``predict_step`` do the work of one batch (override them to change what a
step does; the Keras face does); :meth:`Trainer.fit` runs epochs of steps with callbacks,
validation, progress display and Ctrl-C handling. ``topograd.train.fit``, ``evaluate`` and
``predict`` (:mod:`topograd.train.functional`) are the PyTorch-style one-call forms.

>>> import numpy as np, topograd
>>> from topograd import nn, optim, train
>>> _ = topograd.manual_seed(0)
>>> x = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
>>> y = (x[:, 0] > 0).astype(np.int64)
>>> model = nn.Linear(2, 2)
>>> h = train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.5),
...               x, y, epochs=3, metrics=["accuracy"], verbose=0)
>>> sorted(h.history), len(h.history["loss"])
(['accuracy', 'loss'], 3)
"""

from __future__ import annotations

import sys

import numpy as np

from . import data as data_mod
from . import metrics as metrics_mod
from ._checks import check_run_args
from ._evaluate import EvaluateMixin
from ._loop_helpers import (
    _array,
    _logs,
    _set_stop,
    _tensor,
    _unpack_validation,
)
from .callbacks import Callback, CallbackList, History
from .data import ArrayBatches, as_array, as_source, check_finite, split_validation
from .interrupt import SigintGuard
from .progress import Progress, resolve_verbose

__all__ = ["Trainer"]


class Trainer(EvaluateMixin):
    """Trains a model with a loss and an optimizer: the loop behind ``fit`` in both faces.

    Args:
        model: a callable model (an ``nn.Module``): ``model(x)`` returns the predictions.
        loss_fn: ``loss_fn(output, target)`` returning a scalar Tensor (PyTorch order).
        optimizer: an optimizer with ``zero_grad()`` and ``step()``.
        metrics: metric names (``"accuracy"``, ...), Metric objects or functions
            ``(y_true, y_pred) -> per-sample values`` on arrays.
        weighted_metrics: metrics weighted by the sample weights (Keras's
            ``weighted_metrics``; ``metrics`` never are); a name taken by ``metrics`` gets
            the prefix ``weighted_``.

    Attributes:
        history: the :class:`History` of the last ``fit``.
        interrupted: True when the last ``fit`` was stopped by Ctrl-C.
        callbacks: the callbacks of the running ``fit``.
        supports_sample_weight: whether ``train_step``/``test_step`` take a third
            argument, the batch's sample weights (the Keras face's do; this class's loss
            returns a reduced loss, so it has no per-sample losses to weight).

    >>> import topograd
    >>> from topograd import nn, optim
    >>> model = nn.Linear(3, 2)
    >>> trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    """

    supports_sample_weight = False

    def __init__(self, model, loss_fn=None, optimizer=None, metrics=None,
                 weighted_metrics=None) -> None:
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.metrics = [metrics_mod.get(m) for m in (metrics or [])]
        self.weighted_metrics = [metrics_mod.get(m) for m in (weighted_metrics or [])]
        names = [m.name for m in self.metrics]
        for m in self.weighted_metrics:  # as Keras: a name already taken gets "weighted_"
            if m.name in names:
                m.name = "weighted_" + m.name
            names.append(m.name)
        dup = {n for n in names if names.count(n) > 1 or n == "loss"}
        if dup:
            raise ValueError(f"metric names must be unique and not 'loss', found {sorted(dup)}")
        objs = [id(m) for m in self.metrics + self.weighted_metrics]
        if len(set(objs)) != len(objs):
            raise ValueError("the same Metric object appears twice in metrics/weighted_metrics;"
                             " give each list its own instance")
        self.history = None
        self.interrupted = False
        self.initial_epoch = 0
        self.callbacks = []
        self.restored_from = None
        self.batch_size = 32

    # -- one batch (override these) --------------------------------------------------
    def train_step(self, x, y):
        """Forward, loss, backward and optimizer step on one batch.

        A trainer with ``supports_sample_weight = True`` is also called as
        ``train_step(x, y, sample_weight)`` for weighted batches (never with None).

        Returns:
            ``(loss, predictions)``: the batch's mean loss as a float and the model's
            output as an array (for the metrics).
        """
        out = self.model(_tensor(x))
        loss = self.loss_fn(out, _tensor(y))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return float(loss._data), out._data

    def test_step(self, x, y):
        """Forward and loss on one batch without gradients: ``(loss, predictions)``."""
        from topograd.autograd.grad_mode import no_grad

        with no_grad():
            out = self.model(_tensor(x))
            loss = self.loss_fn(out, _tensor(y))
        return float(loss._data), out._data

    def predict_step(self, x):
        """The model's output for one batch, as an array, without gradients."""
        from topograd.autograd.grad_mode import no_grad

        with no_grad():
            return _array(self.model(_tensor(x)))

    def set_training(self, training: bool) -> None:
        """Switch the model between training and inference behaviour (dropout, batch norm)."""
        fn = getattr(self.model, "train", None)
        if callable(fn):
            fn(training)

    def prepare(self, x, y, purpose: str):
        """Check and convert whole arrays once, before any work (the Keras face adds more).

        Args:
            x: the inputs as an array; y: the targets as an array or None.
            purpose: ``"fit"``, ``"validation"``, ``"evaluate"`` or ``"predict"``.

        Returns:
            ``(x, y)``, possibly converted.
        """
        check_finite(x, "x" if purpose != "validation" else "validation x")
        if y is not None:
            check_finite(y, "y" if purpose != "validation" else "validation y")
            if y.dtype.kind in "iu" and y.dtype != np.int64:
                y = y.astype(np.int64)  # class labels as PyTorch's losses expect them
        return x, y

    def check_x(self, x, purpose: str) -> None:
        """Check the whole input array before anything else (none here; the Keras face
        checks its shape against the model's input).

        Args:
            x: the inputs as an array (numbers, with a samples axis: already checked).
            purpose: ``"fit"``, ``"validation"``, ``"evaluate"`` or ``"predict"``.
        """

    # -- sources ---------------------------------------------------------------------
    def _source(self, x, y, batch_size, shuffle, purpose, steps=None, sample_weight=None):
        self.batch_size = batch_size
        if sample_weight is not None:
            self._require_weights("sample_weight")
        src = as_source(x, y, batch_size, shuffle, purpose, steps, sample_weight,
                        self.check_x)
        if isinstance(src, ArrayBatches):
            src.x, src.y = self.prepare(src.x, src.y, purpose)
        return src

    def _require_weights(self, what: str) -> None:
        if not self.supports_sample_weight:
            raise NotImplementedError(
                f"{what} is not supported by {type(self).__name__}: its loss_fn returns a "
                "reduced loss, with no per-sample losses to weight; use the Keras face "
                "(topograd.keras), or a subclass whose train_step/test_step take (x, y, "
                "sample_weight) and that sets supports_sample_weight = True")

    # -- fit -------------------------------------------------------------------------
    def fit(self, x, y=None, *, batch_size: int = 32, epochs: int = 1, verbose="auto",
            callbacks=None, validation_split: float = 0.0, validation_data=None,
            shuffle: bool = True, initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_batch_size: int | None = None, validation_freq: int = 1,
            sample_weight=None, class_weight=None) -> History:
        """Train for ``epochs`` epochs; return the :class:`History`.

        Args:
            x: inputs (array or Tensor), or a DataLoader / iterable of ``(x, y)`` batches.
            y: targets when ``x`` is an array.
            batch_size: samples per batch for arrays (None: 32, as Keras).
            epochs: train until this epoch (counting ``initial_epoch``).
            verbose: 0 silent, 1 live bar, 2 one line per epoch, ``"auto"`` (1 on a
                terminal, else 2).
            callbacks: Callback objects.
            validation_split: the fraction of the arrays (taken from the end, before
                shuffling) held out for validation.
            validation_data: ``(x_val, y_val)``, ``(x_val, y_val, val_sample_weight)`` or a
                DataLoader, evaluated after each epoch; its metrics get the ``val_`` prefix.
            shuffle: reshuffle the arrays every epoch.
            initial_epoch: the epoch to start from (for resuming).
            steps_per_epoch: batches per epoch (for iterables without a length).
            validation_batch_size: batch size for validation (default ``batch_size``).
            validation_freq: validate every that many epochs.
            sample_weight: one weight per sample of the arrays, shape ``(n,)`` or
                ``(n, 1)`` (split with ``validation_split`` like x and y); needs
                ``supports_sample_weight``.
            class_weight: ``{class index: weight}``, turned into per-sample weights from the
                training targets (classes not in it weigh 1); not with ``sample_weight``,
                and only for arrays.

        Returns:
            The History: ``history.history[key]`` is a list with one value per epoch.
        """
        if self.loss_fn is None or self.optimizer is None:
            raise RuntimeError("fit needs a loss and an optimizer")
        args = check_run_args("fit", batch_size=batch_size, epochs=epochs,
                              initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch,
                              validation_split=validation_split,
                              validation_batch_size=validation_batch_size,
                              validation_freq=validation_freq)
        batch_size, validation_split = args["batch_size"], args["validation_split"]
        self.batch_size = batch_size
        verbose = resolve_verbose(verbose)
        if sample_weight is not None or class_weight is not None:
            self._require_weights("sample_weight" if class_weight is None else "class_weight")
            sample_weight, class_weight = data_mod.check_fit_weights(x, sample_weight,
                                                                     class_weight)
        if validation_split and validation_data is not None:
            validation_split = 0.0  # Keras: validation_data wins
        if validation_split:
            if as_source(x, y, batch_size, False, "fit", steps_per_epoch,
                         check_x=self.check_x).__class__ is not ArrayBatches:
                raise ValueError("validation_split needs arrays; with a DataLoader pass "
                                 "validation_data instead")
            (x, y), validation_data = split_validation(as_array(x, "x"),
                                                       None if y is None else as_array(y, "y"),
                                                       validation_split)
            if sample_weight is not None:  # as Keras: the weights are split like x and y
                cut = len(x)
                validation_data = (*validation_data, sample_weight[cut:])
                sample_weight = sample_weight[:cut]
        train_src = self._source(x, y, batch_size, shuffle, "fit", steps_per_epoch,
                                 sample_weight)
        if class_weight is not None:  # from the training targets only, as Keras
            train_src.sample_weight = data_mod.class_weight_to_sample_weights(train_src.y,
                                                                              class_weight)
        val_src = None
        if validation_data is not None:
            vx, vy, vw = _unpack_validation(validation_data)
            val_src = self._source(vx, vy, validation_batch_size or batch_size, False,
                                   "validation", sample_weight=vw)
        self.on_fit_start(train_src)
        return self._fit(train_src, val_src, epochs, initial_epoch, verbose, callbacks,
                         validation_freq)

    def on_fit_start(self, source) -> None:
        """Called after the data is checked and before training starts (for subclasses)."""

    def _fit(self, train_src, val_src, epochs, initial_epoch, verbose, callbacks,
             validation_freq):
        history = History()
        user = list(callbacks or [])
        for c in user:
            if not isinstance(c, Callback):
                raise TypeError(f"callbacks expected Callback objects, found {type(c).__name__}")
        # as Keras: History after the user's callbacks (it records what they add to the
        # logs); backups last (they save everyone's state, History's included)
        ordered = [c for c in user if not getattr(c, "_run_last", False)] + [history] + \
                  [c for c in user if getattr(c, "_run_last", False)]
        steps = len(train_src)
        params = {"epochs": epochs, "steps": steps, "verbose": verbose}
        cbs = CallbackList(ordered, model=self.model, trainer=self, params=params)
        self.callbacks = cbs.callbacks
        self.history = history
        self.interrupted = False
        self.initial_epoch = initial_epoch
        self.restored_from = None
        model = self.model
        _set_stop(model, False)
        progress = Progress(verbose, epochs) if verbose else None
        all_metrics = self.metrics + self.weighted_metrics
        want_begin = cbs.wants("on_train_batch_begin")
        want_end = cbs.wants("on_train_batch_end")
        train_step = self.train_step
        logs = {}
        epoch = initial_epoch
        step = 0
        loss_sum = 0.0
        seen = 0

        def batch_logs():
            return _logs(loss_sum, seen, all_metrics)

        with SigintGuard() as guard:
            cbs.on_train_begin()
            try:
                for epoch in range(self.initial_epoch, epochs):
                    if guard.hit:  # Ctrl-C during the last validation or epoch end
                        self.interrupted = True
                        break
                    for m in all_metrics:
                        m.reset_state()
                    self.set_training(True)
                    cbs.on_epoch_begin(epoch)
                    if progress:
                        progress.epoch_begin(epoch, steps)
                    loss_sum = 0.0
                    seen = 0
                    step = 0
                    for xb, yb, wb in train_src.epoch():
                        if want_begin:
                            cbs.on_train_batch_begin(step)
                        loss, n = self._batch(train_step, xb, yb, wb)
                        loss_sum += loss * n
                        seen += n
                        step += 1
                        if want_end:
                            cbs.on_train_batch_end(step - 1, batch_logs())
                        if progress:
                            progress.update(step, batch_logs)
                        if guard.hit or model.stop_training:
                            break
                    if guard.hit:
                        self.interrupted = True
                        break
                    if seen == 0:
                        raise ValueError("fit: the data produced no batches this epoch")
                    logs = batch_logs()
                    if val_src is not None and (epoch + 1) % validation_freq == 0:
                        val = self._test_loop(val_src, cbs)
                        logs.update({"val_" + k: v for k, v in val.items()})
                    if progress:
                        progress.epoch_end(step, logs)
                    cbs.on_epoch_end(epoch, logs)
                    if model.stop_training:
                        break
            except KeyboardInterrupt:
                self.interrupted = True
            finally:
                if progress:
                    progress.close()
            if self.interrupted:
                done = len(history.epoch)
                msg = (f"Training interrupted (Ctrl-C) in epoch {epoch + 1}/{epochs} after "
                       f"batch {step}/{steps if steps is not None else '?'}. The model keeps "
                       f"the weights it had then; the History holds the {done} completed "
                       f"epoch{'s' if done != 1 else ''}.")
                if progress:
                    progress.message(msg, file=sys.stderr)
                else:
                    print(msg, file=sys.stderr, flush=True)
            cbs.on_train_end(logs)
        self.set_training(False)
        return history
