"""Fixtures for tests/optim: one small problem that topograd and PyTorch both run.

The problem: a 5 -> 8 -> 3 sigmoid MLP fitted by mean squared error on 16 random points,
plus 0.01 times the Rosenbrock function of a fifth parameter ``z``: five float64
parameters with different shapes, curvatures and a non-convex term. Gradients come from
each library's own autograd, so a trajectory comparison tests the optimizer rule only.
"""

from __future__ import annotations

import numpy as np
import pytest

import topograd

N_STEPS = 200


class Problem:
    """The shared problem; ``tg_*`` methods use topograd, ``torch_*`` methods PyTorch."""

    names = ("w1", "b1", "w2", "b2", "z")

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.x = rng.standard_normal((16, 5))
        self.y = rng.standard_normal((16, 3))
        self.init = [rng.standard_normal((5, 8)) * 0.5, rng.standard_normal(8) * 0.1,
                     rng.standard_normal((8, 3)) * 0.5, rng.standard_normal(3) * 0.1,
                     np.array([-0.5, 0.8])]

    @staticmethod
    def loss(params, x, y):
        """The loss, written once for both libraries (their Tensor APIs agree here)."""
        w1, b1, w2, b2, z = params
        h = (x @ w1 + b1).sigmoid()
        out = h @ w2 + b2
        rosen = (1 - z[0]) ** 2 + 100 * (z[1] - z[0] ** 2) ** 2
        return ((out - y) ** 2).sum() / 16 + 0.01 * rosen

    def tg_params(self, values=None):
        return [topograd.tensor(v.copy(), requires_grad=True) for v in values or self.init]

    def torch_params(self, values=None):
        import torch

        return [torch.tensor(v.copy(), requires_grad=True) for v in values or self.init]

    def _data(self, lib, dtype):
        key = (lib.__name__, str(dtype))
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            cache[key] = (lib.tensor(self.x, dtype=dtype), lib.tensor(self.y, dtype=dtype))
        return cache[key]

    def tg_backward(self, params) -> float:
        """Forward and backward in topograd; returns the loss."""
        loss = self.loss(params, *self._data(topograd, params[0].dtype))
        loss.backward()
        return loss.item()

    def torch_backward(self, params) -> float:
        """Forward and backward in PyTorch; returns the loss."""
        import torch

        loss = self.loss(params, *self._data(torch, params[0].dtype))
        loss.backward()
        return loss.item()

    @staticmethod
    def groups(params, spec):
        """``params`` as one list (spec None) or as groups ``[(indices, options), ...]``."""
        if spec is None:
            return list(params)
        return [{"params": [params[i] for i in idx], **opts} for idx, opts in spec]


    @staticmethod
    def assert_close(got, want, rtol=1e-10, what=""):
        """Each array equals its reference to ``rtol`` relative to the reference's largest entry."""
        for k, (a, b) in enumerate(zip(got, want)):
            a, b = np.asarray(a), np.asarray(b)
            assert a.shape == b.shape and a.dtype == b.dtype, (what, k, a.shape, b.shape, a.dtype)
            scale = max(float(np.max(np.abs(b))), 1e-300)
            err = float(np.max(np.abs(a - b))) / scale
            assert err <= rtol, f"{what}: parameter {k} differs by {err:.3g} (relative) > {rtol}"


class LeastSquares(Problem):
    """A cheaper problem (two parameters, four operations) for the scheduler tests."""

    names = ("w", "b")

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.init = self.init[2:4]
        self.x = self.x @ np.random.default_rng(seed + 1).standard_normal((5, 8))

    @staticmethod
    def loss(params, x, y):
        w, b = params
        return ((x @ w + b - y) ** 2).sum() / 16


@pytest.fixture
def least_squares():
    """The cheaper problem."""
    return LeastSquares()


@pytest.fixture
def problem():
    """The shared problem (its helpers ride along: test files cannot import conftest)."""
    return Problem()
