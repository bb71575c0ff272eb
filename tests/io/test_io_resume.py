"""Optimizer state saved with the weights: a resumed run continues exactly where it stopped."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd import nn, optim

pytest.importorskip("safetensors")


def setup(seed=0):
    topograd.manual_seed(seed)
    net = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3),
                        nn.Linear(16, 3))
    return net


def run(net, opt, x, y, steps):
    loss_fn = nn.CrossEntropyLoss()
    net.train()
    for _ in range(steps):
        idx = topograd.randperm(len(y))[:16].numpy()  # draws from the global generator
        opt.zero_grad()
        loss = loss_fn(net(topograd.tensor(x[idx])), topograd.tensor(y[idx]))
        loss.backward()
        opt.step()
    return loss.item()


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.Adam(p, lr=0.01),
    lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    lambda p: optim.RMSprop(p, lr=0.01, centered=True),
    lambda p: optim.Adagrad(p, lr=0.05),
])
def test_resume_is_exact(tmp_path, make_opt):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=64)

    net = setup()
    opt = make_opt(net.parameters())
    run(net, opt, x, y, 5)
    path = tmp_path / "ck.safetensors"
    topograd.save({"model": net.state_dict(), "optimizer": opt.state_dict(), "step": 5,
                   "rng": topograd.get_rng_state()}, path)
    final = run(net, opt, x, y, 5)  # the uninterrupted run
    want = {k: v.numpy().copy() for k, v in net.state_dict().items()}

    net2 = setup(seed=123)  # a fresh start: other weights, other random stream
    opt2 = make_opt(net2.parameters())
    ck = topograd.load(path)
    net2.load_state_dict(ck["model"])
    opt2.load_state_dict(ck["optimizer"])
    topograd.set_rng_state(ck["rng"])
    assert ck["step"] == 5
    final2 = run(net2, opt2, x, y, 5)
    assert final2 == final
    for k, v in net2.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), want[k], err_msg=k)
