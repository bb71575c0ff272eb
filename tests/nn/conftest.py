"""Helpers for tests/nn: run a computation in topograd and in PyTorch, compare values and
gradients."""

from __future__ import annotations

import numpy as np
import pytest

import topograd

TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def tolerance(dtype) -> dict:
    return TOL[np.dtype(dtype).type]


class Both:
    """Run ``ours(*tensors)`` and ``theirs(*torch_tensors)`` on the same arrays and check
    outputs and the gradients of the float arrays (``grad=True`` positions)."""

    def __init__(self, torch):
        self.torch = torch

    def __call__(self, ours, theirs, arrays, grads=None, dtype=np.float64, tol=None,
                 upstream_seed=0):
        torch = self.torch
        grads = [np.asarray(a).dtype.kind == "f" for a in arrays] if grads is None else grads
        tg = [topograd.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
        th = [torch.tensor(np.asarray(a), requires_grad=g) for a, g in zip(arrays, grads)]
        out = ours(*tg)
        ref = theirs(*th)
        tol = tol or tolerance(dtype)
        assert out.dtype == np.dtype(dtype), f"output dtype {out.dtype}, expected {dtype}"
        assert tuple(out.shape) == tuple(ref.shape)
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **tol)
        if not any(grads) or not ref.requires_grad:
            return out
        up = np.random.default_rng(upstream_seed).standard_normal(ref.shape).astype(dtype)
        out.backward(topograd.tensor(up))
        ref.backward(torch.from_numpy(up))
        for i, (a, b) in enumerate(zip(tg, th)):
            if grads[i]:
                assert a.grad is not None, f"no gradient for argument {i}"
                assert a.grad.dtype == np.dtype(dtype), f"grad {i} dtype {a.grad.dtype}"
                np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol,
                                           err_msg=f"gradient of argument {i}")
        return out


@pytest.fixture
def both():
    torch = pytest.importorskip("torch")
    return Both(torch)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def copy_params(ours, theirs) -> None:
    """Load topograd module ``ours``'s state into the PyTorch module ``theirs``."""
    import torch

    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
