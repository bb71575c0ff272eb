"""The seeds' worked examples, run with topograd.optim.

Seed 001 (momentum): on f(x, y) = x^2 + 2 y^2 from (1, 1), learning rate 0.1 and momentum
0.9, the update v = 0.9 v + g; w = w - 0.1 v walks to (0, 0).
Seed 004 (a two-layer network): N = 64, D_in = 1000, H = 100, D_out = 10, a sigmoid hidden
layer, summed squared error, weights from randn, learning rate 1e-4, trained 2,000 steps
with hand-written NumPy gradients; topograd's autograd and optim.SGD give the same losses.
"""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd import optim


def test_momentum_walk_equals_the_seeds_update_and_reaches_the_origin():
    w = topograd.tensor([1.0, 1.0], dtype=topograd.float64, requires_grad=True)
    scale = topograd.tensor([1.0, 2.0], dtype=topograd.float64)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    # the seed's loop, written out
    xy, v = np.array([1.0, 1.0]), np.zeros(2)
    for _ in range(300):
        opt.zero_grad()
        (scale * w ** 2).sum().backward()
        opt.step()
        g = np.array([2 * xy[0], 4 * xy[1]])
        v = 0.9 * v + g
        xy = xy - 0.1 * v
        np.testing.assert_allclose(w.numpy(), xy, rtol=1e-12, atol=1e-300)
    # the heavy ball contracts by sqrt(0.9) per step here: 0.95 ** 300 ~ 1e-7
    assert np.abs(w.numpy()).max() < 1e-5
    assert np.abs(opt.state[w]["momentum_buffer"]).max() < 1e-4


def seed_network(steps):
    """Losses of the seed's NumPy loop and of topograd + SGD, from one start."""
    rng = np.random.default_rng(0)
    n, d_in, h_dim, d_out = 64, 1000, 100, 10
    x, y = rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out))
    w1, w2 = rng.standard_normal((d_in, h_dim)), rng.standard_normal((h_dim, d_out))

    p1 = topograd.tensor(w1.copy(), requires_grad=True)
    p2 = topograd.tensor(w2.copy(), requires_grad=True)
    xt, yt = topograd.tensor(x), topograd.tensor(y)
    opt = optim.SGD([p1, p2], lr=1e-4)

    ref, got = [], []
    for _ in range(steps):
        # the seed's hand-written forward, backward and update
        h = 1 / (1 + np.exp(-x.dot(w1)))
        y_pred = h.dot(w2)
        ref.append(np.square(y_pred - y).sum())
        grad_y_pred = 2 * (y_pred - y)
        grad_w2 = h.T.dot(grad_y_pred)
        grad_h = grad_y_pred.dot(w2.T)
        grad_w1 = x.T.dot(grad_h * h * (1 - h))
        w1 -= 1e-4 * grad_w1
        w2 -= 1e-4 * grad_w2
        # the same with autograd and the optimizer
        opt.zero_grad()
        loss = (((xt @ p1).sigmoid() @ p2 - yt) ** 2).sum()
        loss.backward()
        opt.step()
        got.append(loss.item())
    return np.array(ref), np.array(got), (w1, w2), (p1.numpy(), p2.numpy())


def test_seed_network_losses_match_handwritten_numpy():
    ref, got, ws, ps = seed_network(200)
    np.testing.assert_allclose(got, ref, rtol=1e-9)
    for a, b in zip(ps, ws):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * np.abs(b).max())
    assert ref[-1] < 0.1 * ref[0]


@pytest.mark.long
def test_seed_network_full_2000_steps():
    # 2,000 steps of 4 large matmuls: deselected unless TOPOGRAD_SLOW=1 (tests/conftest.py)
    ref, got, _, _ = seed_network(2000)
    np.testing.assert_allclose(got, ref, rtol=1e-9)
    # the seed's run fell from ~4e4 to ~3.4 over these 2,000 steps
    assert ref[-1] < 1e-3 * ref[0] and got[-1] < 10
