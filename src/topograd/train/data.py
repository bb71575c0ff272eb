"""What the loop trains on, checked before any work: batch sources, run arguments, weights.

Sections:

* sources: arrays batched by one fancy index each (:class:`ArrayBatches`), or any iterable
  of batches (:class:`IterableBatches`); every source yields ``(x, y, sample_weight)``
  triples, ``y`` and ``sample_weight`` None when there are none;
* checks: the numbers ``fit``/``evaluate``/``predict`` take (:func:`check_run_args`) and
  the arrays (:func:`as_arrays`: numbers, not ragged, finite, a samples axis). Every refusal
  names the call, the argument, what was expected and what was found; nothing is silently
  coerced (``batch_size=0`` is refused, ``None`` means the default 32, as in Keras);
* sample weights: Keras's ``sample_weight`` / ``class_weight``, checked once and batched
  with x and y.

>>> import numpy as np
>>> src = ArrayBatches(np.arange(10.0).reshape(5, 2), np.arange(5), batch_size=2,
...                    shuffle=False)
>>> len(src), [len(y) for _, y, _ in src.epoch()]
(3, [2, 2, 1])
>>> check_run_args("fit", batch_size=None, epochs=3)
{'batch_size': 32, 'epochs': 3}
>>> check_run_args("fit", batch_size=0)
Traceback (most recent call last):
...
ValueError: fit: batch_size expected a positive int (or None for the default 32), found 0
"""

from __future__ import annotations

import itertools
import math
import numbers

import numpy as np

__all__ = ["ArrayBatches", "IterableBatches", "as_source", "as_arrays", "as_array",
           "check_finite", "split_validation", "check_run_args", "check_numeric",
           "describe_ragged", "check_sample_weight", "check_class_weight",
           "class_weight_to_sample_weights", "check_fit_weights", "is_batch_iterable",
           "DEFAULT_BATCH_SIZE"]


# -- sources: arrays, or any iterable of batches -------------------------------------------
def _check_batch_size(batch_size) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or \
            batch_size < 1:
        raise ValueError(f"batch_size expected a positive int, found {batch_size!r}")
    return int(batch_size)


