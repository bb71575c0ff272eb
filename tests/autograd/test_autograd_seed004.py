"""The worked examples of the computational-graph lesson (seed 004), with its numbers.

f = (x + y) z; the sigmoid neuron; f = ||W x||^2; and the add, max and mul gates'
gradient patterns: the add gate distributes, the max gate routes, the mul gate switches.
"""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd.autograd import gradcheck, topological_order


def leaf(v, dtype=topograd.float64):
    return topograd.tensor(v, dtype=dtype, requires_grad=True)


def test_add_then_multiply():
    # x = -2, y = 5, z = -4: q = x + y = 3, f = q z = -12
    x, y, z = leaf(-2.0), leaf(5.0), leaf(-4.0)
    q = x + y
    f = q * z
    assert q.item() == 3.0 and f.item() == -12.0
    f.backward()
    # df/dz = q = 3; df/dq = z = -4, passed unchanged to x and y by the add gate
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == (-4.0, -4.0, 3.0)


def test_add_then_multiply_float32_default():
    x = topograd.tensor(-2.0, requires_grad=True)
    y = topograd.tensor(5.0, requires_grad=True)
    z = topograd.tensor(-4.0, requires_grad=True)
    f = (x + y) * z
    f.backward()
    assert f.dtype == topograd.float32 and x.grad.dtype == topograd.float32
    assert [x.grad.item(), y.grad.item(), z.grad.item()] == [-4.0, -4.0, 3.0]


@pytest.mark.parametrize("composed", [False, True], ids=["sigmoid-op", "1/(1+exp(-x))"])
def test_sigmoid_neuron(composed):
    # f = sigmoid(w0 x0 + w1 x1 + w2), w = [2, -3, -3], x = [-1, -2]
    w = leaf([2.0, -3.0, -3.0])
    x = leaf([-1.0, -2.0])
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    f = 1.0 / (1.0 + (-dot).exp()) if composed else dot.sigmoid()
    f.backward()
    assert round(f.item(), 2) == 0.73
    np.testing.assert_array_equal(np.round(w.grad.numpy(), 2), [-0.20, -0.39, 0.20])
    np.testing.assert_array_equal(np.round(x.grad.numpy(), 2), [0.39, -0.59])
    # exactly: the local gradient of sigmoid is (1 - f) f
    s = f.item()
    np.testing.assert_allclose(w.grad.numpy(), [-1 * (1 - s) * s, -2 * (1 - s) * s, (1 - s) * s])
    np.testing.assert_allclose(x.grad.numpy(), [2 * (1 - s) * s, -3 * (1 - s) * s])


def test_sigmoid_neuron_matches_the_two_graphs():
    """The staged graph and the one fused sigmoid node give the same gradients."""
    grads = []
    for composed in (False, True):
        w, x = leaf([2.0, -3.0, -3.0]), leaf([-1.0, -2.0])
        dot = (w[:2] * x).sum() + w[2]
        f = 1.0 / (1.0 + (-dot).exp()) if composed else dot.sigmoid()
        f.backward()
        grads.append((w.grad.numpy(), x.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-14)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-14)


def test_l2_of_matrix_vector_product():
    # f = ||W x||^2, W = [[0.1, 0.5], [-0.3, 0.8]], x = [0.2, 0.4]
    W = leaf([[0.1, 0.5], [-0.3, 0.8]])
    x = leaf([0.2, 0.4])
    q = W @ x
    f = (q * q).sum()
    np.testing.assert_allclose(q.numpy(), [0.22, 0.26], rtol=1e-12)
    assert f.item() == pytest.approx(0.116, rel=1e-12)
    q.retain_grad()
    f.backward()
    qv = np.array([0.22, 0.26])
    np.testing.assert_allclose(q.grad.numpy(), 2 * qv, rtol=1e-12)  # [0.44, 0.52]
    np.testing.assert_allclose(W.grad.numpy(), 2 * np.outer(qv, [0.2, 0.4]), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([[0.1, 0.5], [-0.3, 0.8]]).T @ qv,
                               rtol=1e-12)
    assert gradcheck(lambda a, b: ((a @ b) ** 2).sum(), [leaf(W.numpy()), leaf(x.numpy())])


