"""Saving Keras-face models: the schema (get_config / from_config as JSON) and whole-model files.

The schema lives with the face: a model's architecture and compile settings become JSON
here, and are rebuilt from it here, only from topograd's own classes looked up by name in
fixed registries (nothing named by a file is imported or executed). The file itself is
:mod:`topograd.io`'s whole-model format (safetensors + JSON header, atomic write, no
pickle); this module records it as ``"keras-model"`` and registers :func:`load_model` as
that format's reader, so ``topograd.io.load_model`` hands such files here.

- :func:`save_model` / :func:`load_model` (also ``model.save`` and
  ``keras.models.load_model``);
- :func:`model_config` / :func:`model_from_config` and :func:`layer_config` /
  :func:`layer_from_config`: the architecture (built-in layers are described from their
  attributes; another ``topograd.keras`` layer class is asked for ``get_config()`` /
  ``from_config()``);
- :func:`compile_config` / :func:`compile_from_config`: optimizer, loss and metrics.

>>> import os, tempfile, numpy as np
>>> from topograd import keras
>>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
...               metrics=["accuracy"])
>>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
>>> save_model(model, path)
>>> again = load_model(path)
>>> x = np.ones((2, 4), np.float32)
>>> bool(np.array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0)))
True
"""

from __future__ import annotations

import os

from topograd.io import FormatError
from topograd.io.model import read_model_file, register_model_format, write_model_file
from topograd.io.weights import model_weights, set_model_weights

from . import activations, layers, losses, metrics, optimizers, regularizers
from .models import Model, Sequential

__all__ = ["FORMAT", "ConfigError", "compile_config", "compile_from_config", "layer_config",
           "layer_from_config", "load_model", "model_config", "model_from_config",
           "save_model"]

FORMAT = "keras-model"  # what the files record as topograd.format

_LAYER_FIELDS = {
    "Dense": ("units", "activation", "use_bias", "kernel_regularizer", "bias_regularizer"),
    "Activation": ("activation",),
    "Dropout": ("rate",),
    "BatchNormalization": ("axis", "momentum", "epsilon", "center", "scale",
                           "beta_regularizer", "gamma_regularizer"),
    "Flatten": (),
}


class ConfigError(ValueError):
    """A model's JSON description cannot be written or rebuilt."""


def _ours(cls) -> bool:
    """A class of topograd's Keras face (the only classes a file may name)."""
    return cls.__module__.startswith("topograd.keras")


# -- the architecture -------------------------------------------------------------------------

def _regularizer_config(reg):
    if reg is None:
        return None
    cls = type(reg).__name__
    if cls not in ("L1", "L2", "L1L2") or not hasattr(reg, "get_config"):
        raise ConfigError(f"regularizer {reg!r} cannot be described in JSON")
    return {"class_name": cls, "config": reg.get_config()}


def _regularizer_from(cfg, where: str):
    if cfg is None:
        return None
    if (not isinstance(cfg, dict) or cfg.get("class_name") not in ("L1", "L2", "L1L2")
            or not isinstance(cfg.get("config"), dict)):
        raise ConfigError(f"{where}: unknown regularizer {cfg!r}")
    return getattr(regularizers, cfg["class_name"])(**cfg["config"])


def layer_config(layer) -> dict:
    """``{"class_name": ..., "config": {...}}`` for one Keras-face layer.

    Args:
        layer: a layer of ``topograd.keras.layers``.

    Returns:
        The description; ``config`` holds the constructor arguments and ``name``.

    Raises:
        ConfigError: a layer (or a custom activation) JSON cannot describe.

    Example:
        >>> from topograd.keras import layers
        >>> layer_config(layers.Dropout(0.25, name="drop"))
        {'class_name': 'Dropout', 'config': {'name': 'drop', 'trainable': True, 'rate': 0.25}}
    """
    cls = type(layer).__name__
    ours = _ours(type(layer))
    get = getattr(layer, "get_config", None)
    if ours and cls not in _LAYER_FIELDS and callable(get):
        return {"class_name": cls, "config": get()}
    if cls not in _LAYER_FIELDS or not ours:
        raise ConfigError(f"layer {getattr(layer, 'name', cls)!r} ({cls}) cannot be "
                          f"described in JSON: give it get_config() or save its weights only")
    cfg = {"name": layer.name, "trainable": bool(layer.trainable)}
    for field in _LAYER_FIELDS[cls]:
        if field == "activation":
            value = layer.activation_name
            if value not in activations.ACTIVATIONS:
                raise ConfigError(f"layer {layer.name!r}: the custom activation {value!r} "
                                  f"cannot be described in JSON")
        elif field.endswith("_regularizer"):
            value = _regularizer_config(getattr(layer, field, None))
        else:
            value = getattr(layer, field)
        cfg[field] = value
    return {"class_name": cls, "config": cfg}


