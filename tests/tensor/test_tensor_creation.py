"""Creation functions, default dtypes, and manual_seed reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

import topograd


def test_tensor_from_python_data():
    assert topograd.tensor([1.5, 2.0]).dtype == topograd.float32
    assert topograd.tensor(3).dtype == topograd.int64
    assert topograd.tensor([True, False]).dtype == topograd.bool_
    assert topograd.tensor([1, 2.5]).dtype == topograd.float32
    assert topograd.tensor(2.0).shape == () and topograd.tensor(2.0).ndim == 0
    assert topograd.tensor([[1, 2], [3, 4]]).shape == (2, 2)
    assert topograd.tensor([]).shape == (0,)


def test_tensor_dtype_and_requires_grad():
    t = topograd.tensor([1, 2], dtype=topograd.float64, requires_grad=True)
    assert t.dtype == topograd.float64 and t.requires_grad and t.is_leaf
    assert topograd.tensor([1.7, 2.2], dtype=topograd.int64).tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require "
                                           "gradients"):
        topograd.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="expected a dtype"):
        topograd.tensor([1.0], dtype="not-a-dtype")
    with pytest.raises(TypeError, match="expected numbers or bools"):
        topograd.tensor(["a", "b"])


def test_tensor_copies_from_numpy_from_numpy_shares():
    a = np.zeros(3)
    t = topograd.tensor(a)
    s = topograd.from_numpy(a)
    a[0] = 5.0
    assert t.tolist() == [0.0, 0.0, 0.0] and s.tolist() == [5.0, 0.0, 0.0]
    assert t.dtype == topograd.float64 and s.dtype == topograd.float64  # dtype kept
    assert topograd.from_numpy(np.arange(3, dtype=np.int32)).dtype == topograd.int32
    with pytest.raises(TypeError, match="np.ndarray"):
        topograd.from_numpy([1, 2])


def test_tensor_from_tensors():
    t = topograd.tensor([topograd.tensor(1.0), topograd.tensor(2.0)])
    assert t.tolist() == [1.0, 2.0]
    src = topograd.ones(2)
    copy = topograd.tensor(src)
    copy.add_(1)
    assert src.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("fn,value", [(topograd.zeros, 0.0), (topograd.ones, 1.0)])
def test_zeros_ones(fn, value):
    for args in [(2, 3), ((2, 3),), ([2, 3],)]:
        t = fn(*args)
        assert t.shape == (2, 3) and t.dtype == topograd.float32
        assert (t.numpy() == value).all()
    assert fn(()).shape == ()
    assert fn(0).shape == (0,)
    assert fn(2, dtype=topograd.int64).dtype == topograd.int64
    assert fn(2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="negative dimension"):
        fn(-1)
    with pytest.raises(TypeError, match="sequence of ints"):
        fn(2.5)


def test_full_and_like():
    assert topograd.full((2, 2), 1.5).dtype == topograd.float32
    assert topograd.full((2,), 7).dtype == topograd.int64
    assert topograd.full((2,), 7, dtype=topograd.float64).tolist() == [7.0, 7.0]
    base = topograd.ones(2, 3, dtype=topograd.float64)
    for fn, v in [(topograd.zeros_like, 0.0), (topograd.ones_like, 1.0)]:
        t = fn(base)
        assert t.shape == (2, 3) and t.dtype == topograd.float64 and (t.numpy() == v).all()
        assert not t.requires_grad
    assert topograd.zeros_like(base, dtype=topograd.int64).dtype == topograd.int64
    assert topograd.full_like(base, 4.0).tolist() == [[4.0] * 3] * 2


def test_arange():
    assert topograd.arange(4).tolist() == [0, 1, 2, 3]
    assert topograd.arange(4).dtype == topograd.int64
    assert topograd.arange(4.0).dtype == topograd.float32
    assert topograd.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert topograd.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert topograd.arange(3, dtype=topograd.float64).dtype == topograd.float64
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        topograd.arange(0, 3, 0)


def test_eye_linspace():
    np.testing.assert_array_equal(topograd.eye(3).numpy(), np.eye(3))
    assert topograd.eye(2, 3).shape == (2, 3) and topograd.eye(2).dtype == topograd.float32
    assert topograd.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_rand_randn():
    topograd.manual_seed(0)
    r = topograd.rand(1000)
    assert r.dtype == topograd.float32 and 0 <= r.min().item() and r.max().item() < 1
    n = topograd.randn(2, 500, dtype=topograd.float64)
    assert n.shape == (2, 500) and n.dtype == topograd.float64
    assert abs(n.mean().item()) < 0.2 and abs(n.std().item() - 1) < 0.2
    assert topograd.randn(3, requires_grad=True).requires_grad


def test_randint_forms():
    topograd.manual_seed(0)
    a = topograd.randint(5, (100,))
    assert a.dtype == topograd.int64 and a.shape == (100,)
    assert 0 <= a.min().item() and a.max().item() < 5
    b = topograd.randint(3, 7, (4, 25))
    assert b.shape == (4, 25) and 3 <= b.min().item() and b.max().item() < 7
    assert topograd.randint(3, 7, size=(2,)).shape == (2,)
    assert topograd.randint(5, size=(3,)).shape == (3,)
    assert topograd.randint(2, (3,), dtype=topograd.int32).dtype == topograd.int32
    with pytest.raises(TypeError, match="size"):
        topograd.randint(5)
    with pytest.raises(RuntimeError, match="from=5 >= to=5"):
        topograd.randint(5, 5, (2,))


def _draws():
    return (topograd.rand(3).tolist(), topograd.randn(2, 2).tolist(),
            topograd.randint(10, (4,)).tolist(), topograd.randint(2, 9, (3,)).tolist(),
            topograd.randperm(5).tolist(), topograd.randn_like(topograd.zeros(2)).tolist(),
            topograd.empty(2).uniform_(-1, 1).tolist(), topograd.zeros(2).normal_().tolist())


def test_manual_seed_makes_every_draw_reproducible():
    topograd.manual_seed(1234)
    first = _draws()
    topograd.manual_seed(1234)
    assert _draws() == first
    topograd.manual_seed(4321)
    assert _draws() != first
    assert topograd.initial_seed() == 4321


def test_rng_state_round_trip():
    topograd.manual_seed(7)
    state = topograd.get_rng_state()
    a = topograd.randn(3).tolist()
    topograd.set_rng_state(state)
    assert topograd.randn(3).tolist() == a


def test_manual_seed_validates():
    with pytest.raises(TypeError, match="int"):
        topograd.manual_seed(1.5)
    with pytest.raises(ValueError, match="non-negative"):
        topograd.manual_seed(-1)


def test_cpu_only():
    # as PyTorch's CPU build (tests/tensor/test_device.py compares the rest)
    assert topograd.zeros(2, device="cpu").device == topograd.device("cpu")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        topograd.zeros(2, device="cuda")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        topograd.ones(2).to("cuda")
