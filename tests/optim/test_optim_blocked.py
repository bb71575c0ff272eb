"""Large parameters are updated in cache-sized blocks: the same numbers as one whole update."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd import optim
from topograd.keras import optimizers as kopt
from topograd.optim.optimizer import BLOCK_BYTES, Optimizer

CASES = [
    (optim.SGD, {"lr": 0.1}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.01}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01}),
    (optim.RMSprop, {"lr": 0.01}),
    (optim.RMSprop, {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.01}),
    (optim.Adam, {"lr": 0.01, "amsgrad": True}),
    (optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}),
    (kopt.SGD, {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    (kopt.RMSprop, {}),
    (kopt.RMSprop, {"momentum": 0.5, "centered": True}),
    (kopt.Adagrad, {}),
    (kopt.Adam, {"amsgrad": True}),
    (kopt.AdamW, {}),
]


def _whole(cls):
    """The same optimizer with its update applied to whole arrays only."""
    return type("Whole" + cls.__name__, (cls,), {"_elementwise": False})


def _run(cls, opts, order, steps=4):
    rng = np.random.default_rng(0)
    # 3.5 blocks of float64 with a ragged end; a small one that is never split
    big = np.asarray(rng.standard_normal((7 * BLOCK_BYTES // 8 // 2 // 200 + 1, 200)),
                     order=order)
    params = [topograd.Parameter(topograd.from_numpy(big.copy(order="K"))),
              topograd.Parameter(topograd.from_numpy(rng.standard_normal(5)))]
    if issubclass(cls, kopt.Optimizer):
        opt = cls(**opts)
        opt.build(params)
    else:
        opt = cls(params, **opts)
    for k in range(steps):
        for p in params:
            g = np.asarray(np.sin(p._data * (k + 1)) + 0.1, order=order)
            p.grad = topograd.from_numpy(g)
        opt.step()
    return [p._data.copy() for p in params], opt


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("cls,opts", CASES, ids=lambda c: getattr(c, "__module__", "")[9:]
                         + "." + c.__name__ if isinstance(c, type) else "")
def test_blocks_equal_whole_update(cls, opts, order):
    got, opt = _run(cls, opts, order)
    want, ref = _run(_whole(cls), opts, order)
    assert got[0].size * got[0].itemsize > 2 * BLOCK_BYTES  # really took the blocked path
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(got[0], _run(cls, opts, order, steps=3)[0][0])
    for p in opt.state:  # step counters counted once per step, not once per block
        s, r = opt.state[p], ref.state[next(q for q in ref.state
                                             if q._data.shape == p._data.shape)]
        assert s.keys() == r.keys()
        if "step" in s:
            assert s["step"] == r["step"] == 4


def test_non_contiguous_gradient_falls_back_to_whole_update():
    p = topograd.Parameter(topograd.zeros(600, 300, dtype=topograd.float64))
    g = np.ones((300, 1200))[:, ::2].T  # a strided view, neither C nor F contiguous
    p.grad = topograd.from_numpy(g)
    opt = optim.RMSprop([p], lr=0.1)
    opt.step()
    np.testing.assert_allclose(p._data, -0.1 / (np.sqrt(0.01) + 1e-8))


def test_a_custom_optimizer_gets_whole_arrays():
    seen = []

    class Normalized(Optimizer):  # not elementwise: divides by the whole gradient's norm
        def __init__(self, params):
            super().__init__(params, {"lr": 1.0})

        def _update(self, p, g, state, group):
            seen.append(p.shape)
            p -= group["lr"] * g / np.linalg.norm(g)

    p = topograd.Parameter(topograd.ones(1000, 1000))
    p.grad = topograd.ones(1000, 1000)
    Normalized([p]).step()
    assert seen == [(1000, 1000)]
    np.testing.assert_allclose(p._data, 1 - 1e-3, rtol=1e-6)
