"""One epoch of the seed's MNIST network in topograd, hand-written NumPy and PyTorch.

The network is the one from the seed: 784 -> Dense(512, relu) -> Dense(10, softmax),
categorical cross-entropy, RMSprop(lr=0.001, rho=0.9, eps=1e-7), batch 128, float32.
Each implementation trains it for one epoch on 60000x784 float32 images (real MNIST when
``$TOPOGRAD_DATA`` has it, else uniform random data of that shape; the output says which),
then predicts the 10,000 test images. The implementations (see ``bench/_mlp_impls.py``):

* ``numpy``: no framework: forward, fused softmax-CE gradient, backward, in-place RMSprop.
* ``topograd``: the Keras face, the seed's code (``Sequential``, ``compile``, ``fit``).
* ``topograd-torch``: the PyTorch face (``nn.Sequential``, ``CrossEntropyLoss``,
  ``optim.RMSprop``), with ``--face torch`` or ``--face both``.
* ``torch``: PyTorch eager, the same loop, when PyTorch is installed.
* ``matmuls`` (only when asked for in ``--impls``): not a training step, only the batch's
  fancy index and the five matrix products of a step: the floor under any implementation
  that calls this BLAS.

All do the same work per epoch: one permutation, a fancy-index per batch, the loss and
the correct count accumulated per batch. Each measurement runs in its own subprocess, and
repeats are interleaved (A B C A B C ...) so that the machine's noise falls on all alike.

What is measured:

* s/epoch: wall time of one training epoch (after ``--warmup-steps`` steps that are not
  timed), the median over ``--repeats``. With ``--steps`` or ``--epochs-fraction`` the
  time of the partial epoch is scaled to a full one (marked "extrapolated").
* peak MiB: the process's peak resident set size during warm-up and the epoch, minus its
  resident size at the baseline, taken after imports and data loading, before the model
  is built (see ``bench/_procinfo.py``). The same definition for every implementation.
* predict: ``model.predict`` on the test images with the training batch size, against a
  NumPy forward pass with the same weights in the same process (median of
  ``--predict-repeats``, interleaved).

Threads: NumPy's BLAS keeps its default thread count; PyTorch gets
``torch.set_num_threads(--threads)`` (default: the machine's cores). Both are printed.
``--blas-threads N`` sets the BLAS libraries' thread count (``OPENBLAS_NUM_THREADS``,
``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``) in every worker and, unless ``--threads`` is
given, PyTorch's too: on a busy machine, one thread each makes the comparison far less
noisy than threads that wait for one another.

Usage::

    python bench/mnist_mlp.py                              # batch 128, 3 repeats
    python bench/mnist_mlp.py --batch-sizes 128,32 --face both --repeats 5
    python bench/mnist_mlp.py --steps 50 --skip-torch      # a quick look
    python bench/mnist_mlp.py --profile /tmp/prof --impls topograd --repeats 1
    # an older topograd against the working tree, interleaved in the same run:
    git worktree add /tmp/tg-old REV
    python bench/mnist_mlp.py --face both --batch-sizes 128,32 --baseline-src /tmp/tg-old/src

With ``--baseline-src DIR`` every topograd row is also run from the source tree ``DIR``
(``X@base``, on ``PYTHONPATH``) and the report ends with the ratio of each to its baseline.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import math
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _mlp_impls import make, numpy_forward  # noqa: E402
from _procinfo import PeakMemory, blas_info  # noqa: E402

RESULT_TAG = "@@RESULT "
IMPL_ORDER = ("numpy", "matmuls", "topograd", "topograd-torch", "torch")
FACE_IMPLS = {"keras": ("topograd",), "torch": ("topograd-torch",),
              "both": ("topograd", "topograd-torch")}
# (what, batch size or None for any, limit, compared with)
TARGETS = (
    ("epoch time", 128, 1.15, "numpy"),
    ("epoch time", 32, 1.30, "numpy"),
    ("epoch time", 128, 0.75, "torch"),
    ("peak memory", None, 1.30, "numpy"),
    ("predict 10k", None, 1.10, "numpy forward"),
)


# -- data ------------------------------------------------------------------------------
def _read_idx_gz(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find_mnist() -> Path | None:
    """The folder under ``$TOPOGRAD_DATA`` that holds the four MNIST files, or None."""
    home = os.environ.get("TOPOGRAD_DATA")
    if not home:
        return None
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    for folder in (Path(home) / "mnist", Path(home)):
        if all((folder / f"{n}.gz").is_file() or (folder / n).is_file() for n in names):
            return folder
    return None


def _mnist_file(folder: Path, name: str) -> Path:
    gz = folder / f"{name}.gz"
    return gz if gz.is_file() else folder / name


def prepare_data(kind: str, n_train: int, n_test: int, seed: int, out: Path) -> str:
    """Write x_train, y_onehot, labels, x_test (float32 / int64) as .npy files in ``out``.

    Returns:
        A description of the data for the report.
    """
    if kind == "mnist":
        folder = find_mnist()
        if folder is None:
            raise SystemExit("--data mnist: MNIST not found; set TOPOGRAD_DATA to a folder "
                             "holding mnist/train-images-idx3-ubyte.gz and the other three")
        x = _read_idx_gz(_mnist_file(folder, "train-images-idx3-ubyte"))[:n_train]
        labels = _read_idx_gz(_mnist_file(folder, "train-labels-idx1-ubyte"))[:n_train]
        x_test = _read_idx_gz(_mnist_file(folder, "t10k-images-idx3-ubyte"))[:n_test]
        x = x.reshape(len(x), -1).astype(np.float32) / np.float32(255)
        x_test = x_test.reshape(len(x_test), -1).astype(np.float32) / np.float32(255)
        what = f"real MNIST from {folder}"
    else:
        rng = np.random.default_rng(seed)
        x = rng.random((n_train, 784), dtype=np.float32)
        labels = rng.integers(0, 10, n_train)
        x_test = rng.random((n_test, 784), dtype=np.float32)
        what = "random data (uniform [0, 1) images, uniform labels)"
    labels = labels.astype(np.int64)
    y_onehot = np.eye(10, dtype=np.float32)[labels]
    for name, arr in (("x_train", x), ("y_onehot", y_onehot), ("labels", labels),
                      ("x_test", x_test)):
        np.save(out / f"{name}.npy", np.ascontiguousarray(arr))
    return f"{what}: train {x.shape[0]}x{x.shape[1]} float32, test {x_test.shape[0]}x784"


# -- one measurement, in its own process -------------------------------------------------
def _preimport(impl: str) -> None:
    """Import what ``impl`` needs before the memory baseline."""
    if impl == "torch":
        import torch  # noqa: F401
    elif impl == "topograd":
        from topograd.keras import layers, models  # noqa: F401
    elif impl == "topograd-torch":
        from topograd import nn, optim  # noqa: F401

        nn.Linear, nn.ReLU, nn.Sequential, nn.CrossEntropyLoss, optim.RMSprop  # noqa: B018


def _median_interleaved(fns, repeats: int) -> list[float]:
    times = [[] for _ in fns]
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def worker(args) -> dict:
    """Train one epoch with ``args.worker`` and return the measurements."""
    impl, bs = args.worker, args.batch_size
    res = {"impl": impl, "batch_size": bs}
    try:
        _preimport(impl)
    except (ImportError, AttributeError) as err:
        res["skipped"] = f"{type(err).__name__}: {err}"
        return res
    data = Path(args.data_dir)
    x, y, labels, x_test = (np.load(data / f"{n}.npy")
                            for n in ("x_train", "y_onehot", "labels", "x_test"))
    n_full = len(x)
    n_used = n_full
    if args.steps is not None:
        n_used = min(n_full, args.steps * bs)
    elif args.epochs_fraction is not None:
        n_used = max(bs, int(n_full * args.epochs_fraction))
    steps, full_steps = math.ceil(n_used / bs), math.ceil(n_full / bs)
    x_used, y_used, labels_used = x[:n_used], y[:n_used], labels[:n_used]
    gc.collect()

    mem = PeakMemory()
    model = make(impl, args.seed, args.threads)
    rng = np.random.default_rng(args.seed)
    if args.warmup_steps > 0:
        w = min(n_used, args.warmup_steps * bs)
        model.train_epoch(x[:w], y[:w], labels[:w], bs, rng)
    gc.collect()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0, c0 = time.perf_counter(), time.process_time()
    loss, acc = model.train_epoch(x_used, y_used, labels_used, bs, rng)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    if profiler is not None:
        profiler.disable()
        out = Path(args.profile)
        out.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(out / f"{impl}-bs{bs}.prof")
    res.update(epoch_s=elapsed * full_steps / steps, measured_s=elapsed,
               cpu_s=cpu * full_steps / steps, steps=steps,
               full_steps=full_steps, peak_mib=mem.peak_mib(), mem_method=mem.method,
               loss=loss, acc=acc)

    weights = model.weights()
    pbs = args.predict_batch_size or bs
    pred = model.predict(x_test, pbs)
    ref = numpy_forward(weights, x_test, pbs)
    res["predict_maxdiff"] = float(np.abs(pred - ref).max())
    res["predict_s"], res["predict_ref_s"] = _median_interleaved(
        [lambda: model.predict(x_test, pbs), lambda: numpy_forward(weights, x_test, pbs)],
        args.predict_repeats)
    res["blas"] = blas_info()
    if impl == "torch":
        import torch

        res["torch_threads"] = torch.get_num_threads()
        res["torch_version"] = torch.__version__
    return res


# -- the driver ------------------------------------------------------------------------
def _run_worker(impl: str, bs: int, args, data_dir: str) -> dict:
    real = impl.removesuffix("@base")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", real,
           "--batch-size", str(bs), "--data-dir", data_dir, "--seed", str(args.seed),
           "--threads", str(args.threads), "--warmup-steps", str(args.warmup_steps),
           "--predict-repeats", str(args.predict_repeats)]
    if args.steps is not None:
        cmd += ["--steps", str(args.steps)]
    if args.epochs_fraction is not None:
        cmd += ["--epochs-fraction", str(args.epochs_fraction)]
    if args.predict_batch_size:
        cmd += ["--predict-batch-size", str(args.predict_batch_size)]
    if args.profile:
        cmd += ["--profile", args.profile]
    env = dict(os.environ)
    if args.blas_threads is not None:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(args.blas_threads)
    if real != impl:  # the baseline's source tree comes first on the path
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (args.baseline_src, env.get("PYTHONPATH")) if p)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            return dict(json.loads(line[len(RESULT_TAG):]), impl=impl)
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
    return {"impl": impl, "batch_size": bs,
            "failed": f"exit {proc.returncode}:\n      " + "\n      ".join(tail)}


def _loadavg() -> str:
    try:
        return "/".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def _fmt_ratio(a, b) -> str:
    return "-" if a is None or b is None else f"{a / b:.2f}x"


def _median_of(runs, key):
    vals = [r[key] for r in runs if key in r]
    return statistics.median(vals) if vals else None


def _report(results: dict, impls, batch_sizes, args) -> list[str]:
    lines = []
    verdicts = []
    for bs in batch_sizes:
        rows = {impl: results[(bs, impl)] for impl in impls}
        ok = {impl: [r for r in runs if "epoch_s" in r] for impl, runs in rows.items()}
        med = {impl: {k: _median_of(runs, k) for k in
                      ("epoch_s", "cpu_s", "peak_mib", "predict_s", "predict_ref_s", "loss", "acc",
                       "predict_maxdiff")} for impl, runs in ok.items()}
        any_run = next((r for runs in ok.values() for r in runs), None)
        steps = f"{any_run['full_steps']} steps/epoch" if any_run else ""
        extra = ""
        if any_run and any_run["steps"] != any_run["full_steps"]:
            extra = f", extrapolated from {any_run['steps']} steps"
        lines.append("")
        lines.append(f"batch {bs} ({steps}{extra}), median of {args.repeats} "
                     f"repeat{'s' if args.repeats != 1 else ''}:")
        lines.append(f"  {'impl':<20}{'s/epoch':>8}  {'min-max':>11}{'cpu s':>7}{'peak MiB':>10}"
                     f"{'xNumPy':>8}{'xtorch':>8}{'predict s':>11}{'xNumPy fwd':>11}"
                     f"{'loss':>8}{'acc':>7}")
        base = med.get("numpy", {}).get("epoch_s")
        tref = med.get("torch", {}).get("epoch_s")
        for impl in impls:
            runs = rows[impl]
            if not ok[impl]:
                why = runs[0].get("skipped") or runs[0].get("failed") or "no result"
                state = "skipped" if "skipped" in runs[0] else "FAILED"
                lines.append(f"  {impl:<20}{state}: {why}")
                continue
            m = med[impl]
            times = [r["epoch_s"] for r in ok[impl]]
            lines.append(
                f"  {impl:<20}{m['epoch_s']:>8.3f}  {min(times):>5.2f}-{max(times):<5.2f}"
                f"{m['cpu_s']:>7.2f}{m['peak_mib']:>10.1f}{_fmt_ratio(m['epoch_s'], base):>8}"
                f"{_fmt_ratio(m['epoch_s'], tref):>8}{m['predict_s']:>11.4f}"
                f"{_fmt_ratio(m['predict_s'], m['predict_ref_s']):>11}"
                f"{m['loss']:>8.4f}{m['acc']:>7.4f}")
            failed = [r for r in runs if "failed" in r]
            if failed:
                lines.append(f"  {'':<20}{len(failed)} run(s) FAILED: {failed[0]['failed']}")
        for impl in impls:
            if not impl.startswith("topograd") or not ok[impl]:
                continue
            m = med[impl]
            for what, t_bs, limit, other in TARGETS:
                if t_bs is not None and t_bs != bs:
                    continue
                if what == "epoch time":
                    ref = med.get(other, {}).get("epoch_s")
                    value = m["epoch_s"]
                elif what == "peak memory":
                    ref = med.get("numpy", {}).get("peak_mib")
                    value = m["peak_mib"]
                else:
                    ref, value = m["predict_ref_s"], m["predict_s"]
                if ref is None:
                    verdicts.append(f"  [n/a ] {impl}, batch {bs}: {what} vs {other}: "
                                    f"{other} not measured")
                    continue
                ratio = value / ref if ref > 0 else float("inf")
                cmp = "<" if other == "torch" else "<="
                ok_ = ratio < limit if cmp == "<" else ratio <= limit
                verdicts.append(f"  [{'PASS' if ok_ else 'MISS'}] {impl}, batch {bs}: {what} "
                                f"{ratio:.2f}x {other} (target {cmp} {limit:.2f}x)")
    if verdicts:
        lines.append("")
        lines.append("targets:")
        lines.extend(verdicts)
    based = [i for i in impls if i.endswith("@base")]
    if based:
        lines.append("")
        lines.append(f"against the baseline ({args.baseline_src}), new / base, medians:")
        for bs in batch_sizes:
            for b in based:
                new = [r for r in results[(bs, b.removesuffix("@base"))] if "epoch_s" in r]
                old = [r for r in results[(bs, b)] if "epoch_s" in r]
                if new and old:
                    ratio = {k: _median_of(new, k) / _median_of(old, k)
                             for k in ("epoch_s", "predict_s", "peak_mib")}
                    lines.append(f"  batch {bs:>4} {b.removesuffix('@base'):<15} epoch "
                                 f"{ratio['epoch_s']:.2f}x, predict {ratio['predict_s']:.2f}x, "
                                 f"peak memory {ratio['peak_mib']:.2f}x")
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch-size", type=int, default=None,
                   help="one batch size (default 128); --batch-sizes for several")
    p.add_argument("--batch-sizes", default=None, help="comma-separated, e.g. 128,32")
    p.add_argument("--impls", default="numpy,topograd,torch",
                   help="comma-separated subset of numpy,matmuls,topograd,torch "
                        "(topograd expands per --face)")
    p.add_argument("--face", choices=("keras", "torch", "both"), default="keras",
                   help="which topograd face(s) to time")
    p.add_argument("--skip-torch", action="store_true", help="do not run PyTorch")
    p.add_argument("--data", choices=("mnist", "random"), default=None,
                   help="default: MNIST when $TOPOGRAD_DATA has it, else random")
    p.add_argument("--steps", type=int, default=None, help="time only this many batches")
    p.add_argument("--epochs-fraction", type=float, default=None,
                   help="time only this fraction of an epoch")
    p.add_argument("--n-train", type=int, default=60000, help="training images (tiny runs)")
    p.add_argument("--n-test", type=int, default=10000, help="test images to predict")
    p.add_argument("--repeats", type=int, default=3, help="runs per implementation (median)")
    p.add_argument("--warmup-steps", type=int, default=2, help="untimed steps before the epoch")
    p.add_argument("--predict-repeats", type=int, default=5)
    p.add_argument("--predict-batch-size", type=int, default=None,
                   help="default: the training batch size")
    p.add_argument("--threads", type=int, default=None,
                   help="torch.set_num_threads (default: --blas-threads, else the cores)")
    p.add_argument("--blas-threads", type=int, default=None,
                   help="BLAS threads in every worker (default: the library's default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--baseline-src", default=None, metavar="DIR",
                   help="also run every topograd row from this source tree (X@base)")
    p.add_argument("--profile", default=None, metavar="DIR",
                   help="cProfile each timed epoch into DIR/<impl>-bs<batch>.prof "
                        "(timings then include the profiler's overhead)")
    p.add_argument("--json", default=None, metavar="PATH", help="also write raw results")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--data-dir", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.threads is None:
        args.threads = args.blas_threads or os.cpu_count() or 1
    if args.worker:
        res = worker(args)
        print(RESULT_TAG + json.dumps(res), flush=True)
        return 0

    if args.batch_sizes:
        batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
    else:
        batch_sizes = [args.batch_size or 128]
    impls = []
    for name in (s.strip() for s in args.impls.split(",") if s.strip()):
        if name == "topograd":
            impls.extend(FACE_IMPLS[args.face])
        elif name in IMPL_ORDER:
            impls.append(name)
        else:
            p.error(f"--impls: unknown implementation {name!r}")
    if args.skip_torch:
        impls = [i for i in impls if i != "torch"]
    impls = [i for i in IMPL_ORDER if i in impls]
    if args.baseline_src:
        if not (Path(args.baseline_src) / "topograd" / "__init__.py").is_file():
            p.error(f"--baseline-src: expected a source tree holding topograd/, found "
                    f"{args.baseline_src!r}")
        impls = [j for i in impls for j in ((i, i + "@base") if i.startswith("topograd")
                                            else (i,))]
    kind = args.data or ("mnist" if find_mnist() is not None else "random")

    # SIGTERM unwinds like Ctrl-C, so the temporary data folder is removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    out = ["$ " + shlex.join(["python", *sys.argv])]
    with tempfile.TemporaryDirectory(prefix="topograd-bench-") as data_dir:
        what = prepare_data(kind, args.n_train, args.n_test, args.seed, Path(data_dir))
        out.append(f"data: {what}")
        out.append(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
                   f"{platform.python_version()}, NumPy {np.__version__}; load average "
                   f"at start {_loadavg()}")
        print("\n".join(out), flush=True)
        results = {(bs, impl): [] for bs in batch_sizes for impl in impls}
        skipped = {}  # an implementation that cannot be imported is tried once
        for r in range(args.repeats):
            for bs in batch_sizes:
                for impl in impls:
                    if impl in skipped:
                        results[(bs, impl)].append(skipped[impl])
                        continue
                    res = _run_worker(impl, bs, args, data_dir)
                    results[(bs, impl)].append(res)
                    state = (f"{res['epoch_s']:.3f} s/epoch, {res['peak_mib']:.1f} MiB"
                             if "epoch_s" in res else
                             "skipped" if "skipped" in res else "FAILED")
                    print(f"  repeat {r + 1}/{args.repeats} batch {bs:>4} {impl:<20}{state}",
                          file=sys.stderr, flush=True)
                    if "skipped" in res:
                        skipped[impl] = res

    lines = [f"load average at end {_loadavg()} (other work on the machine inflates times)"]
    done = [r for runs in results.values() for r in runs if "epoch_s" in r]
    blas = next((r["blas"] for r in done if "blas" in r), "?")
    torch_run = next((r for r in done if r["impl"] == "torch"), None)
    how = "default" if args.blas_threads is None else f"--blas-threads {args.blas_threads}"
    lines.append(f"threads: NumPy BLAS {blas} ({how}); torch "
                 + (f"{torch_run['torch_version']}, set_num_threads({torch_run['torch_threads']})"
                    if torch_run else "not run"))
    if done:
        lines.append(f"peak memory: {done[0]['mem_method']}; the baseline is taken after "
                     "imports and data loading, before the model is built")
    lines.append(f"warm-up: {args.warmup_steps} untimed steps; predict: "
                 f"{args.n_test} images, batch {args.predict_batch_size or 'as training'}, "
                 f"median of {args.predict_repeats}")
    lines += _report(results, impls, batch_sizes, args)
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"command": sys.argv, "data": what, "results": [r for runs in results.values()
                                                            for r in runs]}, indent=1))
    failed = any("failed" in r for runs in results.values() for r in runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
