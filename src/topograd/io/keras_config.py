"""Keras-face models as JSON: architecture and compile settings, and back, without code.

Layers, optimizers, losses and regularizers are rebuilt only from topograd's own classes,
looked up by name in fixed registries; nothing named by a file is imported or executed.
The built-in layers are described here from their attributes (so the Keras face may
build its own ``get_config``/``from_config`` on these functions); another
``topograd.keras`` layer class is asked for ``get_config()`` / ``from_config()``.

>>> from topograd import keras
>>> m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu")])
>>> spec = model_config(m)
>>> [l["class_name"] for l in spec["config"]["layers"]]
['InputLayer', 'Dense']
>>> model_from_config(spec).output_shape
(None, 3)
"""

from __future__ import annotations

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


def _keras():
    from topograd import keras

    return keras


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
    keras = _keras()
    if (not isinstance(cfg, dict) or cfg.get("class_name") not in ("L1", "L2", "L1L2")
            or not isinstance(cfg.get("config"), dict)):
        raise ConfigError(f"{where}: unknown regularizer {cfg!r}")
    return getattr(keras.regularizers, cfg["class_name"])(**cfg["config"])


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
    ours = type(layer).__module__.startswith("topograd.keras")
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
            if value not in _keras().activations.ACTIVATIONS:
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
    """
    if type(model).__name__ != "Sequential" or not hasattr(model, "layers"):
        raise ConfigError(f"cannot describe a {type(model).__name__} in JSON (expected a "
                          f"keras Sequential model)")
    layers = []
    shape = getattr(model, "declared_input_shape", None) or getattr(model, "build_shape", None)
    if shape is not None:
        layers.append({"class_name": "InputLayer",
                       "config": {"batch_shape": [None, *list(shape)[1:]]}})
    layers += [layer_config(layer) for layer in model.layers]
    return {"class_name": "Sequential", "config": {"name": model.name, "layers": layers}}


def _layer_class(name, where: str):
    keras = _keras()
    cls = getattr(keras.layers, name, None) if isinstance(name, str) else None
    if (not isinstance(cls, type) or not issubclass(cls, keras.layers.Layer)
            or not cls.__module__.startswith("topograd.keras")):
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
    """
    keras = _keras()
    if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
        raise ConfigError(f"{where}: the architecture must be {{'class_name': ..., "
                          f"'config': {{...}}}}")
    name = spec.get("class_name")
    cls = {"Sequential": keras.Sequential}.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ConfigError(f"{where}: unknown model class {name!r} (expected Sequential)")
    cfg = spec["config"]
    layers_spec = cfg.get("layers")
    if not isinstance(layers_spec, list):
        raise ConfigError(f"{where}: the architecture has no list of layers")
    layers = []
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
            layers.append(keras.Input(shape=tuple(shape[1:])))
        else:
            layers.append(layer_from_config(lay, f"{where}: layer {i}"))
    model_name = cfg.get("name")
    try:
        return keras.Sequential(layers, name=model_name if isinstance(model_name, str) else None)
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
    keras = _keras()
    if keras.losses.LOSSES.get(getattr(loss, "name", None)) is not type(loss):
        return None
    metrics = _metric_names(keras, getattr(model, "compiled_metrics", []))
    weighted = _metric_names(keras, getattr(model, "compiled_weighted_metrics", []))
    if metrics is None or weighted is None:
        return None
    loss_cfg = {"name": loss.name}
    if getattr(loss, "from_logits", False):
        loss_cfg["from_logits"] = True
    cfg = {"optimizer": {"class_name": type(opt).__name__, "config": opt.get_config()},
           "loss": loss_cfg, "metrics": metrics}
    if weighted:
        cfg["weighted_metrics"] = weighted
    return cfg


def _metric_names(keras, metrics):
    """The registry names that rebuild ``metrics``, or None when one has none."""
    names = []
    for m in metrics:
        for name in (m.name, m.name.removeprefix("weighted_")):  # the prefix compile adds
            try:
                keras.metrics.get(name)
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
    keras = _keras()
    if not isinstance(cfg, dict):
        raise ConfigError(f"{where}: the compile settings must be a JSON object")
    opt_spec, loss_spec = cfg.get("optimizer"), cfg.get("loss")
    if not isinstance(opt_spec, dict) or not isinstance(opt_spec.get("config"), dict):
        raise ConfigError(f"{where}: compile settings without an optimizer")
    cls = keras.optimizers.OPTIMIZERS.get(str(opt_spec.get("class_name", "")).lower())
    if cls is None:
        raise ConfigError(f"{where}: unknown optimizer {opt_spec.get('class_name')!r}")
    opt_cfg = {k: v for k, v in opt_spec["config"].items() if v is not None}
    _check_optimizer_config(cls, opt_cfg, where)
    if (not isinstance(loss_spec, dict) or not isinstance(loss_spec.get("name"), str)
            or loss_spec["name"] not in keras.losses.LOSSES):
        raise ConfigError(f"{where}: unknown loss {loss_spec!r}")
    loss_cls = keras.losses.LOSSES[loss_spec["name"]]
    metrics = cfg.get("metrics") or []
    weighted = cfg.get("weighted_metrics") or []
    for key, names in (("metrics", metrics), ("weighted_metrics", weighted)):
        if not isinstance(names, list) or not all(isinstance(m, str) for m in names):
            raise ConfigError(f"{where}: {key} must be a list of names")
    try:
        optimizer = cls(**opt_cfg)
        loss = loss_cls(from_logits=True) if loss_spec.get("from_logits") else loss_cls()
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics,
                      weighted_metrics=weighted or None)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}: cannot compile the model as saved: {e}") from None
