"""Tensor arithmetic, elementwise functions, reductions and in-place updates.

Mixed into :class:`topograd.Tensor`; every method here calls a primitive from
``topograd.functions`` (or composes a few).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .autograd import grad_mode
from .functions import elementwise as E
from .functions import reduce as R
from .functions.matmul import MatMul
from .functions.softmax import LogSoftmax, Softmax

_Add, _Sub, _Mul, _Div, _Pow = E.Add.apply, E.Sub.apply, E.Mul.apply, E.Div.apply, E.Pow.apply
_STATE = grad_mode.STATE

MaxResult = namedtuple("MaxResult", ["values", "indices"])

# Bound by topograd.tensor once the class exists (an import inside a method costs ~2 us,
# a large share of an elementwise op on small tensors).
Tensor = None


def _other(self, other):
    """Prepare the second operand: keep Python scalars weak, align int/float dtypes."""
    t = type(other)
    if t is float:
        if self._data.dtype.kind not in "fc":
            return self.type(np.float32), other
        return self, other
    if t is int or t is bool:
        return self, other
    if isinstance(other, Tensor):
        a, b = self._data.dtype, other._data.dtype
        if a is not b and a != b:
            if a.kind == "f" and b.kind != "f":
                other = other.type(a)
            elif b.kind == "f" and a.kind != "f":
                self = self.type(b)
        return self, other
    if isinstance(other, np.generic):  # a NumPy scalar is a Python scalar here (PyTorch too)
        return _other(self, other.item())
    if isinstance(other, np.ndarray):
        arr = other
        if arr.dtype.kind == "f" and self._data.dtype.kind == "f" and arr.ndim == 0:
            return self, arr.item()
        return self, Tensor._from_array(arr)
    if isinstance(other, (list, tuple)):
        return _other(self, Tensor(other))
    raise TypeError(
        f"unsupported operand type: Tensor and {type(other).__name__} (expected a Tensor, "
        "a number or an array)"
    )


def _matmul_pair(self, other):
    """``(self, other)`` as tensors for matmul: a float ndarray keeps its dtype (NumPy
    promotion), lists and integer data take self's dtype."""
    if not isinstance(other, Tensor):
        if isinstance(other, np.ndarray) and other.dtype.kind == "f":
            other = Tensor._from_array(other)
        else:
            other = Tensor(other, dtype=self._data.dtype)
    a, b = self._data.dtype, other._data.dtype
    if a != b and (a.kind == "f") != (b.kind == "f"):
        return _other(self, other)  # int @ float: the float dtype
    return self, other


def _broadcast_error(op, a, b):
    """Raise PyTorch's broadcasting error, naming the operation and both shapes."""
    sa = tuple(np.shape(a._data if hasattr(a, "_data") else a))
    sb = tuple(np.shape(b._data if hasattr(b, "_data") else b))
    try:
        np.broadcast_shapes(sa, sb)
    except ValueError:
        n = max(len(sa), len(sb))
        pa, pb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
        dim = next(i for i in range(n - 1, -1, -1) if pa[i] != pb[i] and 1 not in (pa[i], pb[i]))
        raise RuntimeError(
            f"{op}: The size of tensor a ({pa[dim]}) must match the size of tensor b "
            f"({pb[dim]}) at non-singleton dimension {dim}: shapes {sa} and {sb} cannot be "
            "broadcast together"
        ) from None


def _binary(apply, op, a, b):
    try:
        return apply(a, b)
    except ValueError:
        _broadcast_error(op, a, b)
        raise