def model_config(model) -> dict:
    """``{"class_name": "Sequential", "config": {"name": ..., "layers": [...]}}`` for a model.

    The first entry of ``layers`` is an ``InputLayer`` with the input's ``batch_shape``
    when the model knows its input shape.

    Args:
        model: a ``keras.Sequential``.

    Returns:
        The JSON-able description.

    Raises:
        ConfigError: a part of the model JSON cannot describe.

    Example:
        >>> from topograd import keras
        >>> m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu")])
        >>> [l["class_name"] for l in model_config(m)["config"]["layers"]]
        ['InputLayer', 'Dense']
    """
    if not isinstance(model, Sequential):
        raise ConfigError(f"cannot describe a {type(model).__name__} in JSON (expected a "
                          f"keras Sequential model)")
    described = []
    shape = getattr(model, "declared_input_shape", None) or getattr(model, "build_shape", None)
    if shape is not None:
        described.append({"class_name": "InputLayer",
                          "config": {"batch_shape": [None, *list(shape)[1:]]}})
    described += [layer_config(layer) for layer in model.layers]
    return {"class_name": "Sequential", "config": {"name": model.name, "layers": described}}


def _layer_class(name, where: str):
    cls = getattr(layers, name, None) if isinstance(name, str) else None
    if not isinstance(cls, type) or not issubclass(cls, layers.Layer) or not _ours(cls):
        raise ConfigError(f"{where}: unknown layer class {name!r}")
    return cls


def layer_from_config(spec: dict, where: str = "<config>"):
    """Build one layer from :func:`layer_config`'s description.

    Example:
        >>> layer_from_config({"class_name": "Dropout", "config": {"rate": 0.5}}).rate
        0.5
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("config", {}), dict):
        raise ConfigError(f"{where}: a layer must be {{'class_name': ..., 'config': {{...}}}}")
    cls = _layer_class(spec.get("class_name"), where)
    cfg = dict(spec.get("config", {}))
    if cls.__name__ not in _LAYER_FIELDS:
        if not hasattr(cls, "from_config"):
            raise ConfigError(f"{where}: layer class {cls.__name__} has no from_config")
        try:
            return cls.from_config(cfg)
        except (TypeError, ValueError, NotImplementedError) as e:
            raise ConfigError(f"{where}: cannot build layer {cls.__name__}: {e}") from None
    for key in list(cfg):
        if key.endswith("_regularizer"):
            cfg[key] = _regularizer_from(cfg[key], where)
    try:
        return cls(**cfg)
    except (TypeError, ValueError, NotImplementedError) as e:
        raise ConfigError(f"{where}: cannot build layer {spec.get('class_name')}: {e}") from None


def model_from_config(spec: dict, where: str = "<config>"):
    """Rebuild a model from :func:`model_config`'s description (weights freshly initialized).

    Args:
        spec: ``{"class_name": "Sequential", "config": {...}}``.
        where: the file name for error messages.

    Returns:
        The model, built when the description has an ``InputLayer``.

    Raises:
        ConfigError: an unknown class name, or arguments a class refuses.

    Example:
        >>> from topograd import keras
        >>> m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        >>> model_from_config(model_config(m)).output_shape
        (None, 3)
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
        raise ConfigError(f"{where}: the architecture must be {{'class_name': ..., "
                          f"'config': {{...}}}}")
    name = spec.get("class_name")
    cls = {"Sequential": Sequential}.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ConfigError(f"{where}: unknown model class {name!r} (expected Sequential)")
    cfg = spec["config"]
    layers_spec = cfg.get("layers")
    if not isinstance(layers_spec, list):
        raise ConfigError(f"{where}: the architecture has no list of layers")
    built = []
    for i, lay in enumerate(layers_spec):
        if isinstance(lay, dict) and lay.get("class_name") == "InputLayer":
            if i != 0:
                raise ConfigError(f"{where}: an InputLayer can only come first")
            lay_cfg = lay.get("config")
            shape = lay_cfg.get("batch_shape") if isinstance(lay_cfg, dict) else None
            if (not isinstance(shape, list) or len(shape) < 2
                    or not all(isinstance(d, int) and d > 0 for d in shape[1:])):
                raise ConfigError(f"{where}: InputLayer needs batch_shape [null, d1, ...], "
                                  f"found {shape!r}")
            built.append(layers.Input(shape=tuple(shape[1:])))
        else:
            built.append(layer_from_config(lay, f"{where}: layer {i}"))
    model_name = cfg.get("name")
    try:
        return cls(built, name=model_name if isinstance(model_name, str) else None)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}: cannot build the model: {e}") from None


