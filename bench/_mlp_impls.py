"""The four implementations that ``mnist_mlp.py`` times: the same network, the same work.

Network: 784 -> Dense(512, relu) -> Dense(10, softmax), categorical cross-entropy,
RMSprop(lr=0.001, rho=0.9, eps=1e-7), float32, Glorot-uniform kernels and zero biases.
Every implementation does, per epoch: one permutation of the training set, then per batch
a fancy-index of the images and of the labels, forward, loss, backward, one RMSprop step,
and the batch's loss and correct-prediction count accumulated for the epoch's metrics.

Each class has ``train_epoch(x, y_onehot, labels, batch_size, rng)`` returning
``(mean loss, accuracy)``, ``predict(x, batch_size)`` returning softmax probabilities,
and ``weights()`` returning ``[W1 (784, 512), b1, W2 (512, 10), b2]`` as float32 arrays, for
the NumPy reference forward pass that ``predict`` is compared with.

RMSprop's update is ``v = rho*v + (1-rho)*g**2; p -= lr * g / (sqrt(v) + eps)`` (PyTorch's
placement of eps; Keras 3 puts it inside the square root: the cost is the same).
"""

from __future__ import annotations

import numpy as np

N_IN, N_HIDDEN, N_OUT = 784, 512, 10
LR, RHO, EPS = 1e-3, 0.9, 1e-7


