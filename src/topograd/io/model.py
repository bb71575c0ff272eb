"""Whole-model files: one safetensors file holds a model's weights, architecture and more.

The layout (a file format; which classes the JSON names is the face's business):

- tensors: the weights under their own names (``"0.kernel"``: a layer index first, so
  they never start with ``optimizer.``), the optimizer's arrays under ``optimizer.*``;
- header: ``topograd.format`` (the face's name for the file, e.g. ``"keras-model"``),
  ``topograd.model_config`` (the architecture as JSON), ``topograd.compile_config``
  (optional), ``topograd.extra`` (optional JSON the caller keeps alongside: epoch, random
  state), and the structure ``{"weights": ..., "optimizer": ...}`` as in :mod:`.api`.

``topograd.io`` imports no face. The face describes its models and rebuilds them
(:mod:`topograd.keras.saving`): a model that can be saved whole says so with a method,
``model._save_model(path, include_optimizer=..., extra=...)``, which :func:`save_model`
calls; the face registers a reader for the format name it records
(:func:`register_model_format`), which :func:`load_model` looks up by the name the file
records. A file whose format has no reader yet asks the ``topograd`` package to register
its faces' readers (``topograd._register_model_formats``), so
``topograd.io.load_model(path)`` works in a process that never imported the face.

>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
>>> write_model_file(path, format="demo", config={"layers": 1},
...                  weights={"0.w": np.ones(2, np.float32)}, extra={"epoch": 1})
>>> parts = read_model_file(path, format="demo")
>>> parts["config"], parts["weights"]["0.w"].tolist(), parts["extra"]
({'layers': 1}, [1.0, 1.0], {'epoch': 1})
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import numpy as np

from ._paths import check_save_path
from .api import FORMAT_KEY, TREE_KEY, decode, encode
from .tensorfile import FormatError, read_header, read_tensors, write_tensors
from .tree import flatten

CONFIG_KEY = "topograd.model_config"
COMPILE_KEY = "topograd.compile_config"
EXTRA_KEY = "topograd.extra"
OPTIMIZER_PREFIX = "optimizer"

_NOT_A_MODEL = ("not a topograd model file (no architecture in its metadata); build the "
                "model in code and use load_weights")

# format name -> reader(path, compile=...) -> model; filled by the faces
_READERS: dict[str, Callable] = {}


def _json(obj, what: str) -> str:
    try:
        return json.dumps(obj, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError(f"cannot save the model: its {what} is not JSON-able ({e})") from None


def write_model_file(path, *, format: str, config, weights: dict, compile_config=None,
                     optimizer_state=None, extra=None) -> None:
    """Write a whole-model file atomically (see the module's docstring for the layout).

    Args:
        path: the ``.safetensors`` file (a name without an extension is accepted too; any
            other extension is refused with a ValueError before anything is written).
        format: the face's name for the file (``topograd.format``).
        config: the architecture, JSON-able.
        weights: ``{name: ndarray}``; no name may start with ``optimizer.``.
        compile_config: JSON-able compile settings, or None.
        optimizer_state: the optimizer's ``state_dict()`` (arrays, numbers, strings,
            dicts, lists), or None.
        extra: JSON-able data kept alongside, or None.

    Returns:
        None.

    Raises:
        TypeError: a part is not JSON-able.
        ValueError: a refused file name, or a weight name in the optimizer's namespace.

    Example:
        >>> import os, tempfile, numpy as np
        >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
        >>> write_model_file(path, format="demo", config={"units": 2},
        ...                  weights={"0.w": np.zeros(2, np.float32)},
        ...                  optimizer_state={"step": np.ones(2)})
        >>> sorted(read_tensors(path)[0])
        ['0.w', 'optimizer.step']
    """
    check_save_path(path)
    meta = {FORMAT_KEY: format, CONFIG_KEY: _json(config, "architecture")}
    if compile_config is not None:
        meta[COMPILE_KEY] = _json(compile_config, "compile settings")
    if extra is not None:
        meta[EXTRA_KEY] = _json(extra, "extra")
    clash = [k for k in weights if str(k).startswith(OPTIMIZER_PREFIX + ".")]
    if clash and optimizer_state is not None:
        raise ValueError(f"cannot save the model: weight {clash[0]!r} is named like the "
                         f"optimizer's arrays ({OPTIMIZER_PREFIX}.*)")
    # the weights keep their plain names; the optimizer's arrays go under "optimizer.*"
    tensors, header = encode(weights)
    skeleton = [["weights", json.loads(header[TREE_KEY])]]
    if optimizer_state is not None:
        _, opt_skeleton = flatten(optimizer_state, OPTIMIZER_PREFIX, into=tensors)
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


def _check_is_model_file(metadata: dict, where: str, format: str | None) -> str:
    found = metadata.get(FORMAT_KEY)
    if CONFIG_KEY not in metadata or not isinstance(found, str):
        raise FormatError(f"{where}: {_NOT_A_MODEL}")
    if format is not None and found != format:
        raise FormatError(f"{where}: a model file of format {found!r}, not {format!r}")
    return found


def read_model_file(path, *, format: str | None = None) -> dict:
    """Read a whole-model file, checked: the header first, then every part's type.

    Args:
        path: the file.
        format: the format name expected (``topograd.format``), or None for any.

    Returns:
        ``{"format": str, "config": ..., "compile_config": ... or None, "extra": ... or
        None, "weights": {name: ndarray}, "optimizer": dict or None}``.

    Raises:
        FileNotFoundError: no such file.
        FormatError: a damaged file, or not a model file (of that format).

    Example:
        >>> import os, tempfile, numpy as np
        >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
        >>> write_model_file(path, format="demo", config=[1, 2], weights={})
        >>> read_model_file(path)["config"]
        [1, 2]
        >>> try:
        ...     read_model_file(path, format="keras-model")
        ... except FormatError as e:
        ...     print(str(e).split(": ", 1)[1])
        a model file of format 'demo', not 'keras-model'
    """
    where = os.fspath(path)
    tensors, metadata = read_tensors(path)
    found = _check_is_model_file(metadata, where, format)
    config = _parse(metadata, CONFIG_KEY, where)
    compiled = _parse(metadata, COMPILE_KEY, where)
    extra = _parse(metadata, EXTRA_KEY, where)
    tree = decode(tensors, metadata, where, as_numpy=True)
    weights = tree.get("weights") if isinstance(tree, dict) else None
    if not isinstance(weights, dict) or not all(
            isinstance(k, str) and isinstance(v, np.ndarray) for k, v in weights.items()):
        raise FormatError(f"{where}: holds no weights (its structure must map 'weights' to "
                          f"name -> tensor)")
    optimizer = tree.get("optimizer")
    if optimizer is not None and not isinstance(optimizer, dict):
        raise FormatError(f"{where}: the optimizer state must be a dict, found "
                          f"{type(optimizer).__name__}")
    return {"format": found, "config": config, "compile_config": compiled, "extra": extra,
            "weights": weights, "optimizer": optimizer}


def model_info(path) -> dict:
    """What a model file says about itself, read from the header only (no weights).

    Args:
        path: a file from :func:`save_model` (or ``model.save``).

    Returns:
        ``{"config": ..., "compile_config": ... or None, "extra": ... or {},
        "weights": {name: (dtype, shape)}, "format": str}``.

    Raises:
        FormatError: not a topograd model file (or a damaged one).

    Example:
        >>> import os, tempfile, numpy as np
        >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
        >>> write_model_file(path, format="demo", config={},
        ...                  weights={"0.kernel": np.zeros((3, 2), np.float32)})
        >>> model_info(path)["weights"]["0.kernel"]
        (dtype('float32'), (3, 2))
    """
    where = os.fspath(path)
    entries, metadata = read_header(path)
    found = _check_is_model_file(metadata, where, None)
    return {"config": _parse(metadata, CONFIG_KEY, where),
            "compile_config": _parse(metadata, COMPILE_KEY, where),
            "extra": _parse(metadata, EXTRA_KEY, where) or {},
            "weights": {k: v for k, v in entries.items()
                        if not k.startswith(OPTIMIZER_PREFIX + ".")},
            "format": found}


def register_model_format(name: str, reader: Callable) -> None:
    """Make :func:`load_model` hand files of format ``name`` to ``reader``.

    A face calls this when it is imported (``topograd.keras.saving`` registers
    ``"keras-model"``).

    Args:
        name: the format name the face records in ``topograd.format``.
        reader: ``reader(path, compile=True)`` returning the model.

    Returns:
        None.

    Example:
        >>> register_model_format("demo", lambda path, compile=True: ("a model from", path))
        >>> _READERS["demo"]("m.safetensors")[0]
        'a model from'
        >>> del _READERS["demo"]
    """
    if not isinstance(name, str) or not name or not callable(reader):
        raise TypeError(f"register_model_format needs a format name and a callable reader, "
                        f"found {name!r}, {reader!r}")
    _READERS[name] = reader


def _reader(found: str, where: str) -> Callable:
    reader = _READERS.get(found)
    if reader is None:  # the face was never imported: the package knows its faces
        import topograd

        topograd._register_model_formats()
        reader = _READERS.get(found)
    if reader is None:
        raise FormatError(f"{where}: a model file of format {found!r}, which this version of "
                          f"topograd cannot read (readable: {', '.join(sorted(_READERS))})")
    return reader


def save_model(model, path, *, include_optimizer: bool = True, extra=None) -> None:
    """Save a whole model (architecture, compile settings, weights, optimizer) atomically.

    The model saves itself: its face describes it (for a Keras-face model,
    :func:`topograd.keras.saving.save_model`).

    Args:
        model: a model that can be saved whole (a ``keras.Sequential``).
        path: the ``.safetensors`` file to write (a temporary file renamed into place); a
            name without an extension is accepted too, any other extension (``.h5``,
            ``.keras``, ...) is refused with a ValueError before anything is written.
        include_optimizer: also store the optimizer's state, so training resumes exactly.
        extra: JSON-able data (dicts, lists, numbers, strings) to keep alongside, returned
            by :func:`model_info` (e.g. the epoch and the random state).

    Returns:
        None.

    Raises:
        TypeError: the model cannot be saved whole (an ``nn.Module``: save its
            ``state_dict()`` instead), or a part of it cannot be described in JSON.

    Example:
        >>> import os, tempfile
        >>> from topograd import keras
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
        >>> save_model(model, path, extra={"epoch": 1})
        >>> model_info(path)["extra"]
        {'epoch': 1}
    """
    save = getattr(model, "_save_model", None)
    if not callable(save):
        raise TypeError(f"save_model needs a Keras-face model, found {type(model).__name__}; "
                        f"for an nn.Module use topograd.save(model.state_dict(), path)")
    save(path, include_optimizer=include_optimizer, extra=extra)


def load_model(path, *, compile: bool = True):
    """Rebuild a model saved by :func:`save_model`: architecture, weights, compile, optimizer.

    The file's header names its format; the face registered for it rebuilds the model
    (for ``"keras-model"``, :func:`topograd.keras.saving.load_model`). No code is taken
    from the file: classes are looked up by name among topograd's own.

    Args:
        path: the file.
        compile: compile the model as it was (and restore the optimizer's state).

    Returns:
        The model, ready for ``predict``/``evaluate`` (and ``fit`` when compiled).

    Raises:
        FileNotFoundError: no such file.
        FormatError: a damaged file, not a model file, or an architecture that cannot be
            rebuilt.
        MismatchError: the weights do not fit the architecture (names the tensor).

    Example:
        >>> import os, tempfile
        >>> from topograd import keras
        >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
        >>> keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(path)
        >>> load_model(path).output_shape
        (None, 2)
    """
    where = os.fspath(path)
    _, metadata = read_header(path)
    found = _check_is_model_file(metadata, where, None)
    return _reader(found, where)(path, compile=compile)


__all__ = ["COMPILE_KEY", "CONFIG_KEY", "EXTRA_KEY", "FORMAT_KEY", "OPTIMIZER_PREFIX",
           "load_model", "model_info", "read_model_file",
           "register_model_format", "save_model", "write_model_file"]
