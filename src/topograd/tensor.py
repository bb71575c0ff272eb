"""Tensor: an ndarray, its gradient, whether it requires one, and the node that made it.

A Tensor wraps a NumPy array (``t.numpy()`` returns it, no copy). Its methods are thin:
each calls a primitive (:mod:`topograd.primitives`), whose ``apply`` records the graph
while the code runs (define-by-run); ``t.backward()`` walks that graph in reverse
topological order (:mod:`topograd.autograd.engine`). The class reads in sections:
attributes, graph, arithmetic, elementwise, reductions, shape and indexing, comparison
and selection, in-place, conversion; Python's operators are bound to those methods in
one place, after the class.

Dtypes follow :mod:`topograd.dtypes`: a Python number never changes a tensor's dtype
(float32 * 2.0 stays float32), an integer tensor combined with a floating one takes the
floating dtype (int64 + float32 -> float32), float32 and float64 together give float64.

>>> import topograd
>>> x = topograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
tensor([2., 4., 6.], dtype=float32)
"""

from __future__ import annotations

import warnings
from collections import namedtuple

import numpy as np

from . import dtypes
from ._device import CPU as _CPU
from ._device import as_device, check_move
from ._device import device as _Device
from ._warn import user_stacklevel
from .autograd import engine as _engine
from .autograd import grad_mode
from .autograd import hooks as _hooks
from .autograd import inplace as _inplace
from .primitives import elementwise as E
from .primitives import movement as M
from .primitives import reduce as R
from .primitives.matmul import MatMul
from .primitives.softmax import LogSoftmax, Softmax

_STATE = grad_mode.STATE
_Add, _Sub, _Mul, _Div, _Pow = E.Add.apply, E.Sub.apply, E.Mul.apply, E.Div.apply, E.Pow.apply

MaxResult = namedtuple("MaxResult", ["values", "indices"])


