"""The backward pass: order, accumulation, freeing, errors, create_graph, autograd.grad."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd.autograd import grad, topological_order


def leaf(v, dtype=topograd.float64):
    return topograd.tensor(v, dtype=dtype, requires_grad=True)


# -- order and accumulation -----------------------------------------------------------

def test_chain_of_100000_ops_has_no_recursion_limit():
    x = topograd.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0 + 0.0  # two ops per step: 100,000 nodes
    assert len(topological_order(y)) == 100_000
    y.backward()
    assert x.grad.item() == 1.0


def test_diamond_gets_each_gradient_once_per_path():
    x = leaf(2.0)
    a = x * 3  # a = 6, da/dx = 3
    b = a * a  # path 1: db/da = 2a = 12
    c = a + 1  # path 2: dc/da = 1
    d = b + c
    d.backward()
    assert x.grad.item() == 3 * (12 + 1)
    order = topological_order(d)
    assert [s.name for s in order].count("Mul") == 2  # each node visited exactly once
    assert order[-1].name == "Mul" and order[-1].input_shapes == ((),)


def test_value_used_twice_in_one_op():
    x = leaf([1.0, -2.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -4.0])


def test_nodes_after_all_their_consumers():
    x = leaf([1.0, 2.0])
    a = x.exp()
    b = a * 2
    c = a + b  # a is used by b and c: a's node must come after both
    order = [s.node for s in topological_order(c.sum())]
    assert order.index(a.grad_fn) > order.index(b.grad_fn)
    assert order.index(a.grad_fn) > order.index(c.grad_fn)


def test_grads_accumulate_across_calls_until_zeroed():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3 + 2, 3 + 4])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    x.grad.zero_()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_retain_graph_allows_a_second_pass_and_accumulates():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


def test_broadcast_gradient_reduced_to_input_shape():
    x = leaf(np.ones((3, 1)))
    b = leaf(np.ones(4))
    s = leaf(2.0)
    (x * b * s).sum().backward()
    assert x.grad.shape == (3, 1) and b.grad.shape == (4,) and s.grad.shape == ()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 1), 8.0))
    np.testing.assert_array_equal(b.grad.numpy(), np.full(4, 6.0))
    assert s.grad.item() == 12.0


def test_only_the_needed_inputs_get_grads():
    x, c = leaf([1.0, 2.0]), topograd.tensor([3.0, 4.0], dtype=topograd.float64)
    (x * c).sum().backward()
    assert c.grad is None and c.requires_grad is False
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_no_node_when_nothing_requires_grad():
    y = topograd.tensor([1.0]) * 2
    assert y.grad_fn is None and y.is_leaf and not y.requires_grad


def test_leaf_grads_never_share_memory():
    a, b = leaf([1.0, 1.0]), leaf([1.0, 1.0])
    upstream = topograd.tensor([1.0, 2.0], dtype=topograd.float64)
    (a + b).backward(upstream)
    a.grad += 1
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(upstream.numpy(), [1.0, 2.0])
    c = leaf(np.ones(3))
    c.backward(upstream2 := topograd.tensor(np.ones(3), dtype=topograd.float64))
    c.grad += 1
    np.testing.assert_array_equal(upstream2.numpy(), np.ones(3))


def test_grad_of_a_leaf_used_directly():
    x = leaf([1.0, 2.0])
    x.backward(topograd.tensor([3.0, 4.0], dtype=topograd.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_grad_dtype_follows_the_leaf():
    a = topograd.tensor([1.0, 2.0], requires_grad=True)  # float32
    b = leaf([3.0, 4.0])  # float64
    out = a * b
    assert out.dtype == topograd.float64  # NumPy promotion
    out.sum().backward()
    assert a.grad.dtype == topograd.float32 and b.grad.dtype == topograd.float64


def test_retain_grad_on_intermediate():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), [4.0, 8.0])


def test_backward_inputs_limits_accumulation():
    x, y = leaf([1.0]), leaf([2.0])
    (x * y).sum().backward(inputs=[x])
    assert x.grad.item() == 2.0 and y.grad is None


# -- errors ---------------------------------------------------------------------------

def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        grad(y, x)


def test_non_scalar_backward_without_gradient_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"grad can be implicitly created only for scalar "
                                           r"outputs.*\(2,\)"):
        (x * 2).backward()


def test_backward_gradient_of_wrong_shape_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"grad_output has a shape of \(3,\) and output has "
                                           r"a shape of \(2,\)"):
        (x * 2).backward(topograd.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        topograd.ones(2).sum().backward()


def test_one_element_non_scalar_backward_is_allowed():
    x = leaf([3.0])
    (x * 2).backward()
    assert x.grad.item() == 2.0


# -- create_graph -----------------------------------------------------------------------

def test_second_derivative_of_cube():
    x = leaf(3.0)
    (g,) = grad(x**3, x, create_graph=True)
    assert g.item() == 27.0 and g.requires_grad
    (h,) = grad(g, x)
    assert h.item() == 18.0


def test_backward_create_graph_then_backward_of_grad():
    x = leaf([0.5, -1.0])
    y = (x.sin() * x).sum()
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.sum().backward()
    xv = np.array([0.5, -1.0])
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(xv) - xv * np.sin(xv), rtol=1e-12)


def test_third_derivative():
    x = leaf(0.7)
    (g1,) = grad(x.exp() * x, x, create_graph=True)
    (g2,) = grad(g1, x, create_graph=True)
    (g3,) = grad(g2, x)
    assert g3.item() == pytest.approx(np.exp(0.7) * (0.7 + 3), rel=1e-12)


def test_hessian_vector_product_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    av, vv = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))

    def f(m, a):
        return (m.tanh(a @ a.T).sum() + (a.softmax(1) * a).sum())

    a = leaf(av)
    (g,) = grad(f(topograd, a), a, create_graph=True)
    (hv,) = grad((g * topograd.tensor(vv, dtype=topograd.float64)).sum(), a)
    ta = torch.tensor(av, requires_grad=True)
    (tg,) = torch.autograd.grad(f(torch, ta), ta, create_graph=True)
    (thv,) = torch.autograd.grad((tg * torch.tensor(vv)).sum(), ta)
    np.testing.assert_allclose(hv.numpy(), thv.numpy(), rtol=1e-10, atol=1e-12)


def test_create_graph_does_not_change_first_order_values():
    x = leaf([0.3, 0.9])
    (g1,) = grad((x.exp() * x.tanh()).sum(), x, create_graph=True)
    (g2,) = grad((x.exp() * x.tanh()).sum(), x)
    np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=1e-15)
    assert not g2.requires_grad


# -- autograd.grad ----------------------------------------------------------------------

def test_autograd_grad_does_not_touch_dot_grad():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    gx, gy = grad((x * y).sum(), [x, y])
    np.testing.assert_array_equal(gx.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(gy.numpy(), [1.0, 2.0])
    assert x.grad is None and y.grad is None


def test_autograd_grad_results_own_their_memory():
    a, b = leaf([1.0, 1.0]), leaf([1.0, 1.0])
    v = topograd.tensor([5.0, 6.0], dtype=topograd.float64)
    ga, gb = grad(a + b, [a, b], grad_outputs=v)
    ga += 1
    np.testing.assert_array_equal(gb.numpy(), [5.0, 6.0])
    np.testing.assert_array_equal(v.numpy(), [5.0, 6.0])


def test_autograd_grad_of_intermediate_and_several_outputs():
    x = leaf(2.0)
    h = x * x
    y1, y2 = h * 3, h.exp()
    (gh,) = grad([y1, y2], h)
    assert gh.item() == pytest.approx(3 + np.exp(4.0), rel=1e-12)


def test_autograd_grad_unused_input():
    x, z = leaf(1.0), leaf(2.0)
    y = x * 2
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        grad(y, [x, z], retain_graph=True)
    gx, gz = grad(y, [x, z], allow_unused=True)
    assert gx.item() == 2.0 and gz is None


def test_autograd_grad_input_must_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        grad(leaf(1.0) * 2, topograd.tensor(1.0))


# -- topological_order ------------------------------------------------------------------

def test_topological_order_steps():
    x = leaf(np.ones((2, 3)))
    w = leaf(np.ones((3, 4)))
    y = (x @ w).relu().sum(1)
    order = topological_order(y)
    assert [(s.index, s.name) for s in order] == [(0, "Sum"), (1, "Relu"), (2, "MatMul")]
    assert order[0].input_shapes == ((2, 4),) and order[0].output_shapes == ((2,),)
    assert order[2].input_shapes == ((2, 3), (3, 4))
    text = str(order)
    assert text.splitlines()[0].startswith("backward visits")
    assert "MatMul" in text.splitlines()[3] and "(2, 3), (3, 4) -> (2, 4)" in text
    assert topological_order(x) == []
