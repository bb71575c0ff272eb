"""Callbacks that save: ModelCheckpoint and BackupAndRestore (files from
:mod:`topograd.train.checkpoint`, a thin layer over :mod:`topograd.io`: safetensors + JSON,
atomic, no pickle).

A model that can be saved whole says so with a method (``model._save_model``, which a
Keras-face model has): ModelCheckpoint then lets it save itself (``model.save`` /
``model.save_weights``); any other model is saved as a training checkpoint.

>>> cb = ModelCheckpoint("ckpt-{epoch:02d}.safetensors")
>>> cb.filepath.format(epoch=3)
'ckpt-03.safetensors'
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from topograd.io import FormatError, check_save_path

from .callbacks import Callback
from .checkpoint import read_checkpoint, restore_checkpoint, save_checkpoint
from .monitor import _get_monitor, _improved, _monitor_op

__all__ = ["ModelCheckpoint", "BackupAndRestore"]


def _optimizer_of(cb: Callback):
    opt = getattr(cb.trainer, "optimizer", None)
    return opt if opt is not None else getattr(cb.model, "optimizer", None)


class ModelCheckpoint(Callback):
    """Saves the model (weights, and the optimizer state unless ``save_weights_only``).

    A Keras-face model saves itself (``model.save_weights`` / ``model.save``), so the files
    load with ``model.load_weights`` / ``keras.models.load_model``; other models are saved
    with :func:`save_checkpoint` (weights, optimizer state, epoch and logs).

    Args:
        filepath: the file; may hold ``{epoch}`` (counted from 1) and any logs key, e.g.
            ``"ckpt-{epoch:02d}-{val_loss:.3f}.safetensors"``.
        monitor: the logs key that decides what "best" is.
        verbose: 1 prints a line per save.
        save_best_only: save only when ``monitor`` improved (the file is overwritten unless
            ``filepath`` changes with the epoch).
        save_weights_only: save the weights only; else also the optimizer state and epoch.
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        save_freq: ``"epoch"``, or an int: save every that many batches.
        initial_value_threshold: a value ``monitor`` must beat for the first save.

    >>> cb = ModelCheckpoint("best.safetensors", monitor="val_accuracy", save_best_only=True)
    """

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq="epoch",
                 initial_value_threshold: float | None = None) -> None:
        super().__init__()
        self.filepath = os.fspath(filepath)
        # the name's fixed tail ("....safetensors" after the last {field}) must be one io
        # writes: refuse "ckpt-{epoch}.h5" now, not after the first epoch
        check_save_path("checkpoint" + self.filepath.rpartition("}")[2]
                        if "}" in self.filepath else self.filepath, "checkpoints")
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = _monitor_op(mode, monitor, "ModelCheckpoint")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(f"ModelCheckpoint: save_freq expected 'epoch' or a positive int, "
                             f"found {save_freq!r}")
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self._batches = 0
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches += 1
        if self._batches % self.save_freq == 0:
            self._save(self._epoch, logs or {}, batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, logs or {})

    def _save(self, epoch, logs, batch=None):
        try:
            path = self.filepath.format(epoch=epoch + 1, batch=batch, **logs)
        except KeyError as e:
            raise KeyError(f"ModelCheckpoint: filepath {self.filepath!r} uses {e}, which is not "
                           f"in the logs ({', '.join(sorted(logs))})") from None
        if self.save_best_only:
            current = _get_monitor(logs, self.monitor, "ModelCheckpoint")
            if current is None:
                return
            if not _improved(current, self.best, self.mode, 0.0):
                if self.verbose:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best}")
                return
            if self.verbose:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best} to "
                      f"{current}, saving model to {path}")
            self.best = current
        elif self.verbose:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        model = self.model
        # a model that saves itself whole (it has _save_model: the Keras face) does, so the
        # files load with its load_weights / load_model
        if callable(getattr(model, "_save_model", None)):
            if self.save_weights_only:
                model.save_weights(path)
            else:
                model.save(path)
            return
        opt = None if self.save_weights_only else _optimizer_of(self)
        save_checkpoint(path, model, opt, extra={"epoch": epoch, "logs": _jsonable(logs)})


def _jsonable(logs: dict) -> dict:
    return {k: float(v) for k, v in logs.items() if isinstance(v, (int, float, np.number))}


class BackupAndRestore(Callback):
    """Backs up the training state each epoch; a restarted ``fit`` continues from it.

    Saved after every completed epoch (to ``backup_dir/backup.safetensors``): the weights,
    the optimizer state, the epoch, topograd's random state, and the state of the other
    callbacks (the History, EarlyStopping's counters, ...). When ``fit`` starts and a backup
    exists, all of it is restored and training continues with the next epoch, so a run
    killed at any point and started again ends with the same weights as a run never
    interrupted (for the same code, data and seed). The backup is deleted when training
    finishes (not when it is interrupted).

    Args:
        backup_dir: the folder for the backup file (created if needed).
        save_freq: ``"epoch"`` (the only supported value).
        delete_checkpoint: delete the backup at the end of a finished training.

    >>> cb = BackupAndRestore("/tmp/backup")
    """

    _run_last = True  # save after the other callbacks have updated their state
    filename = "backup.safetensors"

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint: bool = True) -> None:
        super().__init__()
        if save_freq != "epoch":
            raise ValueError(f"BackupAndRestore: only save_freq='epoch' is supported, found "
                             f"{save_freq!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint

    @property
    def path(self) -> str:
        """The backup file."""
        return os.path.join(self.backup_dir, self.filename)

    def _others(self):
        cbs = getattr(self.trainer, "callbacks", None) or []
        return [(f"{i}:{type(c).__name__}", c) for i, c in enumerate(cbs)
                if c is not self and hasattr(c, "state_dict")]

    def on_train_begin(self, logs=None):
        if not os.path.exists(self.path):
            return
        from topograd.random import set_rng_state

        # read and check everything before restoring anything
        checkpoint = read_checkpoint(self.path)
        epoch, rng, states = _backup_fields(self.path, checkpoint["extra"])
        restore_checkpoint(checkpoint, self.model, _optimizer_of(self), self.path)
        try:
            set_rng_state(rng)
        except (TypeError, ValueError, KeyError, OverflowError) as e:
            raise FormatError(f"{self.path}: field 'extra.rng' is not a random generator "
                              f"state ({type(e).__name__}: {e})") from None
        for key, cb in self._others():
            if key in states:
                try:
                    cb.load_state_dict(states[key])
                except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
                    raise FormatError(f"{self.path}: field 'extra.callbacks.{key}' does not "
                                      f"fit the callback ({type(e).__name__}: {e})") from None
            else:
                warnings.warn(f"BackupAndRestore: no saved state for callback {key}",
                              stacklevel=2)
        self.trainer.initial_epoch = epoch + 1
        self.trainer.restored_from = self.path

    def on_epoch_end(self, epoch, logs=None):
        from topograd.random import get_rng_state

        extra = {"epoch": epoch, "rng": get_rng_state(),
                 "callbacks": {k: c.state_dict() for k, c in self._others()}}
        save_checkpoint(self.path, self.model, _optimizer_of(self), extra=extra)

    def on_train_end(self, logs=None):
        if getattr(self.trainer, "interrupted", False):
            return
        if self.delete_checkpoint and os.path.exists(self.path):
            os.remove(self.path)


def _backup_fields(path: str, extra: dict) -> tuple:
    """``(epoch, rng state, callback states)`` of a backup's ``extra``, each type-checked."""
    epoch = extra.get("epoch")
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise FormatError(f"{path}: field 'extra.epoch' must be a non-negative integer, "
                          f"found {epoch!r}"[:300])
    if "rng" not in extra:
        raise FormatError(f"{path}: field 'extra.rng' (the random generator's state) is "
                          f"missing")
    states = extra.get("callbacks", {})
    if not isinstance(states, dict):
        raise FormatError(f"{path}: field 'extra.callbacks' must be a dict, found "
                          f"{type(states).__name__}")
    return epoch, extra["rng"], states
