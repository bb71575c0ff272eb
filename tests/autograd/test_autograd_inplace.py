"""In-place operations: clear errors where a gradient would be wrong, PyTorch's results
where it would not."""

from __future__ import annotations

import numpy as np
import pytest

import topograd

LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation"
SAVED_MSG = "modified by an inplace operation"


def leaf(v):
    return topograd.tensor(v, dtype=topograd.float64, requires_grad=True)


IN_PLACE = {
    "add_": lambda t: t.add_(1.0),
    "sub_": lambda t: t.sub_(1.0),
    "mul_": lambda t: t.mul_(2.0),
    "div_": lambda t: t.div_(2.0),
    "iadd": lambda t: t.__iadd__(1.0),
    "isub": lambda t: t.__isub__(1.0),
    "imul": lambda t: t.__imul__(2.0),
    "itruediv": lambda t: t.__itruediv__(2.0),
    "setitem": lambda t: t.__setitem__(0, 5.0),
    "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(3.0),
    "clamp_": lambda t: t.clamp_(0.0, 1.0),
    "copy_": lambda t: t.copy_(topograd.zeros(2, dtype=topograd.float64)),
}


@pytest.mark.parametrize("op", sorted(IN_PLACE))
def test_in_place_on_leaf_requiring_grad_raises(op):
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=LEAF_MSG):
        IN_PLACE[op](w)
    assert w.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("op", sorted(IN_PLACE))
def test_in_place_on_leaf_under_no_grad_works(op):
    w = leaf([1.0, 2.0])
    before = w._version
    with topograd.no_grad():
        IN_PLACE[op](w)
    assert w.is_leaf and w.requires_grad and w._version > before


@pytest.mark.parametrize("op", ["add_", "iadd", "mul_", "setitem"])
@pytest.mark.parametrize("grad_mode", [True, False], ids=["grad", "no_grad"])
def test_in_place_on_saved_output_raises(op, grad_mode):
    x = leaf([0.5, 1.0])
    y = x.exp()  # Exp saves its output
    with topograd.set_grad_enabled(grad_mode):
        IN_PLACE[op](y)
    with pytest.raises(RuntimeError, match=SAVED_MSG):
        y.sum().backward()


@pytest.mark.parametrize("grad_mode", [True, False], ids=["grad", "no_grad"])
def test_in_place_on_saved_input_raises(grad_mode):
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    h = x * 1
    z = h * w  # Mul saves h for w's gradient
    with topograd.set_grad_enabled(grad_mode):
        h += 1
    with pytest.raises(RuntimeError, match=r"an input of Mul, is at version 1; expected "
                                           r"version 0"):
        z.sum().backward()


def test_optimizer_step_between_forward_and_backward_raises():
    w = leaf([1.0, 2.0])
    loss = (w * w).sum()
    with topograd.no_grad():
        w.sub_(0.1)
    with pytest.raises(RuntimeError, match=SAVED_MSG):
        loss.backward()


def test_in_place_on_value_not_saved_is_fine():
    x = leaf([1.0, 2.0])
    h = x + 1  # Add saves nothing
    h.mul_(3)
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_chained_in_place_updates_match_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (topograd, torch):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([2.0, 3.0], dtype=lib.float64, requires_grad=True)
        h = x * 1
        h *= 2
        h *= w
        h *= w
        h.add_(1).mul_(3)
        h.sum().backward()
        results.append((h.detach().numpy().copy(), x.grad.numpy().copy(), w.grad.numpy().copy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_in_place_with_grad_requiring_operand_joins_the_graph():
    buf = topograd.zeros(2, dtype=topograd.float64)
    w = leaf([1.0, 2.0])
    buf.add_(w * 2)
    assert buf.requires_grad and not buf.is_leaf
    buf.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0])


def test_setitem_is_differentiable():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (topograd, torch):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64, requires_grad=True)
        v = lib.tensor([5.0, 6.0], dtype=lib.float64, requires_grad=True)
        base = x * 2
        base[1:3] = v * v
        base[0] = 7.0
        (base * lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64)).sum().backward()
        grads.append((base.detach().numpy().copy(), x.grad.numpy().copy(), v.grad.numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_array_equal(ours, theirs)


def test_setitem_errors():
    t = topograd.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"value of shape \(5,\)"):
        t[0] = topograd.ones(5)
    with pytest.raises(IndexError, match=r"tensor of shape \(2, 3\)"):
        t[5] = 1.0


def test_setitem_plain_tensor_forms():
    t = topograd.zeros(2, 3)
    t[0, 1] = 7
    t[:, 2] = topograd.tensor([1.0, 2.0])
    t[t > 5] = -1.0
    t[[1, 1], [0, 1]] = 4.0
    assert t.tolist() == [[0.0, -1.0, 1.0], [4.0, 4.0, 2.0]]
    assert t.is_leaf and not t.requires_grad


def test_in_place_keeps_dtype_and_shape():
    t = topograd.ones(3)  # float32
    t += topograd.ones(3, dtype=topograd.float64)
    assert t.dtype == topograd.float32
    with pytest.raises(RuntimeError, match=r"output with shape \(3,\) doesn't match the "
                                           r"broadcast shape \(2, 3\)"):
        t += topograd.ones(2, 3)
    i = topograd.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        i += 0.5
    i += 1
    assert i.tolist() == [2, 3] and i.dtype == topograd.int64
    h = leaf([1.0]) * 1
    with pytest.raises(RuntimeError, match=r"output with shape \(1,\) doesn't match"):
        h += leaf([1.0, 2.0])


def test_in_place_on_expanded_tensor_raises():
    e = topograd.ones(1).expand(3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        e.add_(1)


def test_in_place_through_a_view_changes_the_base():
    base = topograd.arange(6.0).reshape(2, 3)
    base[0].add_(10)
    assert base.tolist() == [[10.0, 11.0, 12.0], [3.0, 4.0, 5.0]]


def test_version_counter():
    t = topograd.zeros(2)
    assert t._version == 0
    t.add_(1)
    t[0] = 3
    assert t._version == 2
