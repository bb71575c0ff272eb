"""What each ``topograd`` subcommand does (the parser is in ``topograd.cli``)."""

from __future__ import annotations

import math
import os
import sys

import numpy as np

from . import DATASETS, CLIError, _existing_file
from .presets import architecture, augmenter, load_dataset, make_optimizer

CLI_KEY = "cli"  # the part of a saved model's ``extra`` that the CLI writes and reads


# the names an accuracy metric is logged under (compile(metrics=[...]) keeps the name given)
_ACCURACY = ("accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy",
             "binary_accuracy")


def _print_test(loss, acc: float, n: int, others=None) -> None:
    correct = int(round(acc * n))
    line = f"test accuracy: {acc:.4f} ({correct}/{n} correct)"
    if loss is not None:
        line = f"test loss: {loss:.4f} - {line}"
    for name, value in (others or {}).items():
        line += f" - test {name}: {value:.4f}"
    print(line)


def _output_units(model) -> int | None:
    shape = getattr(model, "output_shape", None)
    return int(shape[-1]) if shape and shape[-1] is not None else None


def _targets(model, labels, spec) -> np.ndarray:
    """``labels`` (class indices of ``spec``'s dataset) in the form the model's loss takes.

    ``sparse_categorical_crossentropy`` takes the class indices; every other loss (the
    categorical and binary cross-entropies, with or without ``from_logits``, MSE, hinge,
    KL divergence, ...) takes targets shaped like the outputs: one-hot rows, or the 0/1
    label itself for a single sigmoid unit on a two-class dataset.
    """
    from topograd.keras.losses import SparseCategoricalCrossentropy

    units, n = _output_units(model), spec.n_classes
    labels = np.asarray(labels)
    sparse = isinstance(getattr(model, "loss", None), SparseCategoricalCrossentropy)
    if units == 1 and n == 2 and not sparse:
        return labels.reshape(-1, 1).astype(np.float32)
    if units is not None and units != n:
        raise CLIError(f"the model outputs {units} value{'s' * (units != 1)} per sample but "
                       f"--dataset {spec.name} has {n} classes (expected {n} outputs"
                       f"{', or 1 sigmoid output' if n == 2 else ''})")
    if sparse:
        return labels
    return np.eye(n, dtype=np.float32)[labels.astype(np.int64)]


def _predicted_accuracy(model, x, y, batch_size: int) -> float:
    """The share of samples whose predicted class is the label (arg-max, or one unit's
    probability above 0.5, or its logit above 0)."""
    out = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    out = out.reshape(len(out), -1)
    if out.shape[1] == 1:
        cut = 0.5 if np.all((out >= 0) & (out <= 1)) else 0.0
        pred = (out[:, 0] > cut).astype(np.int64)
    else:
        pred = out.argmax(axis=1)
    return float(np.mean(pred == np.asarray(y).reshape(-1))) if len(pred) else 0.0


def _evaluate(model, spec, batch_size: int):
    """``(loss or None, accuracy, other metrics)`` on the test split.

    The loss and metrics are the model's own (``model.evaluate`` with the labels its loss
    takes); the accuracy is its compiled accuracy metric, or, when it has none (or was
    saved uncompiled), the share of correct arg-max predictions. The loss is None for a
    model saved without compile settings.
    """
    if getattr(model, "loss", None) is None:  # saved uncompiled: no loss to report
        _targets(model, spec.y_test, spec)  # its outputs must fit the classes all the same
        return None, _predicted_accuracy(model, spec.x_test, spec.y_test, batch_size), {}
    logs = model.evaluate(spec.x_test, _targets(model, spec.y_test, spec), batch_size=batch_size,
                          verbose=0, return_dict=True)
    logs = {k: float(v) for k, v in logs.items()}
    loss = logs.pop("loss")
    name = next((k for k in _ACCURACY if k in logs), None)
    if name is None:
        acc = _predicted_accuracy(model, spec.x_test, spec.y_test, batch_size)
    else:
        acc = logs.pop(name)
    return loss, acc, logs


# -- what a model file records for the CLI ------------------------------------------------

def _json_kind(value) -> str:
    kind = {str: "a string", bool: "a boolean", int: "an integer", float: "a number",
            list: "a list", dict: "an object", type(None): "null"}.get(type(value), "a value")
    text = repr(value)
    return kind if value is None else f"{kind} {text if len(text) <= 40 else text[:37] + '...'}"


