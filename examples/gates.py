"""Backpropagation through gates, by hand and with topograd's autograd.

Adapted from the CS231n notes "介绍神经网络" (seed 004): f = (x + y) z, the sigmoid
neuron, the add/max/mul gate patterns, the L2 norm of W x, and the seed's ``MultiplyGate``
with ``forward``/``backward`` methods. Every hand-computed gradient is checked against
``backward()``.

    python examples/gates.py
"""

import numpy as np

import topograd as torch

# -- f(x, y, z) = (x + y) z ------------------------------------------------------------------
x = torch.tensor(-2.0, requires_grad=True)
y = torch.tensor(5.0, requires_grad=True)
z = torch.tensor(-4.0, requires_grad=True)
q = x + y  # q = 3
f = q * z  # f = -12
f.backward()
# by the chain rule: df/dz = q, df/dq = z, dq/dx = dq/dy = 1
print(f"f = {f.item()}, df/dx = {x.grad.item()}, df/dy = {y.grad.item()}, "
      f"df/dz = {z.grad.item()}")
assert (x.grad.item(), y.grad.item(), z.grad.item()) == (-4.0, -4.0, 3.0)

# -- a sigmoid neuron: f(w, x) = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))) -------------------------
w = torch.tensor([2.0, -3.0, -3.0], requires_grad=True)
xs = torch.tensor([-1.0, -2.0], requires_grad=True)
dot = w[0] * xs[0] + w[1] * xs[1] + w[2]
out = 1 / (1 + torch.exp(-dot))  # built from primitive gates
out.backward()
s = 1 / (1 + np.exp(-1.0))  # dot = 1, and the sigmoid gate's local gradient is s (1 - s)
local = s * (1 - s)
expected_w = [-1.0 * local, -2.0 * local, local]
expected_x = [2.0 * local, -3.0 * local]
print("sigmoid neuron:", round(out.item(), 4), "dw =", np.round(w.grad.numpy(), 2),
      "dx =", np.round(xs.grad.numpy(), 2))
assert np.allclose(w.grad.numpy(), expected_w, atol=1e-6)
assert np.allclose(xs.grad.numpy(), expected_x, atol=1e-6)

# -- gate patterns: add distributes, max routes, mul swaps -------------------------------------
a = torch.tensor(3.0, requires_grad=True)
b = torch.tensor(-1.0, requires_grad=True)
c = torch.tensor(2.0, requires_grad=True)
g = (a + b) * 2.0 + torch.maximum(a, c) + a * c
g.backward()
# add: both get the upstream 2; max: only a (the larger) gets 1; mul: a gets c, c gets a
print("add/max/mul gates:", a.grad.item(), b.grad.item(), c.grad.item())
assert (a.grad.item(), b.grad.item(), c.grad.item()) == (2.0 + 1.0 + 2.0, 2.0, 3.0)

# -- vectors: f = ||W x||^2 --------------------------------------------------------------------
W = torch.tensor([[0.1, 0.5], [-0.3, 0.8]], dtype=torch.float64, requires_grad=True)
xv = torch.tensor([0.2, 0.4], dtype=torch.float64, requires_grad=True)
qv = W @ xv  # [0.22, 0.26]
fv = (qv * qv).sum()  # 0.116
fv.backward()
qn = qv.detach().numpy()
print("q =", np.round(qn, 2), "f =", round(fv.item(), 3))
print("grad W = 2 q x^T =\n", W.grad.numpy())
print("grad x = 2 W^T q =", xv.grad.numpy())
assert np.isclose(fv.item(), 0.116)
assert np.allclose(W.grad.numpy(), 2 * np.outer(qn, [0.2, 0.4]))
assert np.allclose(xv.grad.numpy(), 2 * W.detach().numpy().T @ qn)


# -- the seed's modular gates ------------------------------------------------------------------
class MultiplyGate:
    """z = x * y; backward turns the upstream dz into (dx, dy)."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dz):
        return self.y * dz, self.x * dz


class AddGate:
    """z = x + y; the gradient is passed to both inputs unchanged."""

    def forward(self, x, y):
        return x + y

    def backward(self, dz):
        return dz, dz


class ComputationalGraph:
    """f = (x + y) * z as a list of gates, run forward then backward in reverse order."""

    def __init__(self):
        self.add, self.mul = AddGate(), MultiplyGate()

    def forward(self, x, y, z):
        return self.mul.forward(self.add.forward(x, y), z)

    def backward(self, df=1.0):
        dq, dz = self.mul.backward(df)
        dx, dy = self.add.backward(dq)
        return dx, dy, dz


graph = ComputationalGraph()
print("gates forward:", graph.forward(-2.0, 5.0, -4.0), "backward:", graph.backward())
assert graph.backward() == (-4.0, -4.0, 3.0)  # the same as topograd's autograd above