class Size(tuple):
    """A tensor's shape: a tuple that prints as PyTorch's ``Size``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"topograd.Size([{', '.join(str(d) for d in self)}])"

    def numel(self) -> int:
        """The number of elements a tensor of this shape has."""
        n = 1
        for d in self:
            n *= d
        return n


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Args:
        data: array-like (nested lists, numbers, an ndarray, a Tensor).
        dtype: optional dtype; Python floats default to float32, ints to int64.
        requires_grad: whether ``backward`` should compute this tensor's ``.grad``.

    >>> import topograd
    >>> topograd.Tensor([[1, 2], [3, 4]]).shape
    topograd.Size([2, 2])
    """

    # _hooks (a leaf's gradient hooks) is set only by register_hook; _view (what makes a
    # view: see autograd.inplace) only on views; _alias (the tensors sharing this memory
    # and version counter) only once a view or detach() is made: read them with getattr
    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_out_idx", "_vc", "_hooks",
                 "_view", "_alias", "__weakref__")
    __array_priority__ = 1000
    __array_ufunc__ = None  # make ndarray (op) Tensor defer to Tensor's reflected operator

    # == attributes =======================================================================
    def __init__(self, data=None, dtype=None, requires_grad: bool = False) -> None:
        if data is None:
            data = np.zeros((0,), dtype=np.float32)
        self._data = dtypes.as_array(data, dtype)
        self.grad = None
        self._ctx = None
        self._out_idx = 0
        self._vc = 0
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_array(cls, arr: np.ndarray) -> Tensor:
        """Wrap an ndarray with no checks and no copy (the engine's fast path)."""
        t = Tensor.__new__(Tensor)
        t._data = arr
        t.grad = None
        t._ctx = None
        t._out_idx = 0
        t._vc = 0
        t.requires_grad = False
        return t

    @property
    def shape(self) -> Size:
        """The shape, as a tuple (``Size``)."""
        return Size(self._data.shape)

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    def dim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The element type, a NumPy dtype (``topograd.float32`` is ``np.dtype('float32')``)."""
        return self._data.dtype

    @property
    def device(self):
        """Always ``device(type='cpu')``: topograd computes with NumPy.

        >>> import topograd
        >>> topograd.zeros(2).device
        device(type='cpu')
        """
        return _CPU

    is_cuda = False  # class constants, as PyTorch's read-only flags: no per-tensor state
    is_cpu = True
    is_mps = False
    is_meta = False

    def get_device(self) -> int:
        """-1, PyTorch's answer for a CPU tensor (a CUDA tensor gives its device index)."""
        return -1

    def size(self, dim: int | None = None):
        """The shape, or the length of dimension ``dim``.

        Args:
            dim: optional dimension (negative counts from the end).

        >>> import topograd
        >>> t = topograd.zeros(2, 3)
        >>> t.size(), t.size(-1)
        (topograd.Size([2, 3]), 3)
        """
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._norm_dim(dim)]

    def numel(self) -> int:
        """The number of elements.

        >>> import topograd
        >>> topograd.zeros(2, 3).numel()
        6
        """
        return int(self._data.size)

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user, not by an operation that recorded a node."""
        return self._ctx is None

    @property
    def grad_fn(self):
        """The node (a Function) that made this tensor, or None for a leaf."""
        return self._ctx

    @property
    def data(self) -> Tensor:
        """This tensor's values as a tensor outside the graph (shares memory)."""
        return Tensor._from_array(self._data)

    @data.setter
    def data(self, value) -> None:
        arr = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._data = arr
        self._bump_version()

    @property
    def _version(self) -> int:
        """How many times this tensor (or a tensor sharing its memory) was modified in place."""
        return self._vc

    @property
    def _base(self):
        """The tensor whose memory this view shares, or None when this is not a view.

        >>> import topograd
        >>> a = topograd.zeros(4)
        >>> a[1:3]._base is a, a._base
        (True, None)
        """
        view = getattr(self, "_view", None)
        return None if view is None else view.base

    def _is_view(self) -> bool:
        """True for a view (basic indexing, view/reshape without a copy, permute, expand)."""
        return getattr(self, "_view", None) is not None

    def _bump_version(self) -> None:
        """Count an in-place modification made outside the tensor's methods (an optimizer
        writing into ``p.numpy()``): see :func:`topograd.autograd.inplace.bump_version`."""
        _inplace.bump_version(self)

    # == graph ============================================================================
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (leaves only) and return self.

        Args:
            requires_grad: the new flag; only floating tensors can require grad.

        >>> import topograd
        >>> topograd.zeros(2).requires_grad_().requires_grad
        True
        """
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to "
                "use a computed variable in a subgraph that doesn't require differentiation "
                "use var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, found "
                f"{self._data.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """A tensor sharing this one's values, outside the graph (no grad, no node).

        As in PyTorch it shares this tensor's memory and version counter: an in-place
        update of either changes both, and counts as a modification of both.

        >>> import topograd
        >>> y = topograd.ones(2, requires_grad=True) * 2
        >>> d = y.detach()
        >>> d.requires_grad
        False
        >>> _ = d.add_(1)
        >>> y._version, y.tolist()
        (1, [3.0, 3.0])
        """
        return _inplace.make_alias(self)

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph, in place (refused on a view, as in PyTorch)."""
        if getattr(self, "_view", None) is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is "
                "set as True, gradients are views of DDP buckets, and hence detach_() cannot "
                "be called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self._ctx = None
        self.requires_grad = False
        return self

    def clone(self) -> Tensor:
        """A copy with its own memory; differentiable (the gradient passes through).

        >>> import topograd
        >>> x = topograd.ones(2, requires_grad=True)
        >>> x.clone().grad_fn is not None
        True
        """
        if self.requires_grad and _STATE.enabled:
            return _Add(self, np.zeros((), dtype=self._data.dtype))
        return Tensor._from_array(self._data.copy())

    def contiguous(self) -> Tensor:
        """Return self (NumPy handles strides)."""
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the leaves' ``.grad``.

        Args:
            gradient: d(out)/d(self), a tensor of self's shape; may be omitted for a
                one-element tensor (it means 1).
            retain_graph: keep the graph's saved values for another backward
                (default: ``create_graph``); without it a second pass raises.
            create_graph: build the graph of this derivative, for higher derivatives.
            inputs: accumulate only into these tensors.

        >>> import topograd
        >>> x = topograd.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4.], dtype=float32)
        """
        _engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward.

        The retained gradient is the one after this tensor's hooks (see
        :meth:`register_hook`), whatever the order they were registered in, and it
        accumulates over backward passes, as on a leaf.

        >>> import topograd
        >>> x = topograd.tensor([1.0, 2.0], requires_grad=True)
        >>> y = x * 3
        >>> y.retain_grad()
        >>> (y * y).sum().backward()
        >>> y.grad
        tensor([ 6., 12.], dtype=float32)
        """
        _hooks.retain_grad(self)

    def register_hook(self, hook):
        """Register ``hook(grad)`` to be called with this tensor's gradient in backward.

        The hook gets the gradient as a tensor and may return a tensor of the same
        shape and dtype to use instead (None keeps it). On a leaf the hooks run on the
        incoming gradient before it is added to ``.grad``; on a computed tensor they
        run once its gradient is summed over all its uses, and what they return flows
        on backward. Several hooks run in the order they were registered, each given
        the previous one's result. ``autograd.grad`` runs them too, and with
        ``create_graph=True`` the hook's tensor is part of the graph.

        Args:
            hook: a callable ``hook(grad) -> Tensor or None``.

        Returns:
            A handle; ``handle.remove()`` unregisters the hook.

        >>> import topograd
        >>> v = topograd.tensor([0.0, 0.0, 0.0], requires_grad=True)
        >>> h = v.register_hook(lambda grad: grad * 2)  # double the gradient
        >>> v.backward(topograd.tensor([1.0, 2.0, 3.0]))
        >>> v.grad
        tensor([2., 4., 6.], dtype=float32)
        >>> h.remove()
        """
        return _hooks.register_tensor_hook(self, hook)

    # == arithmetic =======================================================================
    # add, sub and mul skip _operands() when both operands are tensors of one dtype or the
    # other is a Python float meeting a float tensor: the common case, and per-op
    # overhead is what small-tensor code pays for.
    def add(self, other, alpha=1):
        """self + alpha * other (``+``).

        >>> import topograd
        >>> topograd.ones(2).add(topograd.ones(2), alpha=3).tolist()
        [4.0, 4.0]
        """
        if alpha != 1:
            other = other * alpha
        if type(other) is not Tensor or other._data.dtype is not self._data.dtype:
            if type(other) is not float or self._data.dtype.kind != "f":
                self, other = _operands(self, other)
        try:
            return _Add(self, other)
        except ValueError:
            _broadcast_error("add", self, other)
            raise

    def sub(self, other, alpha=1):
        """self - alpha * other (``-``)."""
        if alpha != 1:
            other = other * alpha
        if type(other) is not Tensor or other._data.dtype is not self._data.dtype:
            if type(other) is not float or self._data.dtype.kind != "f":
                self, other = _operands(self, other)
        try:
            return _Sub(self, other)
        except ValueError:
            _broadcast_error("sub", self, other)
            raise

    def mul(self, other):
        """self * other (``*``): the mul gate, each input's gradient is the other's value."""
        if type(other) is not Tensor or other._data.dtype is not self._data.dtype:
            if type(other) is not float or self._data.dtype.kind != "f":
                self, other = _operands(self, other)
        try:
            return _Mul(self, other)
        except ValueError:
            _broadcast_error("mul", self, other)
            raise

    def div(self, other):
        """self / other (``/``); integers divide as floats (float32), as in PyTorch.

        >>> import topograd
        >>> topograd.tensor([3, 4]).div(2).tolist()
        [1.5, 2.0]
        """
        s, o = _operands(self, other)
        s, o = _float_division(s, o)
        return _binary(_Div, "div", s, o)

    def pow(self, exponent):
        """self ** exponent (``**``)."""
        s, o = _operands(self, exponent)
        return _binary(_Pow, "pow", s, o)

    def matmul(self, other):
        """Matrix product with NumPy's rules: vectors, matrices and batches (``@``).

        Args:
            other: the right operand.

        >>> import topograd
        >>> (topograd.ones(2, 3) @ topograd.ones(3)).tolist()
        [3.0, 3.0]
        """
        return MatMul.apply(*_matmul_operands(self, other))

    def mm(self, other):
        """Matrix product of two 2-D tensors."""
        return self.matmul(other)

    def neg(self):
        """-self (``-``); refused for bool tensors, as in PyTorch."""
        if self._data.dtype == np.bool_:
            raise TypeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return E.Neg.apply(self)

    def positive(self):
        """self (``+x``)."""
        return self

    def floor_divide(self, other):
        """Elementwise floor(self / other), as ``//`` (not differentiable).

        >>> import topograd
        >>> topograd.tensor([7, -7]).floor_divide(2).tolist()
        [3, -4]
        """
        s, o = _operands(self, other)
        return s._nondiff(np.floor_divide, o, "floor_divide")

    def remainder(self, other):
        """Elementwise remainder with the sign of ``other``, as ``%`` (Python's rule).

        Differentiable: d/dself = 1, d/dother = -floor(self / other).

        >>> import topograd
        >>> topograd.tensor([7.0, -7.0]).remainder(3).tolist()
        [1.0, 2.0]
        """
        s, o = _operands(self, other)
        return _binary(E.Remainder.apply, "remainder", s, o)

    def _nondiff(self, fn, other, op):
        """An operation with no useful gradient (zero almost everywhere): no node."""
        o = other._data if isinstance(other, Tensor) else other
        try:
            return Tensor._from_array(np.asarray(fn(self._data, o)))
        except ValueError:
            _broadcast_error(op, self, other)
            raise

    # == elementwise ======================================================================
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
        """Absolute value (``abs(x)``)."""
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
            return E.Reciprocal.apply(self.type(dtypes.DEFAULT_FLOAT))
        return E.Reciprocal.apply(self)

    def softmax(self, dim: int):
        """Softmax along ``dim``, stable for any input.

        Args:
            dim: the dimension whose entries sum to 1.

        >>> import topograd
        >>> topograd.tensor([0.0, 0.0]).softmax(0).tolist()
        [0.5, 0.5]
        """
        return Softmax.apply(self, axis=self._norm_dim(dim))

    def log_softmax(self, dim: int):
        """Log-softmax along ``dim`` (x - logsumexp(x)), stable for any input.

        Args:
            dim: the dimension to normalize.

        >>> import topograd
        >>> round(topograd.tensor([0.0, 0.0]).log_softmax(0)[0].item(), 4)
        -0.6931
        """
        return LogSoftmax.apply(self, axis=self._norm_dim(dim))

    # == reductions =======================================================================
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
        return R.Sum.apply(t, axis=self._axes(dim, axis), keepdims=bool(keepdim or keepdims))

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
        return R.Mean.apply(t, axis=self._axes(dim, axis), keepdims=bool(keepdim or keepdims))

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
        self._check_dof(axes, correction, "var")
        return R.Var.apply(self, axis=axes, correction=correction,
                           keepdims=bool(keepdim or keepdims))

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None):
        """Standard deviation, the square root of :meth:`var` (same arguments).

        >>> import topograd
        >>> topograd.tensor([1.0, 3.0]).std(correction=0).item()
        1.0
        """
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        axes = self._axes(dim, axis)
        self._check_dof(axes, correction, "std")
        return R.Std.apply(self, axis=axes, correction=correction,
                           keepdims=bool(keepdim or keepdims))

    def _check_dof(self, axes, correction, name: str) -> None:
        """PyTorch's warning when nothing is left to divide by (the result is nan or inf)."""
        shape = self._data.shape
        n = self._data.size if axes is None else int(np.prod([shape[a] for a in axes]))
        if n - correction <= 0:
            warnings.warn(
                f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                "than the reduction factor (input numel divided by output numel).",
                UserWarning, stacklevel=user_stacklevel())

    def logsumexp(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """log(sum(exp(self))) over ``dim``, computed stably (shifted by the max).

        Args:
            dim: dimensions to reduce (None: all); ``axis`` is NumPy's spelling.
            keepdim: keep reduced dimensions as size 1.

        >>> import topograd
        >>> round(topograd.tensor([1000.0, 1000.0]).logsumexp(0).item(), 3)
        1000.693
        """
        return R.LogSumExp.apply(self, axis=self._axes(dim, axis),
                                 keepdims=bool(keepdim or keepdims))

    def amax(self, dim=None, keepdim=False):
        """Maximum over ``dim`` (gradient shared among ties)."""
        return R.Amax.apply(self, axis=self._norm_dims(dim), keepdims=keepdim)

    def amin(self, dim=None, keepdim=False):
        """Minimum over ``dim``."""
        return R.Amin.apply(self, axis=self._norm_dims(dim), keepdims=keepdim)

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
            return fn.apply(self, axis=self._norm_dims(d), keepdims=bool(keep))
        ax = self._norm_dim(d)
        if self._data.ndim == 0:
            return MaxResult(fn.apply(self, axis=(), keepdims=bool(keep)),
                             Tensor._from_array(np.zeros((), dtype=np.int64)))
        if self._data.shape[ax] == 0:
            raise IndexError(
                f"{fn.__name__.lower()}(): Expected reduction dim {ax} to have non-zero size "
                f"(shape {tuple(self._data.shape)})"
            )
        idx = arg(self._data, axis=ax, keepdims=True)
        # the gradient goes to the element whose index is returned, as in PyTorch
        values = fn.apply(self, axis=(ax,), keepdims=bool(keep), index=idx)
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
        return R.Prod.apply(t, axis=self._axes(dim, axis), keepdims=bool(keepdim or keepdims))

    def norm(self, p=2, dim=None, keepdim=False):
        """The vector p-norm over all elements or ``dim``.

        ``p`` is any number, inf and -inf included ("fro" is 2); the gradient is
        PyTorch's (0 where the norm is 0).

        >>> import topograd
        >>> x = topograd.tensor([3.0, -4.0])
        >>> x.norm().item(), x.norm(1).item()
        (5.0, 7.0)
        """
        if p is None or p == "fro":
            p = 2
        return R.Norm.apply(self, p=float(p), axis=self._norm_dims(dim), keepdims=bool(keepdim))

    # == shape and indexing ===============================================================
    def _norm_dim(self, dim: int, ndim: int | None = None) -> int:
        nd = self._data.ndim if ndim is None else ndim
        lo, hi = (-nd, nd - 1) if nd > 0 else (-1, 0)
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"dim must be an int, found {type(dim).__name__}")
        if not lo <= dim <= hi:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})"
            )
        return int(dim) % max(nd, 1)

    def _norm_dims(self, dims):
        if dims is None:
            return None
        if isinstance(dims, (list, tuple)):
            out = tuple(sorted({self._norm_dim(d) for d in dims}))
        else:
            out = (self._norm_dim(dims),)
        if self._data.ndim == 0:
            return ()  # dim 0 / -1 of a 0-d tensor: nothing to reduce (PyTorch allows it)
        return out

    def reshape(self, *shape):
        """The same values in another shape (one dimension may be -1); ``view`` too.

        Args:
            *shape: the new shape, as ints or one tuple/list.

        Returns:
            A tensor sharing memory where NumPy can; the gradient is reshaped back.

        >>> import topograd
        >>> topograd.arange(6).reshape(2, -1).shape
        topograd.Size([2, 3])
        """
        shape = _shape_arg(shape)
        try:
            target = _resolve_shape(self._data.size, shape)
        except ValueError as e:
            raise RuntimeError(
                f"shape '{list(shape)}' is invalid for input of size {self._data.size}"
            ) from e
        if target == self._data.shape:
            return self
        return _inplace.make_view(self, M.Reshape.apply(self, shape=target), "reshape", target)

    def view(self, *shape):
        """The same memory seen with another shape (one dimension may be -1).

        A view: updates of either tensor show in the other. As in PyTorch, a view (a
        slice, a transpose) whose elements cannot be seen with the new shape without
        copying is refused; use ``reshape``, which copies then. A tensor NumPy stores
        in another order than PyTorch would is copied instead (as ``reshape``).

        Args:
            *shape: the new shape, as ints or one tuple/list.

        >>> import topograd
        >>> a = topograd.zeros(2, 3)
        >>> a.view(3, 2)._base is a
        True
        >>> a.t().view(6)
        Traceback (most recent call last):
        RuntimeError: view size is not compatible with input tensor's size and stride ...
        """
        out = self.reshape(*shape)
        if out is not self and out._data.size and getattr(out, "_view", None) is None:
            sv = getattr(self, "_view", None)
            if sv is not None and sv.base._data.flags.c_contiguous:
                # strides made by view operations from a C-ordered base are PyTorch's:
                # NumPy copying means PyTorch's view() would fail
                raise RuntimeError(
                    "view size is not compatible with input tensor's size and stride (at "
                    "least one dimension spans across two contiguous subspaces). Use "
                    ".reshape(...) instead."
                )
        return out

    def view_as(self, other):
        """View with ``other``'s shape (see :meth:`view`)."""
        return self.view(other.shape)

    def reshape_as(self, other):
        """Reshape to ``other``'s shape."""
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        """Merge dimensions ``start_dim``..``end_dim`` into one.

        Args:
            start_dim: the first dimension to merge.
            end_dim: the last one (inclusive; negative counts from the end).

        >>> import topograd
        >>> topograd.zeros(2, 3, 4).flatten(1).shape
        topograd.Size([2, 12])
        """
        shape = self._data.shape
        if not shape:
            return self.reshape(1)
        s, e = self._norm_dim(start_dim), self._norm_dim(end_dim)
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        n = 1
        for d in shape[s:e + 1]:
            n *= d
        return self.reshape(shape[:s] + (n,) + shape[e + 1:])

    def unflatten(self, dim: int, sizes):
        """Split dimension ``dim`` into ``sizes``."""
        d = self._norm_dim(dim)
        shape = self._data.shape
        return self.reshape(shape[:d] + tuple(sizes) + shape[d + 1:])

    def squeeze(self, dim=None):
        """Remove size-1 dimensions (all, or those in ``dim``).

        Args:
            dim: optional dimension or tuple of dimensions; others are left alone.

        >>> import topograd
        >>> topograd.zeros(1, 3, 1).squeeze(0).shape
        topograd.Size([3, 1])
        """
        shape = self._data.shape
        if dim is None:
            new = tuple(s for s in shape if s != 1)
        else:
            dims = self._norm_dims(dim)
            new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
        return self.reshape(new)

    def unsqueeze(self, dim: int):
        """Insert a size-1 dimension at ``dim``.

        Args:
            dim: the position in the result (-1 appends).

        >>> import topograd
        >>> topograd.zeros(3).unsqueeze(0).shape
        topograd.Size([1, 3])
        """
        d = self._norm_dim(dim, self._data.ndim + 1)
        shape = self._data.shape
        return self.reshape(shape[:d] + (1,) + shape[d:])

    def permute(self, *dims):
        """Reorder dimensions.

        Args:
            *dims: a permutation of the dimensions (negative values allowed).

        >>> import topograd
        >>> topograd.zeros(2, 3, 4).permute(2, 0, 1).shape
        topograd.Size([4, 2, 3])
        """
        dims = _shape_arg(dims)
        nd = self._data.ndim
        if len(dims) != nd:
            raise RuntimeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                f"the length of the desired ordering of dimensions i.e. input.dim() = {nd} is "
                f"not equal to len(dims) = {len(dims)}"
            )
        axes = tuple(self._norm_dim(d) for d in dims)
        if len(set(axes)) != nd:
            raise RuntimeError(f"permute(): repeated dim in {dims}")
        if axes == tuple(range(nd)):
            return self
        return _inplace.make_view(self, M.Permute.apply(self, axes=axes), "permute", axes)

    def transpose(self, dim0: int = 0, dim1: int = 1):
        """Swap two dimensions.

        Args:
            dim0: one dimension.
            dim1: the other.

        >>> import topograd
        >>> topograd.zeros(2, 3).transpose(0, 1).shape
        topograd.Size([3, 2])
        """
        nd = self._data.ndim
        a, b = self._norm_dim(dim0), self._norm_dim(dim1)
        if nd < 2 or a == b:
            return self
        axes = list(range(nd))
        axes[a], axes[b] = axes[b], axes[a]
        return self.permute(*axes)

    swapaxes = transpose
    swapdims = transpose

    def t(self):
        """Transpose a tensor of at most 2 dimensions."""
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self._data.ndim}D")
        return self.transpose(0, 1)

    @property
    def T(self):
        """All dimensions reversed."""
        nd = self._data.ndim
        return self.permute(*range(nd - 1, -1, -1)) if nd > 1 else self

    @property
    def mT(self):
        """The last two dimensions swapped."""
        return self.transpose(-2, -1)

    def expand(self, *sizes):
        """Broadcast to a larger shape without copying (-1 keeps a dimension).

        Args:
            *sizes: the target shape; new dimensions go in front.

        Returns:
            A read-only view; backward sums the gradient back to this shape.

        >>> import topograd
        >>> topograd.tensor([[1.0], [2.0]]).expand(-1, 3).tolist()
        [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
        """
        sizes = _shape_arg(sizes)
        shape = self._data.shape
        lead = len(sizes) - len(shape)
        if lead < 0:
            raise RuntimeError(
                f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal "
                f"to the number of dimensions in the tensor ({len(shape)})"
            )
        target = tuple(
            shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes)
        )
        if any(s < 0 for s in target):
            raise RuntimeError(
                f"expand: -1 is not allowed in a leading, non-existing dimension "
                f"(sizes {list(sizes)} for a tensor of shape {list(shape)})"
            )
        for i, s in enumerate(shape):
            if s != 1 and s != target[i + lead]:
                raise RuntimeError(
                    f"The expanded size of the tensor ({target[i + lead]}) must match the "
                    f"existing size ({s}) at non-singleton dimension {i + lead}. Target sizes: "
                    f"{list(sizes)}. Tensor sizes: {list(shape)}"
                )
        if target == shape:
            return self
        return _inplace.make_view(self, M.Expand.apply(self, shape=target), "expand", target)

    def expand_as(self, other):
        """Broadcast to ``other``'s shape."""
        return self.expand(*other.shape)

    broadcast_to = expand

    def repeat(self, *sizes):
        """Tile the tensor ``sizes`` times along each dimension (as ``np.tile``).

        Args:
            *sizes: repeats per dimension; at least as many as the tensor has.

        >>> import topograd
        >>> topograd.tensor([1.0, 2.0]).repeat(2).tolist()
        [1.0, 2.0, 1.0, 2.0]
        """
        sizes = _shape_arg(sizes)
        if len(sizes) < self._data.ndim:
            raise RuntimeError(
                f"Number of dimensions of repeat dims ({len(sizes)}) can not be smaller than "
                f"number of dimensions of tensor ({self._data.ndim})"
            )
        t = self.reshape((1,) * (len(sizes) - self._data.ndim) + self._data.shape)
        shape = t._data.shape
        inter = []
        for r, s in zip(sizes, shape):
            inter += [r, s]
        # (r0, s0, r1, s1, ...) broadcast then merge each pair
        expanded = t.reshape(tuple(x for s in shape for x in (1, s))).expand(*inter)
        return expanded.reshape(tuple(r * s for r, s in zip(sizes, shape)))

    def split(self, split_size_or_sections, dim: int = 0):
        """Split into pieces of a given size (the last may be smaller) or of given sizes.

        Args:
            split_size_or_sections: an int size, or a list of sizes summing to the
                dimension's length.
            dim: the dimension to split.

        Returns:
            A tuple of tensors (views; each passes its gradient back).

        >>> import topograd
        >>> [p.tolist() for p in topograd.arange(5).split(2)]
        [[0, 1], [2, 3], [4]]
        """
        d = self._norm_dim(dim)
        n = self._data.shape[d]
        if isinstance(split_size_or_sections, (int, np.integer)):
            step = int(split_size_or_sections)
            if step <= 0:
                raise ValueError(f"split expects a positive split_size, found {step}")
            sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
        else:
            sizes = [int(s) for s in split_size_or_sections]
            if sum(sizes) != n:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                    f"size at dimension {d}), but got split_sizes={sizes}"
                )
        lead = (slice(None),) * d
        out, start = [], 0
        for s in sizes:
            out.append(self[lead + (slice(start, start + s),)])
            start += s
        name = "Split" if isinstance(split_size_or_sections, (int, np.integer)) else \
            "SplitWithSizes"
        return _inplace.mark_multi_output(tuple(out), name)

    def chunk(self, chunks: int, dim: int = 0):
        """Split into ``chunks`` pieces of (nearly) equal size, as PyTorch does.

        Args:
            chunks: how many pieces at most.
            dim: the dimension to split.

        >>> import topograd
        >>> [p.shape[0] for p in topograd.zeros(5).chunk(3)]
        [2, 2, 1]
        """
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        d = self._norm_dim(dim)
        n = self._data.shape[d]
        if n == 0:  # PyTorch gives `chunks` empty pieces
            lead = (slice(None),) * d
            return _inplace.mark_multi_output(
                tuple(self[lead + (slice(0, 0),)] for _ in range(chunks)), "Split")
        return self.split(-(-n // chunks), dim)

    def unbind(self, dim: int = 0):
        """The slices along ``dim``, as a tuple."""
        d = self._norm_dim(dim)
        lead = (slice(None),) * d
        return _inplace.mark_multi_output(
            tuple(self[lead + (i,)] for i in range(self._data.shape[d])), "Unbind")

    def __getitem__(self, index):
        index = _index_arg(index)
        try:
            return _inplace.make_view(self, M.GetItem.apply(self, index=index), "index", index)
        except IndexError as e:
            raise IndexError(f"index {_fmt_index(index)} is invalid for a tensor of shape "
                             f"{tuple(self._data.shape)}: {e}") from None

    def __setitem__(self, index, value):
        index = _index_arg(index)

        def put(s, v):
            mask = np.zeros(s._data.shape, dtype=bool)
            mask[index] = True
            full = np.zeros(s._data.shape, dtype=s._data.dtype)
            vv = v._data if isinstance(v, Tensor) else np.asarray(v)
            try:
                full[index] = vv
            except ValueError as e:
                raise RuntimeError(
                    f"shape mismatch: value of shape {tuple(np.shape(vv))} cannot be assigned to "
                    f"the indexed region of a tensor of shape {tuple(s._data.shape)}: {e}"
                ) from None
            if isinstance(v, Tensor) and v.requires_grad:
                # scatter the value through a differentiable path
                placed = _scatter_value(v, index, s._data.shape)
                return E.Where.apply(mask, placed, s)
            return E.Where.apply(mask, Tensor._from_array(full), s)

        try:
            _inplace.update(self, put, value)
        except IndexError as e:
            raise IndexError(f"index {_fmt_index(index)} is invalid for a tensor of shape "
                             f"{tuple(self._data.shape)}: {e}") from None

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self._data.shape[0]):  # the pieces of unbind(), as in PyTorch
            yield _inplace.mark_multi_output((self[i],), "Unbind", i)[0]

    # == comparison and selection =========================================================
    # comparisons are not differentiable: bool tensors outside the graph
    def _compare(self, other, fn):
        o = other._data if isinstance(other, Tensor) else other
        try:
            return Tensor._from_array(np.asarray(fn(self._data, o)))
        except ValueError:
            _broadcast_error("comparison", self, other)
            raise

    def eq(self, other):
        """Elementwise ==, a bool tensor (``==``)."""
        return self._compare(other, np.equal)

    def ne(self, other):
        """Elementwise != (``!=``)."""
        return self._compare(other, np.not_equal)

    def lt(self, other):
        """Elementwise < (``<``)."""
        return self._compare(other, np.less)

    def le(self, other):
        """Elementwise <= (``<=``)."""
        return self._compare(other, np.less_equal)

    def gt(self, other):
        """Elementwise > (``>``)."""
        return self._compare(other, np.greater)

    def ge(self, other):
        """Elementwise >= (``>=``)."""
        return self._compare(other, np.greater_equal)

    def bitwise_not(self):
        """Elementwise not of a bool tensor, bitwise not of an integer one (``~``)."""
        return Tensor._from_array(~self._data)

    def bitwise_and(self, other):
        """Elementwise and of bool tensors, bitwise and of integer ones (``&``)."""
        return self._compare(other, np.logical_and if self._data.dtype == bool else np.bitwise_and)

    def bitwise_or(self, other):
        """Elementwise or of bool tensors, bitwise or of integer ones (``|``)."""
        return self._compare(other, np.logical_or if self._data.dtype == bool else np.bitwise_or)

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

    def maximum(self, other):
        """Elementwise maximum: the max gate routes the gradient to the larger input.

        Ties split the gradient evenly, as in PyTorch.

        Args:
            other: a tensor or number (broadcast).

        >>> import topograd
        >>> topograd.tensor([1.0, 5.0]).maximum(topograd.tensor([3.0, 2.0])).tolist()
        [3.0, 5.0]
        """
        s, o = _operands(self, other)
        return _binary(E.Maximum.apply, "maximum", s, o)

    def minimum(self, other):
        """Elementwise minimum (the gradient goes to the smaller input).

        Args:
            other: a tensor or number (broadcast).

        >>> import topograd
        >>> topograd.tensor([1.0, 5.0]).minimum(2.0).tolist()
        [1.0, 2.0]
        """
        s, o = _operands(self, other)
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
        return E.Clamp.apply(self, lo=min, hi=max)

    clip = clamp

    def clamp_min(self, min):
        """max(self, min)."""
        return self.clamp(min=min)

    def clamp_max(self, max):
        """min(self, max)."""
        return self.clamp(max=max)

    def where(self, condition, other):
        """``self`` where ``condition`` holds, else ``other`` (PyTorch's method form)."""
        from .ops import where

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
        from .ops import where

        return where(mask, value, self)

    # == in-place =========================================================================
    # Each is an update through autograd.inplace.update, which keeps the graph and the
    # version counters right (and refuses what PyTorch refuses).
    def add_(self, other, alpha=1):
        """In-place self += alpha * other (``+=``).

        Refused on a leaf that requires grad unless under ``no_grad`` (as optimizers
        update); on a value backward still needs, backward later raises.

        Args:
            other: a tensor or number.
            alpha: multiplier of ``other``.

        >>> import topograd
        >>> topograd.ones(2).add_(topograd.ones(2), alpha=2).tolist()
        [3.0, 3.0]
        """
        return _inplace.update(self, Tensor.add, other, alpha)

    def sub_(self, other, alpha=1):
        """In-place self -= alpha * other (``-=``)."""
        return _inplace.update(self, Tensor.sub, other, alpha)

    def mul_(self, other):
        """In-place self *= other (``*=``)."""
        return _inplace.update(self, Tensor.mul, other)

    def div_(self, other):
        """In-place self /= other (``/=``)."""
        return _inplace.update(self, Tensor.div, other)

    def clamp_(self, min=None, max=None):
        """In-place clamp."""
        return _inplace.update(self, lambda s: s.clamp(min, max))

    def zero_(self):
        """Fill with zeros, in place (``p.grad.zero_()``).

        >>> import topograd
        >>> topograd.ones(2).zero_().tolist()
        [0.0, 0.0]
        """
        return self.fill_(0)

    def fill_(self, value):
        """Fill with ``value``, in place."""
        return _inplace.update(
            self, lambda s: Tensor._from_array(np.full(s._data.shape, value, s._data.dtype)))

    def copy_(self, src):
        """Copy ``src``'s values into this tensor, in place (broadcasting)."""
        src = src if isinstance(src, Tensor) else Tensor(src)
        return _inplace.update(
            self, lambda s, o: o.type(s._data.dtype).expand(*s._data.shape) * 1, src)

    def uniform_(self, a=0.0, b=1.0):
        """Fill with draws from U(a, b), from the global generator."""
        from .random import default_generator

        vals = default_generator().uniform(a, b, self._data.shape).astype(self._data.dtype)
        return _inplace.update(self, lambda s: Tensor._from_array(vals))

    def normal_(self, mean=0.0, std=1.0):
        """Fill with draws from N(mean, std^2), from the global generator."""
        from .random import default_generator

        vals = default_generator().normal(mean, std, self._data.shape).astype(self._data.dtype)
        return _inplace.update(self, lambda s: Tensor._from_array(vals))

    # == conversion =======================================================================
    def numpy(self) -> np.ndarray:
        """The underlying ndarray (no copy), as ``torch.Tensor.numpy``.

        PyTorch refuses this for a tensor that requires grad; topograd returns the
        values (writing into them bypasses autograd, as ``.data`` does).

        >>> import topograd
        >>> topograd.ones(2).numpy()
        array([1., 1.], dtype=float32)
        """
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self._data if dtype is None else self._data.astype(dtype, copy=False)
        return arr.copy() if copy and arr is self._data else arr

    def item(self):
        """The value of a one-element tensor as a Python number.

        >>> import topograd
        >>> topograd.tensor([[2.5]]).item()
        2.5
        """
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        """The values as (nested) Python lists, or a number for a 0-d tensor.

        >>> import topograd
        >>> topograd.arange(4).reshape(2, 2).tolist()
        [[0, 1], [2, 3]]
        """
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(it has {self._data.size}): use .any() or .all()"
            )
        return bool(self._data.reshape(()))

    def __format__(self, spec: str) -> str:
        if self._data.size == 1 and spec:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def to(self, *args, **kwargs) -> Tensor:
        """This tensor with another dtype and/or device, as ``torch.Tensor.to``.

        Called as ``to(dtype)``, ``to(device, dtype=None)`` or ``to(other_tensor)`` (its
        dtype), with optional ``non_blocking`` (ignored) and ``copy``. Returns self when
        nothing changes. The device must be the CPU: ``"cuda"`` raises PyTorch's CPU-build
        error (``AssertionError: Torch not compiled with CUDA enabled``).

        >>> import topograd
        >>> topograd.ones(1).to(topograd.float64).dtype
        dtype('float64')
        >>> t = topograd.ones(1)
        >>> t.to("cpu") is t, t.to(topograd.device("cpu"), topograd.float16).dtype
        (True, dtype('float16'))
        """
        if not kwargs and len(args) == 1 and isinstance(args[0], np.dtype):
            return self.type(args[0])  # the engine's casts
        device, dtype, copy = parse_to(args, kwargs)
        if device is not None:
            check_move(device)
        out = self if dtype is None else self.type(dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def type(self, dtype=None):
        """Cast to ``dtype`` (returns self when it already has it)."""
        if dtype is None:
            return f"topograd.{self._data.dtype}"
        dt = dtypes.as_dtype(dtype)
        if dt == self._data.dtype:
            return self
        if dt.kind not in "fc":
            return Tensor._from_array(self._data.astype(dt))
        return E.Cast.apply(self, dtype=dt)

    def float(self) -> Tensor:
        """Cast to float32."""
        return self.type(np.float32)

    def double(self) -> Tensor:
        """Cast to float64."""
        return self.type(np.float64)

    def half(self) -> Tensor:
        """Cast to float16."""
        return self.type(np.float16)

    def long(self) -> Tensor:
        """Cast to int64 (not differentiable)."""
        return self.type(np.int64)

    def int(self) -> Tensor:
        """Cast to int32 (not differentiable)."""
        return self.type(np.int32)

    def bool(self) -> Tensor:
        """Cast to bool (not differentiable)."""
        return self.type(np.bool_)

    def cpu(self, memory_format=None) -> Tensor:
        """Return self: topograd tensors live on the CPU."""
        return self

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None):
        """Raise what PyTorch's CPU build raises: there is no CUDA device.

        >>> import topograd
        >>> topograd.ones(1).cuda()
        Traceback (most recent call last):
        AssertionError: Torch not compiled with CUDA enabled
        """
        if device is not None and as_device(device, "cuda").type != "cuda":
            raise RuntimeError("Invalid device, must be cuda device")
        raise AssertionError("Torch not compiled with CUDA enabled")

    def is_floating_point(self) -> bool:
        """True for floating dtypes."""
        return self._data.dtype.kind == "f"

    # == printing =========================================================================
    def __repr__(self) -> str:
        body = np.array2string(
            self._data, separator=", ", prefix="tensor(", precision=4,
            threshold=1000, edgeitems=3,
        )
        extras = [f"dtype={self._data.dtype}"]
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name}Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}, {', '.join(extras)})"

    __str__ = __repr__


