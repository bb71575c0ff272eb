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

from . import tensor_views as _views
from ._device import CPU as _CPU
from .autograd import grad_mode
from .primitives import Add
from .tensor_combine import cat, stack, where  # noqa: F401
from .tensor_compare import CompareMixin
from .tensor_convert import ConvertMixin, _array_from, _as_dtype  # noqa: F401
from .tensor_math import MathMixin
from .tensor_reduce import ReduceMixin
from .tensor_shape import ShapeMixin

# cat, stack and where (``from topograd.tensor import cat``) and _as_dtype (creation.py
# imports it from here) are re-exported, hence the noqa above


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


class Tensor(ConvertMixin, MathMixin, ReduceMixin, CompareMixin, ShapeMixin):
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
    # view: see tensor_views) only on views; _alias (the tensors sharing this memory and
    # version counter) only once a view or detach() is made: read them with getattr
    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_out_idx", "_vc", "_hooks",
                 "_view", "_alias", "__weakref__")
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
        group = getattr(self, "_alias", None)
        for t in (self,) if group is None else group.members():
            t._vc += 1  # a view, its base and detach()es share one version counter
            node = t._ctx
            if node is not None and node._out_pos >= 0:
                node._out_dirty = True  # backward needs this output's old values

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
        return _views.make_alias(self)

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
    from . import (
        tensor_combine,
        tensor_compare,
        tensor_convert,
        tensor_math,
        tensor_reduce,
        tensor_shape,
        tensor_views,
    )
    from .autograd import function

    function.Tensor = tensor_math.Tensor = tensor_shape.Tensor = Tensor
    tensor_reduce.Tensor = tensor_compare.Tensor = tensor_convert.Tensor = Tensor
    tensor_combine.Tensor = tensor_views.Tensor = Tensor


_bind()
