"""DataLoader: batching, shuffling, collation, transforms, validation."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd.data import DataLoader, Dataset, TensorDataset, collate_numpy, default_collate


def to_np(x):
    return x.numpy() if isinstance(x, topograd.Tensor) else x


class Generic(Dataset):
    """No get_batch: the loader must read samples one by one and collate them."""

    def __init__(self, n, sample=None):
        self.n = n
        self.sample = sample or (lambda i: (np.full(3, i, np.float32), i))

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.sample(i)


class Vectorized(TensorDataset):
    """Counts get_batch calls and refuses per-sample access."""

    calls = 0

    def __getitem__(self, index):
        raise AssertionError("DataLoader read a sample one by one")

    def get_batch(self, indices):
        self.calls += 1
        return super().get_batch(indices)


def make_ds(n=10):
    return TensorDataset(np.arange(2 * n, dtype=np.float32).reshape(n, 2),
                         np.arange(n, dtype=np.int64))


@pytest.mark.parametrize("n, bs, drop_last, expected", [
    (10, 3, False, 4), (10, 3, True, 3), (9, 3, False, 3), (9, 3, True, 3),
    (2, 5, False, 1), (2, 5, True, 0), (0, 4, False, 0), (10, 1, False, 10),
])
def test_len_and_batch_sizes(n, bs, drop_last, expected):
    loader = DataLoader(make_ds(n), batch_size=bs, drop_last=drop_last, as_tensor=False)
    batches = list(loader)
    assert len(loader) == expected == len(batches)
    sizes = [len(y) for _, y in batches]
    assert all(s == bs for s in sizes[:-1])
    if drop_last:
        assert all(s == bs for s in sizes)
    else:
        assert sum(sizes) == n


def test_in_order_without_shuffle():
    ys = [y.tolist() for _, y in DataLoader(make_ds(7), batch_size=3, as_tensor=False)]
    assert ys == [[0, 1, 2], [3, 4, 5], [6]]


def test_batches_are_tensors_keeping_dtypes():
    ds = TensorDataset(np.zeros((5, 4), np.float32), np.arange(5, dtype=np.int64),
                       np.arange(5, dtype=np.uint8))
    x, y, z = next(iter(DataLoader(ds, batch_size=4)))
    assert all(isinstance(t, topograd.Tensor) for t in (x, y, z))
    assert (x.dtype, y.dtype, z.dtype) == (np.float32, np.int64, np.uint8)
    assert tuple(x.shape) == (4, 4)
    np.testing.assert_array_equal(y.numpy(), [0, 1, 2, 3])


def test_array_datasets_are_batched_with_one_fetch_per_batch():
    ds = Vectorized(np.arange(100.0).reshape(50, 2), np.arange(50))
    loader = DataLoader(ds, batch_size=8, shuffle=True, seed=0, as_tensor=False)
    seen = np.concatenate([y for _, y in loader])
    assert ds.calls == len(loader) == 7
    assert sorted(seen.tolist()) == list(range(50))


def test_shuffle_covers_every_sample_once_and_pairs_stay_aligned():
    ds = make_ds(23)
    batches = list(DataLoader(ds, batch_size=5, shuffle=True, seed=1, as_tensor=False))
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    assert sorted(y.tolist()) == list(range(23))
    assert y.tolist() != list(range(23))
    np.testing.assert_array_equal(x, ds.arrays[0][y])  # rows still match their labels


def _order(loader):
    return np.concatenate([to_np(y) for _, y in loader]).tolist()


def test_shuffle_reproducible_after_manual_seed_and_new_each_epoch():
    loader = DataLoader(make_ds(30), batch_size=4, shuffle=True)
    topograd.manual_seed(0)
    first, second = _order(loader), _order(loader)
    topograd.manual_seed(0)
    assert _order(loader) == first
    assert _order(loader) == second
    assert first != second  # each epoch draws a new order
    topograd.manual_seed(1)
    assert _order(loader) != first


def test_shuffle_with_explicit_seed_ignores_global_state():
    a = DataLoader(make_ds(30), batch_size=4, shuffle=True, seed=5)
    b = DataLoader(make_ds(30), batch_size=4, shuffle=True, seed=5)
    c = DataLoader(make_ds(30), batch_size=4, shuffle=True, seed=6)
    topograd.manual_seed(0)
    a1, a2 = _order(a), _order(a)
    topograd.manual_seed(123)
    assert [_order(b), _order(b)] == [a1, a2]
    assert a1 != a2
    assert _order(c) != a1
    g1 = DataLoader(make_ds(30), shuffle=True, generator=np.random.default_rng(9))
    g2 = DataLoader(make_ds(30), shuffle=True, generator=np.random.default_rng(9))
    assert _order(g1) == _order(g2)


def test_generic_dataset_default_collate_stacks_samples():
    loader = DataLoader(Generic(5), batch_size=2)
    x, y = next(iter(loader))
    assert isinstance(x, topograd.Tensor) and isinstance(y, topograd.Tensor)
    np.testing.assert_array_equal(x.numpy(), [[0, 0, 0], [1, 1, 1]])
    assert x.dtype == np.float32 and y.dtype.kind == "i"
    assert len(loader) == 3


def test_default_collate_nested_structures():
    samples = [{"img": np.full((2, 2), i, np.uint8), "meta": (i, float(i))} for i in range(3)]
    batch = collate_numpy(samples)
    assert batch["img"].shape == (3, 2, 2) and batch["img"].dtype == np.uint8
    assert batch["meta"][0].tolist() == [0, 1, 2] and batch["meta"][0].dtype.kind == "i"
    assert batch["meta"][1].dtype == np.float64
    tensors = default_collate(samples)
    assert isinstance(tensors["img"], topograd.Tensor)
    assert collate_numpy([("a", 1), ("b", 2)])[0] == ["a", "b"]
    t = collate_numpy([topograd.tensor([1.0, 2.0]), topograd.tensor([3.0, 4.0])])
    np.testing.assert_array_equal(t, [[1, 2], [3, 4]])


@pytest.mark.parametrize("samples, match", [
    ([], "non-empty"),
    ([np.zeros(2), np.zeros(3)], r"one shape, found shapes \[\(2,\), \(3,\)\]"),
    ([(1, 2), (1,)], "same number of fields"),
])
def test_collate_errors(samples, match):
    with pytest.raises(ValueError, match=match):
        collate_numpy(samples)


def test_custom_collate_fn_gets_the_list_of_samples():
    seen = []

    def collate(samples):
        seen.append(len(samples))
        return "batch"

    loader = DataLoader(make_ds(5), batch_size=2, collate_fn=collate)
    assert list(loader) == ["batch"] * 3
    assert seen == [2, 2, 1]


def test_transform_applies_to_inputs_only():
    ds = make_ds(6)
    loader = DataLoader(ds, batch_size=4, transform=lambda x: -x, as_tensor=False)
    x, y = next(iter(loader))
    np.testing.assert_array_equal(x, -ds.arrays[0][:4])
    np.testing.assert_array_equal(y, [0, 1, 2, 3])
    gx, _ = next(iter(DataLoader(Generic(3), batch_size=3, transform=lambda x: x + 1)))
    np.testing.assert_array_equal(gx.numpy()[:, 0], [1, 2, 3])


def test_transform_with_seeded_augmentation_is_reproducible():
    from topograd.data import RandomRotation

    ds = TensorDataset(np.random.default_rng(0).random((8, 6, 6)).astype(np.float32),
                       np.zeros(8, np.int64))
    runs = [next(iter(DataLoader(ds, batch_size=8, transform=RandomRotation(30, seed=2),
                                 as_tensor=False)))[0] for _ in range(2)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], ds.arrays[0])


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3", None])
def test_batch_size_validation(bad):
    with pytest.raises((TypeError, ValueError), match="batch_size expected a positive int, found"):
        DataLoader(make_ds(), batch_size=bad)


@pytest.mark.parametrize("kwargs, err, match", [
    ({"shuffle": "yes"}, TypeError, "shuffle expected a bool, found 'yes'"),
    ({"drop_last": 1}, TypeError, "drop_last expected a bool"),
    ({"generator": 42}, TypeError, "generator expected a numpy.random.Generator, found int"),
    ({"seed": -1}, ValueError, "seed expected a non-negative int"),
    ({"seed": 1, "generator": np.random.default_rng()}, ValueError, "either generator or seed"),
    ({"collate_fn": 3}, TypeError, "collate_fn expected a callable"),
    ({"transform": "flip"}, TypeError, "transform expected a callable"),
    ({"transform": abs, "collate_fn": list}, ValueError, "custom collate_fn"),
])
def test_argument_validation(kwargs, err, match):
    with pytest.raises(err, match=match):
        DataLoader(make_ds(), **kwargs)


def test_dataset_must_be_a_dataset():
    with pytest.raises(TypeError, match="__len__ and __getitem__, found int"):
        DataLoader(5)


def test_repr_mentions_batches():
    assert "batches=4" in repr(DataLoader(make_ds(10), batch_size=3))
