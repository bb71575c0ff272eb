"""Tensor reductions: sum, mean, var, std, logsumexp, max/min, argmax/argmin, prod, norm.

Mixed into :class:`topograd.Tensor`; every method here calls a primitive from
``topograd.primitives.reduce`` (or composes a few).
"""

from __future__ import annotations

import warnings
from collections import namedtuple

import numpy as np

from .primitives import reduce as R

MaxResult = namedtuple("MaxResult", ["values", "indices"])

Tensor = None  # bound by topograd.tensor once the class exists


class ReduceMixin:
    __slots__ = ()

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
        self._check_dof(axes, correction, "var")
        return R.Var.apply(self, axes, correction, bool(keepdim or keepdims))

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
        return R.Std.apply(self, axes, correction, bool(keepdim or keepdims))

    def _check_dof(self, axes, correction, name: str) -> None:
        """PyTorch's warning when nothing is left to divide by (the result is nan or inf)."""
        shape = self._data.shape
        n = self._data.size if axes is None else int(np.prod([shape[a] for a in axes]))
        if n - correction <= 0:
            from .nn._common import user_stacklevel

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
        return R.Norm.apply(self, float(p), self._norm_dims(dim), bool(keepdim))
