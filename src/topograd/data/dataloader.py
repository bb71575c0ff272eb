"""DataLoader: batches (optionally shuffled and augmented) from a dataset, PyTorch style."""

from __future__ import annotations

import math

import numpy as np

from topograd.data._utils import (
    as_array,
    check_bool,
    check_positive_int,
    map_structure,
    resolve_generator,
    to_tensor,
)


def collate_numpy(samples: list):
    """Stack a list of samples into one batch of numpy arrays, keeping the structure.

    Tuples, lists and dicts are collated field by field; arrays, Tensors and numbers are
    stacked along a new first axis (dtypes kept: int labels stay integers); strings are
    returned as a list.

    Args:
        samples: a non-empty list of samples of the same structure.

    Returns:
        The batch: an ndarray, or a tuple/list/dict of them.

    Example:
        >>> import numpy as np
        >>> x, y = collate_numpy([(np.zeros(3), 1), (np.ones(3), 2)])
        >>> x.shape, y.tolist()
        ((2, 3), [1, 2])
    """
    if not samples:
        raise ValueError("collate expected a non-empty list of samples, found an empty list")
    first = samples[0]
    if isinstance(first, (tuple, list)):
        sizes = {len(s) for s in samples}
        if len(sizes) != 1:
            raise ValueError(f"collate expected samples with the same number of fields, "
                             f"found sizes {sorted(sizes)}")
        fields = [collate_numpy(list(column)) for column in zip(*samples)]
        return tuple(fields) if isinstance(first, tuple) else fields
    if isinstance(first, dict):
        return {key: collate_numpy([s[key] for s in samples]) for key in first}
    if isinstance(first, str):
        return list(samples)
    arrays = [as_array(s) for s in samples]
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"collate expected samples of one shape, found shapes {sorted(shapes)}")
    return np.stack(arrays)


def default_collate(samples: list):
    """Stack samples like :func:`collate_numpy`, then wrap every array as a topograd Tensor.

    Args:
        samples: a non-empty list of samples of the same structure.

    Returns:
        The batch with Tensor leaves (same tuple/list/dict structure).

    Example:
        >>> import numpy as np
        >>> x, y = default_collate([(np.zeros(2, np.float32), 0), (np.ones(2, np.float32), 1)])
        >>> tuple(x.shape), y.dtype
        ((2, 2), dtype('int64'))
    """
    return map_structure(to_tensor, collate_numpy(samples))


def _apply_to_inputs(transform, batch):
    # The transform augments the inputs only: the first field of a (x, y, ...) batch.
    if isinstance(batch, np.ndarray):
        return transform(batch)
    if isinstance(batch, (tuple, list)) and batch:
        out = [transform(batch[0]), *batch[1:]]
        return tuple(out) if isinstance(batch, tuple) else out
    raise TypeError(f"DataLoader transform expected an array batch or an (inputs, ...) "
                    f"tuple, found {type(batch).__name__}")


class DataLoader:
    """Iterate over a dataset in (shuffled) batches; ``len(loader)`` is the number of batches.

    Datasets with a ``get_batch(indices)`` method (:class:`TensorDataset`, :class:`Subset`,
    ``MNIST``) are batched with one fancy index per array; others are read sample by sample
    and stacked by ``collate_fn`` (default :func:`collate_numpy`). Arrays come out as topograd
    Tensors (dtypes kept, so integer labels stay integers) unless ``as_tensor=False``.

    Args:
        dataset: a map-style dataset (``__len__`` and ``__getitem__``).
        batch_size: samples per batch, a positive int.
        shuffle: draw a new random order at the start of every epoch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        collate_fn: ``list of samples -> batch``; when given, it is used as-is (its output is
            yielded unchanged, sample by sample reading, no ``transform``).
        generator: ``numpy.random.Generator`` for shuffling; default: topograd's global
            generator, looked up each epoch, so ``topograd.manual_seed(n)`` makes it repeatable.
        seed: an int for a private generator instead (not with ``generator``).
        transform: a callable applied to the input batch (the first field) as a numpy array,
            e.g. ``topograd.data.transforms.Compose([...])``.
        as_tensor: yield topograd Tensors (True) or numpy arrays (False).
        num_workers: PyTorch's worker-process count, accepted so its scripts run; topograd
            loads every batch in this process whatever the count (the batches are the same).
        pin_memory: accepted and ignored (there is no GPU to copy to).
        timeout, worker_init_fn, prefetch_factor, persistent_workers: PyTorch's worker
            options, checked as PyTorch checks them and otherwise ignored (no workers run).

    Example:
        >>> import numpy as np
        >>> from topograd.data import TensorDataset
        >>> ds = TensorDataset(np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5))
        >>> loader = DataLoader(ds, batch_size=2, as_tensor=False)
        >>> len(loader), [y.tolist() for _, y in loader]
        (3, [[0, 1], [2, 3], [4]])
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, collate_fn=None, generator=None, seed=None,
                 transform=None, as_tensor: bool = True, *, num_workers: int = 0,
                 pin_memory: bool = False, timeout: float = 0, worker_init_fn=None,
                 prefetch_factor: int | None = None, persistent_workers: bool = False):
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"DataLoader expected a dataset with __len__ and __getitem__, "
                            f"found {type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = check_positive_int(batch_size, "batch_size", "DataLoader")
        self.shuffle = check_bool(shuffle, "shuffle", "DataLoader")
        self.drop_last = check_bool(drop_last, "drop_last", "DataLoader")
        self.as_tensor = check_bool(as_tensor, "as_tensor", "DataLoader")
        for name, fn in (("collate_fn", collate_fn), ("transform", transform)):
            if fn is not None and not callable(fn):
                raise TypeError(f"DataLoader: {name} expected a callable, found "
                                f"{type(fn).__name__}")
        if collate_fn is not None and transform is not None:
            raise ValueError("DataLoader: transform applies to default-collated batches; with a "
                             "custom collate_fn, augment inside collate_fn instead")
        self.collate_fn = collate_fn
        self.transform = transform
        self._check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        self.num_workers = num_workers
        self.pin_memory = bool(pin_memory)
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self._rng = resolve_generator(generator, seed, "DataLoader")

    @staticmethod
    def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers):
        # PyTorch's checks and words; the workers themselves do not exist in topograd
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)):
            raise TypeError(f"DataLoader: num_workers expected an int, found {num_workers!r}")
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _indices(self) -> np.ndarray:
        n = len(self.dataset)
        return self._rng().permutation(n) if self.shuffle else np.arange(n)

    def _fetch(self, idx: np.ndarray):
        get_batch = getattr(self.dataset, "get_batch", None)
        if self.collate_fn is None and get_batch is not None:
            batch = get_batch(idx)
        else:
            samples = [self.dataset[int(i)] for i in idx]
            if self.collate_fn is not None:
                return self.collate_fn(samples)
            batch = collate_numpy(samples)
        if self.transform is not None:
            batch = _apply_to_inputs(self.transform, batch)
        return map_structure(to_tensor, batch) if self.as_tensor else batch

    def __iter__(self):
        order = self._indices()
        for b in range(len(self)):
            yield self._fetch(order[b * self.batch_size:(b + 1) * self.batch_size])

    def __repr__(self) -> str:
        return (f"DataLoader({type(self.dataset).__name__}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")


__all__ = ["DataLoader", "collate_numpy", "default_collate"]
