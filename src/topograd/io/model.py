"""The Keras-style face: one safetensors file holds a whole model.

The weights are the file's tensors (named ``"<layer index>.<weight>"``, as Keras matches
weights by layer order); the header's metadata holds, as JSON, the architecture, the
compile settings, the optimizer's state (its arrays are tensors too) and any ``extra``
the caller adds (epoch, random state). :func:`load_model` rebuilds the model from that
JSON alone (see :mod:`topograd.io.keras_config`): class names are looked up among
topograd's own classes, and nothing named by the file is imported or run.

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

import json
import os

from ._paths import check_save_path
from .api import TREE_KEY, decode, encode
from .keras_config import (
    ConfigError,
    compile_config,
    compile_from_config,
    model_config,
    model_from_config,
)
from .tensorfile import FormatError, read_header, read_tensors, write_tensors
from .tree import flatten
from .weights import model_weights, set_model_weights

FORMAT_KEY = "topograd.format"
FORMAT = "keras-model"
CONFIG_KEY = "topograd.model_config"
COMPILE_KEY = "topograd.compile_config"
EXTRA_KEY = "topograd.extra"
OPTIMIZER_PREFIX = "optimizer"


def _json(obj, what: str) -> str:
    try:
        return json.dumps(obj, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError(f"cannot save the model: its {what} is not JSON-able ({e})") from None


def save_model(model, path, *, include_optimizer: bool = True, extra=None) -> None:
    """Save a Keras-face model (architecture, compile settings, weights, optimizer) atomically.

    Args:
        model: a ``keras.Sequential``.
        path: the ``.safetensors`` file to write (a temporary file renamed into place); a
            name without an extension is accepted too, any other extension (``.h5``,
            ``.keras``, ...) is refused with a ValueError before anything is written.
        include_optimizer: also store the optimizer's state, so training resumes exactly.
        extra: JSON-able data (dicts, lists, numbers, strings) to keep alongside, returned
            by :func:`model_info` (e.g. the epoch and the random state).

    Returns:
        None.

    Example:
        >>> import os, tempfile
        >>> from topograd import keras
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
        >>> save_model(model, path, extra={"epoch": 1})
        >>> model_info(path)["extra"]
        {'epoch': 1}
    """
    if not hasattr(model, "layers"):
        raise TypeError(f"save_model needs a Keras-face model, found {type(model).__name__}; "
                        f"for an nn.Module use topograd.save(model.state_dict(), path)")
    check_save_path(path)
    try:
        meta = {FORMAT_KEY: FORMAT, CONFIG_KEY: _json(model_config(model), "architecture")}
    except ConfigError as e:
        raise TypeError(f"cannot save the model: {e}") from None
    compiled = compile_config(model)
    if compiled is not None:
        meta[COMPILE_KEY] = _json(compiled, "compile settings")
    if extra is not None:
        meta[EXTRA_KEY] = _json(extra, "extra")
    # the weights keep their plain names ("0.kernel"); the optimizer's arrays are stored
    # under "optimizer.*" (weight names start with a layer index, so they never collide)
    tensors, header = encode(model_weights(model))
    skeleton = [["weights", json.loads(header[TREE_KEY])]]
    opt = getattr(model, "optimizer", None)
    if include_optimizer and opt is not None and hasattr(opt, "state_dict"):
        opt_tensors, opt_skeleton = flatten(opt.state_dict(), OPTIMIZER_PREFIX)
        tensors.update(opt_tensors)
        skeleton.append(["optimizer", opt_skeleton])
    header[TREE_KEY] = json.dumps({"d": skeleton}, separators=(",", ":"), allow_nan=False)
    header.update(meta)
    write_tensors(path, tensors, header)


def _parse(metadata: dict, key: str, where: str):
    text = metadata.get(key)
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:
        raise FormatError(f"{where}: metadata {key!r} is not valid JSON ({e})") from None


def model_info(path) -> dict:
    """What a model file says about itself, read from the header only (no weights).

    Args:
        path: a file from :func:`save_model`.

    Returns:
        ``{"config": ..., "compile_config": ... or None, "extra": ... or {},
        "weights": {name: (dtype, shape)}}``.

    Raises:
        FormatError: not a topograd model file (or a damaged one).

    Example:
        >>> import os, tempfile
        >>> from topograd import keras
        >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
        >>> save_model(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]), path)
        >>> model_info(path)["weights"]["0.kernel"]
        (dtype('float32'), (3, 2))
    """
    where = os.fspath(path)
    entries, metadata = read_header(path)
    if metadata.get(FORMAT_KEY) != FORMAT:
        raise FormatError(f"{where}: not a topograd model file (no architecture in its "
                          f"metadata; a weights-only file needs a model built in code and "
                          f"load_weights)")
    return {"config": _parse(metadata, CONFIG_KEY, where),
            "compile_config": _parse(metadata, COMPILE_KEY, where),
            "extra": _parse(metadata, EXTRA_KEY, where) or {},
            "weights": {k: v for k, v in entries.items()
                        if not k.startswith(OPTIMIZER_PREFIX + ".")}}


def load_model(path, *, compile: bool = True):
    """Rebuild a model saved by :func:`save_model`: architecture, weights, compile, optimizer.

    No code is needed from the user and none is taken from the file: layer and model
    classes are looked up by name among topograd's own.

    Args:
        path: the file.
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
    where = os.fspath(path)
    tensors, metadata = read_tensors(path)
    if metadata.get(FORMAT_KEY) != FORMAT:
        raise FormatError(f"{where}: not a topograd model file (no architecture in its "
                          f"metadata); build the model in code and use load_weights")
    try:
        model = model_from_config(_parse(metadata, CONFIG_KEY, where), where)
    except ConfigError as e:
        raise FormatError(str(e)) from None
    tree = decode(tensors, metadata, where, as_numpy=True)
    if not isinstance(tree, dict) or not isinstance(tree.get("weights"), dict):
        raise FormatError(f"{where}: holds no weights")
    set_model_weights(model, tree["weights"], where)
    compiled = _parse(metadata, COMPILE_KEY, where)
    if compile and compiled is not None:
        try:
            compile_from_config(model, compiled, where)
        except ConfigError as e:
            raise FormatError(str(e)) from None
        state = tree.get("optimizer")
        opt = getattr(model, "optimizer", None)
        if state is not None and opt is not None and hasattr(opt, "load_state_dict"):
            opt.load_state_dict(state)
    return model
