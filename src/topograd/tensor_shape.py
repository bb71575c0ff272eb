"""Tensor shape and movement methods: reshape, permute, squeeze, indexing, split.

Mixed into :class:`topograd.Tensor`. Dimension arguments accept negative values and,
where NumPy spells them so, ``axis``/``keepdims``.
"""

from __future__ import annotations

import numpy as np

from . import tensor_views as _views
from .primitives.movement import Expand, GetItem, Permute, Reshape

Tensor = None  # bound by topograd.tensor once the class exists


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


class ShapeMixin:
    __slots__ = ()

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

    # -- reshaping ---------------------------------------------------------------------
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
        return _views.make_view(self, Reshape.apply(self, target), "reshape", target)

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

    # -- axes --------------------------------------------------------------------------
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
        return _views.make_view(self, Permute.apply(self, axes), "permute", axes)

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
        return _views.make_view(self, Expand.apply(self, target), "expand", target)

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

    # -- splitting ---------------------------------------------------------------------
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
        return _views.mark_multi_output(tuple(out), name)

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
            return _views.mark_multi_output(
                tuple(self[lead + (slice(0, 0),)] for _ in range(chunks)), "Split")
        return self.split(-(-n // chunks), dim)

    def unbind(self, dim: int = 0):
        """The slices along ``dim``, as a tuple."""
        d = self._norm_dim(dim)
        lead = (slice(None),) * d
        return _views.mark_multi_output(
            tuple(self[lead + (i,)] for i in range(self._data.shape[d])), "Unbind")

    # -- indexing ----------------------------------------------------------------------
    def __getitem__(self, index):
        index = _index_arg(index)
        try:
            return _views.make_view(self, GetItem.apply(self, index), "index", index)
        except IndexError as e:
            raise IndexError(f"index {_fmt_index(index)} is invalid for a tensor of shape "
                             f"{tuple(self._data.shape)}: {e}") from None

    def __setitem__(self, index, value):
        index = _index_arg(index)

        def put(s, v):
            from .primitives import Where

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
                return Where.apply(mask, placed, s)
            return Where.apply(mask, Tensor._from_array(full), s)

        try:
            self._inplace(put, value)
        except IndexError as e:
            raise IndexError(f"index {_fmt_index(index)} is invalid for a tensor of shape "
                             f"{tuple(self._data.shape)}: {e}") from None

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self._data.shape[0]):  # the pieces of unbind(), as in PyTorch
            yield _views.mark_multi_output((self[i],), "Unbind", i)[0]


def _scatter_value(v, index, shape):
    """Place tensor ``v`` at ``index`` of a zero tensor of ``shape`` (differentiably)."""
    from .primitives.movement import Scatter

    target = np.zeros(shape, dtype=bool)[index].shape
    vv = v.expand(*target) if tuple(v.shape) != target else v
    return Scatter.apply(vv, index=index, shape=shape, accumulate=False)


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
