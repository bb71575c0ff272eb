"""Tensor: an ndarray, its gradient, whether it requires one, and the node that made it.

A Tensor wraps a NumPy array (``t.numpy()`` returns it, no copy). Operators and methods
call :class:`~topograd.autograd.Function` subclasses, which record the graph while the
code runs (define-by-run). ``t.backward()`` walks that graph in reverse topological order.

Dtypes follow NumPy's promotion with two PyTorch habits: a Python scalar never changes a
tensor's dtype (float32 * 2.0 stays float32), and an integer tensor combined with a
floating one takes the floating dtype (int64 + float32 -> float32). float32 and float64
together give float64.

>>> import topograd
>>> x = topograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
tensor([2., 4., 6.], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from .autograd import grad_mode
from .functions import Add, Cast
from .tensor_math import MathMixin
from .tensor_shape import ShapeMixin


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


_FLOAT_DEFAULT = np.dtype(np.float32)


def _array_from(data, dtype=None) -> np.ndarray:
    """Turn ``data`` into an ndarray: Python floats become float32, ints int64."""
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.ndarray):
        arr = data
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
            data = [d._data if isinstance(d, Tensor) else d for d in data]
        try:
            arr = np.asarray(data)
        except ValueError as e:
            raise ValueError(f"could not make a tensor from {type(data).__name__}: {e}") from e
        if dtype is None and arr.dtype == np.float64:
            arr = arr.astype(_FLOAT_DEFAULT)
    if dtype is not None:
        arr = arr.astype(_as_dtype(dtype), copy=False)
    elif arr.dtype.kind == "O" or arr.dtype.kind in "USV":
        raise TypeError(
            f"can't convert data of dtype {arr.dtype} to a tensor: expected numbers or bools"
        )
    return arr


def _as_dtype(dtype) -> np.dtype:
    try:
        return np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"expected a dtype such as topograd.float32, found {dtype!r}") from e


class Tensor(MathMixin, ShapeMixin):
    """An n-dimensional array that can record the operations applied to it.

    Args:
        data: array-like (nested lists, numbers, an ndarray, a Tensor).
        dtype: optional dtype; Python floats default to float32, ints to int64.
        requires_grad: whether ``backward`` should compute this tensor's ``.grad``.

    >>> import topograd
    >>> topograd.Tensor([[1, 2], [3, 4]]).shape
    topograd.Size([2, 2])
    """

    # _hooks (a leaf's gradient hooks) is set only by register_hook: read it with getattr
    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_out_idx", "_vc", "_hooks",
                 "__weakref__")
    __array_priority__ = 1000
    __array_ufunc__ = None  # make ndarray (op) Tensor defer to Tensor's reflected operator

    def __init__(self, data=None, dtype=None, requires_grad: bool = False) -> None:
        if data is None:
            data = np.zeros((0,), dtype=np.float32)
        self._data = _array_from(data, dtype)
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

    # -- attributes --------------------------------------------------------------------
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
    def device(self) -> str:
        """Always ``"cpu"``: topograd computes with NumPy."""
        return "cpu"

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
        """How many times this tensor was modified in place."""
        return self._vc

    def _bump_version(self) -> None:
        self._vc += 1
        node = self._ctx
        if node is not None and node._out_pos >= 0:
            node._out_dirty = True  # backward needs this output's old values

    # -- conversions -------------------------------------------------------------------
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
        """Cast to a dtype (``to(topograd.float64)``); devices other than cpu are refused.

    >>> import topograd
    >>> topograd.ones(1).to(topograd.float64).dtype
    dtype('float64')
    """
        dtype = kwargs.get("dtype")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, str) and a in ("cpu",):
                continue
            elif isinstance(a, str) and not _is_dtype_name(a):
                raise RuntimeError(f"topograd runs on the CPU only; cannot move a tensor to {a!r}")
            else:
                dtype = a
        if dtype is None:
            return self
        return self.type(dtype)

    def type(self, dtype=None):
        """Cast to ``dtype`` (returns self when it already has it)."""
        if dtype is None:
            return f"topograd.{self._data.dtype}"
        dt = _as_dtype(dtype)
        if dt == self._data.dtype:
            return self
        if dt.kind not in "fc":
            return Tensor._from_array(self._data.astype(dt))
        return Cast.apply(self, dt)

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

    def cpu(self) -> Tensor:
        """Return self: topograd tensors live on the CPU."""
        return self

    def cuda(self, *args, **kwargs):
        """Refused: topograd runs on the CPU only."""
        raise RuntimeError("topograd runs on the CPU only (NumPy); there is no cuda()")

    def is_floating_point(self) -> bool:
        """True for floating dtypes."""
        return self._data.dtype.kind == "f"

    # -- graph -------------------------------------------------------------------------
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

        >>> import topograd
        >>> y = topograd.ones(2, requires_grad=True) * 2
        >>> y.detach().requires_grad
        False
        """
        return Tensor._from_array(self._data)

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph, in place."""
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
        if self.requires_grad and grad_mode.STATE.enabled:
            return Add.apply(self, np.zeros((), dtype=self._data.dtype))
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
        from .autograd.engine import backward

        backward(self, gradient, retain_graph, create_graph, inputs)

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
        from .autograd.engine import retain_grad

        retain_grad(self)

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
        from .autograd.hooks import register_tensor_hook

        return register_tensor_hook(self, hook)

    # -- printing ----------------------------------------------------------------------
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

    __hash__ = object.__hash__


def _is_dtype_name(s: str) -> bool:
    try:
        np.dtype(s)
        return True
    except TypeError:
        return False


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
        arr = data._data if isinstance(data, Tensor) else _array_from(data)
        super().__init__(arr, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__


def _bind() -> None:
    from . import tensor_math, tensor_shape
    from .autograd import function

    function.Tensor = tensor_math.Tensor = tensor_shape.Tensor = Tensor


_bind()


def where(condition, x, y) -> Tensor:
    """Elementwise ``x`` where ``condition`` holds, else ``y`` (broadcasting).

    Args:
        condition: a bool tensor or array (not differentiated).
        x: values where the condition holds: a tensor, an array or a number.
        y: values elsewhere. A Python number keeps the other operand's dtype (a float
            with an integer tensor gives float32); two tensors are promoted as ``cat``.

    Returns:
        A tensor of the broadcast shape; the gradient flows to ``x`` and ``y`` where
        each was chosen.

    >>> import topograd
    >>> topograd.where(topograd.tensor([True, False]), 1.0, 0.0)
    tensor([1., 0.], dtype=float32)
    """
    from .functions import Where

    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x, y = _scalar_pair(x, y)
    else:
        # a Python scalar keeps the tensor's dtype unless it is a float meeting integers
        # (then float32); two tensors are brought to one dtype as cat() does
        if not isinstance(x, Tensor):
            x = Tensor._from_array(np.asarray(x)) if not np.isscalar(x) else x
        if not isinstance(y, Tensor):
            y = Tensor._from_array(np.asarray(y)) if not np.isscalar(y) else y
        if not isinstance(x, Tensor):
            y, x = _scalar_with(y, x)
        elif not isinstance(y, Tensor):
            x, y = _scalar_with(x, y)
        else:
            x, y = _same_dtype([x, y])
    try:
        np.broadcast_shapes(cond.shape, np.shape(_raw(x)), np.shape(_raw(y)))
    except ValueError:
        raise RuntimeError(
            f"where: condition {cond.shape}, x {np.shape(_raw(x))} and y {np.shape(_raw(y))} "
            "cannot be broadcast together"
        ) from None
    return Where.apply(cond, x, y)


def _scalar_with(t: Tensor, scalar):
    """``(t, scalar as a 0-d array)`` in one dtype, by the Python-scalar rule."""
    if isinstance(scalar, (float, np.floating)) and t._data.dtype.kind not in "fc":
        t = t.type(np.float32)
    return t, np.asarray(scalar, dtype=t._data.dtype)


def _raw(v):
    return v._data if isinstance(v, Tensor) else v


def _scalar_pair(x, y):
    ax, ay = np.asarray(x), np.asarray(y)
    dt = np.result_type(ax, ay)
    if dt == np.float64 and not (isinstance(x, np.ndarray) or isinstance(y, np.ndarray)):
        dt = np.float32
    return ax.astype(dt), ay.astype(dt)


def cat(tensors, dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Concatenate tensors along an existing dimension.

    Args:
        tensors: a non-empty sequence of tensors (at least 1-D) that agree in every other
            dimension; integer and float tensors together give the float dtype.
        dim: the dimension (negative counts from the end); ``axis`` is NumPy's spelling.

    Returns:
        A tensor; backward hands each input its slice of the gradient.

    >>> import topograd
    >>> topograd.cat([topograd.ones(2), topograd.zeros(1)]).tolist()
    [1.0, 1.0, 0.0]
    """
    from .functions import Cat

    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat expected a non-empty list of tensors")
    for k, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(
                f"zero-dimensional tensor (at position {k}) cannot be concatenated"
            )
    d = tensors[0]._norm_dim(dim if axis is None else axis)
    ref = tensors[0].shape
    for k, t in enumerate(tensors[1:], 1):
        s = t.shape
        if len(s) != len(ref) or any(a != b for i, (a, b) in enumerate(zip(s, ref)) if i != d):
            raise RuntimeError(
                f"Sizes of tensors must match except in dimension {d}: expected "
                f"{tuple(ref)} (tensor 0) but found {tuple(s)} (tensor {k})"
            )
    return Cat.apply(*_same_dtype(tensors), axis=d)