class ArrayBatches:
    """Batches of ``(x, y, sample_weight)`` from arrays: one fancy index (or a slice) per array.

    Args:
        x: inputs, first axis = samples.
        y: targets with as many samples, or None.
        batch_size: samples per batch (the last batch may be smaller).
        shuffle: a new random order every epoch, drawn from topograd's global generator
            (so ``topograd.manual_seed`` makes it repeatable).
        sample_weight: one weight per sample (checked: see :func:`check_sample_weight`),
            or None.
        steps: batches per pass (the first ``steps`` of each pass's order), or None for
            all of them.
    """

    def __init__(self, x: np.ndarray, y, batch_size: int, shuffle: bool,
                 sample_weight=None, steps: int | None = None) -> None:
        self.x = x
        self.y = y
        self.sample_weight = sample_weight
        self.batch_size = _check_batch_size(batch_size)
        self.shuffle = shuffle
        self.steps = steps
        self.n = len(x)

    def __len__(self) -> int:
        batches = -(-self.n // self.batch_size)
        return batches if self.steps is None else min(self.steps, batches)

    def epoch(self, steps: int | None = None):
        """Yield ``(x_batch, y_batch, weight_batch)`` for one pass (None where absent)."""
        x, y, w, bs, n = self.x, self.y, self.sample_weight, self.batch_size, self.n
        count = len(self) if steps is None else min(steps, len(self))
        if self.shuffle:
            from topograd.random import default_generator

            order = default_generator().permutation(n)
            for s in range(0, count * bs, bs):
                idx = order[s:s + bs]
                yield (x[idx], (None if y is None else y[idx]),
                       (None if w is None else w[idx]))
        else:
            for s in range(0, count * bs, bs):
                yield (x[s:s + bs], (None if y is None else y[s:s + bs]),
                       (None if w is None else w[s:s + bs]))


class IterableBatches:
    """Batches from a DataLoader or any re-iterable of ``(x, y)`` pairs, ``(x, y,
    sample_weight)`` triples (as Keras reads them) or inputs alone.

    Args:
        data: an iterable; iterated afresh every epoch.
        steps: batches per epoch (default: all of them; needed when ``data`` has no len).
    """

    def __init__(self, data, steps: int | None = None, name: str = "fit") -> None:
        self.data = data
        self.steps = steps
        self.name = name
        self.n = None

    def __len__(self):
        if self.steps is not None:
            return self.steps
        try:
            return len(self.data)
        except TypeError:
            return None

    def epoch(self, steps: int | None = None):
        steps = steps if steps is not None else self.steps
        it = iter(self.data)
        if steps is not None:
            it = itertools.islice(it, steps)
        for batch in it:
            if isinstance(batch, (tuple, list)):
                if len(batch) == 2:
                    xb, yb, wb = batch[0], batch[1], None
                elif len(batch) == 1:
                    xb, yb, wb = batch[0], None, None
                elif len(batch) == 3:
                    xb, yb, wb = batch
                    if wb is not None:
                        wb = check_sample_weight(wb, _first_len(xb), "a batch's sample weights")
                else:
                    raise ValueError(f"expected batches of (inputs, targets) or (inputs, "
                                     f"targets, sample_weight), found a "
                                     f"{type(batch).__name__} of {len(batch)} items")
            else:
                xb, yb, wb = batch, None, None
            for what, b in (("x", xb), ("y", yb)):  # the dtype alone: no pass over the data
                arr = getattr(b, "_data", b)
                if isinstance(arr, np.ndarray):
                    check_numeric(arr, f"a batch's {what}", self.name)
            yield xb, yb, wb


def as_source(x, y, batch_size, shuffle, name: str, steps=None, sample_weight=None,
              check_x=None):
    """Wrap ``x``/``y`` (arrays or an iterable of batches) and the optional per-sample
    weights as a batch source; check the arrays (see :func:`as_arrays`) and the weights."""
    if is_batch_iterable(x):
        if y is not None:
            raise ValueError(f"{name}: when x is a DataLoader or an iterable of batches, "
                             "y must be None (the batches carry the targets)")
        if sample_weight is not None:
            raise ValueError(f"{name}: when x is a DataLoader or an iterable of batches, "
                             "sample_weight must be None: the batches carry the weights, "
                             "as (inputs, targets, sample_weight)")
        try:
            if len(x) == 0:
                raise ValueError(f"{name}: the data is empty (0 batches)")
        except TypeError:
            if steps is None:
                raise ValueError(f"{name}: x has no len(); pass steps_per_epoch/steps") from None
        return IterableBatches(x, steps, "fit" if name == "validation" else name)
    xa, ya = as_arrays(x, y, name, check_x)
    w = None
    if sample_weight is not None:
        w = check_sample_weight(sample_weight, len(xa), "validation sample_weight"
                                if name == "validation" else "sample_weight")
    return ArrayBatches(xa, ya, batch_size, shuffle, w, steps)


def is_batch_iterable(x) -> bool:
    """True for a DataLoader or any iterable of batches (not an array, Tensor, list, tuple,
    string or dict)."""
    if isinstance(x, np.ndarray) or hasattr(x, "_data") or \
            isinstance(x, (list, tuple, str, bytes, dict)):
        return False
    return hasattr(x, "__iter__")


def _first_len(x) -> int:
    return len(x[0]) if isinstance(x, (tuple, list)) else len(x)


def split_validation(x, y, fraction: float):
    """Keras's ``validation_split``: the last ``fraction`` of the samples, before shuffling.

    >>> import numpy as np
    >>> (xt, yt), (xv, yv) = split_validation(np.arange(10), np.arange(10), 0.2)
    >>> xt.tolist(), xv.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation_split expected a fraction in [0, 1), found {fraction}")
    n = len(x)
    cut = int(math.floor(n * (1.0 - fraction)))
    if cut == 0 or cut == n:
        raise ValueError(f"validation_split={fraction} leaves "
                         f"{'no training' if cut == 0 else 'no validation'} samples out of {n}")
    return (x[:cut], None if y is None else y[:cut]), (x[cut:], None if y is None else y[cut:])


# -- checks: the run's arguments and the arrays, before any work ---------------------------
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


def as_arrays(x, y, name: str, check_x=None):
    """``x`` and ``y`` (or None) as NumPy arrays, checked before any work: numbers (not
    complex, strings, objects or ragged sequences), a samples axis, not empty, as many
    samples in y as in x.

    Args:
        name: the call (``"fit"``, ``"evaluate"``, ``"predict"``, ``"validation"``) for the
            messages.
        check_x: ``check_x(x_array, name)`` runs after x's own checks and before y's (the
            Keras face checks the shape against the model's input there).

    Returns:
        ``(x, y)`` as arrays (``y`` None when it was None).
    """
    where, xname, yname = (("fit", "validation x", "validation y") if name == "validation"
                           else (name, "x", "y"))
    if x is None:
        raise ValueError(f"{where}: {xname} is missing: pass the inputs as an array")
    _check_container(x, xname, where)
    xa = as_array(x, xname, where)
    check_numeric(xa, xname, where)
    if xa.ndim == 0:
        raise ValueError(f"{where}: {xname} must have a samples axis, found a scalar")
    if check_x is not None:
        check_x(xa, name)
    ya = None
    if y is not None:
        _check_container(y, yname, where)
        ya = as_array(y, yname, where)
        check_numeric(ya, yname, where)
        if ya.ndim == 0:
            raise ValueError(f"{where}: {yname} must have a samples axis, found a scalar")
    if len(xa) == 0:
        raise ValueError(f"{name}: the data is empty: x has 0 samples")
    if ya is not None and len(ya) != len(xa):
        raise ValueError(f"{name}: x and y have different numbers of samples: x has "
                         f"{len(xa)} (shape {xa.shape}), y has {len(ya)} (shape {ya.shape})")
    return xa, ya


def _check_container(a, name: str, where: str) -> None:
    """Refuse what is not array-like before NumPy turns it into a 0-d or object array."""
    if isinstance(a, (str, bytes)):
        raise TypeError(f"{where}: {name} expected an array of numbers, found a "
                        f"{type(a).__name__}: {a[:40]!r}")
    if isinstance(a, dict):
        raise TypeError(f"{where}: {name} is a dict: dict inputs (named inputs of "
                        "multi-input models) are not supported; pass an array")
    from topograd.data.dataset import Dataset

    if isinstance(a, Dataset):
        raise TypeError(f"{where}: {name} is a {type(a).__name__} (a dataset of samples, not "
                        "of batches): pass DataLoader(dataset, batch_size=32) instead")


def as_array(a, name: str, where: str | None = None) -> np.ndarray:
    """The NumPy array behind ``a`` (a Tensor, an array or array-like), without copying.

    A nested sequence that is not rectangular (a ragged list of lists) is refused with
    where it stops being rectangular (ValueError), other sequences of objects with a
    TypeError; ``where`` (``"fit"``, ...) prefixes the message.
    """
    if hasattr(a, "_data") and isinstance(a._data, np.ndarray):
        return a._data
    if isinstance(a, np.ndarray):
        return a
    prefix = f"{where}: " if where else ""
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError) as e:
        ragged = describe_ragged(a, name) if isinstance(a, (list, tuple)) else None
        if ragged:
            raise ValueError(f"{prefix}{name} is a ragged nested sequence: {ragged}") from None
        raise TypeError(f"{prefix}{name} expected an array, a Tensor or a DataLoader, found "
                        f"{type(a).__name__}: {e}") from None
    if arr.dtype == object:
        check_numeric(arr, name, where)
    return arr


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


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ValueError naming the first sample holding NaN or infinity (floats only).

    Row sums (one BLAS matrix-vector product, faster than any elementwise pass) are a
    screen: they are finite when every value is, unless a sum overflows, and only then
    does the full elementwise check run.
    """
    if arr.dtype.kind not in "fc" or arr.size == 0:
        return
    if arr.dtype.kind == "f" and arr.dtype.itemsize >= 4:
        flat = arr.reshape(len(arr), -1) if arr.ndim > 1 else arr
        with np.errstate(all="ignore"):
            sums = flat @ np.ones(flat.shape[-1], dtype=arr.dtype)
        if np.isfinite(sums).all():
            return
    else:
        with np.errstate(all="ignore"):
            total = complex(np.sum(arr, dtype=np.complex128))
        if math.isfinite(total.real) and math.isfinite(total.imag):
            return
    bad = ~np.isfinite(arr.reshape(len(arr), -1) if arr.ndim > 1 else arr)
    rows = np.flatnonzero(bad.any(axis=1) if bad.ndim > 1 else bad)
    if len(rows) == 0:
        return
    i = int(rows[0])
    value = arr[i].reshape(-1)[np.flatnonzero(~np.isfinite(arr[i].reshape(-1)))[0]]
    raise ValueError(f"{name} contains NaN or infinity: {len(rows)} sample(s), the first is "
                     f"sample {i} (value {value}); clean or impute the data first")


# -- sample weights (Keras's sample_weight and class_weight) -------------------------------
def check_sample_weight(sample_weight, n: int, name: str = "sample_weight") -> np.ndarray:
    """Keras's per-sample weights, checked: shape ``(n,)`` or ``(n, 1)``, numbers, finite.

    Negative weights are allowed, as Keras allows them. Returns a float32 array of shape
    ``(n,)`` (Keras computes in float32), a view of the input when it already is one.

    >>> check_sample_weight([1, 2, 0.5], 3).tolist()
    [1.0, 2.0, 0.5]
    >>> check_sample_weight(np.ones((2, 1)), 2).shape
    (2,)
    """
    w = as_array(sample_weight, name)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{name} expected numbers (one weight per sample), found an array of "
                        f"dtype {w.dtype}")
    if w.ndim == 2 and w.shape[1] == 1:
        w = w.reshape(len(w))
    if w.ndim != 1:
        raise ValueError(f"{name} expected shape ({n},) or ({n}, 1), one weight per sample, "
                         f"found shape {w.shape}")
    if len(w) != n:
        raise ValueError(f"{name} has {len(w)} weights but x has {n} samples: expected "
                         f"shape ({n},), found {w.shape}")
    if w.dtype != np.float32:
        with np.errstate(over="ignore"):  # too large for float32: reported as inf below
            w = w.astype(np.float32)
    if not np.isfinite(w).all():
        bad = np.flatnonzero(~np.isfinite(w))
        raise ValueError(f"{name} expected finite numbers, found NaN or infinity: "
                         f"{len(bad)} weight(s), the first at sample {bad[0]} "
                         f"(value {w[bad[0]]})")
    return w


def check_fit_weights(x, sample_weight, class_weight):
    """Keras's checks of fit's ``sample_weight`` and ``class_weight``, before any work.

    Returns:
        ``(sample_weight, class_weight)``: the checked weights (see
        :func:`check_sample_weight`) or None, and the checked dict or None.
    """
    if sample_weight is not None and class_weight is not None:
        raise ValueError("You cannot pass class_weight and sample_weight at the same time "
                         "(as Keras): fold the class weights into sample_weight instead")
    if is_batch_iterable(x):
        what = "sample_weight" if class_weight is None else "class_weight"
        raise ValueError(f"{what} is not supported when x is a DataLoader or an iterable of "
                         "batches (as Keras): yield (inputs, targets, sample_weight) batches "
                         "instead")
    if class_weight is not None:
        return None, check_class_weight(class_weight)
    return check_sample_weight(sample_weight, len(as_array(x, "x", "fit"))), None


def check_class_weight(class_weight) -> dict:
    """Keras's ``class_weight``: a dict ``{class index: weight}``, keys read with ``int()``.

    Returns:
        A new dict with int keys and float values.

    Raises:
        ValueError: not dict-like; a key that ``int()`` refuses; a weight that is not a
            finite number.

    >>> check_class_weight({"0": 1, 1: 2.5})
    {0: 1.0, 1: 2.5}
    """
    if not (hasattr(class_weight, "items") and hasattr(class_weight, "get")):
        raise ValueError(f"class_weight expected a dict mapping class indices to weights, "
                         f"e.g. {{0: 1.0, 1: 5.0}}, found {type(class_weight).__name__}: "
                         f"{class_weight!r}")
    out = {}
    for key, value in class_weight.items():
        try:
            k = int(key)
        except (TypeError, ValueError):
            raise ValueError(f"class_weight expected integer class indices as keys, found "
                             f"the key {key!r} of type {type(key).__name__}") from None
        try:
            if isinstance(value, (str, bytes)):
                raise TypeError
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"class_weight expected a number as the weight of class {key!r}, "
                             f"found {value!r} of type {type(value).__name__}") from None
        if not math.isfinite(v):
            raise ValueError(f"class_weight expected a finite number as the weight of class "
                             f"{key!r}, found {value!r}")
        out[k] = v
    return out


