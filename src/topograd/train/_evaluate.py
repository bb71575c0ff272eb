"""The evaluate and predict loops of :class:`topograd.train.loop.Trainer`.

:class:`EvaluateMixin` holds ``evaluate``, ``predict`` and the test loop that ``fit``'s
validation shares; :class:`~topograd.train.loop.Trainer` inherits them. They rely on the
Trainer's ``test_step``/``predict_step``, ``prepare``, ``set_training`` and data sources.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_run_args
from ._loop_helpers import _batch_len, _logs, _update_weighted
from .callbacks import CallbackList
from .data import ArrayBatches, as_source
from .progress import Progress, resolve_verbose


class EvaluateMixin:
    """The inference loops of :class:`~topograd.train.loop.Trainer` (evaluate, predict).

    >>> from topograd.train import Trainer
    >>> issubclass(Trainer, EvaluateMixin)
    True
    """

    def _batch(self, step_fn, xb, yb, wb) -> tuple[float, int]:
        """One step on a batch (with its sample weights, if any) and the metrics' update.

        Returns ``(loss, batch size)``. ``fit``'s loop, the test loop and the Keras face's
        ``train_on_batch``/``test_on_batch`` call it.
        """
        if wb is None:
            loss, pred = step_fn(xb, yb)
        else:
            self._require_weights("sample_weight")
            loss, pred = step_fn(xb, yb, wb)
        for m in self.metrics:
            m.update_state(yb, pred)
        if self.weighted_metrics:
            _update_weighted(self.weighted_metrics, yb, pred, wb)
        return loss, _batch_len(xb)

    # -- evaluate / predict ----------------------------------------------------------
    def _test_loop(self, src, cbs=None, progress=None) -> dict:
        all_metrics = self.metrics + self.weighted_metrics
        for m in all_metrics:
            m.reset_state()
        self.set_training(False)
        want_begin = cbs is not None and cbs.wants("on_test_batch_begin")
        want_end = cbs is not None and cbs.wants("on_test_batch_end")
        if cbs is not None:
            cbs.on_test_begin()
        loss_sum = 0.0
        seen = 0
        step = 0

        def batch_logs():
            return _logs(loss_sum, seen, all_metrics)

        test_step = self.test_step
        for xb, yb, wb in src.epoch():
            if want_begin:
                cbs.on_test_batch_begin(step)
            loss, n = self._batch(test_step, xb, yb, wb)
            loss_sum += loss * n
            seen += n
            step += 1
            if want_end:
                cbs.on_test_batch_end(step - 1, batch_logs())
            if progress:
                progress.update(step, batch_logs)
        if seen == 0:
            raise ValueError("evaluate: the data produced no batches")
        logs = batch_logs()
        if progress:
            progress.epoch_end(step, logs)
        if cbs is not None:
            cbs.on_test_end(logs)
        return logs

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
        cbs = CallbackList(callbacks, model=self.model, trainer=self,
                           params={"steps": len(src), "verbose": verbose})
        progress = Progress(verbose) if verbose else None
        if progress:
            progress.epoch_begin(0, len(src) if steps is None else steps)
        try:
            return self._test_loop(src, cbs, progress)
        finally:
            if progress:
                progress.close()

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
        cbs = CallbackList(callbacks, model=self.model, trainer=self,
                           params={"steps": len(src), "verbose": verbose})
        want_begin = cbs.wants("on_predict_batch_begin")
        want_end = cbs.wants("on_predict_batch_end")
        progress = Progress(verbose) if verbose else None
        self.set_training(False)
        cbs.on_predict_begin()
        if progress:
            progress.epoch_begin(0, len(src) if steps is None else steps)
        outs = []
        step = 0
        try:
            for xb, _, _ in src.epoch():
                if want_begin:
                    cbs.on_predict_batch_begin(step)
                out = self.predict_step(xb)
                outs.append(out)
                step += 1
                if want_end:
                    cbs.on_predict_batch_end(step - 1, {"outputs": out})
                if progress:
                    progress.update(step, dict)
            if progress:
                progress.epoch_end(step, {})
        finally:
            if progress:
                progress.close()
        cbs.on_predict_end()
        if not outs:
            raise ValueError("predict: the data produced no batches")
        return np.concatenate(outs) if len(outs) > 1 else outs[0]