# -- compile settings -------------------------------------------------------------------------

def compile_config(model):
    """The model's compile settings as JSON (optimizer, loss, metrics), or None.

    Returns None when the model is not compiled, or when a part (a custom loss or metric
    function) cannot be described; the model then loads uncompiled.

    Example:
        >>> from topograd import keras
        >>> m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> m.compile(optimizer="sgd", loss="mse")
        >>> compile_config(m)["loss"]
        {'name': 'mean_squared_error'}
    """
    opt, loss = getattr(model, "optimizer", None), getattr(model, "loss", None)
    if opt is None or loss is None or not hasattr(opt, "get_config"):
        return None
    if losses.LOSSES.get(getattr(loss, "name", None)) is not type(loss):
        return None
    names = _metric_names(getattr(model, "compiled_metrics", []))
    weighted = _metric_names(getattr(model, "compiled_weighted_metrics", []))
    if names is None or weighted is None:
        return None
    loss_cfg = {"name": loss.name}
    if getattr(loss, "from_logits", False):
        loss_cfg["from_logits"] = True
    cfg = {"optimizer": {"class_name": type(opt).__name__, "config": opt.get_config()},
           "loss": loss_cfg, "metrics": names}
    if weighted:
        cfg["weighted_metrics"] = weighted
    return cfg


def _metric_names(compiled):
    """The registry names that rebuild ``compiled``, or None when one has none."""
    names = []
    for m in compiled:
        for name in (m.name, m.name.removeprefix("weighted_")):  # the prefix compile adds
            try:
                metrics.get(name)
            except (ValueError, TypeError):
                continue
            names.append(name)
            break
        else:
            return None
    return names


def _check_optimizer_config(cls, cfg: dict, where: str) -> None:
    """Each saved hyperparameter has the type of the optimizer's own default: a name is a
    string, a flag a boolean, anything else a number (the constructors do not check, and a
    string learning rate would fail only in the first training step)."""
    try:
        defaults = cls().get_config()
    except (TypeError, ValueError, AttributeError):
        return
    for key, value in cfg.items():
        default = defaults.get(key)
        if key == "name" or isinstance(default, str):
            ok, want = isinstance(value, str), "a string"
        elif isinstance(default, bool):
            ok, want = isinstance(value, bool), "true or false"
        elif key in defaults:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            want = "a number"
        else:
            continue  # an unknown argument: the constructor refuses it
        if not ok:
            raise ConfigError(f"{where}: optimizer setting {key!r} must be {want}, found "
                              f"{value!r}")


def compile_from_config(model, cfg: dict, where: str = "<config>") -> None:
    """Compile ``model`` as :func:`compile_config` described it.

    Args:
        model: an uncompiled (or compiled) Keras-face model.
        cfg: the description.
        where: the file name for error messages.

    Raises:
        ConfigError: an unknown optimizer, loss or metric, or refused arguments.

    Example:
        >>> from topograd import keras
        >>> m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> m.compile(optimizer="adam", loss="mse")
        >>> m2 = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> compile_from_config(m2, compile_config(m))
        >>> type(m2.optimizer).__name__
        'Adam'
    """
    if not isinstance(cfg, dict):
        raise ConfigError(f"{where}: the compile settings must be a JSON object")
    opt_spec, loss_spec = cfg.get("optimizer"), cfg.get("loss")
    if not isinstance(opt_spec, dict) or not isinstance(opt_spec.get("config"), dict):
        raise ConfigError(f"{where}: compile settings without an optimizer")
    cls = optimizers.OPTIMIZERS.get(str(opt_spec.get("class_name", "")).lower())
    if cls is None:
        raise ConfigError(f"{where}: unknown optimizer {opt_spec.get('class_name')!r}")
    opt_cfg = {k: v for k, v in opt_spec["config"].items() if v is not None}
    _check_optimizer_config(cls, opt_cfg, where)
    if (not isinstance(loss_spec, dict) or not isinstance(loss_spec.get("name"), str)
            or loss_spec["name"] not in losses.LOSSES):
        raise ConfigError(f"{where}: unknown loss {loss_spec!r}")
    loss_cls = losses.LOSSES[loss_spec["name"]]
    names = cfg.get("metrics") or []
    weighted = cfg.get("weighted_metrics") or []
    for key, value in (("metrics", names), ("weighted_metrics", weighted)):
        if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
            raise ConfigError(f"{where}: {key} must be a list of names")
    try:
        optimizer = cls(**opt_cfg)
        loss = loss_cls(from_logits=True) if loss_spec.get("from_logits") else loss_cls()
        model.compile(optimizer=optimizer, loss=loss, metrics=names,
                      weighted_metrics=weighted or None)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}: cannot compile the model as saved: {e}") from None