def class_weight_to_sample_weights(y, class_weight: dict) -> np.ndarray:
    """One weight per sample from its class, as Keras does: ``class_weight.get(c, 1.0)``.

    The class of a sample is its label for integer targets ``(n,)`` / ``(n, 1)`` (rounded:
    a single binary output's 0/1 target), or the arg-max of a one-hot row ``(n, classes)``.
    Classes missing from the dict get weight 1.

    >>> class_weight_to_sample_weights(np.array([0, 1, 0, 2]), {0: 1.0, 1: 2.0}).tolist()
    [1.0, 2.0, 1.0, 1.0]
    >>> class_weight_to_sample_weights(np.eye(3)[[2, 0]], {2: 0.5}).tolist()
    [0.5, 1.0]
    """
    if y is None:
        raise ValueError("class_weight needs the targets y (to find each sample's class)")
    y = as_array(y, "y")
    labels = y
    if y.ndim > 1:
        labels = y.reshape(y.shape[:-1]) if y.shape[-1] == 1 else y.argmax(axis=-1)
    if labels.ndim != 1:
        raise ValueError(f"class_weight needs one class per sample: y of shape (n,), (n, 1) "
                         f"or one-hot (n, classes), found y of shape {y.shape}")
    if labels.dtype.kind not in "iub":
        labels = np.round(labels.astype(np.float64)).astype(np.int64)
    classes, inverse = np.unique(labels, return_inverse=True)
    table = np.array([class_weight.get(int(c), 1.0) for c in classes], dtype=np.float32)
    return table[inverse.reshape(-1)]