# == operators ============================================================================
# Python's operator protocol, bound in this one place to the methods above (as DeZero's
# setup_variable). The reflected forms (2 - x) put the number first.


def _radd(self, other):
    s, o = _operands(self, other)
    return _binary(_Add, "add", o, s)


def _rsub(self, other):
    s, o = _operands(self, other)
    return _binary(_Sub, "sub", o, s)


def _rmul(self, other):
    if type(other) is not float or self._data.dtype.kind != "f":
        s, o = _operands(self, other)
        return _binary(_Mul, "mul", o, s)
    try:
        return _Mul(other, self)
    except ValueError:
        _broadcast_error("mul", other, self)
        raise


def _rtruediv(self, other):
    s, o = _float_division(*_operands(self, other))
    if not isinstance(o, Tensor):  # number / tensor is reciprocal(tensor) * number, as
        return E.Reciprocal.apply(s) * o  # PyTorch (no version check of the tensor)
    return _binary(_Div, "div", o, s)


def _rfloordiv(self, other):
    s, o = _operands(self, other)
    return s._nondiff(lambda a, b: np.floor_divide(b, a), o, "floor_divide")


def _rmod(self, other):
    s, o = _operands(self, other)
    return _binary(E.Remainder.apply, "remainder", o, s)


def _rpow(self, other):
    s, o = _operands(self, other)
    return _binary(_Pow, "pow", o, s)


