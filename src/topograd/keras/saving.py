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
  :func:`layer_from_config`: the architecture (the built-in layers, described from their
  attributes);
- :func:`compile_config` / :func:`compile_from_config`: optimizer, loss and metrics.

A file may come from anyone, so :func:`load_model` checks before it builds: every field of
the description is checked for its type and range (unknown fields are refused; at most
:data:`MAX_LAYERS` layers, units and dimensions up to :data:`MAX_DIM`), the shapes of the
weights each layer will create are computed from the description alone and compared with
the tensors the file holds (names, shapes, dtypes), and only then are the layers
constructed, each built once. The optimizer's saved state is checked by the optimizer
(containers, options and their ranges, every per-parameter value the rule keeps). A file
that fails any check is a :class:`~topograd.io.FormatError` or
:class:`~topograd.io.MismatchError` naming the file and the layer or field.

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

import math
import os
from typing import NamedTuple

import numpy as np

from topograd.io import FormatError, MismatchError
from topograd.io.model import read_model_file, register_model_format, write_model_file
from topograd.io.tensorfile import MAX_DIMS
from topograd.io.weights import model_weights, set_model_weights

from . import activations, initializers, layers, losses, metrics, optimizers, regularizers
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
    # only the built-in layers: load_model computes their weights from the description
    # before building them, which it cannot do for a class it does not know
    if cls not in _LAYER_FIELDS or not _ours(type(layer)):
        raise ConfigError(f"layer {getattr(layer, 'name', cls)!r} ({cls}) cannot be "
                          f"described in JSON: save its weights only")
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


# -- reading a description: every field checked, the weights computed before any is created ---
# A description comes from a file (or a user's JSON): each field's type and range is checked
# before a layer is constructed, and the shapes of the weights each layer will create are
# computed from the description alone, so load_model compares them with the tensors the
# file holds before a single weight is allocated.

