"""Train a small network, save it, load it back, resume training, export it to ONNX.

Weights go to safetensors files (no pickle: loading never runs code from the file), every
save is atomic (a temporary file renamed into place), and ``topograd.onnx.export`` writes
a file onnxruntime runs with the same results.

    python examples/save_load_export.py
"""

import os
import sys
import tempfile

import numpy as np

import topograd
from topograd import nn, optim
from topograd.data import make_spiral

quick = bool(os.environ.get("TOPOGRAD_EXAMPLES_QUICK"))
steps = 60 if quick else 300
folder = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()

topograd.manual_seed(0)
X, y = make_spiral(300, n_classes=3, seed=0)
X, y = topograd.from_numpy(X), topograd.from_numpy(y)


def make_net():
    return nn.Sequential(nn.Linear(2, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.1),
                         nn.Linear(64, 3))


def train(net, opt, n):
    loss_fn = nn.CrossEntropyLoss()
    net.train()
    for _ in range(n):
        opt.zero_grad()
        loss = loss_fn(net(X), y)
        loss.backward()
        opt.step()
    return loss.item()


net = make_net()
opt = optim.Adam(net.parameters(), lr=0.01)
print("loss after training:", round(train(net, opt, steps), 4))

# -- the PyTorch-style face: a state dict, loaded into a fresh network --------------------
weights = os.path.join(folder, "spiral.safetensors")
topograd.save(net.state_dict(), weights)
net2 = make_net()
net2.load_state_dict(topograd.load(weights))
net.eval()
net2.eval()
with topograd.no_grad():
    out, out2 = net(X).numpy(), net2(X).numpy()
assert np.array_equal(out, out2)
print(f"reloaded from {os.path.basename(weights)}: same outputs; accuracy "
      f"{(out2.argmax(1) == y.numpy()).mean():.4f}")

# -- a checkpoint with the optimizer's state and the random state (Dropout draws from it):
# resuming continues exactly
ckpt = os.path.join(folder, "checkpoint.safetensors")
topograd.save({"model": net.state_dict(), "optimizer": opt.state_dict(), "step": steps,
               "rng": topograd.get_rng_state()}, ckpt)
ahead = train(net, opt, 10)
ck = topograd.load(ckpt)
net3 = make_net()
opt3 = optim.Adam(net3.parameters(), lr=0.5)  # the saved lr replaces this one
net3.load_state_dict(ck["model"])
opt3.load_state_dict(ck["optimizer"])
topograd.set_rng_state(ck["rng"])
assert train(net3, opt3, 10) == ahead
print(f"resumed from step {ck['step']}: the same loss 10 steps later ({ahead:.6f})")

# -- ONNX -------------------------------------------------------------------------------------
try:
    import onnxruntime as ort

    from topograd.onnx import export
except ImportError:
    print("onnxruntime not installed: pip install 'topograd[onnx]' to try the export")
    sys.exit(0)
path = os.path.join(folder, "spiral.onnx")
export(net, X[:1], path)
sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
got = sess.run(None, {"input": X.numpy()})[0]
net.eval()
with topograd.no_grad():
    want = net(X).numpy()
print(f"onnxruntime on {os.path.basename(path)}: largest difference "
      f"{np.abs(got - want).max():.2e}")
assert np.allclose(got, want, atol=1e-5)