class MathMixin:
    __slots__ = ()

    # -- arithmetic operators ----------------------------------------------------------
    # The six operators below skip _other() when both operands are tensors of one dtype
    # or the other is a Python float meeting a float tensor: the common case, and per-op
    # overhead is what small-tensor code pays for.
    def __add__(self, other):
        if type(other) is not Tensor or other._data.dtype is not self._data.dtype:
            if type(other) is not float or self._data.dtype.kind != "f":
                self, other = _other(self, other)
        try:
            return _Add(self, other)
        except ValueError:
            _broadcast_error("add", self, other)
            raise

    def __radd__(self, other):
        s, o = _other(self, other)
        return _binary(_Add, "add", o, s)

    def __sub__(self, other):
        if type(other) is not Tensor or other._data.dtype is not self._data.dtype:
            if type(other) is not float or self._data.dtype.kind != "f":
                self, other = _other(self, other)
        try:
            return _Sub(self, other)
        except ValueError:
            _broadcast_error("sub", self, other)
            raise

    def __rsub__(self, other):
        s, o = _other(self, other)
        return _binary(_Sub, "sub", o, s)

    def __mul__(self, other):
        if type(other) is not Tensor or other._data.dtype is not self._data.dtype:
            if type(other) is not float or self._data.dtype.kind != "f":
                self, other = _other(self, other)
        try:
            return _Mul(self, other)
        except ValueError:
            _broadcast_error("mul", self, other)
            raise

    def __rmul__(self, other):
        if type(other) is not float or self._data.dtype.kind != "f":
            s, o = _other(self, other)
            return _binary(_Mul, "mul", o, s)
        try:
            return _Mul(other, self)
        except ValueError:
            _broadcast_error("mul", other, self)
            raise

    def __truediv__(self, other):
        s, o = _other(self, other)
        if s._data.dtype.kind not in "fc":  # int / int divides as floats (float32)
            s = s.type(np.float32)
            if type(o) is not int and type(o) is not bool and o._data.dtype.kind not in "fc":
                o = o.type(np.float32)
        return _binary(_Div, "div", s, o)

    def __rtruediv__(self, other):
        s, o = _other(self, other)
        if s._data.dtype.kind not in "fc":
            s = s.type(np.float32)
            if type(o) is not int and type(o) is not bool and o._data.dtype.kind not in "fc":
                o = o.type(np.float32)
        return _binary(_Div, "div", o, s)

    def __floordiv__(self, other):
        s, o = _other(self, other)
        return s._nondiff(np.floor_divide, o, "floor_divide")

    def __rfloordiv__(self, other):
        s, o = _other(self, other)
        return s._nondiff(lambda a, b: np.floor_divide(b, a), o, "floor_divide")

    def __mod__(self, other):
        s, o = _other(self, other)
        return _binary(E.Remainder.apply, "remainder", s, o)

    def __rmod__(self, other):
        s, o = _other(self, other)
        return _binary(E.Remainder.apply, "remainder", o, s)

    def _nondiff(self, fn, other, op):
        """An operation with no useful gradient (zero almost everywhere): no node."""
        o = other._data if isinstance(other, Tensor) else other
        try:
            return Tensor._from_array(np.asarray(fn(self._data, o)))
        except ValueError:
            _broadcast_error(op, self, other)
            raise

    def floor_divide(self, other):
        """Elementwise floor(self / other), as ``//`` (not differentiable).

        >>> import topograd
        >>> topograd.tensor([7, -7]).floor_divide(2).tolist()
        [3, -4]
        """
        return self // other

    def remainder(self, other):
        """Elementwise remainder with the sign of ``other``, as ``%`` (Python's rule).

        Differentiable: d/dself = 1, d/dother = -floor(self / other).

        >>> import topograd
        >>> topograd.tensor([7.0, -7.0]).remainder(3).tolist()
        [1.0, 2.0]
        """
        return self % other

    def __pow__(self, other):
        s, o = _other(self, other)
        return _binary(_Pow, "pow", s, o)

    def __rpow__(self, other):
        s, o = _other(self, other)
        return _binary(_Pow, "pow", o, s)

    def __matmul__(self, other):
        return MatMul.apply(*_matmul_pair(self, other))

    def __rmatmul__(self, other):
        b, a = _matmul_pair(self, other)
        return MatMul.apply(a, b)

    def __neg__(self):
        if self._data.dtype == np.bool_:
            raise TypeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return E.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return E.Abs.apply(self)

    # named forms
    def add(self, other, alpha=1):
        """self + alpha * other."""
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, alpha=1):
        """self - alpha * other."""
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other):
        """self * other."""
        return self * other

    def div(self, other):
        """self / other."""
        return self / other

    def pow(self, exponent):
        """self ** exponent."""
        return self**exponent

    def matmul(self, other):
        """Matrix product with NumPy's rules: vectors, matrices and batches (``@``).

        Args:
            other: the right operand.

        >>> import topograd
        >>> (topograd.ones(2, 3) @ topograd.ones(3)).tolist()
        [3.0, 3.0]
        """
        return self @ other

    def mm(self, other):
        """Matrix product of two 2-D tensors."""
        return self @ other

    def neg(self):
        """-self."""
        return -self

    # -- comparisons (not differentiable) ----------------------------------------------
    def _compare(self, other, fn):
        o = other._data if isinstance(other, Tensor) else other
        try:
            return Tensor._from_array(np.asarray(fn(self._data, o)))
        except ValueError:
            _broadcast_error("comparison", self, other)
            raise

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    def __eq__(self, other):  # noqa: D105 - elementwise, as in PyTorch
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __invert__(self):
        return Tensor._from_array(~self._data)

    def __and__(self, other):
        return self._compare(other, np.logical_and if self._data.dtype == bool else np.bitwise_and)

    def __or__(self, other):
        return self._compare(other, np.logical_or if self._data.dtype == bool else np.bitwise_or)

    def eq(self, other):
        """Elementwise ==, a bool tensor."""
        return self == other

    def ne(self, other):
        """Elementwise !=."""
        return self != other

    def lt(self, other):
        """Elementwise <."""
        return self < other

    def le(self, other):
        """Elementwise <=."""
        return self <= other

    def gt(self, other):
        """Elementwise >."""
        return self > other

    def ge(self, other):
        """Elementwise >=."""
        return self >= other

    def equal(self, other) -> bool:
        """True when both tensors have the same shape and values."""
        return bool(np.array_equal(self._data, other._data))

    def allclose(self, other, rtol=1e-5, atol=1e-8) -> bool:
        """True when all values are close (NumPy's rule)."""
        o = other._data if hasattr(other, "_data") else other
        return bool(np.allclose(self._data, o, rtol=rtol, atol=atol))

    def isnan(self):
        """Elementwise NaN test."""
        return self._compare(None, lambda a, _: np.isnan(a))

    def isfinite(self):
        """Elementwise finiteness test."""
        return self._compare(None, lambda a, _: np.isfinite(a))

    def all(self, dim=None):
        """True where every element (along ``dim``) is nonzero."""
        return self._compare(None, lambda a, _: np.all(a, axis=dim))

    def any(self, dim=None):
        """True where some element (along ``dim``) is nonzero."""
        return self._compare(None, lambda a, _: np.any(a, axis=dim))

    # -- elementwise functions ---------------------------------------------------------
    def exp(self):
        """e ** self; its node keeps the output, its own derivative.

        >>> import topograd
        >>> topograd.tensor([0.0]).exp().tolist()
        [1.0]
        """
        return E.Exp.apply(self)

    def log(self):
        """Natural logarithm.

        >>> import topograd
        >>> topograd.tensor([1.0]).log().tolist()
        [0.0]
        """
        return E.Log.apply(self)

    def sqrt(self):
        """Square root."""
        return E.Sqrt.apply(self)

    def abs(self):
        """Absolute value."""
        return E.Abs.apply(self)

    def sign(self):
        """-1, 0 or 1 (gradient zero)."""
        return E.Sign.apply(self)

    def sin(self):
        """Sine."""
        return E.Sin.apply(self)

    def cos(self):
        """Cosine."""
        return E.Cos.apply(self)

    def tanh(self):
        """Hyperbolic tangent.

        >>> import topograd
        >>> topograd.tensor([0.0]).tanh().tolist()
        [0.0]
        """
        return E.Tanh.apply(self)

    def sigmoid(self):
        """Logistic sigmoid 1 / (1 + e^-x), stable for large |x|.

        >>> import topograd
        >>> topograd.tensor([0.0, 1000.0, -1000.0]).sigmoid().tolist()
        [0.5, 1.0, 0.0]
        """
        return E.Sigmoid.apply(self)

    def relu(self):
        """max(x, 0); the gradient passes where the output is positive.

        >>> import topograd
        >>> topograd.tensor([-1.0, 2.0]).relu().tolist()
        [0.0, 2.0]
        """
        return E.Relu.apply(self)

    def square(self):
        """self ** 2."""
        return self * self

    def reciprocal(self):
        """1 / self."""
        return 1.0 / self

    def maximum(self, other):
        """Elementwise maximum: the max gate routes the gradient to the larger input.

        Ties split the gradient evenly, as in PyTorch.

        Args:
            other: a tensor or number (broadcast).

        >>> import topograd
        >>> topograd.tensor([1.0, 5.0]).maximum(topograd.tensor([3.0, 2.0])).tolist()
        [3.0, 5.0]
        """
        s, o = _other(self, other)
        return _binary(E.Maximum.apply, "maximum", s, o)

    def minimum(self, other):
        """Elementwise minimum (the gradient goes to the smaller input).

        Args:
            other: a tensor or number (broadcast).

        >>> import topograd
        >>> topograd.tensor([1.0, 5.0]).minimum(2.0).tolist()
        [1.0, 2.0]
        """
        s, o = _other(self, other)
        return _binary(E.Minimum.apply, "minimum", s, o)

    def clamp(self, min=None, max=None):
        """Limit values to [min, max]; either bound may be None (or a tensor).

        The gradient passes where min <= x <= max, as in PyTorch. ``clip`` is an alias.

        Args:
            min: lower bound or None.
            max: upper bound or None.

        >>> import topograd
        >>> topograd.tensor([-2.0, 0.5, 3.0]).clamp(-1, 1).tolist()
        [-1.0, 0.5, 1.0]
        """
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        if hasattr(min, "_data") or hasattr(max, "_data"):
            out = self
            if min is not None:
                out = out.maximum(min)
            if max is not None:
                out = out.minimum(max)
            return out
        return E.Clamp.apply(self, min, max)

    clip = clamp

    def clamp_min(self, min):
        """max(self, min)."""
        return self.clamp(min=min)

    def clamp_max(self, max):
        """min(self, max)."""
        return self.clamp(max=max)

    def where(self, condition, other):
        """``self`` where ``condition`` holds, else ``other`` (PyTorch's method form)."""
        from .tensor import where

        return where(condition, self, other)

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is True, else self.

        Args:
            mask: a bool tensor broadcastable to self.
            value: a number or tensor.

        >>> import topograd
        >>> topograd.ones(3).masked_fill(topograd.tensor([True, False, True]), 0.0).tolist()
        [0.0, 1.0, 0.0]
        """
        from .tensor import where

        return where(mask, value, self)

    def softmax(self, dim: int):
        """Softmax along ``dim``, stable for any input.

        Args:
            dim: the dimension whose entries sum to 1.

        >>> import topograd
        >>> topograd.tensor([0.0, 0.0]).softmax(0).tolist()
        [0.5, 0.5]
        """
        return Softmax.apply(self, self._norm_dim(dim))

    def log_softmax(self, dim: int):
        """Log-softmax along ``dim`` (x - logsumexp(x)), stable for any input.

        Args:
            dim: the dimension to normalize.

        >>> import topograd
        >>> round(topograd.tensor([0.0, 0.0]).log_softmax(0)[0].item(), 4)
        -0.6931
        """
        return LogSoftmax.apply(self, self._norm_dim(dim))

    # -- reductions --------------------------------------------------------------------
    def _axes(self, dim, axis):
        return self._norm_dims(dim if axis is None else axis)

    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        """Sum over all elements or over ``dim`` (an int or a tuple).

        Args:
            dim: dimensions to reduce (None: all); ``axis`` is NumPy's spelling.
            keepdim: keep reduced dimensions as size 1; ``keepdims`` also accepted.
            dtype: optional dtype to cast to first.

        >>> import topograd
        >>> x = topograd.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> x.sum().item(), x.sum(1).tolist(), x.sum(axis=0, keepdims=True).shape
        (10.0, [3.0, 7.0], topograd.Size([1, 2]))
        """
        t = self if dtype is None else self.type(dtype)
        return R.Sum.apply(t, self._axes(dim, axis), bool(keepdim or keepdims))

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        """Mean over all elements or over ``dim`` (floating tensors).

        Args:
            dim: dimensions to reduce (None: all); ``axis`` is NumPy's spelling.
            keepdim: keep reduced dimensions as size 1; ``keepdims`` also accepted.
            dtype: optional dtype to cast to first.

        >>> import topograd
        >>> topograd.tensor([[1.0, 2.0], [3.0, 4.0]]).mean(0).tolist()
        [2.0, 3.0]
        """
        t = self if dtype is None else self.type(dtype)
        if t._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {t._data.dtype}"
            )
        return R.Mean.apply(t, self._axes(dim, axis), bool(keepdim or keepdims))

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None):
        """Variance over all elements or over ``dim``.

        Args:
            dim: dimensions to reduce (None: all); ``axis`` is NumPy's spelling.
            unbiased: PyTorch's old flag: False means ``correction=0``.
            keepdim: keep reduced dimensions as size 1.
            correction: subtracted from the count: 1 (Bessel's, the default) or 0.

        >>> import topograd
        >>> x = topograd.tensor([1.0, 2.0, 3.0, 4.0])
        >>> round(x.var().item(), 4), x.var(correction=0).item()
        (1.6667, 1.25)
        """
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        axes = self._axes(dim, axis)
        keep = bool(keepdim or keepdims)
        n = self._data.size if axes is None else int(np.prod([self._data.shape[a] for a in axes]))
        centered = self - R.Mean.apply(self, axes, True)
        return R.Sum.apply(centered * centered, axes, keep) / max(n - correction, 0)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None):
        """Standard deviation, the square root of :meth:`var` (same arguments).

        >>> import topograd
        >>> topograd.tensor([1.0, 3.0]).std(correction=0).item()
        1.0
        """
        return self.var(dim, unbiased, keepdim, correction=correction, axis=axis,
                        keepdims=keepdims).sqrt()

    def logsumexp(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """log(sum(exp(self))) over ``dim``, computed stably (shifted by the max).

        Args:
            dim: dimensions to reduce (None: all); ``axis`` is NumPy's spelling.
            keepdim: keep reduced dimensions as size 1.

        >>> import topograd
        >>> round(topograd.tensor([1000.0, 1000.0]).logsumexp(0).item(), 3)
        1000.693
        """
        return R.LogSumExp.apply(self, self._axes(dim, axis), bool(keepdim or keepdims))

    def amax(self, dim=None, keepdim=False):
        """Maximum over ``dim`` (gradient shared among ties)."""
        return R.Amax.apply(self, self._norm_dims(dim), keepdim)

    def amin(self, dim=None, keepdim=False):
        """Minimum over ``dim``."""
        return R.Amin.apply(self, self._norm_dims(dim), keepdim)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Max of all elements, or along ``dim`` as ``(values, indices)``.

        With a tensor argument it is the elementwise :meth:`maximum`. The gradient of the
        full reduction is shared among tied maxima; along ``dim`` it goes to the returned
        index (PyTorch's rules).

        >>> import topograd
        >>> x = topograd.tensor([[1.0, 5.0], [7.0, 2.0]])
        >>> x.max().item(), x.max(1).indices.tolist()
        (7.0, [1, 0])
        """
        if hasattr(dim, "_data"):
            return self.maximum(dim)
        return self._extreme(R.Amax, np.argmax, dim, axis, keepdim or keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Min of all elements, or along ``dim`` as ``(values, indices)`` (see :meth:`max`).

        >>> import topograd
        >>> topograd.tensor([[1.0, 5.0], [7.0, 2.0]]).min(dim=0).values.tolist()
        [1.0, 2.0]
        """
        if hasattr(dim, "_data"):
            return self.minimum(dim)
        return self._extreme(R.Amin, np.argmin, dim, axis, keepdim or keepdims)

    def _extreme(self, fn, arg, dim, axis, keep):
        d = dim if axis is None else axis
        if d is None or isinstance(d, (tuple, list)):
            return fn.apply(self, self._norm_dims(d), bool(keep))
        ax = self._norm_dim(d)
        if self._data.ndim == 0:
            return MaxResult(fn.apply(self, (), bool(keep)),
                             Tensor._from_array(np.zeros((), dtype=np.int64)))
        if self._data.shape[ax] == 0:
            raise IndexError(
                f"{fn.__name__.lower()}(): Expected reduction dim {ax} to have non-zero size "
                f"(shape {tuple(self._data.shape)})"
            )
        idx = arg(self._data, axis=ax, keepdims=True)
        # the gradient goes to the element whose index is returned, as in PyTorch
        values = fn.apply(self, (ax,), bool(keep), idx)
        if not keep:
            idx = idx.reshape(idx.shape[:ax] + idx.shape[ax + 1:])
        return MaxResult(values, Tensor._from_array(idx.astype(np.int64, copy=False)))

    def argmax(self, dim=None, keepdim=False):
        """Index of the maximum (over the flattened tensor when ``dim`` is None).

        Args:
            dim: optional dimension.
            keepdim: keep ``dim`` as size 1.

        Returns:
            An int64 tensor (not differentiable).

        >>> import topograd
        >>> topograd.tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(1).tolist()
        [1, 0]
        """
        return self._arg(np.argmax, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        """Index of the minimum."""
        return self._arg(np.argmin, dim, keepdim)

    def _arg(self, fn, dim, keepdim):
        if dim is None:
            return Tensor._from_array(np.asarray(fn(self._data), dtype=np.int64))
        out = fn(self._data, axis=self._norm_dim(dim), keepdims=bool(keepdim))
        return Tensor._from_array(np.asarray(out, dtype=np.int64))

    def prod(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        """Product of all elements, or over ``dim``; differentiable, zeros included.

        Args:
            dim: the dimension to reduce (None: all); a tuple of dimensions is accepted
                too (``axis`` is NumPy's spelling).
            keepdim: keep the reduced dimension as size 1; ``keepdims`` also accepted.
            dtype: optional dtype to cast to first (integers and bools otherwise give
                int64, as in PyTorch).

        Returns:
            A tensor. The gradient of an element is the product of the other elements of
            its slice (PyTorch's rule): with one zero in a slice only the zero gets a
            gradient, with two or more none does; double backward works too.

        >>> import topograd
        >>> x = topograd.tensor([[2.0, 3.0], [4.0, 0.0]], requires_grad=True)
        >>> x.prod().item(), x.prod(1).tolist(), x.prod(0, keepdim=True).shape
        (0.0, [6.0, 0.0], topograd.Size([1, 2]))
        >>> x.prod(1).sum().backward()
        >>> x.grad.tolist()
        [[3.0, 2.0], [0.0, 4.0]]
        """
        t = self if dtype is None else self.type(dtype)
        return R.Prod.apply(t, self._axes(dim, axis), bool(keepdim or keepdims))

    def norm(self, p=2, dim=None, keepdim=False):
        """The p-norm (p = 1, 2 or inf) over all elements or ``dim``."""
        if p == 2 or p == "fro":
            return (self * self).sum(dim, keepdim).sqrt()
        if p == 1:
            return self.abs().sum(dim, keepdim)
        if p == float("inf"):
            return self.abs().amax(dim, keepdim)
        return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)

    # -- in-place updates ----------------------------------------------------------------
    def _inplace(self, result_fn, *args):
        """Apply an update in place, safely.

        A leaf that requires grad is refused while grad mode is on (its gradient would be
        lost). When the graph is being recorded the update is recorded too: this tensor
        now stands for the result, and its old value stays intact for the nodes that saved
        it. As in PyTorch, values saved for backward *before* the update count as modified:
        the version bump makes a later backward through them raise instead of computing
        with stale values.
        """
        if _STATE.enabled and (self.requires_grad or
                               any(getattr(a, "requires_grad", False) for a in args)):
            if self.requires_grad and self._ctx is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place "
                    "operation. Wrap the update in topograd.no_grad() (as optimizers do), "
                    "or use an out-of-place operation."
                )
            # the value before the update, at the same place in the graph: the update's
            # own node saves this one, so the version bump below does not stale it
            old = Tensor._from_array(self._data)
            old._ctx, old._out_idx, old.requires_grad = self._ctx, self._out_idx, self.requires_grad
            out = result_fn(old, *args)
            dt = self._data.dtype
            if out._data.shape != self._data.shape:
                raise RuntimeError(
                    f"output with shape {tuple(self._data.shape)} doesn't match the broadcast "
                    f"shape {tuple(out._data.shape)} in an in-place operation"
                )
            if out._data.dtype != dt:
                if not np.can_cast(out._data.dtype, dt, casting="same_kind"):
                    raise RuntimeError(
                        f"result type {out._data.dtype} can't be cast to the desired output "
                        f"type {dt} in an in-place operation"
                    )
                out = out.type(dt)
            self._bump_version()
            self._data = out._data
            self._ctx, self._out_idx, self.requires_grad = out._ctx, out._out_idx, out.requires_grad
            return self
        if not self._data.flags.writeable:
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location (it was made by expand() or broadcasting). "
                "Please clone() the tensor before performing the operation."
            )
        prev = _STATE.enabled
        _STATE.enabled = False
        try:
            out = result_fn(self, *args)
        finally:
            _STATE.enabled = prev
        try:
            np.copyto(self._data, out._data, casting="same_kind")
        except TypeError:
            raise RuntimeError(
                f"result type {out._data.dtype} can't be cast to the desired output type "
                f"{self._data.dtype} in an in-place operation"
            ) from None
        except ValueError:
            raise RuntimeError(
                f"output with shape {tuple(self._data.shape)} doesn't match the broadcast "
                f"shape {tuple(out._data.shape)} in an in-place operation"
            ) from None
        self._bump_version()
        return self

    def __iadd__(self, other):
        return self._inplace(type(self).__add__, other)

    def __isub__(self, other):
        return self._inplace(type(self).__sub__, other)

    def __imul__(self, other):
        return self._inplace(type(self).__mul__, other)

    def __itruediv__(self, other):
        return self._inplace(type(self).__truediv__, other)

    def add_(self, other, alpha=1):
        """In-place self += alpha * other.

        Refused on a leaf that requires grad unless under ``no_grad`` (as optimizers
        update); on a value backward still needs, backward later raises.

        Args:
            other: a tensor or number.
            alpha: multiplier of ``other``.

        >>> import topograd
        >>> topograd.ones(2).add_(topograd.ones(2), alpha=2).tolist()
        [3.0, 3.0]
        """
        return self._inplace(lambda s, o: s.add(o, alpha), other)

    def sub_(self, other, alpha=1):
        """In-place self -= alpha * other."""
        return self._inplace(lambda s, o: s.sub(o, alpha), other)

    def mul_(self, other):
        """In-place self *= other."""
        return self._inplace(type(self).__mul__, other)

    def div_(self, other):
        """In-place self /= other."""
        return self._inplace(type(self).__truediv__, other)

    def clamp_(self, min=None, max=None):
        """In-place clamp."""
        return self._inplace(lambda s: s.clamp(min, max))

    def zero_(self):
        """Fill with zeros, in place (``p.grad.zero_()``).

        >>> import topograd
        >>> topograd.ones(2).zero_().tolist()
        [0.0, 0.0]
        """
        return self.fill_(0)

    def fill_(self, value):
        """Fill with ``value``, in place."""
        return self._inplace(lambda s: _const(np.full(s._data.shape, value, s._data.dtype)))

    def copy_(self, src):
        """Copy ``src``'s values into this tensor, in place (broadcasting)."""
        src = src if isinstance(src, Tensor) else Tensor(src)
        return self._inplace(lambda s, o: o.type(s._data.dtype).expand(*s._data.shape) * 1, src)

    def uniform_(self, a=0.0, b=1.0):
        """Fill with draws from U(a, b), from the global generator."""
        from .random import default_generator

        vals = default_generator().uniform(a, b, self._data.shape).astype(self._data.dtype)
        return self._inplace(lambda s: _const(vals))

    def normal_(self, mean=0.0, std=1.0):
        """Fill with draws from N(mean, std^2), from the global generator."""
        from .random import default_generator

        vals = default_generator().normal(mean, std, self._data.shape).astype(self._data.dtype)
        return self._inplace(lambda s: _const(vals))


def _const(arr):
    return Tensor._from_array(arr)