MAX_LAYERS = 10_000  # layers a description may hold
MAX_DIM = 2 ** 31 - 1  # a number of units, or one input dimension
MAX_PARAMS = 1_000_000_000  # weights model_from_config creates for a description (4 GB)
MAX_NAME = 256  # characters of a layer's or model's name
_SHAPE_KEYS = ("input_shape", "batch_input_shape", "input_dim")
_REGULARIZER_ARGS = {"L1": ("l1",), "L2": ("l2",), "L1L2": ("l1", "l2")}
# the arguments a description may give each built-in layer beyond _LAYER_FIELDS (Keras's
# get_config writes them too), and those it must give
_COMMON_FIELDS = ("name", "trainable", "dtype")
_MORE_FIELDS = {
    "Dense": ("kernel_initializer", "bias_initializer", "activity_regularizer",
              "kernel_constraint", "bias_constraint"),
    "Activation": (),
    "Dropout": ("noise_shape", "seed"),
    "BatchNormalization": ("beta_initializer", "gamma_initializer", "moving_mean_initializer",
                           "moving_variance_initializer"),
    "Flatten": ("data_format",),
}
_REQUIRED = {"Dense": ("units",), "Activation": ("activation",), "Dropout": ("rate",)}


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _finite(v) -> bool:
    """A JSON number that is finite (``1e999`` parses as infinity; a 400-digit integer has
    no float)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def _initializer_ok(v) -> bool:
    if not isinstance(v, str) or len(v) > MAX_NAME:
        return False
    try:
        initializers.get(v)
    except (TypeError, ValueError):
        return False
    return True


_BOOL = (lambda v: isinstance(v, bool), "true or false")
_NONE = (lambda v: v is None, "null (not supported)")
_INIT = (_initializer_ok, "the name of a Keras initializer")
# field -> (check, what it must be)
_CHECKS = {
    "name": (lambda v: isinstance(v, str) and 0 < len(v) <= MAX_NAME and "." not in v,
             f"a non-empty string of at most {MAX_NAME} characters without '.'"),
    "trainable": _BOOL, "use_bias": _BOOL, "center": _BOOL, "scale": _BOOL,
    "dtype": (lambda v: v is None or v == "float32", 'null or "float32"'),
    "units": (lambda v: _is_int(v) and 1 <= v <= MAX_DIM, f"an integer from 1 to {MAX_DIM}"),
    "activation": (lambda v: v is None or (isinstance(v, str) and v in activations.ACTIVATIONS),
                   f"null or one of {', '.join(activations.ACTIVATIONS)}"),
    "rate": (lambda v: _finite(v) and 0 <= v < 1, "a number in [0, 1)"),
    "axis": (lambda v: _is_int(v) and v != 0 and -MAX_DIMS <= v <= MAX_DIMS,
             f"a non-zero integer from -{MAX_DIMS} to {MAX_DIMS}"),
    "momentum": (lambda v: _finite(v) and 0 <= v <= 1, "a number in [0, 1]"),
    "epsilon": (lambda v: _finite(v) and v >= 0, "a finite number >= 0"),
    "seed": (lambda v: v is None or (_is_int(v) and 0 <= v < 2 ** 63),
             "null or a non-negative integer"),
    "data_format": (lambda v: v is None or v == "channels_last", 'null or "channels_last"'),
    "activity_regularizer": _NONE, "kernel_constraint": _NONE, "bias_constraint": _NONE,
    "noise_shape": _NONE,
    **{f"{w}_initializer": _INIT for w in ("kernel", "bias", "beta", "gamma", "moving_mean",
                                            "moving_variance")},
}


class _Planned(NamedTuple):
    """A checked description: what to construct, and the weights it will create."""

    name: str | None
    input_shape: tuple | None  # the batch shape (None, d1, ...), or None when not known
    layers: list  # (class, keyword arguments) per layer
    labels: list  # "layer 0 (dense, Dense)" per layer, for messages
    weights: dict  # "<layer index>.<weight>" -> shape (all float32), in creation order


def _regularizer_from(cfg, where: str):
    if cfg is None:
        return None
    if (not isinstance(cfg, dict) or not isinstance(cfg.get("class_name"), str)
            or cfg["class_name"] not in _REGULARIZER_ARGS
            or not isinstance(cfg.get("config", {}), dict)):
        raise ConfigError(f"{where}: unknown regularizer {_short(cfg)} (expected null or "
                          f"{{'class_name': 'L1' | 'L2' | 'L1L2', 'config': {{...}}}})")
    cls, args = cfg["class_name"], cfg.get("config", {})
    allowed = _REGULARIZER_ARGS[cls]
    for key, value in args.items():
        if key not in allowed:
            raise ConfigError(f"{where}: regularizer {cls} has no argument {_short(key)} "
                              f"(expected {', '.join(allowed)})")
        if not (_finite(value) and value >= 0):
            raise ConfigError(f"{where}: regularizer {cls} argument {key!r} must be a finite "
                              f"number >= 0, found {_short(value)}")
    return getattr(regularizers, cls)(**args)


def _dims_ok(value) -> bool:
    """One sample's dimensions: 1 to MAX_DIMS integers, each from 1 to MAX_DIM."""
    return (isinstance(value, list) and 1 <= len(value) <= MAX_DIMS
            and all(_is_int(d) and 1 <= d <= MAX_DIM for d in value))


def _sample_dims(value, where: str, what: str) -> tuple:
    if not _dims_ok(value):
        raise ConfigError(f"{where}: {what} must list 1 to {MAX_DIMS} integers from 1 to "
                          f"{MAX_DIM}, found {_short(value)}")
    return tuple(value)


def _batch_shape(value, where: str, what: str) -> tuple:
    """``[null or batch size, d1, ...]`` as ``(None, d1, ...)``; ``what`` says what it must
    be (``"InputLayer needs batch_shape"``)."""
    if (not isinstance(value, list) or len(value) < 2 or not _dims_ok(value[1:])
            or not (value[0] is None or (_is_int(value[0]) and 1 <= value[0] <= MAX_DIM))):
        raise ConfigError(f"{where}: {what} [null, d1, ...] with 1 to {MAX_DIMS} dimensions "
                          f"from 1 to {MAX_DIM}, found {_short(value)}")
    return (None, *value[1:])