def _rmatmul(self, other):
    b, a = _matmul_operands(self, other)
    return MatMul.apply(a, b)


_OPERATORS = {
    # operator: the method (or reflected form) it calls
    "__add__": Tensor.add, "__radd__": _radd, "__iadd__": Tensor.add_,
    "__sub__": Tensor.sub, "__rsub__": _rsub, "__isub__": Tensor.sub_,
    "__mul__": Tensor.mul, "__rmul__": _rmul, "__imul__": Tensor.mul_,
    "__truediv__": Tensor.div, "__rtruediv__": _rtruediv, "__itruediv__": Tensor.div_,
    "__floordiv__": Tensor.floor_divide, "__rfloordiv__": _rfloordiv,
    "__mod__": Tensor.remainder, "__rmod__": _rmod,
    "__pow__": Tensor.pow, "__rpow__": _rpow,
    "__matmul__": Tensor.matmul, "__rmatmul__": _rmatmul,
    "__neg__": Tensor.neg, "__pos__": Tensor.positive, "__abs__": Tensor.abs,
    "__eq__": Tensor.eq, "__ne__": Tensor.ne,  # elementwise, as in PyTorch
    "__lt__": Tensor.lt, "__le__": Tensor.le, "__gt__": Tensor.gt, "__ge__": Tensor.ge,
    "__invert__": Tensor.bitwise_not, "__and__": Tensor.bitwise_and,
    "__or__": Tensor.bitwise_or,
    "__hash__": object.__hash__,  # by identity: == is elementwise
}
for _name, _method in _OPERATORS.items():
    setattr(Tensor, _name, _method)
