"""``topograd.utils.data`` (PyTorch's ``torch.utils.data`` path) and the DataLoader options
PyTorch scripts pass (``num_workers``, ``pin_memory``, ...), checked as PyTorch checks them."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import topograd
import topograd.data


def test_utils_data_is_topograd_data():
    from topograd.utils.data import (  # noqa: F401 - PyTorch's import line
        DataLoader,
        Dataset,
        Subset,
        TensorDataset,
        random_split,
    )

    ud = importlib.import_module("topograd.utils.data")
    assert ud.__all__ == topograd.data.__all__
    for name in topograd.data.__all__:
        assert getattr(ud, name) is getattr(topograd.data, name), name
    assert DataLoader is topograd.data.DataLoader and TensorDataset is topograd.data.TensorDataset
    # attribute access, as `torch.utils.data.DataLoader`
    assert topograd.utils.data.DataLoader is topograd.data.DataLoader
    assert topograd.utils.data.random_split is topograd.data.random_split


def _loader(**kwargs):
    ds = topograd.data.TensorDataset(np.arange(20, dtype=np.float32).reshape(10, 2),
                                     np.arange(10))
    return topograd.data.DataLoader(ds, batch_size=4, **kwargs)


@pytest.mark.parametrize("kwargs", [
    dict(pin_memory=True), dict(num_workers=0), dict(num_workers=0, pin_memory=True),
    dict(num_workers=2), dict(num_workers=2, persistent_workers=True, prefetch_factor=2),
    dict(num_workers=1, worker_init_fn=lambda i: None, timeout=5),
])
def test_worker_options_are_accepted_and_batches_unchanged(kwargs):
    want = [y.tolist() for _, y in _loader()]
    loader = _loader(**kwargs)
    assert [y.tolist() for _, y in loader] == want
    assert loader.pin_memory == bool(kwargs.get("pin_memory", False))
    assert loader.num_workers == kwargs.get("num_workers", 0)


def test_shuffled_batches_do_not_depend_on_num_workers():
    topograd.manual_seed(3)
    a = [y.tolist() for _, y in _loader(shuffle=True)]
    topograd.manual_seed(3)
    b = [y.tolist() for _, y in _loader(shuffle=True, num_workers=4, pin_memory=True)]
    assert a == b


BAD = [dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
       dict(num_workers=2, prefetch_factor=-1), dict(persistent_workers=True)]


@pytest.mark.parametrize("kwargs", BAD, ids=[str(k) for k in BAD])
def test_worker_option_errors_as_torch(kwargs):
    torch = pytest.importorskip("torch")
    ds = torch.utils.data.TensorDataset(torch.zeros(10, 2))
    with pytest.raises(Exception) as theirs:
        torch.utils.data.DataLoader(ds, batch_size=4, **kwargs)
    with pytest.raises(Exception) as ours:
        _loader(**kwargs)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


def test_num_workers_must_be_an_int():
    with pytest.raises(TypeError, match="num_workers expected an int"):
        _loader(num_workers=1.5)
