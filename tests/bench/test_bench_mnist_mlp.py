"""Smoke test: bench/mnist_mlp.py runs end to end on tiny sizes and prints its table.

No timing is asserted: the machine is shared and noisy. What is checked: the script exits
0, every implementation that can be imported produces a row (none FAILED), the table and
the targets name what they should, and the NumPy reference learns (a sanity check that
the hand-written math is right, on separable random data it cannot be wrong about).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "mnist_mlp.py"
TINY = ["--data", "random", "--n-train", "384", "--n-test", "100", "--repeats", "1",
        "--warmup-steps", "1", "--predict-repeats", "1"]


def _run(*args, tmp_path):
    out = tmp_path / "raw.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), *TINY, *args, "--json", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout, json.loads(out.read_text())


def test_runs_numpy_and_topograd_faces(tmp_path):
    stdout, raw = _run("--batch-sizes", "128,32", "--face", "both", "--skip-torch",
                       tmp_path=tmp_path)
    assert "random data" in stdout
    assert "batch 128 (3 steps/epoch)" in stdout and "batch 32 (12 steps/epoch)" in stdout
    assert "FAILED" not in stdout
    runs = raw["results"]
    assert {r["impl"] for r in runs} == {"numpy", "topograd", "topograd-torch"}
    assert not any("failed" in r for r in runs)
    for r in runs:
        if "skipped" in r:
            continue
        assert r["epoch_s"] > 0 and r["peak_mib"] >= 0
        assert np.isfinite(r["loss"]) and 0 <= r["acc"] <= 1
        # predict agrees with a NumPy forward pass using the model's own weights
        assert r["predict_maxdiff"] < 1e-4, r
    if any(r["impl"].startswith("topograd") and "epoch_s" in r for r in runs):
        assert "targets:" in stdout and "x numpy" in stdout


def test_matmul_floor_row_runs_without_loss_or_verdicts(tmp_path):
    stdout, raw = _run("--impls", "numpy,matmuls", "--batch-size", "128", tmp_path=tmp_path)
    runs = {r["impl"]: r for r in raw["results"]}
    assert set(runs) == {"numpy", "matmuls"}
    assert np.isnan(runs["matmuls"]["loss"]) and runs["matmuls"]["acc"] == 0
    assert "matmuls" in stdout and "targets:" not in stdout  # verdicts are for topograd


def test_partial_epoch_is_extrapolated(tmp_path):
    stdout, raw = _run("--impls", "numpy", "--batch-size", "64", "--steps", "2",
                       tmp_path=tmp_path)
    (r,) = raw["results"]
    assert (r["steps"], r["full_steps"]) == (2, 6)
    assert r["epoch_s"] == pytest.approx(r["measured_s"] * 3)
    assert "extrapolated from 2 steps" in stdout


@pytest.mark.slow  # a fresh process importing PyTorch: several seconds
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch not installed")
def test_torch_row(tmp_path):
    stdout, raw = _run("--impls", "torch", "--batch-size", "128", tmp_path=tmp_path)
    assert {r["impl"] for r in raw["results"]} == {"torch"}
    assert all("epoch_s" in r for r in raw["results"])
    assert "set_num_threads" in stdout


def test_numpy_reference_learns():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from _mlp_impls import NumpyMLP
    finally:
        sys.path.remove(str(ROOT / "bench"))
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 512)
    centers = rng.standard_normal((10, 784)).astype(np.float32)
    x = centers[labels] + 0.5 * rng.standard_normal((512, 784)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[labels]
    model = NumpyMLP(seed=0)
    first, _ = model.train_epoch(x, y, labels, 32, rng)
    for _ in range(3):
        loss, acc = model.train_epoch(x, y, labels, 32, rng)
    assert loss < first / 4 and acc > 0.95


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch not installed")
def test_numpy_reference_matches_torch_step():
    # the hand-written gradients and RMSprop step equal PyTorch's autograd + optim.RMSprop
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from _mlp_impls import NumpyMLP, TorchMLP
    finally:
        sys.path.remove(str(ROOT / "bench"))
    import torch

    rng = np.random.default_rng(1)
    x = rng.random((64, 784), dtype=np.float32)
    labels = rng.integers(0, 10, 64)
    y = np.eye(10, dtype=np.float32)[labels]
    ref, tm = NumpyMLP(seed=3), TorchMLP(seed=3, threads=1)
    for _ in range(3):
        loss, correct = ref._step(x, y)
        tm.opt.zero_grad()
        out = tm.model(torch.from_numpy(x))
        t_loss = tm.loss_fn(out, torch.from_numpy(labels))
        t_loss.backward()
        tm.opt.step()
        assert loss == pytest.approx(t_loss.item(), rel=1e-5)
        assert correct == int((out.argmax(1).numpy() == labels).sum())
    for a, b in zip(ref.weights(), tm.weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_optimizer_step_benchmark_runs_and_the_three_rules_agree():
    script = ROOT / "bench" / "optimizer_step.py"
    proc = subprocess.run([sys.executable, str(script), "--rounds", "1", "--steps", "1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "x numpy" in proc.stdout and "optim.RMSprop" in proc.stdout
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import optimizer_step as ob
    finally:
        sys.path.remove(str(ROOT / "bench"))
    # the NumPy reference and the Keras face run the same rule: the same numbers
    ref, keras_params = ob._params(), ob._params()
    opt = ob.kopt.RMSprop(learning_rate=ob.LR, rho=ob.RHO, epsilon=ob.EPS)
    opt.build(keras_params)
    v = [np.zeros_like(p._data) for p in ref]
    for _ in range(3):
        opt.step()
        for p, vi in zip(ref, v):
            g = p.grad._data
            vi *= ob.RHO
            vi += (1 - ob.RHO) * (g * g)
            p._data -= ob.LR * (g / np.sqrt(vi + ob.EPS))
    for a, b in zip(keras_params, ref):
        np.testing.assert_allclose(a._data, b._data, rtol=1e-6, atol=1e-7)