del _name, _method


class Parameter(Tensor):
    """A tensor that is a module's learnable parameter (``requires_grad=True``).

    >>> import topograd
    >>> p = topograd.nn.Parameter(topograd.zeros(2))
    >>> p.requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.zeros((0,), dtype=np.float32)
        super().__init__(dtypes.as_array(data), requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__


# == operands =============================================================================


def _operands(self, other):
    """The two operands of an arithmetic operation, brought to one dtype by the rule of
    :mod:`topograd.dtypes`: Python numbers stay numbers (weak), except that a float
    meeting an integer tensor makes it float32; an integer tensor meeting a floating one
    takes the floating dtype."""
    t = type(other)
    if t is float:
        if self._data.dtype.kind not in "fc":
            return self.type(dtypes.DEFAULT_FLOAT), other
        return self, other
    if t is int or t is bool:
        return self, other
    if isinstance(other, Tensor):
        a, b = self._data.dtype, other._data.dtype
        if a is not b and a != b and (a.kind == "f") != (b.kind == "f"):
            dt = dtypes.result_type(a, b)  # the floating one
            if a != dt:
                self = self.type(dt)
            if b != dt:
                other = other.type(dt)
        return self, other
    if isinstance(other, np.generic):  # a NumPy scalar is a Python scalar here (PyTorch too)
        return _operands(self, other.item())
    if isinstance(other, np.ndarray):
        arr = other
        if arr.dtype.kind == "f" and self._data.dtype.kind == "f" and arr.ndim == 0:
            return self, arr.item()
        return self, Tensor._from_array(arr)
    if isinstance(other, (list, tuple)):
        return _operands(self, Tensor(other))
    raise TypeError(
        f"unsupported operand type: Tensor and {type(other).__name__} (expected a Tensor, "
        "a number or an array)"
    )


def _float_division(s, o):
    """Division's operands: integers divide as floats (float32)."""
    if s._data.dtype.kind not in "fc":
        s = s.type(dtypes.DEFAULT_FLOAT)
        if type(o) is not int and type(o) is not bool and o._data.dtype.kind not in "fc":
            o = o.type(dtypes.DEFAULT_FLOAT)
    return s, o


