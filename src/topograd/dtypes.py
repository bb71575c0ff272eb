"""Dtypes: the dtype objects, PyTorch's aliases, the defaults and the promotion rule.

A topograd dtype is a NumPy dtype (``topograd.float32 is np.dtype('float32')``), so an
array's dtype and a tensor's are the same object.

Defaults: Python floats become float32, ints int64, bools bool; an ndarray keeps its
dtype (float64 stays float64).

Promotion follows NumPy with two PyTorch habits: a Python number never changes a
tensor's dtype (float32 * 2.0 stays float32), except that a float meeting an integer
tensor gives float32; and an integer tensor combined with a floating one takes the
floating dtype (int64 + float32 -> float32, where NumPy would give float64). float32
and float64 together give float64.

>>> import topograd
>>> topograd.float is topograd.float32, topograd.long
(True, dtype('int64'))
>>> result_type(topograd.int64, topograd.float32)
dtype('float32')
"""

from __future__ import annotations

import builtins

import numpy as np

# -- the dtype objects and PyTorch's aliases ------------------------------------------

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
float = float32  # noqa: A001 - PyTorch's alias
double = float64
long = int64
half = float16

# -- defaults -------------------------------------------------------------------------

#: What Python floats become, and what integers become where a float is needed (int / int).
DEFAULT_FLOAT = float32

#: What Python ints become.
DEFAULT_INT = int64


def as_dtype(dtype) -> np.dtype:
    """``dtype`` as a dtype object: a dtype, a NumPy type or a name such as ``"float64"``.

    >>> as_dtype("float64")
    dtype('float64')
    >>> as_dtype("tensor")
    Traceback (most recent call last):
    TypeError: expected a dtype such as topograd.float32, found 'tensor'
    """
    try:
        return np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"expected a dtype such as topograd.float32, found {dtype!r}") from e


def is_dtype_name(name: str) -> bool:
    """True when ``name`` names a dtype (``"float64"``, ``"int32"``)."""
    try:
        np.dtype(name)
        return True
    except TypeError:
        return False


def as_array(data, dtype=None) -> np.ndarray:
    """``data`` as an ndarray, with the default dtypes (Python floats give float32).

    Args:
        data: a number, nested lists or tuples (of numbers or tensors), an ndarray or a
            tensor (its array, no copy).
        dtype: optional dtype to cast to.

    >>> as_array([1.5, 2.0]).dtype, as_array(np.zeros(2)).dtype, as_array(3).dtype
    (dtype('float32'), dtype('float64'), dtype('int64'))
    """
    arr = getattr(data, "_data", None)  # a Tensor
    if type(arr) is not np.ndarray:
        if isinstance(data, np.ndarray):
            arr = data
        else:
            if isinstance(data, (list, tuple)) and any(hasattr(d, "_data") for d in data):
                data = [getattr(d, "_data", d) for d in data]
            try:
                arr = np.asarray(data)
            except ValueError as e:
                raise ValueError(
                    f"could not make a tensor from {type(data).__name__}: {e}") from e
            if dtype is None and arr.dtype == np.float64:
                arr = arr.astype(DEFAULT_FLOAT)
    if dtype is not None:
        arr = arr.astype(as_dtype(dtype), copy=False)
    elif arr.dtype.kind == "O" or arr.dtype.kind in "USV":
        raise TypeError(
            f"can't convert data of dtype {arr.dtype} to a tensor: expected numbers or bools"
        )
    return arr


# -- promotion ------------------------------------------------------------------------


def result_type(*dtypes) -> np.dtype:
    """The dtype tensors of ``dtypes`` combine to.

    NumPy's promotion, except that integers and bools meeting floats take the floating
    dtype (int64 with float32 gives float32, not float64).

    >>> result_type(int32, int64), result_type(float32, float64), result_type(int64, float16)
    (dtype('int64'), dtype('float64'), dtype('float16'))
    """
    floats = [d for d in dtypes if d.kind in "fc"]
    return np.result_type(*(floats or dtypes))


def scalar_result_type(dtype: np.dtype, scalar) -> np.dtype:
    """The dtype a tensor of ``dtype`` combined with the Python number ``scalar`` takes.

    The tensor's dtype, except that a float meeting an integer (or bool) tensor gives
    :data:`DEFAULT_FLOAT`.

    >>> scalar_result_type(float16, 2.5), scalar_result_type(int64, 2.5)
    (dtype('float16'), dtype('float32'))
    """
    if dtype.kind not in "fc" and isinstance(scalar, (builtins.float, np.floating)):
        return DEFAULT_FLOAT
    return dtype
