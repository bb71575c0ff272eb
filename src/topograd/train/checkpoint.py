"""Checkpoints without pickle: safetensors for the arrays, JSON metadata for the rest.

One file holds the model's ``state_dict`` (keys ``model.<name>``), the optimizer's
``state_dict`` (its arrays under ``optimizer.<n>``, its structure and hyperparameters in the
JSON), and any JSON-able extras (epoch, random state, callback state). Files are written to
a temporary name in the same folder and then renamed (``os.replace``), so a process killed
while saving leaves the previous checkpoint intact.

:class:`ModelCheckpoint` and :class:`BackupAndRestore` are the callbacks built on it.

>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
>>> save_checkpoint(path, extra={"epoch": 3})
>>> load_checkpoint(path)["epoch"]
3
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np

from .callbacks import Callback, _get_monitor, _improved, _monitor_op

__all__ = ["save_checkpoint", "load_checkpoint", "model_state", "load_model_state",
           "ModelCheckpoint", "BackupAndRestore"]

_META_KEY = "topograd.checkpoint"
_FORMAT = 1


def _safetensors():
    try:
        import safetensors.numpy as st
    except ImportError as err:  # pragma: no cover - safetensors is in the test extras
        raise ImportError("checkpoints need safetensors: pip install 'topograd[io]'") from err
    return st


def _named_tensors(model) -> dict:
    """``{name: Tensor}`` of the model's weights (parameters and buffers), shared memory.

    Keras-face models name weights by layer position (``"0.kernel"``), as Keras matches
    weights by layer order (auto-generated layer names differ between two models built in
    one process); other models use their ``state_dict`` names.
    """
    if not hasattr(model, "state_dict"):
        raise TypeError(f"cannot read the weights of {type(model).__name__}: it has no "
                        "state_dict()")
    layers = getattr(model, "layers", None)
    if layers is not None and hasattr(model, "get_weights"):
        return {f"{i}.{k}": v for i, layer in enumerate(layers)
                for k, v in layer.state_dict(keep_vars=True).items()}
    return dict(model.state_dict(keep_vars=True))


def model_state(model) -> dict:
    """The model's parameters and buffers as NumPy arrays, by name (no copy).

    Args:
        model: an ``nn.Module`` (``state_dict`` names) or a Keras-face model (names by layer
            position, ``"0.kernel"``).

    Returns:
        ``{name: ndarray}``.

    >>> from topograd import nn
    >>> sorted(model_state(nn.Linear(2, 3)))
    ['bias', 'weight']
    """
    return {k: v._data for k, v in _named_tensors(model).items()}


def load_model_state(model, state: dict) -> None:
    """Copy arrays from ``state`` into the model's parameters and buffers, in place.

    Args:
        model: as for :func:`model_state`.
        state: ``{name: array}`` with exactly the model's names and shapes.

    Raises:
        ValueError: a name is missing or extra, or a shape differs (all are listed).

    >>> from topograd import nn
    >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    >>> load_model_state(b, model_state(a))
    >>> bool((a.weight == b.weight).all())
    True
    """
    current = _named_tensors(model)
    missing = sorted(set(current) - set(state))
    extra = sorted(set(state) - set(current))
    bad = [f"{k}: checkpoint {tuple(np.shape(state[k]))}, model {tuple(current[k].shape)}"
           for k in current if k in state and tuple(np.shape(state[k])) != tuple(current[k].shape)]
    if missing or extra or bad:
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if extra:
            parts.append(f"unexpected {extra}")
        if bad:
            parts.append("shape mismatch: " + "; ".join(bad))
        raise ValueError(f"the weights do not fit {type(model).__name__}: " + ", ".join(parts))
    for k, t in current.items():
        t._data[...] = state[k]
        t._bump_version()


def _contiguous(a: np.ndarray) -> np.ndarray:
    # np.ascontiguousarray would turn 0-d arrays (BatchNorm's num_batches_tracked) into 1-d
    return a if a.flags.c_contiguous else a.copy(order="C")


# -- JSON encoding of nested state (optimizer state_dicts) with the arrays kept aside ------
def _encode(obj, arrays: dict, prefix: str):
    if hasattr(obj, "_data") and isinstance(getattr(obj, "_data", None), np.ndarray):
        key = f"{prefix}{len(arrays)}"
        arrays[key] = _contiguous(obj._data)
        return {"__tensor__": key}
    if isinstance(obj, np.ndarray):
        key = f"{prefix}{len(arrays)}"
        arrays[key] = _contiguous(obj)
        return {"__array__": key}
    if isinstance(obj, np.generic):
        key = f"{prefix}{len(arrays)}"
        arrays[key] = np.asarray(obj)
        return {"__scalar__": key}
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _encode(v, arrays, prefix) for k, v in obj.items()}
        return {"__dict__": [[_encode(k, arrays, prefix), _encode(v, arrays, prefix)]
                             for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays, prefix) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, arrays, prefix) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} in a checkpoint (only arrays, "
                    "tensors, numbers, strings, lists, tuples and dicts)")


def _decode(obj, arrays: dict):
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__tensor__" in obj:
        from topograd.tensor import Tensor

        return Tensor._from_array(arrays[obj["__tensor__"]])
    if "__array__" in obj:
        return arrays[obj["__array__"]]
    if "__scalar__" in obj:
        return arrays[obj["__scalar__"]][()]
    if "__tuple__" in obj:
        return tuple(_decode(v, arrays) for v in obj["__tuple__"])
    if "__dict__" in obj:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in obj["__dict__"]}
    return {k: _decode(v, arrays) for k, v in obj.items()}


def save_checkpoint(path, model=None, optimizer=None, extra: dict | None = None) -> None:
    """Write the model's weights, the optimizer's state and ``extra`` to one safetensors file.

    The file is written next to ``path`` under a temporary name, then renamed over it.

    Args:
        path: the file to write (``.safetensors`` recommended).
        model: an object with ``state_dict()``, or None.
        optimizer: an object with ``state_dict()`` (arrays, numbers, lists, dicts), or None.
        extra: JSON-able values (epoch, random state, ...), returned by
            :func:`load_checkpoint`.

    >>> import os, tempfile
    >>> save_checkpoint(os.path.join(tempfile.mkdtemp(), "a.safetensors"), extra={"k": 1})
    """
    st = _safetensors()
    path = os.fspath(path)
    arrays = {}
    meta = {"format": _FORMAT, "extra": extra or {}}
    if model is not None:
        weights = model_state(model)
        for k, v in weights.items():
            arrays[f"model.{k}"] = _contiguous(v)
        meta["model_keys"] = list(weights)
    if optimizer is not None:
        meta["optimizer"] = _encode(optimizer.state_dict(), arrays, "optimizer.")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.tmp-{os.getpid()}")
    try:
        st.save_file(arrays, tmp, metadata={_META_KEY: json.dumps(meta)})
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_checkpoint(path, model=None, optimizer=None) -> dict:
    """Read a file written by :func:`save_checkpoint`; restore the model and optimizer given.

    Args:
        path: the checkpoint file.
        model: copy the saved weights into this model (in place), if given.
        optimizer: ``load_state_dict`` the saved optimizer state into it, if given.

    Returns:
        The ``extra`` dict that was saved.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a topograd checkpoint, or the weights do not fit the model.

    >>> import os, tempfile
    >>> from topograd import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
    >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    >>> save_checkpoint(path, a, extra={"epoch": 4})
    >>> load_checkpoint(path, b)["epoch"], bool((a.weight == b.weight).all())
    (4, True)
    """
    st = _safetensors()
    from safetensors import safe_open

    path = os.fspath(path)
    with safe_open(path, "np") as f:
        header = (f.metadata() or {}).get(_META_KEY)
    if header is None:
        raise ValueError(f"{path} is not a topograd checkpoint (no {_META_KEY!r} metadata)")
    meta = json.loads(header)
    arrays = st.load_file(path)
    if model is not None:
        weights = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
        if "model_keys" not in meta:
            raise ValueError(f"{path} holds no model weights")
        load_model_state(model, weights)
    if optimizer is not None:
        if "optimizer" not in meta:
            raise ValueError(f"{path} holds no optimizer state")
        optimizer.load_state_dict(_decode(meta["optimizer"], arrays))
    return meta["extra"]


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
        # a model that saves itself (the Keras face: model.save_weights / model.save) does,
        # so the files load with its load_weights / load_model
        own = getattr(model, "save_weights" if self.save_weights_only else "save", None)
        if callable(own) and hasattr(model, "layers"):
            own(path)
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

        extra = load_checkpoint(self.path, self.model, _optimizer_of(self))
        set_rng_state(extra["rng"])
        states = extra.get("callbacks", {})
        for key, cb in self._others():
            if key in states:
                cb.load_state_dict(states[key])
            else:
                warnings.warn(f"BackupAndRestore: no saved state for callback {key}",
                              stacklevel=2)
        self.trainer.initial_epoch = extra["epoch"] + 1
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