def test_l2_graph_order_is_readable():
    W = leaf([[0.1, 0.5], [-0.3, 0.8]])
    x = leaf([0.2, 0.4])
    order = topological_order(((W @ x) ** 2).sum())
    assert [s.name for s in order] == ["Sum", "Pow", "MatMul"]
    assert order[2].input_shapes == ((2, 2), (2,)) and order[2].output_shapes == ((2,),)
    assert "MatMul" in str(order) and "(2, 2), (2,) -> (2,)" in str(order)


def test_add_gate_distributes():
    x, y = leaf([1.0, 2.0]), leaf([3.0, -4.0])
    upstream = np.array([0.7, -1.3])
    (x + y).backward(topograd.tensor(upstream, dtype=topograd.float64))
    np.testing.assert_array_equal(x.grad.numpy(), upstream)
    np.testing.assert_array_equal(y.grad.numpy(), upstream)


def test_max_gate_routes():
    x, y = leaf([1.0, 5.0, -2.0]), leaf([3.0, 2.0, -7.0])
    upstream = np.array([2.0, 3.0, 4.0])
    x.maximum(y).backward(topograd.tensor(upstream, dtype=topograd.float64))
    # all of the gradient goes to the larger input, none to the other
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 3.0, 4.0])
    np.testing.assert_array_equal(y.grad.numpy(), [2.0, 0.0, 0.0])


def test_max_gate_splits_ties_evenly_as_pytorch():
    x, y = leaf([2.0]), leaf([2.0])
    x.maximum(y).sum().backward()
    assert x.grad.item() == 0.5 and y.grad.item() == 0.5


def test_mul_gate_switches():
    x, y = leaf([3.0, -1.0]), leaf([-4.0, 6.0])
    upstream = np.array([2.0, 0.5])
    (x * y).backward(topograd.tensor(upstream, dtype=topograd.float64))
    # each input's gradient is the upstream gradient times the *other* input
    np.testing.assert_array_equal(x.grad.numpy(), upstream * [-4.0, 6.0])
    np.testing.assert_array_equal(y.grad.numpy(), upstream * [3.0, -1.0])


def test_relu_jacobian_is_diagonal():
    """The lesson's f(x) = max(0, x) on a 4096-vector: the Jacobian is diagonal, so the
    gradient is the upstream gradient masked where x > 0."""
    rng = np.random.default_rng(0)
    xv = rng.standard_normal(4096)
    x = leaf(xv)
    upstream = rng.standard_normal(4096)
    x.relu().backward(topograd.tensor(upstream, dtype=topograd.float64))
    np.testing.assert_array_equal(x.grad.numpy(), upstream * (xv > 0))


def test_two_layer_net_matches_hand_written_backprop():
    """The lesson's 20-line network: autograd gives the hand-derived gradients."""
    rng = np.random.default_rng(0)
    xv, yv = rng.standard_normal((8, 10)), rng.standard_normal((8, 3))
    w1v, w2v = rng.standard_normal((10, 5)), rng.standard_normal((5, 3))
    w1, w2 = leaf(w1v), leaf(w2v)
    x, y = topograd.tensor(xv, dtype=topograd.float64), topograd.tensor(yv, dtype=topograd.float64)
    h = 1 / (1 + (-(x @ w1)).exp())
    loss = ((h @ w2 - y) ** 2).sum()
    loss.backward()
    hv = 1 / (1 + np.exp(-xv @ w1v))
    grad_y_pred = 2 * (hv @ w2v - yv)
    np.testing.assert_allclose(w2.grad.numpy(), hv.T @ grad_y_pred, rtol=1e-12)
    grad_h = grad_y_pred @ w2v.T
    np.testing.assert_allclose(w1.grad.numpy(), xv.T @ (grad_h * hv * (1 - hv)), rtol=1e-12)
