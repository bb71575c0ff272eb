"""Sequential, ModuleList and ModuleDict: indexing, slicing, growth, registration."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd import nn


def test_sequential_indexing_slicing_len_append():
    a, b, c = nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3
    assert seq[0] is a and seq[-1] is c
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[1] is b
    assert list(seq) == [a, b, c]
    x = topograd.randn(5, 3)
    np.testing.assert_allclose(seq(x).numpy(), c(b(a(x))).numpy())
    assert head(x).shape == (5, 4)
    seq.append(nn.Softmax(dim=1))
    assert len(seq) == 4 and [n for n, _ in seq.named_children()] == ["0", "1", "2", "3"]
    np.testing.assert_allclose(seq(x).numpy().sum(axis=1), 1, rtol=1e-6)
    with pytest.raises(IndexError, match="out of range"):
        seq[4]


def test_sequential_set_delete_insert_extend_add():
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2))
    t = nn.Tanh()
    seq[1] = t
    assert seq[1] is t
    del seq[0]
    assert len(seq) == 2 and seq[0] is t and [n for n, _ in seq.named_children()] == ["0", "1"]
    seq.insert(0, nn.Identity())
    assert isinstance(seq[0], nn.Identity) and seq[1] is t
    seq.extend([nn.ReLU(), nn.ReLU()])
    assert len(seq) == 5
    both = seq + nn.Sequential(nn.Sigmoid())
    assert len(both) == 6 and isinstance(both[-1], nn.Sigmoid)


def test_module_list_registers_and_indexes():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers += [nn.Tanh()]
    assert isinstance(layers[-1], nn.Tanh) and isinstance(layers[1:3], nn.ModuleList)
    del layers[0]
    assert len(layers) == 4 and [n for n, _ in layers.named_children()] == ["0", "1", "2", "3"]

    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])

        def forward(self, x):
            for blk in self.blocks:
                x = blk(x)
            return x

    s = Stack()
    assert [n for n, _ in s.named_parameters()] == [
        "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"]
    assert s(topograd.ones(1, 2)).shape == (1, 2)
    with pytest.raises(NotImplementedError):
        layers(topograd.ones(1))


def test_module_dict():
    d = nn.ModuleDict({"a": nn.Linear(2, 2)})
    d["b"] = nn.ReLU()
    assert list(d.keys()) == ["a", "b"] and "a" in d and len(d) == 2
    assert [n for n, _ in d.named_parameters()] == ["a.weight", "a.bias"]
    assert isinstance(d.pop("b"), nn.ReLU) and len(d) == 1