def glorot_params(seed: int) -> list[np.ndarray]:
    """Keras's default initialization, Keras layout: [W1 (in, out), b1, W2, b2], float32."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in ((N_IN, N_HIDDEN), (N_HIDDEN, N_OUT)):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, dtype=np.float32))
    return params


def numpy_forward(params, x: np.ndarray, batch_size: int) -> np.ndarray:
    """Softmax probabilities of the network with ``params``, batch by batch (plain NumPy).

    This is the floor that ``predict`` is measured against.
    """
    w1, b1, w2, b2 = params
    outs = []
    for start in range(0, len(x), batch_size):
        h = x[start:start + batch_size] @ w1
        h += b1
        np.maximum(h, 0, out=h)
        z = h @ w2
        z += b2
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        outs.append(z)
    return np.concatenate(outs)


class NumpyMLP:
    """Hand-written NumPy: forward, fused softmax-CE gradient, backward, in-place RMSprop."""

    def __init__(self, seed: int):
        self.params = glorot_params(seed)
        self.v = [np.zeros_like(p) for p in self.params]
        self.tmp = [np.empty_like(p) for p in self.params]

    def _step(self, xb: np.ndarray, yb: np.ndarray) -> tuple[float, int]:
        w1, b1, w2, b2 = self.params
        m = xb.shape[0]
        # forward; h is the relu output, which is all backward needs
        h = xb @ w1
        h += b1
        np.maximum(h, 0, out=h)
        z = h @ w2
        z += b2
        # fused softmax + categorical cross-entropy (z shifted by its row max)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        s = p.sum(axis=1, keepdims=True)
        loss = float(np.log(s).sum() - (z * yb).sum()) / m
        correct = int((z.argmax(axis=1) == yb.argmax(axis=1)).sum())
        p /= s
        # backward
        dz = p
        dz -= yb
        dz *= np.float32(1.0 / m)
        g_w2 = h.T @ dz
        g_b2 = dz.sum(axis=0)
        dh = dz @ w2.T
        dh *= h > 0
        g_w1 = xb.T @ dh
        g_b1 = dh.sum(axis=0)
        # RMSprop, in place
        for p_, g, v, t in zip(self.params, (g_w1, g_b1, g_w2, g_b2), self.v, self.tmp):
            v *= RHO
            np.multiply(g, g, out=t)
            t *= 1 - RHO
            v += t
            np.sqrt(v, out=t)
            t += EPS
            np.divide(g, t, out=t)
            t *= LR
            p_ -= t
        return loss, correct

    def train_epoch(self, x, y_onehot, labels, batch_size, rng):
        n = len(x)
        perm = rng.permutation(n)
        loss_sum, correct = 0.0, 0
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            loss, c = self._step(x[idx], y_onehot[idx])
            loss_sum += loss * len(idx)
            correct += c
        return loss_sum / n, correct / n

    def predict(self, x, batch_size):
        return numpy_forward(self.params, x, batch_size)

    def weights(self):
        return self.params


class MatmulFloor(NumpyMLP):
    """Not a training step: only the batch's fancy index and the five matrix products of
    one step (forward, backward), on the same shapes. Their time is a floor that no
    implementation calling this BLAS can go under; the weights never change."""

    def _step(self, xb: np.ndarray, yb: np.ndarray) -> tuple[float, int]:
        w1, _, w2, _ = self.params
        h = xb @ w1
        z = h @ w2
        g_w2 = h.T @ z
        dh = z @ w2.T
        self.grads = (xb.T @ dh, g_w2)  # kept, as a real step keeps its gradients
        return float("nan"), 0


class _TorchStyleMLP:
    """The same PyTorch-style code on a library module ``lib`` (torch, or topograd as torch):
    nn.Sequential(Linear, ReLU, Linear), CrossEntropyLoss, optim.RMSprop."""

    def __init__(self, lib, seed: int):
        lib.manual_seed(seed)
        self.lib = lib
        nn = lib.nn
        self.model = nn.Sequential(nn.Linear(N_IN, N_HIDDEN), nn.ReLU(), nn.Linear(N_HIDDEN, N_OUT))
        w1, b1, w2, b2 = glorot_params(seed)
        with lib.no_grad():
            for layer, w, b in ((self.model[0], w1, b1), (self.model[2], w2, b2)):
                layer.weight.copy_(lib.from_numpy(np.ascontiguousarray(w.T)))
                layer.bias.copy_(lib.from_numpy(b))
        self.opt = lib.optim.RMSprop(self.model.parameters(), lr=LR, alpha=RHO, eps=EPS)
        self.loss_fn = nn.CrossEntropyLoss()
        self._data_key = None

    def _tensors(self, x, labels):
        key = self._data_key
        if key is None or key[0] is not x or key[1] is not labels:
            # from_numpy shares memory: no copy
            self._data = (self.lib.from_numpy(x), self.lib.from_numpy(labels))
            self._data_key = (x, labels)
        return self._data

    def train_epoch(self, x, y_onehot, labels, batch_size, rng):
        xt, yt = self._tensors(x, labels)
        n = len(xt)
        perm = self.lib.randperm(n)
        loss_sum, correct = 0.0, 0
        self.model.train()
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            xb, yb = xt[idx], yt[idx]
            self.opt.zero_grad()
            out = self.model(xb)
            loss = self.loss_fn(out, yb)
            loss.backward()
            self.opt.step()
            loss_sum += loss.item() * len(idx)
            correct += int((out.argmax(dim=1) == yb).sum())
        return loss_sum / n, correct / n

    def predict(self, x, batch_size):
        lib = self.lib
        xt = lib.from_numpy(x)
        self.model.eval()
        with lib.no_grad():
            outs = [lib.softmax(self.model(xt[s:s + batch_size]), dim=1)
                    for s in range(0, len(xt), batch_size)]
        return lib.cat(outs).numpy()

    def weights(self):
        m = self.model
        return [np.ascontiguousarray(m[0].weight.detach().numpy().T),
                m[0].bias.detach().numpy().copy(),
                np.ascontiguousarray(m[2].weight.detach().numpy().T),
                m[2].bias.detach().numpy().copy()]


class TorchMLP(_TorchStyleMLP):
    """PyTorch eager: nn.Sequential(Linear, ReLU, Linear), CrossEntropyLoss, optim.RMSprop."""

    def __init__(self, seed: int, threads: int):
        import torch

        torch.set_num_threads(threads)
        super().__init__(torch, seed)


class TopogradKerasMLP:
    """topograd's Keras face, the seed's code: Sequential of Dense, compile('rmsprop'), fit."""

    def __init__(self, seed: int):
        import topograd
        from topograd.keras import layers, models

        topograd.manual_seed(seed)
        model = models.Sequential()
        model.add(layers.Dense(N_HIDDEN, activation="relu", input_shape=(N_IN,)))
        model.add(layers.Dense(N_OUT, activation="softmax"))
        model.compile(optimizer="rmsprop", loss="categorical_crossentropy",
                      metrics=["accuracy"])
        if hasattr(model, "set_weights"):  # the same start as the other implementations
            model.set_weights(glorot_params(seed))
        self.model = model

    def train_epoch(self, x, y_onehot, labels, batch_size, rng):
        history = self.model.fit(x, y_onehot, batch_size=batch_size, epochs=1, verbose=0,
                                 shuffle=True)
        hist = history.history
        acc = hist.get("accuracy", hist.get("acc", [float("nan")]))[-1]
        return float(hist["loss"][-1]), float(acc)

    def predict(self, x, batch_size):
        return np.asarray(self.model.predict(x, batch_size=batch_size, verbose=0))

    def weights(self):
        return [np.asarray(w, dtype=np.float32) for w in self.model.get_weights()]


class TopogradTorchMLP(_TorchStyleMLP):
    """topograd's PyTorch face: nn.Sequential(Linear, ReLU, Linear), CrossEntropyLoss, RMSprop."""

    def __init__(self, seed: int):
        import topograd

        super().__init__(topograd, seed)


def make(impl: str, seed: int, torch_threads: int):
    """The implementation named ``impl`` ("numpy", "matmuls", "torch", "topograd",
    "topograd-torch")."""
    if impl == "numpy":
        return NumpyMLP(seed)
    if impl == "matmuls":
        return MatmulFloor(seed)
    if impl == "torch":
        return TorchMLP(seed, torch_threads)
    if impl == "topograd":
        return TopogradKerasMLP(seed)
    if impl == "topograd-torch":
        return TopogradTorchMLP(seed)
    raise ValueError(f"unknown implementation {impl!r}: expected numpy, matmuls, torch, "
                     "topograd or topograd-torch")
