"""Every script in examples/ runs as it stands, on short settings.

Scripts that know ``TOPOGRAD_EXAMPLES_QUICK=1`` shorten themselves. The others run
unchanged through a harness that caps every ``fit`` (both faces share
``topograd.train.Trainer.fit``) at one epoch on at most 2,048 samples, so a full-MNIST
script is checked end to end in seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))

# what each script must print: proof it got to the end and computed the right thing
EXPECT = {
    "pytorch_basics.py": ["mat1 and mat2 shapes cannot be multiplied (4x10 and 8x5)",
                          "topograd.Size([4, 8])", "d relu/dz"],
    "gates.py": ["df/dx = -4.0", "f = 0.116", "backward: (-4.0, -4.0, 3.0)"],
    "two_layer_net.py": ["after 30 steps: by hand"],
    "optimizers.py": ["optim.SGD", "RMSProp", "Adam", "accuracy"],
    "save_load_export.py": ["same outputs", "onnxruntime"],
    "mnist_keras.py": ["digit 4 drawn in mnist_digit.png", "test_acc:"],
}

HARNESS = """
import inspect, runpy, sys
import numpy as np
from topograd.train.loop import Trainer

_fit = Trainer.fit
_sig = inspect.signature(_fit)

def quick_fit(self, *args, **kwargs):
    bound = _sig.bind(self, *args, **kwargs)
    a = bound.arguments
    for key in ("x", "y"):
        if isinstance(a.get(key), np.ndarray):
            a[key] = a[key][:2048]
    start = a.get("initial_epoch", 0)
    a["epochs"] = min(a.get("epochs", 1), start + 1)
    return _fit(*bound.args, **bound.kwargs)

Trainer.fit = quick_fit
sys.argv = [sys.argv[1]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_examples_exist():
    assert set(EXPECT) - {"mnist_keras.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs(script, tmp_path, request):
    path = EXAMPLES / script
    if script == "save_load_export.py":
        pytest.importorskip("onnxruntime")
    env = dict(os.environ, TOPOGRAD_EXAMPLES_QUICK="1", MPLBACKEND="Agg",
               PYTHONWARNINGS="error::RuntimeWarning")
    if "mnist" in path.read_text(encoding="utf-8").lower():
        env["TOPOGRAD_DATA"] = str(request.getfixturevalue("mnist_home"))
    if "TOPOGRAD_EXAMPLES_QUICK" in path.read_text(encoding="utf-8"):
        cmd = [sys.executable, str(path)]
    else:
        cmd = [sys.executable, "-c", HARNESS, str(path)]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    for text in EXPECT.get(script, []):
        assert text in proc.stdout, f"{script} did not print {text!r}:\n{proc.stdout[-2000:]}"