def _declared_shape(key: str, value, where: str) -> tuple:
    """The batch shape a layer's ``input_shape`` / ``batch_input_shape`` / ``input_dim``
    declares."""
    if key == "input_dim":
        if not (_is_int(value) and 1 <= value <= MAX_DIM):
            raise ConfigError(f"{where}: field 'input_dim' must be an integer from 1 to "
                              f"{MAX_DIM}, found {_short(value)}")
        return (None, value)
    if key == "batch_input_shape":
        return _batch_shape(value, where, "field 'batch_input_shape' must be")
    return (None, *_sample_dims(value, where, "field 'input_shape'"))


def _layer_class(name, where: str):
    cls = getattr(layers, name, None) if isinstance(name, str) else None
    if not isinstance(cls, type) or not issubclass(cls, layers.Layer) or not _ours(cls):
        raise ConfigError(f"{where}: unknown layer class {_short(name)}")
    return cls


def _layer_kwargs(spec, where: str) -> tuple:
    """``(class, keyword arguments, declared batch shape or None)`` for one layer's
    description, every field checked (unknown fields refused)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("config", {}), dict):
        raise ConfigError(f"{where}: a layer must be {{'class_name': ..., 'config': {{...}}}}, "
                          f"found {_short(spec)}")
    cls = _layer_class(spec.get("class_name"), where)
    name = cls.__name__
    if name not in _LAYER_FIELDS:
        raise ConfigError(f"{where}: layer class {name} cannot be rebuilt from a description")
    cfg = spec.get("config", {})
    allowed = (*_COMMON_FIELDS, *_LAYER_FIELDS[name], *_MORE_FIELDS[name], *_SHAPE_KEYS)
    kwargs, shape = {}, None
    for key, value in cfg.items():
        if key not in allowed:
            raise ConfigError(f"{where}: cannot build layer {name}: it has no field "
                              f"{_short(key)} (expected "
                              f"{', '.join(k for k in allowed if k not in _SHAPE_KEYS)})")
        if key in _SHAPE_KEYS:
            if shape is not None:
                raise ConfigError(f"{where}: give only one of {', '.join(_SHAPE_KEYS)}")
            shape = _declared_shape(key, value, where)
        elif key.endswith("_regularizer") and key != "activity_regularizer":
            kwargs[key] = _regularizer_from(value, f"{where}: field {key!r}")
        else:
            ok, want = _CHECKS[key]
            if not ok(value):
                raise ConfigError(f"{where}: cannot build layer {name}: field {key!r} must be "
                                  f"{want}, found {_short(value)}")
            kwargs[key] = value
    missing = [k for k in _REQUIRED.get(name, ()) if k not in kwargs]
    if missing:
        raise ConfigError(f"{where}: cannot build layer {name}: it needs the field "
                          f"{missing[0]!r}")
    return cls, kwargs, shape


def _layer_weights(name: str, kw: dict, shape, label: str, where: str) -> tuple:
    """``(output shape, {weight: shape})`` of a built-in layer on inputs of ``shape``,
    computed from its arguments (nothing is built)."""
    if shape is None:  # no input shape: the layer creates its weights on its first call
        return None, {}
    if name == "Dense":
        units = kw["units"]
        weights = {"kernel": (shape[-1], units)}
        if kw.get("use_bias", True):
            weights["bias"] = (units,)
        return (*shape[:-1], units), weights
    if name == "BatchNormalization":
        axis, n = kw.get("axis", -1), len(shape)
        if not -n < axis < n:
            raise ConfigError(f"{where}: {label}: axis {axis} is out of range for its input "
                              f"shape {layers.format_shape(shape)}")
        c = (shape[axis],)
        weights = {}
        if kw.get("scale", True):
            weights["gamma"] = c
        if kw.get("center", True):
            weights["beta"] = c
        weights.update(moving_mean=c, moving_variance=c)
        return shape, weights
    if name == "Flatten":
        size = math.prod(shape[1:])
        if size > MAX_DIM:
            raise ConfigError(f"{where}: {label}: flattens {layers.format_shape(shape)} to "
                              f"{size} values per sample; at most {MAX_DIM} are supported")
        return (shape[0], size), {}
    return shape, {}


def _plan(spec, where: str) -> _Planned:
    """Check a model's description field by field and compute the weights it creates."""
    if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
        raise ConfigError(f"{where}: the architecture must be {{'class_name': ..., "
                          f"'config': {{...}}}}")
    if spec.get("class_name") != "Sequential":
        raise ConfigError(f"{where}: unknown model class {_short(spec.get('class_name'))} "
                          f"(expected Sequential)")
    cfg = spec["config"]
    model_name = cfg.get("name")
    if model_name is not None and not (isinstance(model_name, str)
                                       and len(model_name) <= MAX_NAME):
        raise ConfigError(f"{where}: the model's name must be a string of at most {MAX_NAME} "
                          f"characters, found {_short(model_name)}")
    described = cfg.get("layers")
    if not isinstance(described, list):
        raise ConfigError(f"{where}: the architecture has no list of layers")
    n_layers = len(described) - bool(described and isinstance(described[0], dict)
                                     and described[0].get("class_name") == "InputLayer")
    if n_layers > MAX_LAYERS:
        raise ConfigError(f"{where}: the architecture has {n_layers} layers; at most "
                          f"{MAX_LAYERS} are supported")
    shape, built, labels, names = None, [], [], set()
    for i, lay in enumerate(described):
        at = f"{where}: layer {len(built)}"  # counted as the model counts them (no InputLayer)
        if isinstance(lay, dict) and lay.get("class_name") == "InputLayer":
            if i != 0:
                raise ConfigError(f"{where}: an InputLayer can only come first (found one at "
                                  f"position {i} of the list)")
            lay_cfg = lay.get("config")
            found = lay_cfg.get("batch_shape") if isinstance(lay_cfg, dict) else None
            shape = _batch_shape(found, where, "InputLayer needs batch_shape")
            continue
        cls, kwargs, declared = _layer_kwargs(lay, at)
        if declared is not None:
            if built or shape is not None:
                raise ConfigError(f"{at}: only the first layer may declare the input shape "
                                  f"(when there is no InputLayer)")
            shape = declared
        name = kwargs.get("name")
        if name is not None:
            if name in names:
                raise ConfigError(f"{at}: a second layer named {name!r}")
            names.add(name)
        built.append((cls, kwargs))
    input_shape, weights = shape, {}
    for i, (cls, kwargs) in enumerate(built):
        named = f"{kwargs['name']}, " if "name" in kwargs else ""
        label = f"layer {i} ({named}{cls.__name__})"
        labels.append(label)
        shape, own = _layer_weights(cls.__name__, kwargs, shape, label, where)
        weights.update((f"{i}.{k}", v) for k, v in own.items())
    return _Planned(model_name, input_shape, built, labels, weights)


