"""What each ``topograd`` subcommand does (the parser is in ``topograd.cli``)."""

from __future__ import annotations

import os

import numpy as np

from . import CLIError, _existing_file
from .presets import architecture, augmenter, load_dataset, make_optimizer

CLI_KEY = "cli"  # the part of a saved model's ``extra`` that the CLI writes and reads


def _print_test(loss: float, acc: float, n: int) -> None:
    correct = int(round(acc * n))
    print(f"test loss: {loss:.4f} - test accuracy: {acc:.4f} ({correct}/{n} correct)")


def _evaluate(model, spec, batch_size: int):
    result = model.evaluate(spec.x_test, spec.y_test, batch_size=batch_size, verbose=0)
    if isinstance(result, dict):
        return float(result["loss"]), float(result.get("accuracy", result.get("acc")))
    loss, acc = result[:2]
    return float(loss), float(acc)


# -- train ------------------------------------------------------------------------------------

def _build(args, spec):
    from topograd.io.keras_config import model_from_config

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
    from topograd.io import save_model
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
    from topograd.io import load_model, model_info

    if args.resume and not args.save:
        raise CLIError("--resume needs --save PATH (the checkpoint to continue from)")
    if args.save:
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
        info = model_info(args.save).get("extra", {})
        saved = info.get(CLI_KEY, {})
        if saved.get("dataset", args.dataset) != args.dataset:
            raise CLIError(f"{args.save} was trained on {saved['dataset']}, not {args.dataset}")
        model = load_model(args.save)
        initial_epoch = int(saved.get("epoch", 0))
        if "rng_state" in info:
            topograd.set_rng_state(info["rng_state"])
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
    x, y = spec.x_train, spec.y_train
    fit_kw = {}
    if args.validation_split:  # Keras's rule: the last fraction, taken before shuffling
        n_val = int(len(y) * args.validation_split)
        if n_val == 0 or n_val == len(y):
            raise CLIError(f"--validation-split {args.validation_split} leaves no training or "
                           f"no validation samples out of {len(y)}")
        x, y = x[:-n_val], y[:-n_val]
        fit_kw["validation_data"] = (spec.x_train[-n_val:], spec.y_train[-n_val:])
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
    loss, acc = _evaluate(model, spec, args.batch_size)
    _print_test(loss, acc, len(spec.y_test))
    if args.save:
        print(f"saved to {args.save}")
    return 0


# -- evaluate / summary / export ----------------------------------------------------------

def _load(path: str):
    _existing_file(path)
    from topograd.io import load_model, model_info

    return load_model(path), model_info(path).get("extra", {}).get(CLI_KEY, {})


def cmd_evaluate(args) -> int:
    """``topograd evaluate MODEL``: the test loss and accuracy on the recorded dataset."""
    model, saved = _load(args.model)
    dataset = args.dataset or saved.get("dataset") or "mnist"
    limit = args.limit if args.limit is not None else saved.get("limit")
    batch_size = args.batch_size or saved.get("batch_size") or 128
    spec = load_dataset(dataset, args.data_dir, limit, test_only=True)
    _check_input(model, spec.input_shape, f"--dataset {dataset}")
    loss, acc = _evaluate(model, spec, batch_size)
    _print_test(loss, acc, len(spec.y_test))
    return 0


def cmd_summary(args) -> int:
    """``topograd summary MODEL``: the layer table."""
    model, _ = _load(args.model)
    model.summary()
    return 0


def cmd_export(args) -> int:
    """``topograd export MODEL OUTPUT``: write an ONNX file."""
    from topograd.onnx import export

    model, _ = _load(args.model)
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


def _read_input(text: str, want: tuple, invert) -> np.ndarray:
    """One INPUT as a batch shaped ``(n, *want)``."""
    size = int(np.prod(want))
    ext = os.path.splitext(text)[1].lower()
    if ext == ".npy":
        _existing_file(text, "input file")
        arr = np.load(text, allow_pickle=False).astype(np.float32)
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
    model, _ = _load(args.model)
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
