"""Gradient descent and its improvements on f(x, y) = x^2 + 2 y^2, then on a small network.

Adapted from "全连接神经网络" (seed 001): first the momentum walk exactly as the tutorial
writes it (lr 0.1, momentum 0.9, from (1, 1): v = 0.9 v + g, w = w - 0.1 v), checked
against ``topograd.optim.SGD(momentum=0.9)``; then SGD, momentum, AdaGrad, RMSProp and
Adam compared on the same bowl, and on a two-layer network learning the spiral data.

    python examples/optimizers.py          # 100 steps on the bowl, 300 on the spiral
    python examples/optimizers.py 20       # a quick run
"""

import os
import sys

import numpy as np

import topograd as torch
from topograd import nn, optim
from topograd.data import make_spiral

# a step count on the command line, or a short run when TOPOGRAD_EXAMPLES_QUICK=1 (tests)
steps = int(sys.argv[1]) if len(sys.argv) > 1 else (
    20 if os.environ.get("TOPOGRAD_EXAMPLES_QUICK") else 100)


def f(p):
    return p[0] ** 2 + 2 * p[1] ** 2


# -- the tutorial's momentum walk, by hand ------
x, y, vx, vy = 1.0, 1.0, 0.0, 0.0
walk = [(x, y)]
for _ in range(steps):
    gx, gy = 2 * x, 4 * y  # the gradient of x^2 + 2 y^2
    vx, vy = 0.9 * vx + gx, 0.9 * vy + gy
    x, y = x - 0.1 * vx, y - 0.1 * vy
    walk.append((x, y))
print("momentum walk by hand, first steps:",
      ", ".join(f"({a:.3f}, {b:.3f})" for a, b in walk[:4]), "...")

# -- the same with topograd's SGD(momentum=0.9): PyTorch's rule is the tutorial's ------
p = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
opt = optim.SGD([p], lr=0.1, momentum=0.9)
for _ in range(steps):
    opt.zero_grad()
    f(p).backward()
    opt.step()
print(f"after {steps} steps: by hand ({x:.6f}, {y:.6f}), optim.SGD {np.round(p.tolist(), 6)}")
assert np.allclose(p.tolist(), [x, y], atol=1e-12)

# -- five optimizers on the bowl ------
candidates = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1),
    "Momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    "AdaGrad": lambda ps: optim.Adagrad(ps, lr=0.5),
    "RMSProp": lambda ps: optim.RMSprop(ps, lr=0.05),
    "Adam": lambda ps: optim.Adam(ps, lr=0.1),
}
print(f"\n{'optimizer':>10} {'f after ' + str(steps) + ' steps':>20} {'steps to f < 1e-3':>18}")
for name, make in candidates.items():
    p = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    opt = make([p])
    reached = None
    for t in range(steps):
        opt.zero_grad()
        loss = f(p)
        if reached is None and loss.item() < 1e-3:
            reached = t
        loss.backward()
        opt.step()
    print(f"{name:>10} {f(p).item():20.3e} {reached if reached is not None else '-':>18}")

# -- the same five on a small network: the spiral, 3 classes ------
X, labels = make_spiral(300, n_classes=3, seed=0)
X, labels = torch.from_numpy(X), torch.from_numpy(labels)
net_steps = 3 * steps
lrs = {"SGD": 0.5, "Momentum": 0.1, "AdaGrad": 0.1, "RMSProp": 0.01, "Adam": 0.01}
print(f"\n{'optimizer':>10} {'loss after ' + str(net_steps) + ' steps':>22} {'accuracy':>9}")
losses = {}
for name in candidates:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 3))
    opt = {"SGD": optim.SGD, "Momentum": optim.SGD, "AdaGrad": optim.Adagrad,
           "RMSProp": optim.RMSprop, "Adam": optim.Adam}[name](
        net.parameters(), lr=lrs[name], **({"momentum": 0.9} if name == "Momentum" else {}))
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(net_steps):
        opt.zero_grad()
        loss = loss_fn(net(X), labels)
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = (net(X).argmax(1) == labels).float().mean().item()
    losses[name] = loss.item()
    print(f"{name:>10} {loss.item():22.4f} {acc:9.3f}")
assert all(np.isfinite(v) for v in losses.values())
