"""Per-operation overhead: a chain of small elementwise ops, forward and backward.

Builds ``y = tanh(y * a + b)`` over and over on a small vector (three recorded ops per
step), sums it, and runs backward. With tiny tensors the arithmetic costs almost nothing,
so the time per op is the framework's own bookkeeping: making the output tensor,
recording the node, and walking the graph back. The same chain runs in PyTorch (CPU)
in the same process when it is installed, and the ratio is printed.

Usage::

    python bench/overhead.py                   # 3000 ops, 7 repeats, size 16
    python bench/overhead.py --ops 20000 --repeats 9 --size 64

Repeats alternate between the libraries and each starts after ``gc.collect()``; the
table shows the median over repeats (and the minimum) in microseconds per op. The garbage
collector stays on during timing, as it is for users, so allocations that the collector
must track show up in the numbers. A longer chain keeps more nodes alive, and the
collector's full passes then cost more per op: compare ``--ops 3000`` with ``--ops 30000``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time

import numpy as np


def _chain(lib, n_steps: int, size: int):
    """The timed chain, written once: ``lib`` is torch, or topograd used as torch."""
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal(size).astype(np.float32), requires_grad=True)
    a = lib.tensor(rng.uniform(0.5, 1.0, size).astype(np.float32), requires_grad=True)
    b = lib.tensor(rng.uniform(-0.1, 0.1, size).astype(np.float32), requires_grad=True)

    def run():
        t0 = time.perf_counter()
        y = x
        for _ in range(n_steps):
            y = (y * a + b).tanh()
        loss = y.sum()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        x.grad = a.grad = b.grad = None
        return t1 - t0, t2 - t1

    return run


def _chain_topograd(n_steps: int, size: int):
    import topograd

    return _chain(topograd, n_steps, size)


def _chain_torch(n_steps: int, size: int):
    import torch

    torch.set_num_threads(1)
    return _chain(torch, n_steps, size)


def measure(runs: dict, n_ops: int, repeats: int) -> dict:
    """Time each ``run`` ``repeats`` times, interleaved, after one warm-up each.

    Interleaving (topograd, torch, topograd, torch, ...) gives both the same machine
    load, so the ratio holds up on a busy machine even when the absolute times move.

    Returns:
        ``{name: {"forward": (median, min), "backward": ..., "total": ...}}`` in us/op.
    """
    for run in runs.values():
        run()  # warm-up: imports, caches, first allocations
    times = {name: ([], [], []) for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            gc.collect()
            f, b = run()
            fwd, bwd, tot = times[name]
            fwd.append(f * 1e6 / n_ops)
            bwd.append(b * 1e6 / n_ops)
            tot.append((f + b) * 1e6 / n_ops)
    return {
        name: {k: (statistics.median(v), min(v))
               for k, v in zip(("forward", "backward", "total"), lists)}
        for name, lists in times.items()
    }


def main(argv=None) -> int:
    """Run the benchmark and print a table of microseconds per op and the ratio."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ops", type=int, default=3000, help="recorded ops in the chain (~3 per step)")
    p.add_argument("--repeats", type=int, default=7, help="timed repeats (median reported)")
    p.add_argument("--size", type=int, default=16, help="elements in each tensor")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    args = p.parse_args(argv)

    n_steps = max(1, args.ops // 3)
    n_ops = 3 * n_steps + 1  # mul, add, tanh per step, plus the final sum
    runs = {"topograd": _chain_topograd(n_steps, args.size)}
    if not args.no_torch:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("(PyTorch is not installed: topograd only)")
        else:
            runs["torch"] = _chain_torch(n_steps, args.size)
    results = measure(runs, n_ops, args.repeats)

    print(f"chain of {n_ops} ops on float32 vectors of {args.size}; {args.repeats} repeats; "
          f"us/op, median (min)")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}"
          + (f", torch {__import__('torch').__version__}" if "torch" in results else ""))
    print(f"{'':<10}{'forward':>18}{'backward':>18}{'total':>18}")
    for name, r in results.items():
        cells = "".join(f"{r[k][0]:>10.2f} ({r[k][1]:5.2f})"
                        for k in ("forward", "backward", "total"))
        print(f"{name:<10}{cells}")
    if "torch" in results:
        tg, th = results["topograd"], results["torch"]
        ratios = "".join(f"{tg[k][0] / th[k][0]:>18.2f}" for k in ("forward", "backward", "total"))
        print(f"{'ratio':<10}{ratios}   (topograd / torch; below 1 means topograd is faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
