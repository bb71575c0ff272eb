"""Dataset, TensorDataset, Subset and random_split."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd.data import Dataset, Subset, TensorDataset, random_split


class Squares(Dataset):
    """A generic dataset without get_batch."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.array([i, i * i]), i % 2


def test_dataset_base_is_abstract():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8, np.int64])
def test_tensor_dataset_rows_and_batches(dtype):
    x = np.arange(24).reshape(6, 2, 2).astype(dtype)
    y = np.arange(6, dtype=np.int64) % 3
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi, x[4])
    assert yi == 1 and xi.dtype == dtype
    np.testing.assert_array_equal(ds[-1][0], x[5])
    idx = np.array([5, 0, 3])
    xb, yb = ds.get_batch(idx)
    np.testing.assert_array_equal(xb, x[idx])
    np.testing.assert_array_equal(yb, y[idx])
    assert xb.dtype == dtype and yb.dtype == np.int64


def test_tensor_dataset_accepts_tensors_without_copy():
    x = np.ones((4, 3), np.float32)
    ds = TensorDataset(topograd.from_numpy(x), [0, 1, 2, 3])
    assert isinstance(ds.arrays[0], np.ndarray)
    assert np.shares_memory(ds.arrays[0], x)
    assert ds.arrays[1].dtype.kind == "i"


def test_tensor_dataset_length_mismatch_names_both_sizes():
    match = r"same first dimension.*100 \(tensor 0\).*99 \(tensor 1\)"
    with pytest.raises(ValueError, match=match):
        TensorDataset(np.zeros((100, 2)), np.zeros(99))


@pytest.mark.parametrize("args, err, match", [
    ((), ValueError, "at least one"),
    ((np.float32(3.0),), ValueError, "0-d"),
])
def test_tensor_dataset_bad_arguments(args, err, match):
    with pytest.raises(err, match=match):
        TensorDataset(*args)


def test_tensor_dataset_index_errors():
    ds = TensorDataset(np.zeros(5))
    with pytest.raises(IndexError, match="index 5 is out of range for length 5"):
        ds[5]
    with pytest.raises(IndexError, match="index -6"):
        ds.get_batch([0, -6])
    with pytest.raises(TypeError, match="expected an int"):
        ds[1.5]
    with pytest.raises(TypeError, match="1-D integer index array"):
        ds.get_batch(np.array([0.5]))


def test_subset_of_array_dataset_is_vectorized(monkeypatch):
    x = np.arange(20).reshape(10, 2)
    ds = TensorDataset(x)
    sub = Subset(ds, [9, 3, 5, 1])
    assert len(sub) == 4
    np.testing.assert_array_equal(sub[1][0], x[3])
    np.testing.assert_array_equal(sub[-1][0], x[1])
    monkeypatch.setattr(TensorDataset, "__getitem__",
                        lambda self, i: pytest.fail("per-sample access in a vectorized path"))
    (xb,) = sub.get_batch(np.array([2, 0]))
    np.testing.assert_array_equal(xb, x[[5, 9]])


def test_subset_of_generic_dataset_stacks_samples():
    sub = Subset(Squares(6), [4, 2])
    xb, yb = sub.get_batch([0, 1])
    np.testing.assert_array_equal(xb, [[4, 16], [2, 4]])
    np.testing.assert_array_equal(yb, [0, 0])
    assert yb.dtype.kind == "i"


def test_subset_rejects_out_of_range_indices():
    with pytest.raises(IndexError, match="index 10 is out of range for length 3"):
        Subset(TensorDataset(np.zeros(3)), [0, 10])


def _partition_check(subsets, n):
    allidx = np.concatenate([s.indices for s in subsets])
    assert sorted(allidx.tolist()) == list(range(n))


def test_random_split_int_lengths():
    ds = TensorDataset(np.arange(10))
    parts = random_split(ds, [7, 3], seed=0)
    assert [len(p) for p in parts] == [7, 3]
    assert all(isinstance(p, Subset) for p in parts)
    _partition_check(parts, 10)
    assert parts[0].indices.tolist() != list(range(7))  # actually shuffled


@pytest.mark.parametrize("n, fracs, sizes", [
    (10, [0.8, 0.2], [8, 2]),
    (10, [1 / 3, 1 / 3, 1 / 3], [4, 3, 3]),
    (7, [0.5, 0.5], [4, 3]),
    (5, [1.0, 0.0], [5, 0]),
])
def test_random_split_fractions(n, fracs, sizes):
    parts = random_split(TensorDataset(np.arange(n)), fracs, seed=1)
    assert [len(p) for p in parts] == sizes
    _partition_check(parts, n)


def test_random_split_reproducible():
    ds = TensorDataset(np.arange(50))
    a = random_split(ds, [25, 25], seed=3)
    b = random_split(ds, [25, 25], generator=np.random.default_rng(3))
    c = random_split(ds, [25, 25], seed=4)
    assert a[0].indices.tolist() == b[0].indices.tolist()
    assert a[0].indices.tolist() != c[0].indices.tolist()
    topograd.manual_seed(7)
    d = random_split(ds, [25, 25])
    topograd.manual_seed(7)
    e = random_split(ds, [25, 25])
    assert d[1].indices.tolist() == e[1].indices.tolist()


@pytest.mark.parametrize("lengths, err, match", [
    ([5, 4], ValueError, "sum to 9 but the dataset has 10"),
    ([0.5, 0.6], ValueError, r"sum to 1, found \[0.5, 0.6\]"),
    ([11, -1], ValueError, "non-negative"),
    ([5, 0.5], TypeError, "all ints or all fractions"),
    ([], TypeError, "non-empty list"),
    (10, TypeError, "non-empty list"),
])
def test_random_split_errors(lengths, err, match):
    with pytest.raises(err, match=match):
        random_split(TensorDataset(np.arange(10)), lengths, seed=0)


def test_random_split_seed_and_generator_conflict():
    with pytest.raises(ValueError, match="either generator or seed"):
        random_split(TensorDataset(np.arange(4)), [2, 2], generator=np.random.default_rng(),
                     seed=1)
