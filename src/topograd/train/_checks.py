"""The argument and data checks that ``fit``, ``evaluate`` and ``predict`` run before any work.

Both faces share them: :class:`~topograd.train.loop.Trainer`'s entry points call
:func:`check_run_args` once for the numbers (``batch_size``, ``epochs``, ``steps``, ...) and
the data sources call :func:`check_numeric` / :func:`describe_ragged` on the arrays. Every
refusal names the call, the argument, what was expected and what was found; nothing is
silently coerced (``batch_size=0`` is refused, ``None`` means the default 32, as in Keras).

>>> check_run_args("fit", batch_size=None, epochs=3)
{'batch_size': 32, 'epochs': 3}
>>> check_run_args("fit", batch_size=0)
Traceback (most recent call last):
...
ValueError: fit: batch_size expected a positive int (or None for the default 32), found 0
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["DEFAULT_BATCH_SIZE", "check_run_args", "check_numeric", "describe_ragged"]

DEFAULT_BATCH_SIZE = 32


def _int(where: str, name: str, value, minimum: int, what: str, default=None):
    if value is None and default is not None:
        return default
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: {name} expected {what}, found {value!r} "
                        f"({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{where}: {name} expected {what}, found {value!r}")
    return int(value)


def check_run_args(where: str, **args) -> dict:
    """Check ``fit``/``evaluate``/``predict``'s numeric arguments; return them normalized.

    Known names: ``batch_size`` and ``validation_batch_size`` (positive int; None: the
    default 32, resp. ``batch_size``), ``epochs`` and ``initial_epoch`` (int >= 0),
    ``steps``/``steps_per_epoch`` (positive int or None), ``validation_freq`` (positive
    int), ``validation_split`` (a number in [0, 1)).

    Raises:
        TypeError: a value of the wrong type (a float, a string or a bool for an int).
        ValueError: a value out of range.
    """
    out = {}
    for name, value in args.items():
        if name == "batch_size":
            value = _int(where, name, value, 1, "a positive int (or None for the default "
                         f"{DEFAULT_BATCH_SIZE})", DEFAULT_BATCH_SIZE)
        elif name == "validation_batch_size":
            if value is not None:
                value = _int(where, name, value, 1, "a positive int (or None for batch_size)")
        elif name in ("epochs", "initial_epoch"):
            value = _int(where, name, value, 0, "a non-negative int")
        elif name in ("steps", "steps_per_epoch"):
            if value is not None:
                value = _int(where, name, value, 1, "a positive int (or None for all batches)")
        elif name == "validation_freq":
            value = _int(where, name, value, 1, "a positive int (validate every that many "
                         "epochs)")
        elif name == "validation_split":
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
                raise TypeError(f"{where}: validation_split expected a fraction in [0, 1), "
                                f"found {value!r} ({type(value).__name__})")
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{where}: validation_split expected a fraction in [0, 1), "
                                 f"found {value!r}")
            value = float(value)
        else:
            raise KeyError(name)
        out[name] = value
    return out


def check_numeric(arr: np.ndarray, name: str, where: str | None = None) -> None:
    """Refuse arrays that are not numbers (bool, int, uint or float): complex, strings,
    objects (ragged nested sequences included), dates, records.

    >>> check_numeric(np.zeros(2, complex), "x", "fit")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: fit: x must be numeric (float or int) data; found dtype complex128 (complex ...
    """
    kind = arr.dtype.kind
    if kind in "biuf":
        return
    prefix = f"{where}: " if where else ""
    found = f"{prefix}{name} must be numeric (float or int) data; found dtype {arr.dtype}"
    if kind == "c":
        hint = "complex numbers are not supported: pass the real part (.real), the " \
               "imaginary part (.imag) or the magnitude (np.abs)"
    elif kind in "SU":
        hint = ("strings: convert numbers written as text with .astype('float32'); "
                "encode text (e.g. a vocabulary lookup) into numbers first")
    elif kind == "O":
        ragged = describe_ragged(arr, name)
        if ragged:
            raise ValueError(f"{prefix}{name} is a ragged nested sequence: {ragged}")
        hint = ("Python objects: convert them with np.asarray(data, dtype='float32'), a "
                "pandas DataFrame with df.to_numpy('float32')")
    else:
        hint = "convert it to numbers first"
    raise TypeError(f"{found} ({hint})")


def _length(item):
    """len(item) for a sequence or an array with axes; None for a scalar or a string."""
    if isinstance(item, (str, bytes)) or (isinstance(item, np.ndarray) and item.ndim == 0):
        return None
    try:
        return len(item)
    except TypeError:
        return None


def _first_shape(item) -> tuple:
    if isinstance(item, np.ndarray) and item.dtype != object:
        return item.shape
    n = _length(item)
    if n is None:
        return ()
    return (n,) if n == 0 else (n, *_first_shape(item[0]))


def _what(shape) -> str:
    return "a scalar" if shape == () else f"shape {tuple(shape)}"


def _mismatch(item, shape: tuple, path: str):
    """The first place where ``item`` is not of ``shape``: ``(path, found)``, or None."""
    if isinstance(item, np.ndarray) and item.dtype != object:
        return None if item.shape == shape else (path, _what(item.shape))
    n = _length(item)
    if n is None:
        return None if shape == () else (path, "a scalar")
    if shape == () or shape[0] != n:
        return path, f"length {n}"
    for k in range(n):
        found = _mismatch(item[k], shape[1:], f"{path}[{k}]")
        if found:
            return found
    return None


def describe_ragged(seq, name: str = "x") -> str | None:
    """Where a nested sequence stops being rectangular (items of different lengths), e.g.
    ``"x[0] has length 3 but x[1] has length 2"``; None when it is rectangular.

    Only the error paths call it (after NumPy refused the data, or for an object array).

    >>> describe_ragged([[1, 2, 3], [4, 5]]).split(";")[0]
    'x[0] has length 3 but x[1] has length 2'
    >>> describe_ragged([[1, 2], [3, 4]]) is None
    True
    """
    shape = _first_shape(seq)
    found = _mismatch(seq, shape, "")
    if found is None:
        return None
    path, what = found
    depth = path.count("[")
    first = "[0]" * depth
    rest = shape[depth:]
    expected = f"length {rest[0]}" if rest and not what.startswith("shape") else _what(rest)

    def verb(d):
        return "is a scalar" if d == "a scalar" else f"has {d}"

    return (f"{name}{first} {verb(expected)} but {name}{path} {verb(what)}; every sample "
            "must have the same shape (pad or trim them to one length)")