def stack(tensors, dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Stack same-shaped tensors along a new dimension.

    Args:
        tensors: a non-empty sequence of tensors of one shape.
        dim: where the new dimension goes (negative counts from the end); ``axis`` is
            NumPy's spelling.

    Returns:
        A tensor with one more dimension.

    >>> import topograd
    >>> topograd.stack([topograd.zeros(2), topograd.ones(2)], dim=1).tolist()
    [[0.0, 1.0], [0.0, 1.0]]
    """
    from .functions import Stack

    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack expects a non-empty list of tensors")
    ref = tensors[0].shape
    for k, t in enumerate(tensors[1:], 1):
        if t.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {tuple(ref)} at entry 0 "
                f"and {tuple(t.shape)} at entry {k}"
            )
    d = dim if axis is None else axis
    nd = len(ref) + 1
    if not -nd <= d < nd:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {d})"
        )
    return Stack.apply(*_same_dtype(tensors), axis=d % nd)


def _same_dtype(tensors):
    """Bring tensors to one dtype: NumPy promotion, except that integers joining floats
    take the float dtype (int64 with float32 gives float32, not float64)."""
    dts = {t._data.dtype for t in tensors}
    if len(dts) == 1:
        return tensors
    floats = [d for d in dts if d.kind in "fc"]
    dt = np.result_type(*(floats or dts))
    return [t if t._data.dtype == dt else t.type(dt) for t in tensors]
