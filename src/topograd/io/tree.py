"""Nested objects (dicts, lists, numbers, strings, tensors) as tensors plus a JSON skeleton.

``topograd.save({"model": sd, "optimizer": opt.state_dict(), "epoch": 3}, path)`` needs
no pickle: each array goes into the safetensors file under its dotted path
(``model.0.weight``, ``optimizer.state.0.exp_avg``) and everything else is JSON in the
header, with the arrays referred to by name. At most :data:`MAX_DEPTH` (64) levels of
dicts, lists and tuples are saved or loaded; a deeper structure is refused with an error
naming the file.

>>> import numpy as np
>>> tensors, skeleton = flatten({"w": np.ones(2, np.float32), "step": 3, "ids": (1, 2)})
>>> sorted(tensors), skeleton["d"][1]
(['w'], ['step', {'v': 3}])
>>> unflatten(skeleton, tensors, as_tensor=False)["ids"]
(1, 2)
"""

from __future__ import annotations

import math
import numbers

import numpy as np

# node tags in the skeleton: d dict, l list, t tuple, v JSON value, f non-finite float,
# a array (returned as ndarray), T tensor (returned as topograd Tensor), s NumPy scalar
MAX_DEPTH = 64  # levels of dicts, lists and tuples, on saving and on loading


def _is_tensor(x) -> bool:
    from topograd.tensor import Tensor

    return isinstance(x, Tensor)


def _key_part(k) -> str:
    return k if isinstance(k, str) else str(k)


def flatten(obj, prefix: str = "",
            into: dict | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """Split a nested object into named arrays and a JSON-able skeleton.

    Args:
        obj: dicts (keys str, int, float, bool or None), lists, tuples, None, bools,
            numbers, strings, NumPy arrays and scalars, topograd Tensors.
        prefix: prepended to every array name.
        into: add the arrays to this dict (names already there are not reused) instead of
            a new one.

    Returns:
        ``(tensors, skeleton)``: ``{dotted.name: ndarray}`` and the skeleton that
        :func:`unflatten` turns back into ``obj``.

    Raises:
        TypeError: a value of another type (a function, a module, ...), named by its path.

    Example:
        >>> t, s = flatten({"state": {0: {"m": np.zeros(1)}}})
        >>> list(t)
        ['state.0.m']
    """
    tensors: dict[str, np.ndarray] = {} if into is None else into
    skeleton = _flatten(obj, prefix, tensors, 0)
    return tensors, skeleton


def _unique(name: str, tensors: dict) -> str:
    name = name or "_"
    if name not in tensors:
        return name
    i = 1
    while f"{name}#{i}" in tensors:
        i += 1
    return f"{name}#{i}"


def _flatten(obj, path: str, tensors: dict, depth: int):
    if depth > MAX_DEPTH:
        raise ValueError(f"cannot save {path or 'the object'}: nested deeper than {MAX_DEPTH}")
    if _is_tensor(obj):
        key = _unique(path, tensors)
        tensors[key] = obj._data
        return {"T": key}
    if isinstance(obj, np.ndarray):
        key = _unique(path, tensors)
        tensors[key] = obj
        return {"a": key}
    if isinstance(obj, np.generic) and not isinstance(obj, (np.str_, np.bytes_)):
        key = _unique(path, tensors)
        tensors[key] = np.asarray(obj)
        return {"s": key}
    if obj is None or isinstance(obj, (bool, str)):
        return {"v": obj}
    if isinstance(obj, numbers.Integral):
        return {"v": int(obj)}
    if isinstance(obj, numbers.Real):
        x = float(obj)
        return {"v": x} if math.isfinite(x) else {"f": repr(x)}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if k is not None and not isinstance(k, (str, int, float, bool)):
                raise TypeError(f"cannot save {path or 'the object'}: dict key {k!r} is a "
                                f"{type(k).__name__}; expected str, int, float, bool or None")
            sub = f"{path}.{_key_part(k)}" if path else _key_part(k)
            items.append([k, _flatten(v, sub, tensors, depth + 1)])
        return {"d": items}
    if isinstance(obj, (list, tuple)):
        tag = "l" if isinstance(obj, list) else "t"
        return {tag: [_flatten(v, f"{path}.{i}" if path else str(i), tensors, depth + 1)
                      for i, v in enumerate(obj)]}
    hint = "; save its state_dict() instead" if hasattr(obj, "state_dict") else ""
    raise TypeError(f"cannot save {path or 'the object'}: a {type(obj).__name__} is neither a "
                    f"tensor, an array, a number, a string nor a dict/list/tuple of them "
                    f"(topograd never pickles){hint}")


def unflatten(skeleton, tensors: dict, as_tensor: bool = True, where: str = "<file>"):
    """Rebuild the object :func:`flatten` split.

    Args:
        skeleton: the JSON skeleton.
        tensors: ``{name: ndarray}`` as read from the file.
        as_tensor: give saved topograd Tensors back as Tensors (else as ndarrays).
        where: the file name for error messages.

    Returns:
        The nested object.

    Raises:
        ValueError: the skeleton is malformed or names a tensor the file lacks.

    Example:
        >>> t, s = flatten([np.ones(1), {"lr": 0.1}])
        >>> unflatten(s, t)[1]
        {'lr': 0.1}
    """
    used: set[str] = set()
    out = _unflatten(skeleton, tensors, as_tensor, where, used, 0)
    extra = sorted(set(tensors) - used)
    if extra:
        raise ValueError(f"{where}: tensor {extra[0]!r} is in the file but not in its "
                         f"structure ({len(extra)} unexplained tensor(s))")
    return out


def _bad(where: str, node) -> ValueError:
    text = repr(node)
    return ValueError(f"{where}: malformed structure node {text[:80]}")


def _unflatten(node, tensors, as_tensor, where, used, depth):
    if depth > MAX_DEPTH:
        raise ValueError(f"{where}: the structure is nested deeper than {MAX_DEPTH} levels")
    if not isinstance(node, dict) or len(node) != 1:
        raise _bad(where, node)
    ((tag, val),) = node.items()
    if tag in ("T", "a", "s"):
        if not isinstance(val, str):
            raise _bad(where, node)
        if val not in tensors:
            raise ValueError(f"{where}: tensor {val!r} is missing from the file")
        used.add(val)
        arr = tensors[val]
        if tag == "s":
            return arr[()] if arr.ndim == 0 else arr
        if tag == "T" and as_tensor:
            from topograd.tensor import Tensor

            return Tensor._from_array(arr)
        return arr
    if tag == "v":
        if val is not None and not isinstance(val, (bool, int, float, str)):
            raise _bad(where, node)
        return val
    if tag == "f":
        if val not in ("nan", "inf", "-inf"):
            raise _bad(where, node)
        return float(val)
    if tag in ("l", "t"):
        if not isinstance(val, list):
            raise _bad(where, node)
        items = [_unflatten(v, tensors, as_tensor, where, used, depth + 1) for v in val]
        return items if tag == "l" else tuple(items)
    if tag == "d":
        if not isinstance(val, list):
            raise _bad(where, node)
        out = {}
        for pair in val:
            if (not isinstance(pair, list) or len(pair) != 2
                    or not (pair[0] is None or isinstance(pair[0], (str, int, float, bool)))):
                raise _bad(where, pair)
            out[pair[0]] = _unflatten(pair[1], tensors, as_tensor, where, used, depth + 1)
        return out
    raise _bad(where, node)