def _construct(plan: _Planned, where: str):
    """The model a checked description asks for: its layers constructed without an input
    shape, then built once for it (each layer's weights created once, in linear time)."""
    built = []
    for (cls, kwargs), label in zip(plan.layers, plan.labels):
        try:
            built.append(cls(**kwargs))
        except (TypeError, ValueError, NotImplementedError) as e:
            raise ConfigError(f"{where}: {label}: cannot build it: {e}") from None
    try:
        model = Sequential(built, name=plan.name)
        if plan.input_shape is not None:
            model.declared_input_shape = plan.input_shape
            model.build(plan.input_shape)
    except (TypeError, ValueError, KeyError) as e:
        raise ConfigError(f"{where}: cannot build the model: {e}") from None
    return model


def _check_planned_weights(plan: _Planned, weights: dict, where: str) -> None:
    """The file's weights are exactly the ones the architecture creates: the same names,
    shapes and dtype (float32), before any layer allocates one."""
    for key, shape in plan.weights.items():
        label = plan.labels[int(key.split(".", 1)[0])]
        found = weights.get(key)
        if found is None:
            raise MismatchError(f"{where}: tensor {key!r} of {label} is missing (the "
                                f"architecture declares float32 {shape}); "
                                f"{sum(k not in weights for k in plan.weights)} missing")
        if tuple(found.shape) != shape:
            raise MismatchError(f"{where}: tensor {key!r} of {label} has shape "
                                f"{tuple(found.shape)} but the architecture declares {shape}")
        if found.dtype != np.float32:
            raise MismatchError(f"{where}: tensor {key!r} of {label} has dtype {found.dtype} "
                                f"but the layer's weights are float32")
    extra = [k for k in weights if k not in plan.weights]
    if extra:
        raise MismatchError(f"{where}: tensor {_short(extra[0])} is not part of the model; "
                            f"{len(extra)} unexpected")