def _is_count(value, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


# what the CLI reads back from ``extra.cli``: a check and what it expects
_SETTINGS = {
    "dataset": (lambda v: v in DATASETS, f"one of {', '.join(DATASETS)}"),
    "limit": (lambda v: v is None or _is_count(v, 1), "a positive integer or null"),
    "batch_size": (lambda v: v is None or _is_count(v, 1), "a positive integer or null"),
    "epoch": (lambda v: _is_count(v, 0), "a non-negative integer"),
}


def _recorded(path: str) -> tuple[dict, dict]:
    """``(settings, extra)``: what ``topograd train --save`` recorded in a model file, checked.

    ``extra`` is the file's ``extra`` when it is a JSON object, else ``{}`` (the library
    lets a caller keep any JSON there, e.g. ``save_model(m, p, extra="note")``, which is no
    record of the CLI's). ``settings`` is its ``cli`` entry, each field checked for the type
    the CLI needs; a wrong one is a one-line error naming the field and what it holds.
    """
    from topograd.io import model_info

    extra = model_info(path).get("extra")
    if not isinstance(extra, dict):
        return {}, {}
    saved = extra.get(CLI_KEY, {})
    if not isinstance(saved, dict):
        raise CLIError(f"{path}: metadata extra.{CLI_KEY} must be a JSON object of the "
                       f"training settings, found {_json_kind(saved)}")
    for key, (ok, want) in _SETTINGS.items():
        if key in saved and not ok(saved[key]):
            raise CLIError(f"{path}: metadata extra.{CLI_KEY}.{key} must be {want}, found "
                           f"{_json_kind(saved[key])}")
    return saved, extra


def _restore_rng(path: str, state) -> None:
    import topograd

    try:
        topograd.set_rng_state(state)
    except (TypeError, ValueError, KeyError, OverflowError) as e:
        raise CLIError(f"{path}: metadata extra.rng_state must be the random generator's state "
                       f"(as topograd.get_rng_state() gives), found {_json_kind(state)} "
                       f"({type(e).__name__}: {e})") from None


# -- train ------------------------------------------------------------------------------------

def _build(args, spec):
    from topograd.keras.saving import model_from_config

    config = architecture(args.model, spec.input_shape, spec.n_classes)
    where = args.model if args.model.endswith(".json") else f"--model {args.model}"
    model = model_from_config({"class_name": "Sequential", "config": config}, where)
    out_units = model.output_shape[-1] if getattr(model, "output_shape", None) else None
    if out_units is not None and out_units != spec.n_classes:
        raise CLIError(f"--model {args.model!r} ends in {out_units} units but --dataset "
                       f"{spec.name} has {spec.n_classes} classes")
    model.compile(optimizer=make_optimizer(args.optimizer, args.lr),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _checkpointer(path: str, settings: dict):
    """A callback that saves the whole model (and where training stands) after each epoch."""
    import topograd
    from topograd.keras.saving import save_model
    from topograd.train import Callback

    class SaveEveryEpoch(Callback):
        def on_epoch_end(self, epoch, logs=None):
            extra = {CLI_KEY: dict(settings, epoch=epoch + 1),
                     "rng_state": topograd.get_rng_state()}
            save_model(self.model, path, extra=extra)

    return SaveEveryEpoch()


def cmd_train(args) -> int:
    """``topograd train``: build or resume a model, fit, report the test metrics."""
    import topograd
    from topograd.keras.saving import load_model

    if args.resume and not args.save:
        raise CLIError("--resume needs --save PATH (the checkpoint to continue from)")
    if args.save:
        from topograd.io import check_save_path

        try:  # before any training: a name such as run.h5 would fail at the first save
            check_save_path(args.save)
        except ValueError as e:
            raise CLIError(f"--save {args.save!r}: {e}") from None
        folder = os.path.dirname(os.path.abspath(args.save))
        if not os.path.isdir(folder):
            raise CLIError(f"--save {args.save!r}: folder {folder!r} does not exist")
    if args.log and not os.path.isdir(os.path.dirname(os.path.abspath(args.log))):
        raise CLIError(f"--log {args.log!r}: its folder does not exist")
    if not 0.0 <= args.validation_split < 1.0:
        raise CLIError(f"--validation-split must be in [0, 1), found {args.validation_split}")
    topograd.manual_seed(args.seed)
    spec = load_dataset(args.dataset, args.data_dir, args.limit)
    initial_epoch = 0
    if args.resume and os.path.exists(args.save):
        saved, info = _recorded(args.save)
        if saved.get("dataset", args.dataset) != args.dataset:
            raise CLIError(f"{args.save} was trained on {saved['dataset']}, not {args.dataset}")
        model = load_model(args.save)
        _check_input(model, spec.input_shape, f"--dataset {args.dataset}")
        if getattr(model, "loss", None) is None:  # saved uncompiled: compile as train does
            print(f"{args.save} has no compile settings: compiling it with --optimizer "
                  f"{args.optimizer} and sparse_categorical_crossentropy")
            model.compile(optimizer=make_optimizer(args.optimizer, args.lr),
                          loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        initial_epoch = saved.get("epoch", 0)
        if "rng_state" in info:
            _restore_rng(args.save, info["rng_state"])
        print(f"resuming from {args.save} after epoch {initial_epoch}")
    else:
        if args.resume:
            print(f"no checkpoint at {args.save} yet: starting from scratch")
        model = _build(args, spec)
    callbacks = []
    if args.save:
        settings = {"dataset": args.dataset, "limit": args.limit, "batch_size": args.batch_size,
                    "seed": args.seed, "model": args.model}
        callbacks.append(_checkpointer(args.save, settings))
    if args.log:
        from topograd.train import CSVLogger

        callbacks.append(CSVLogger(args.log, append=initial_epoch > 0))
    # the labels as the model's loss takes them (a model saved by model.save may have been
    # compiled with categorical_crossentropy on one-hot labels, say)
    x, y = spec.x_train, _targets(model, spec.y_train, spec)
    fit_kw = {}
    if args.validation_split:  # Keras's rule: the last fraction, taken before shuffling
        n_val = int(len(y) * args.validation_split)
        if n_val == 0 or n_val == len(y):
            raise CLIError(f"--validation-split {args.validation_split} leaves no training or "
                           f"no validation samples out of {len(y)}")
        fit_kw["validation_data"] = (x[-n_val:], y[-n_val:])
        x, y = x[:-n_val], y[:-n_val]
    if args.augment:
        from topograd.data import DataLoader, TensorDataset

        x = DataLoader(TensorDataset(x, y), batch_size=args.batch_size, shuffle=True,
                       transform=augmenter(args.dataset), as_tensor=False)
        y = None
    if initial_epoch >= args.epochs:
        print(f"already trained for {initial_epoch} epochs (--epochs {args.epochs})")
    else:
        model.fit(x, y, epochs=args.epochs, batch_size=args.batch_size,
                  initial_epoch=initial_epoch, verbose=args.verbose, callbacks=callbacks,
                  **fit_kw)
    loss, acc, others = _evaluate(model, spec, args.batch_size)
    _print_test(loss, acc, len(spec.y_test), others)
    if args.save:
        print(f"saved to {args.save}")
    return 0


# -- evaluate / summary / export ----------------------------------------------------------

def _load(path: str):
    _existing_file(path)
    from topograd.keras.saving import load_model

    return load_model(path)


def cmd_evaluate(args) -> int:
    """``topograd evaluate MODEL``: the test loss and accuracy on the recorded dataset."""
    model = _load(args.model)
    saved, _ = _recorded(args.model)
    dataset = args.dataset or saved.get("dataset") or "mnist"
    limit = args.limit if args.limit is not None else saved.get("limit")
    batch_size = args.batch_size or saved.get("batch_size") or 128
    spec = load_dataset(dataset, args.data_dir, limit, test_only=True)
    try:
        _check_input(model, spec.input_shape, f"--dataset {dataset}")
    except CLIError as e:
        if args.dataset or saved.get("dataset"):
            raise
        raise CLIError(f"{e} (the file records no dataset, so mnist was assumed: pass "
                       f"--dataset)") from None
    loss, acc, others = _evaluate(model, spec, batch_size)
    if loss is None:
        print(f"note: {args.model} was saved without compile settings (uncompiled, or with a "
              f"loss JSON cannot describe), so it has no loss to report", file=sys.stderr)
    _print_test(loss, acc, len(spec.y_test), others)
    return 0


def cmd_summary(args) -> int:
    """``topograd summary MODEL``: the layer table."""
    model = _load(args.model)
    model.summary()
    return 0


def cmd_export(args) -> int:
    """``topograd export MODEL OUTPUT``: write an ONNX file."""
    from topograd.onnx import export

    model = _load(args.model)
    shape = _input_shape(model)
    export(model, np.zeros((1, *shape), np.float32), args.output)
    print(f"wrote {args.output}")
    return 0


# -- predict ----------------------------------------------------------------------------------

def _input_shape(model) -> tuple:
    shape = getattr(model, "input_shape", None)
    if shape is None:
        raise CLIError("the model does not record its input shape")
    return tuple(int(d) for d in shape[1:])


def _check_input(model, shape: tuple, what: str) -> None:
    want = _input_shape(model)
    if tuple(shape) != want:
        raise CLIError(f"the model takes inputs shaped {want}, but {what} gives {tuple(shape)}")


MAX_NPY_VALUES = 100_000_000  # values a .npy input may hold (400 MB as float32)


def _load_npy(path: str, size: int, want: tuple) -> np.ndarray:
    """A ``.npy`` file's array as float32, its header checked against the file first.

    The declared shape and dtype must be numbers (no pickled objects), hold at most
    :data:`MAX_NPY_VALUES` values, fit the model's input, and account for exactly the
    bytes the file holds, before the data is read.
    """
    from numpy.lib import format as npy

    with open(path, "rb") as f:
        try:
            version = npy.read_magic(f)
            read = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
            shape, fortran, dtype = read(f)
        except (ValueError, OSError, SyntaxError, TypeError) as e:
            raise CLIError(f"{path}: not a valid .npy file ({e})") from None
        if dtype.hasobject or dtype.kind not in "biuf" or dtype.fields is not None:
            raise CLIError(f"{path}: holds {dtype} values; a .npy input must hold numbers")
        n = math.prod(shape)
        if n > MAX_NPY_VALUES:
            raise CLIError(f"{path}: the header declares an array shaped {shape} "
                           f"({n:,} values); topograd predicts on at most "
                           f"{MAX_NPY_VALUES:,} values")
        if not (shape == want or n == size or (len(shape) >= 1 and size
                                                and math.prod(shape[1:]) == size)):
            raise CLIError(f"{path}: holds an array shaped {shape}; the model takes {want}")
        data = os.fstat(f.fileno()).st_size - f.tell()
        if data != n * dtype.itemsize:
            raise CLIError(f"{path}: the header declares {dtype} {shape} ({n * dtype.itemsize:,} "
                           f"bytes) but {data:,} bytes of data follow it (truncated or not a "
                           f".npy file)")
        arr = np.fromfile(f, dtype=dtype, count=n)
    arr = arr.reshape(shape, order="F" if fortran else "C")
    return arr.astype(np.float32)


def _read_input(text: str, want: tuple, invert) -> np.ndarray:
    """One INPUT as a batch shaped ``(n, *want)``."""
    size = int(np.prod(want))
    ext = os.path.splitext(text)[1].lower()
    if ext == ".npy":
        _existing_file(text, "input file")
        arr = _load_npy(text, size, want)
        if arr.shape == want or arr.size == size:
            return arr.reshape(1, *want)
        if arr.ndim >= 1 and int(np.prod(arr.shape[1:])) == size:
            return arr.reshape(len(arr), *want)
        raise CLIError(f"{text}: holds an array shaped {arr.shape}; the model takes {want}")
    if os.path.exists(text) or ext in (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp",
                                       ".tif", ".tiff"):
        from topograd.io import load_digit

        _existing_file(text, "input file")
        digit = load_digit(text, invert=invert)
        if digit.size != size:
            raise CLIError(f"{text}: an image gives 28x28 = 784 values but the model takes "
                           f"inputs shaped {want}")
        return digit.reshape(1, *want)
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise CLIError(f"input {text!r} is neither an existing image or .npy file nor "
                       f"numbers separated by commas") from None
    if len(values) != size:
        raise CLIError(f"input {text!r} has {len(values)} numbers; the model takes {size}")
    return np.asarray(values, np.float32).reshape(1, *want)


def _probabilities(out: np.ndarray) -> np.ndarray:
    out = np.asarray(out, np.float64).reshape(len(out), -1)
    if out.shape[1] == 1:  # one sigmoid unit: P(class 1)
        return np.concatenate([1 - out, out], axis=1)
    looks_like = np.all(out >= 0) and np.allclose(out.sum(axis=1), 1.0, atol=1e-3)
    if looks_like:
        return out
    e = np.exp(out - out.max(axis=1, keepdims=True))  # logits: softmax them
    return e / e.sum(axis=1, keepdims=True)


def cmd_predict(args) -> int:
    """``topograd predict MODEL INPUT...``: the class and its probability for each input."""
    model = _load(args.model)
    want = _input_shape(model)
    invert = {"auto": None, "yes": True, "no": False}[args.invert]
    batches, labels = [], []
    for text in args.inputs:
        batch = _read_input(text, want, invert)
        batches.append(batch)
        labels += [text] if len(batch) == 1 else [f"{text}[{i}]" for i in range(len(batch))]
    x = np.concatenate(batches)
    probs = _probabilities(model.predict(x, verbose=0))
    for label, p in zip(labels, probs):
        order = np.argsort(-p, kind="stable")[:args.top]
        best = ", ".join(f"{int(c)} ({p[c]:.4f})" for c in order)
        print(f"{label}: {best}")
    return 0