# -- whole-model files --------------------------------------------------------------------------

def save_model(model, filepath, *, include_optimizer: bool = True, extra=None) -> None:
    """Save a Keras-face model (architecture, compile settings, weights, optimizer) atomically.

    Args:
        model: a ``keras.Sequential``.
        filepath: the ``.safetensors`` file to write (a temporary file renamed into place);
            a name without an extension is accepted too, any other extension (``.h5``,
            ``.keras``, ...) is refused with a ValueError before anything is written.
        include_optimizer: also store the optimizer's state, so training resumes exactly.
        extra: JSON-able data (dicts, lists, numbers, strings) to keep alongside, returned
            by :func:`topograd.io.model_info` (e.g. the epoch and the random state).

    Returns:
        None.

    Raises:
        TypeError: not a Keras-face model, or a part of it JSON cannot describe.
        OSError: the file cannot be written (names the file; a previous file is intact).

    Example:
        >>> import os, tempfile
        >>> from topograd import keras, io
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
        >>> save_model(model, path, extra={"epoch": 1})
        >>> io.model_info(path)["extra"]
        {'epoch': 1}
    """
    if not isinstance(model, Model):
        raise TypeError(f"save_model needs a Keras-face model, found {type(model).__name__}; "
                        f"for an nn.Module use topograd.save(model.state_dict(), path)")
    try:
        config = model_config(model)
    except ConfigError as e:
        raise TypeError(f"cannot save the model: {e}") from None
    opt = getattr(model, "optimizer", None)
    state = opt.state_dict() if include_optimizer and opt is not None and hasattr(
        opt, "state_dict") else None
    write_model_file(filepath, format=FORMAT, config=config, weights=model_weights(model),
                     compile_config=compile_config(model), optimizer_state=state, extra=extra)


def load_model(filepath, compile: bool = True):
    """Rebuild a model saved by :func:`save_model`: architecture, weights, compile, optimizer.

    No code is needed from the user and none is taken from the file: layer and model
    classes are looked up by name among topograd's own.

    Args:
        filepath: the file.
        compile: compile the model as it was (and restore the optimizer's state).

    Returns:
        The model, ready for ``predict``/``evaluate`` (and ``fit`` when compiled).

    Raises:
        FileNotFoundError: no such file.
        FormatError: a damaged file, or one whose architecture cannot be rebuilt.
        MismatchError: the weights do not fit the architecture (names the tensor).

    Example:
        >>> import os, tempfile
        >>> from topograd import keras
        >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
        >>> save_model(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]), path)
        >>> load_model(path).output_shape
        (None, 2)
    """
    where = os.fspath(filepath)
    parts = read_model_file(filepath, format=FORMAT)
    try:
        model = model_from_config(parts["config"], where)
    except ConfigError as e:
        raise FormatError(str(e)) from None
    set_model_weights(model, parts["weights"], where)
    if compile and parts["compile_config"] is not None:
        try:
            compile_from_config(model, parts["compile_config"], where)
        except ConfigError as e:
            raise FormatError(str(e)) from None
        state, opt = parts["optimizer"], getattr(model, "optimizer", None)
        if state is not None and opt is not None and hasattr(opt, "load_state_dict"):
            opt.load_state_dict(state)
    return model


register_model_format(FORMAT, load_model)