def layer_from_config(spec: dict, where: str = "<config>"):
    """Build one layer from :func:`layer_config`'s description, every field checked.

    Raises:
        ConfigError: an unknown class or field, or a field of the wrong type or range
            (names ``where`` and the field).

    Example:
        >>> layer_from_config({"class_name": "Dropout", "config": {"rate": 0.5}}).rate
        0.5
    """
    cls, kwargs, shape = _layer_kwargs(spec, where)
    if shape is not None:  # the layer builds itself at once: bound what it creates
        _, own = _layer_weights(cls.__name__, kwargs, shape, cls.__name__, where)
        _check_size(sum(math.prod(s) for s in own.values()), where)
        kwargs["batch_input_shape"] = list(shape)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, NotImplementedError) as e:
        raise ConfigError(f"{where}: cannot build layer {cls.__name__}: {e}") from None


def _check_size(n_weights: int, where: str) -> None:
    if n_weights > MAX_PARAMS:
        raise ConfigError(f"{where}: the architecture creates {n_weights:,} weights; at most "
                          f"{MAX_PARAMS:,} are supported")


def model_from_config(spec: dict, where: str = "<config>"):
    """Rebuild a model from :func:`model_config`'s description (weights freshly initialized).

    Every field is checked (type and range; unknown fields are refused) and the weights
    the layers will create are counted before any layer is constructed: at most
    :data:`MAX_LAYERS` layers and :data:`MAX_PARAMS` weights.

    Args:
        spec: ``{"class_name": "Sequential", "config": {...}}``.
        where: the file name for error messages.

    Returns:
        The model, built when the description has an ``InputLayer``.

    Raises:
        ConfigError: an unknown class name or field, or a field of the wrong type or range
            (names ``where``, the layer and the field).

    Example:
        >>> from topograd import keras
        >>> m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        >>> model_from_config(model_config(m)).output_shape
        (None, 3)
        >>> bad = {"class_name": "Sequential", "config": {"layers": [
        ...     {"class_name": "Dense", "config": {"units": "3"}}]}}
        >>> try:
        ...     model_from_config(bad, "m.json")
        ... except ConfigError as e:
        ...     print(e)  # doctest: +ELLIPSIS
        m.json: layer 0: cannot build layer Dense: field 'units' must be an integer ...
    """
    plan = _plan(spec, where)
    _check_size(sum(math.prod(s) for s in plan.weights.values()), where)
    return _construct(plan, where)

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
        elif key in defaults:  # every Keras hyperparameter is a number >= 0
            ok, want = _finite(value) and value >= 0, "a number"  # JSON's 1e999 is infinite
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
        raise ConfigError(f"{where}: unknown optimizer {_short(opt_spec.get('class_name'))}")
    opt_cfg = {k: v for k, v in opt_spec["config"].items() if v is not None}
    _check_optimizer_config(cls, opt_cfg, where)
    if (not isinstance(loss_spec, dict) or not isinstance(loss_spec.get("name"), str)
            or loss_spec["name"] not in losses.LOSSES):
        raise ConfigError(f"{where}: unknown loss {_short(loss_spec)}")
    if not isinstance(loss_spec.get("from_logits", False), bool):
        raise ConfigError(f"{where}: the loss's from_logits must be true or false, found "
                          f"{_short(loss_spec['from_logits'])}")
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
        plan = _plan(parts["config"], where)
    except ConfigError as e:
        raise FormatError(str(e)) from None
    # before any layer allocates a weight: the file holds exactly the weights it describes
    _check_planned_weights(plan, parts["weights"], where)
    try:
        model = _construct(plan, where)
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
            try:
                opt.load_state_dict(state)
            except (TypeError, ValueError, KeyError, IndexError, OverflowError) as e:
                raise FormatError(f"{where}: the optimizer state does not fit "
                                  f"{type(opt).__name__}: {e}") from None
    return model


register_model_format(FORMAT, load_model)