def _matmul_operands(self, other):
    """``(self, other)`` as tensors for matmul: a float ndarray keeps its dtype (NumPy
    promotion), lists and integer data take self's dtype."""
    if not isinstance(other, Tensor):
        if isinstance(other, np.ndarray) and other.dtype.kind == "f":
            other = Tensor._from_array(other)
        else:
            other = Tensor(other, dtype=self._data.dtype)
    a, b = self._data.dtype, other._data.dtype
    if a != b and (a.kind == "f") != (b.kind == "f"):
        return _operands(self, other)  # int @ float: the float dtype
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


# == shapes and indices ===================================================================


def _shape_arg(shape):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _index_arg(index):
    """Replace Tensors (and lists) inside an index by arrays NumPy indexes with."""
    if hasattr(index, "_data"):
        return index._data
    if isinstance(index, tuple):
        return tuple(_index_item(i) for i in index)
    if isinstance(index, list):
        return _index_item(index)
    return index


def _index_item(i):
    if hasattr(i, "_data"):
        return i._data
    if isinstance(i, list):
        arr = np.asarray([j._data if hasattr(j, "_data") else j for j in i])
        if arr.size == 0:
            return arr.astype(np.intp)  # x[[]] selects nothing (NumPy would see floats)
        return arr
    return i


