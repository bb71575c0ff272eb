"""The training loop both faces share: fit, evaluate and predict over one batch loop.

:class:`Trainer` holds a model, a loss and an optimizer; the Keras face's trainer
(:mod:`topograd.keras.trainer`) is a subclass. The sections below:

* one batch (override these): ``train_step`` / ``test_step`` / ``predict_step`` do the
  work of one batch; ``compute_loss`` is its loss, ``compute_metrics`` feeds the compiled
  metrics, the loss mean is a :class:`~topograd.train.metrics.Mean` metric, and
  ``get_metrics_result`` reads them all as the logs (Keras's trainer API);
* data: ``prepare`` and ``check_x`` check whole arrays once, before any work (the Keras
  face adds its own checks), and the batch sources (:mod:`topograd.train.data`);
* the batch loop: one loop runs fit's epochs, fit's validation, evaluate and predict; it
  only calls the callbacks' hooks (the History and the progress bar are callbacks that
  the :class:`~topograd.train.callbacks.CallbackList` adds);
* fit / evaluate / predict: the arguments checked, the sources built, the loop run; fit
  turns Ctrl-C into a clean stop after the current batch
  (:class:`~topograd.train.interrupt.SigintGuard`).

``topograd.train.fit``, ``evaluate`` and ``predict`` (:mod:`topograd.train.functional`)
are the PyTorch-style one-call forms.

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

from topograd.autograd.grad_mode import no_grad
from topograd.tensor import Tensor

from . import data as data_mod
from . import metrics as metrics_mod
from .callbacks import CallbackList, History
from .data import (
    ArrayBatches,
    as_array,
    as_source,
    check_finite,
    check_run_args,
    split_validation,
)
from .interrupt import SigintGuard
from .progress import resolve_verbose

__all__ = ["Trainer"]


class Trainer:
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
        callbacks: the callbacks of the running ``fit`` (the History and the progress bar
            included).
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
        self._loss_tracker = metrics_mod.Mean(name="loss")
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
        loss = self.compute_loss(x, y, out)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return float(loss._data), out._data

    def test_step(self, x, y):
        """Forward and loss on one batch without gradients: ``(loss, predictions)``."""
        with no_grad():
            out = self.model(_tensor(x))
            loss = self.compute_loss(x, y, out)
        return float(loss._data), out._data

    def predict_step(self, x):
        """The model's output for one batch, as an array, without gradients."""
        with no_grad():
            return _array(self.model(_tensor(x)))

    def compute_loss(self, x, y, y_pred, sample_weight=None):
        """The loss of one batch as a scalar Tensor: here ``loss_fn(y_pred, y)``.

        Args:
            x: the batch's inputs; y: its targets; y_pred: the model's output (a Tensor).
            sample_weight: the batch's sample weights (only for trainers that support them).
        """
        if sample_weight is not None:
            self._require_weights("sample_weight")
        return self.loss_fn(y_pred, _tensor(y))

    def compute_metrics(self, x, y, y_pred, sample_weight=None) -> None:
        """Add one batch to the compiled metrics (``weighted_metrics`` with its weights).

        Args:
            x: the batch's inputs; y: its targets; y_pred: the predictions as an array.
            sample_weight: the batch's sample weights, or None (as Keras: unweighted
                batches update the weighted metrics unweighted).
        """
        for m in self.metrics:
            m.update_state(y, y_pred)
        if sample_weight is None:
            for m in self.weighted_metrics:
                m.update_state(y, y_pred)
        else:
            for m in self.weighted_metrics:
                m.update_state(y, y_pred, sample_weight=sample_weight)

    def get_metrics_result(self) -> dict:
        """The logs: the loss mean and every metric's result since the last reset, sorted."""
        logs = {m.name: m.result() for m in self.metrics}
        for m in self.weighted_metrics:
            logs[m.name] = m.result()
        logs["loss"] = self._loss_tracker.result()
        return dict(sorted(logs.items()))

    def reset_metrics(self) -> None:
        """Forget what the loss mean and the metrics have seen (each epoch, each pass)."""
        self._loss_tracker.reset_state()
        for m in self.metrics:
            m.reset_state()
        for m in self.weighted_metrics:
            m.reset_state()

    def set_training(self, training: bool) -> None:
        """Switch the model between training and inference behaviour (dropout, batch norm)."""
        fn = getattr(self.model, "train", None)
        if callable(fn):
            fn(training)

    def _batch(self, step_fn, x, y, w) -> float:
        """One step on a batch (with its sample weights, if any), then the loss mean
        (weighted by the batch's size) and the metrics; returns the batch's loss."""
        if w is None:
            loss, pred = step_fn(x, y)
        else:
            self._require_weights("sample_weight")
            loss, pred = step_fn(x, y, w)
        self._loss_tracker.update_state(loss, sample_weight=_batch_len(x))
        self.compute_metrics(x, y, pred, w)
        return loss

    # -- data ------------------------------------------------------------------------
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

    # -- the batch loop --------------------------------------------------------------
    def _run_batches(self, source, mode: str, callbacks: CallbackList, stop=None):
        """The one batch loop (fit's epochs, fit's validation, evaluate, predict): every
        batch of ``source`` through the step of ``mode``, between the batch hooks.

        Args:
            source: the batches (:mod:`topograd.train.data`).
            mode: ``"train"``, ``"test"`` or ``"predict"``: the step and the hooks.
            callbacks: the run's :class:`CallbackList`; the logs of a batch are only
                built when a callback overrides the batch's end hook.
            stop: fit's question after every batch, "stop now?"; under it Ctrl-C also
                stops after the batch (``self.interrupted`` says so), not at once.

        Returns:
            ``(batches run, outputs)``: the list of ``predict_step``'s outputs when
            predicting, else None.
        """
        begin, end = f"on_{mode}_batch_begin", f"on_{mode}_batch_end"
        on_begin = getattr(callbacks, begin) if callbacks.wants(begin) else None
        on_end = getattr(callbacks, end) if callbacks.wants(end) else None
        outputs = [] if mode == "predict" else None
        step_fn = (self.train_step if mode == "train" else self.test_step if mode == "test"
                   else self.predict_step)
        step = 0
        try:
            for x, y, w in source.epoch():
                if on_begin is not None:
                    on_begin(step)
                if outputs is None:
                    self._batch(step_fn, x, y, w)
                else:
                    out = step_fn(x)
                    outputs.append(out)
                step += 1
                if on_end is not None:
                    on_end(step - 1, self.get_metrics_result() if outputs is None
                           else {"outputs": out})
                if stop is not None and stop():
                    break
        except KeyboardInterrupt:
            if stop is None:
                raise
            self.interrupted = True
        return step, outputs

    def _test_pass(self, source, callbacks: CallbackList) -> dict:
        """Evaluate's pass, and fit's validation: the loss and metrics over ``source``."""
        self.reset_metrics()
        self.set_training(False)
        callbacks.on_test_begin()
        steps, _ = self._run_batches(source, "test", callbacks)
        if steps == 0:
            raise ValueError("evaluate: the data produced no batches")
        logs = self.get_metrics_result()
        callbacks.on_test_end(logs)
        return logs

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
            steps_per_epoch: batches per epoch (the first ones of each epoch's order;
                needed for iterables without a length).
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
             validation_freq) -> History:
        steps = len(train_src)
        cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                           model=self.model, trainer=self,
                           params={"epochs": epochs, "steps": steps, "verbose": verbose})
        self.callbacks = cbs.callbacks
        self.history = history = cbs.history
        self.interrupted = False
        self.initial_epoch = initial_epoch
        self.restored_from = None
        model = self.model
        _set_stop(model, False)
        logs = {}
        epoch = initial_epoch
        step = 0
        with SigintGuard() as guard:
            with cbs:  # a live progress bar is closed however the epochs end
                cbs.on_train_begin()
                try:
                    for epoch in range(self.initial_epoch, epochs):
                        if guard.hit:  # Ctrl-C during the last validation or epoch end
                            self.interrupted = True
                            break
                        self.reset_metrics()
                        self.set_training(True)
                        cbs.on_epoch_begin(epoch)
                        step, _ = self._run_batches(
                            train_src, "train", cbs,
                            stop=lambda: guard.hit or model.stop_training)
                        if self.interrupted or guard.hit:
                            self.interrupted = True
                            break
                        if step == 0:
                            raise ValueError("fit: the data produced no batches this epoch")
                        logs = self.get_metrics_result()
                        if val_src is not None and (epoch + 1) % validation_freq == 0:
                            val = self._test_pass(val_src, cbs)
                            logs.update({"val_" + k: v for k, v in val.items()})
                        cbs.on_epoch_end(epoch, logs)
                        if model.stop_training:
                            break
                except KeyboardInterrupt:
                    self.interrupted = True
            if self.interrupted:
                done = len(history.epoch)
                print(f"Training interrupted (Ctrl-C) in epoch {epoch + 1}/{epochs} after "
                      f"batch {step}/{steps if steps is not None else '?'}. The model keeps "
                      f"the weights it had then; the History holds the {done} completed "
                      f"epoch{'s' if done != 1 else ''}.", file=sys.stderr, flush=True)
            cbs.on_train_end(logs)
        self.set_training(False)
        return history

    # -- evaluate / predict ----------------------------------------------------------
    def evaluate(self, x, y=None, *, batch_size: int = 32, verbose="auto", callbacks=None,
                 steps: int | None = None, sample_weight=None) -> dict:
        """The mean loss and metrics over the data, in inference mode.

        Args:
            x, y: arrays, or a DataLoader / iterable of ``(x, y)`` (or ``(x, y,
                sample_weight)``) batches as ``x``.
            batch_size: samples per batch for arrays (None: 32, as Keras).
            verbose: 0, 1, 2 or ``"auto"`` (a bar or one line).
            callbacks: Callback objects (their ``on_test_*`` hooks are called).
            steps: evaluate only this many batches.
            sample_weight: one weight per sample of the arrays (needs
                ``supports_sample_weight``).

        Returns:
            ``{"loss": ..., metric name: ...}`` as floats.
        """
        if self.loss_fn is None:
            raise RuntimeError("evaluate needs a loss")
        batch_size = check_run_args("evaluate", batch_size=batch_size, steps=steps)["batch_size"]
        verbose = resolve_verbose(verbose)
        src = self._source(x, y, batch_size, False, "evaluate", steps, sample_weight)
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self.model,
                           trainer=self, params={"steps": len(src), "verbose": verbose})
        with cbs:
            return self._test_pass(src, cbs)

    def predict(self, x, *, batch_size: int = 32, verbose=0, callbacks=None,
                steps: int | None = None) -> np.ndarray:
        """The model's outputs for all of ``x``, batch by batch, as one array.

        Args:
            x: inputs (array or Tensor) or a DataLoader / iterable of batches (the first
                item of tuple batches is the input).
            batch_size: samples per batch for arrays (None: 32, as Keras).
            verbose: 0, 1, 2 or ``"auto"``.
            callbacks: Callback objects (their ``on_predict_*`` hooks are called).
            steps: predict only this many batches.

        Returns:
            A NumPy array with one row per sample.
        """
        batch_size = check_run_args("predict", batch_size=batch_size, steps=steps)["batch_size"]
        verbose = resolve_verbose(verbose)
        self.batch_size = batch_size
        src = as_source(x, None, batch_size, False, "predict", steps, check_x=self.check_x)
        if isinstance(src, ArrayBatches):
            src.x, _ = self.prepare(src.x, None, "predict")
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self.model,
                           trainer=self, params={"steps": len(src), "verbose": verbose})
        self.set_training(False)
        with cbs, no_grad():  # one switch for the whole run: no step records a graph
            cbs.on_predict_begin()
            _, outs = self._run_batches(src, "predict", cbs)
            cbs.on_predict_end()
        if not outs:
            raise ValueError("predict: the data produced no batches")
        return np.concatenate(outs) if len(outs) > 1 else outs[0]


# -- helpers -------------------------------------------------------------------------------
def _tensor(a):
    if isinstance(a, Tensor):
        return a
    return Tensor._from_array(a if isinstance(a, np.ndarray) else np.asarray(a))


def _array(a):
    return a._data if hasattr(a, "_data") else a


def _batch_len(x) -> int:
    return len(x) if not isinstance(x, (tuple, list)) else len(x[0])


def _set_stop(model, value: bool) -> None:
    try:
        model.stop_training = value
    except AttributeError as e:
        raise TypeError(f"cannot set stop_training on {type(model).__name__}: {e}") from None


def _unpack_validation(data):
    if isinstance(data, (tuple, list)):
        if len(data) in (2, 3):
            return data[0], data[1], (data[2] if len(data) == 3 else None)
        raise ValueError(f"validation_data expected (x_val, y_val) or (x_val, y_val, "
                         f"val_sample_weight), found a {type(data).__name__} of {len(data)} "
                         "items")
    return data, None, None
