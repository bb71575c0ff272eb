"""Datasets: the abstract base, in-memory arrays, subsets and random splits.

A dataset that holds its samples as arrays may define ``get_batch(indices)``, returning the
whole batch with one fancy index per array; :class:`~topograd.data.DataLoader` then never loops
over samples in Python. :class:`TensorDataset`, :class:`Subset` and ``MNIST`` do.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from topograd.data._utils import as_array, resolve_generator


class Dataset:
    """Abstract map-style dataset: subclasses define ``__getitem__`` and ``__len__``.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i * i
        >>> len(Squares()), Squares()[3]
        (4, 9)
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


def _check_index(index, length: int, owner: str) -> int:
    if isinstance(index, bool) or not isinstance(index, numbers.Integral):
        raise TypeError(f"{owner} index expected an int, found {type(index).__name__}")
    i = int(index)
    if not -length <= i < length:
        raise IndexError(f"{owner} index {i} is out of range for length {length}")
    return i % length


def _check_indices(indices, length: int, owner: str) -> np.ndarray:
    idx = np.asarray(indices)
    if idx.ndim != 1 or not (idx.size == 0 or np.issubdtype(idx.dtype, np.integer)):
        raise TypeError(f"{owner}.get_batch expected a 1-D integer index array, found "
                        f"shape {idx.shape} dtype {idx.dtype}")
    if idx.size and (idx.min() < -length or idx.max() >= length):
        bad = idx[(idx < -length) | (idx >= length)][0]
        raise IndexError(f"{owner} index {bad} is out of range for length {length}")
    return idx.astype(np.intp, copy=False)


class TensorDataset(Dataset):
    """Samples are rows of arrays (or Tensors) sharing their first dimension.

    Args:
        *tensors: topograd Tensors or array-likes, all with the same length along axis 0.

    Attributes:
        arrays: the tuple of underlying numpy arrays (not copied when already ndarrays).

    ``ds[i]`` returns a tuple of numpy rows; ``ds.get_batch(idx)`` a tuple of batches.

    Example:
        >>> import numpy as np
        >>> ds = TensorDataset(np.zeros((5, 3), np.float32), np.arange(5))
        >>> len(ds), int(ds[2][1])
        (5, 2)
        >>> [a.shape for a in ds.get_batch([0, 4])]
        [(2, 3), (2,)]
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset expected at least one tensor or array, found none")
        arrays = tuple(as_array(t) for t in tensors)
        for k, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset expected tensors with at least 1 dimension, "
                                 f"found a 0-d tensor at position {k}")
        n = arrays[0].shape[0]
        for k, a in enumerate(arrays[1:], start=1):
            if a.shape[0] != n:
                raise ValueError("TensorDataset expected tensors with the same first dimension, "
                                 f"found {n} (tensor 0) and {a.shape[0]} (tensor {k})")
        self.arrays = arrays

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        i = _check_index(index, len(self), "TensorDataset")
        return tuple(a[i] for a in self.arrays)

    def get_batch(self, indices) -> tuple:
        """Rows ``indices`` of every array, gathered with one fancy index each.

        Args:
            indices: 1-D integer array of sample indices.

        Returns:
            A tuple of arrays, one per stored array, each of length ``len(indices)``.

        >>> TensorDataset([[1, 2], [3, 4]]).get_batch([1])[0].tolist()
        [[3, 4]]
        """
        idx = _check_indices(indices, len(self), "TensorDataset")
        return tuple(a[idx] for a in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{a.shape}:{a.dtype}" for a in self.arrays)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset: any dataset.
        indices: sequence of integer indices into ``dataset``.

    Example:
        >>> import numpy as np
        >>> sub = Subset(TensorDataset(np.arange(10)), [7, 2])
        >>> len(sub), int(sub[0][0])
        (2, 7)
    """

    def __init__(self, dataset, indices: Sequence[int]):
        self.dataset = dataset
        idx = np.asarray(indices)
        if idx.size == 0:
            idx = np.zeros(0, np.intp)
        self.indices = _check_indices(idx, len(dataset), "Subset") % max(len(dataset), 1)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[_check_index(index, len(self), "Subset")])]

    def get_batch(self, indices):
        """Samples ``indices`` of the subset; vectorized when the parent has ``get_batch``.

        Args:
            indices: 1-D integer array of positions in the subset.

        Returns:
            What the parent's ``get_batch`` returns, or the samples stacked by
            :func:`~topograd.data.collate_numpy` when the parent has none.

        >>> import numpy as np
        >>> Subset(TensorDataset(np.arange(10)), [7, 2, 5]).get_batch([2, 0])[0].tolist()
        [5, 7]
        """
        idx = self.indices[_check_indices(indices, len(self), "Subset")]
        parent = getattr(self.dataset, "get_batch", None)
        if parent is not None:
            return parent(idx)
        from topograd.data.dataloader import collate_numpy

        return collate_numpy([self.dataset[int(i)] for i in idx])

    def __repr__(self) -> str:
        return f"Subset({type(self.dataset).__name__}, n={len(self)})"


def _split_lengths(lengths, n: int) -> list[int]:
    if not isinstance(lengths, (list, tuple)) or not lengths:
        raise TypeError(f"random_split: lengths expected a non-empty list of ints or fractions, "
                        f"found {lengths!r}")
    if all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in lengths):
        sizes = [int(x) for x in lengths]
        if any(s < 0 for s in sizes):
            raise ValueError(f"random_split: lengths must be non-negative, found {sizes}")
        if sum(sizes) != n:
            raise ValueError(f"random_split: lengths sum to {sum(sizes)} but the dataset has "
                             f"{n} samples")
        return sizes
    if all(isinstance(x, numbers.Real) and not isinstance(x, (bool, numbers.Integral))
           for x in lengths):
        fracs = [float(x) for x in lengths]
        if any(f < 0 or f > 1 for f in fracs) or not math.isclose(sum(fracs), 1.0, abs_tol=1e-6):
            raise ValueError(f"random_split: fractions must lie in [0, 1] and sum to 1, "
                             f"found {fracs} (sum {sum(fracs):g})")
        sizes = [math.floor(n * f) for f in fracs]
        for k in range(n - sum(sizes)):  # hand the remainder out round-robin, like PyTorch
            sizes[k % len(sizes)] += 1
        return sizes
    raise TypeError(f"random_split: lengths expected all ints or all fractions, found {lengths!r}")


def random_split(dataset, lengths, generator=None, seed=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random :class:`Subset`\\ s.

    Args:
        dataset: the dataset to split.
        lengths: subset sizes as ints summing to ``len(dataset)``, or fractions summing to 1
            (the remainder of flooring goes round-robin to the first subsets).
        generator: a ``numpy.random.Generator``; default: topograd's global generator.
        seed: an int for a private generator instead (not with ``generator``).

    Returns:
        A list of :class:`Subset`, one per length.

    Example:
        >>> import numpy as np
        >>> train, val = random_split(TensorDataset(np.arange(10)), [0.8, 0.2], seed=0)
        >>> len(train), len(val)
        (8, 2)
    """
    sizes = _split_lengths(lengths, len(dataset))
    order = resolve_generator(generator, seed, "random_split")().permutation(len(dataset))
    bounds = np.cumsum([0] + sizes)
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
