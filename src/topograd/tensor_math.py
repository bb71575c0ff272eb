"""Tensor arithmetic: operators, their named forms and elementwise functions.

Mixed into :class:`topograd.Tensor`; every method here calls a primitive from
``topograd.primitives`` (or composes a few). Reductions are in
:mod:`topograd.tensor_reduce`; comparisons, selection and in-place updates in
:mod:`topograd.tensor_compare`.
"""

from __future__ import annotations

import numpy as np

from .primitives import elementwise as E
from .primitives.matmul import MatMul
from .primitives.softmax import LogSoftmax, Softmax

_Add, _Sub, _Mul, _Div, _Pow = E.Add.apply, E.Sub.apply, E.Mul.apply, E.Div.apply, E.Pow.apply

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
        if not isinstance(o, Tensor):  # number / tensor is reciprocal(tensor) * number, as
            return E.Reciprocal.apply(s) * o  # PyTorch (no version check of the tensor)
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
        """1 / self (integers become float32); its node keeps the output."""
        if self._data.dtype.kind not in "fc":
            return E.Reciprocal.apply(self.type(np.float32))
        return E.Reciprocal.apply(self)

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
