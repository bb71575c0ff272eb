"""Every script in examples/ runs as it stands (short settings via TOPOGRAD_EXAMPLES_QUICK)."""

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
}


def test_examples_exist():
    assert set(EXPECT) <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs(script, tmp_path):
    if script == "save_load_export.py":
        pytest.importorskip("onnxruntime")
    env = dict(os.environ, TOPOGRAD_EXAMPLES_QUICK="1", MPLBACKEND="Agg",
               PYTHONWARNINGS="error::RuntimeWarning")
    proc = subprocess.run([sys.executable, str(EXAMPLES / script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    for text in EXPECT.get(script, []):
        assert text in proc.stdout, f"{script} did not print {text!r}:\n{proc.stdout[-2000:]}"
