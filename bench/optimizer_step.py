"""One optimizer step on the seed network's weights: topograd against plain NumPy.

The seed's network has a 784x512 kernel; RMSprop updates it with nine elementwise passes.
This times ``optimizer.step()`` of topograd's RMSprop on both faces (Keras face and
PyTorch face, one rule), which walk large parameters in cache-sized blocks, the same
Keras-face optimizer with the blocks turned off (whole arrays: what the blocks are
measured against), and the rule written in NumPy on whole arrays, interleaved in one
process (A B C D A B C D ...). It prints the median time per step, the ratio to NumPy
and the load average. Gradients stay fixed; only the update is timed.

    python bench/optimizer_step.py
    python bench/optimizer_step.py --rounds 30 --steps 50
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import topograd
from topograd import optim
from topograd.keras import optimizers as kopt

SHAPES = ((784, 512), (512,), (512, 10), (10,))
LR, RHO, EPS = 1e-3, 0.9, 1e-7


def _params(seed: int = 0):
    rng = np.random.default_rng(seed)
    params = []
    for shape in SHAPES:
        p = topograd.Parameter(topograd.from_numpy(rng.standard_normal(shape).astype(np.float32)))
        p.grad = topograd.from_numpy((rng.standard_normal(shape) * 1e-2).astype(np.float32))
        params.append(p)
    return params


def numpy_rmsprop():
    """The reference: the rule on whole arrays, in place, scratch allocated once."""
    params = [(p._data, p.grad._data) for p in _params()]
    v = [np.zeros_like(p) for p, _ in params]
    t = [np.empty_like(p) for p, _ in params]

    def step():
        for (p, g), vi, ti in zip(params, v, t):
            vi *= RHO
            np.multiply(g, g, out=ti)
            ti *= 1 - RHO
            vi += ti
            np.add(vi, EPS, out=ti)
            np.sqrt(ti, out=ti)
            np.divide(g, ti, out=ti)
            ti *= LR
            p -= ti
    return step


def keras_rmsprop():
    opt = kopt.RMSprop(learning_rate=LR, rho=RHO, epsilon=EPS)
    opt.build(_params())
    return opt.step


def keras_rmsprop_whole():
    """The Keras face's optimizer with the cache-sized blocks turned off."""
    whole = type("WholeRMSprop", (kopt.RMSprop,), {"_elementwise": False})
    opt = whole(learning_rate=LR, rho=RHO, epsilon=EPS)
    opt.build(_params())
    return opt.step


def torch_face_rmsprop():
    return optim.RMSprop(_params(), lr=LR, alpha=RHO, eps=EPS).step


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15, help="interleaved rounds")
    ap.add_argument("--steps", type=int, default=20, help="steps per round and contender")
    args = ap.parse_args(argv)
    contenders = {"numpy (whole arrays)": numpy_rmsprop(),
                  "topograd keras RMSprop": keras_rmsprop(),
                  "topograd optim.RMSprop": torch_face_rmsprop(),
                  "keras RMSprop, no blocks": keras_rmsprop_whole()}
    load_before = os.getloadavg()
    times = {name: [] for name in contenders}
    for step in contenders.values():
        step()  # state, scratch
    for _ in range(args.rounds):
        for name, step in contenders.items():
            t0 = time.perf_counter()
            for _ in range(args.steps):
                step()
            times[name].append((time.perf_counter() - t0) / args.steps)
    ref = float(np.median(times["numpy (whole arrays)"]))
    print(f"RMSprop step on {' + '.join(map(str, SHAPES))} float32 "
          f"({sum(int(np.prod(s)) for s in SHAPES):,} numbers), median of {args.rounds} rounds "
          f"of {args.steps} steps:")
    for name, ts in times.items():
        med = float(np.median(ts))
        print(f"  {name:<27}{med * 1e3:8.3f} ms   min {min(ts) * 1e3:7.3f} ms   "
              f"{med / ref:5.2f}x numpy")
    print("load average (1, 5, 15 min): before " + " ".join(f"{x:.2f}" for x in load_before)
          + ", after " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