def _scatter_value(v, index, shape):
    """Place tensor ``v`` at ``index`` of a zero tensor of ``shape`` (differentiably)."""
    target = np.zeros(shape, dtype=bool)[index].shape
    vv = v.expand(*target) if tuple(v.shape) != target else v
    return M.Scatter.apply(vv, index=index, shape=shape, accumulate=False)


def _resolve_shape(size: int, shape: tuple) -> tuple:
    if shape.count(-1) > 1:
        raise ValueError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise ValueError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or size % known:
            raise ValueError("cannot infer")
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise ValueError("size mismatch")
    return shape


def _fmt_index(index) -> str:
    if isinstance(index, np.ndarray):
        return f"array of shape {index.shape}"
    return repr(index)


# == to() =================================================================================

_TO_KEYWORDS = ("device", "dtype", "non_blocking", "copy", "memory_format")


def _to_error(args, kwargs) -> TypeError:
    got = ", ".join([type(a).__name__ for a in args]
                    + [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    if kwargs:
        got += ", "
    return TypeError(
        f"to() received an invalid combination of arguments - got ({got}), but expected one "
        "of:\n * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = "
        "False, bool copy = False, *, torch.memory_format memory_format = None)\n * (torch.dtype "
        "dtype, bool non_blocking = False, bool copy = False, *, torch.memory_format "
        "memory_format = None)\n * (Tensor tensor, bool non_blocking = False, bool copy = "
        "False, *, torch.memory_format memory_format = None)\n")


def parse_to(args: tuple, kwargs: dict):
    """``(device, dtype, copy)`` from ``to``'s arguments, as PyTorch reads them.

    ``to(dtype, ...)``, ``to(device, dtype, ...)``, ``to(tensor, ...)``; the trailing
    positionals are ``non_blocking`` then ``copy``. A device is parsed (a bad string raises
    here) but not checked for availability; a dtype is returned as given.
    """
    values = {}
    if args:
        a, rest = args[0], args[1:]
        names = ("non_blocking", "copy")
        if isinstance(a, Tensor):
            values["dtype"] = a._data.dtype  # and its device, which is the CPU
        elif isinstance(a, str):
            try:
                values["device"] = as_device(a, "to")
                names = ("dtype", "non_blocking", "copy")
            except RuntimeError:
                if not dtypes.is_dtype_name(a):  # topograd also takes dtype names ("float64")
                    raise
                values["dtype"] = a
        elif a is None or isinstance(a, _Device) or (isinstance(a, int)
                                                    and not isinstance(a, bool)):
            values["device"] = a
            names = ("dtype", "non_blocking", "copy")
        else:
            values["dtype"] = a
        if len(rest) > len(names):
            raise _to_error(args, kwargs)
        values.update(zip(names, rest))
    for k, v in kwargs.items():
        if k not in _TO_KEYWORDS or k in values:
            raise _to_error(args, kwargs)
        values[k] = v
    device = values.get("device")
    if device is not None:
        device = as_device(device, "to")
    return device, values.get("dtype"), bool(values.get("copy", False))
