"""The seed's 20-line two-layer network, by hand in NumPy and again with topograd autograd.

Adapted from the CS231n notes "介绍神经网络" (seed 004): N=64 samples, 1000 inputs, a
sigmoid hidden layer of 100 units, 10 outputs, a squared-error loss and plain gradient
descent, 2000 steps. The hand-written gradients and topograd's ``backward()`` agree.

    python examples/two_layer_net.py            # the full 2000 steps
    python examples/two_layer_net.py 50         # a quick run of 50 steps
"""

import os
import sys

import numpy as np
from numpy.random import randn

import topograd as torch

# a step count on the command line, or a short run when TOPOGRAD_EXAMPLES_QUICK=1 (tests)
steps = int(sys.argv[1]) if len(sys.argv) > 1 else (
    30 if os.environ.get("TOPOGRAD_EXAMPLES_QUICK") else 2000)
np.random.seed(0)

N, D_in, H, D_out = 64, 1000, 100, 10
x = randn(N, D_in)
y = randn(N, D_out)
w1 = randn(D_in, H)
w2 = randn(H, D_out)
w1_start, w2_start = w1.copy(), w2.copy()

# -- by hand: forward, loss, the chain rule written out, update --------------------------------
for t in range(steps):
    h = 1 / (1 + np.exp(-x.dot(w1)))  # the hidden layer's sigmoid
    y_pred = h.dot(w2)
    loss = np.square(y_pred - y).sum()
    if t % max(1, steps // 10) == 0 or t == steps - 1:
        print(t, loss)
    grad_y_pred = 2 * (y_pred - y)
    grad_w2 = h.T.dot(grad_y_pred)
    grad_h = grad_y_pred.dot(w2.T)
    grad_w1 = x.T.dot(grad_h * h * (1 - h))
    w1 -= 1e-4 * grad_w1
    w2 -= 1e-4 * grad_w2
hand_loss = loss

# -- the same with topograd: backward() computes grad_w1 and grad_w2 ---------------------------
xt, yt = torch.from_numpy(x), torch.from_numpy(y)
tw1 = torch.tensor(w1_start, requires_grad=True)
tw2 = torch.tensor(w2_start, requires_grad=True)
for _ in range(steps):
    y_pred = torch.sigmoid(xt @ tw1) @ tw2
    loss = ((y_pred - yt) ** 2).sum()
    loss.backward()
    with torch.no_grad():
        tw1 -= 1e-4 * tw1.grad
        tw2 -= 1e-4 * tw2.grad
    tw1.grad = None
    tw2.grad = None
print(f"after {steps} steps: by hand {hand_loss:.6f}, topograd {loss.item():.6f}")
assert np.allclose(tw1.detach().numpy(), w1) and np.allclose(tw2.detach().numpy(), w2)
assert np.isclose(loss.item(), hand_loss, rtol=1e-6)
