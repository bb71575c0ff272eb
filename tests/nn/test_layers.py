"""Linear, BatchNorm1d, Dropout, Flatten, Identity against PyTorch and by their semantics."""

from __future__ import annotations

import math

import numpy as np
import pytest

import topograd
from topograd import nn

from .conftest import copy_params, tolerance

DTYPES = [np.float32, np.float64]


def _module_vs_torch(ours, theirs, x_np, torch, train=True):
    copy_params(ours, theirs)
    ours.train(train)
    theirs.train(train)
    dtype = x_np.dtype
    x = topograd.tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    out, ref = ours(x), theirs(tx)
    tol = tolerance(dtype)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **tol)
    up = np.random.default_rng(0).standard_normal(ref.shape).astype(dtype)
    out.backward(topograd.tensor(up))
    ref.backward(torch.from_numpy(up))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **tol)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        assert p.grad.dtype == dtype, name
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), **tol, err_msg=name)
    for (name, b), q in zip(ours.named_buffers(), theirs.buffers()):
        np.testing.assert_allclose(b.numpy(), q.numpy(), **tol, err_msg=name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(6, 5), (5,), (2, 3, 5)])
def test_linear_matches_pytorch(dtype, bias, shape, rng):
    torch = pytest.importorskip("torch")
    ours = nn.Linear(5, 4, bias=bias, dtype=dtype)
    theirs = torch.nn.Linear(5, 4, bias=bias, dtype=torch.float64 if dtype == np.float64
                             else torch.float32)
    _module_vs_torch(ours, theirs, rng.standard_normal(shape).astype(dtype), torch)


def test_linear_shapes_init_and_repr():
    layer = nn.Linear(10, 5)
    assert layer.weight.shape == (5, 10) and layer.bias.shape == (5,)
    assert layer.weight.dtype == np.float32
    assert repr(layer) == "Linear(in_features=10, out_features=5, bias=True)"
    assert repr(nn.Linear(3, 2, bias=False)) == "Linear(in_features=3, out_features=2, bias=False)"
    big = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = big.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(big.bias.numpy()).max() <= bound
    # kaiming_uniform(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)): variance bound^2 / 3
    assert abs(w.var() / (bound**2 / 3) - 1) < 0.03
    topograd.manual_seed(3)
    a = nn.Linear(4, 4).weight.numpy().copy()
    topograd.manual_seed(3)
    assert np.array_equal(nn.Linear(4, 4).weight.numpy(), a)
    before = layer.weight.numpy().copy()
    layer.reset_parameters()
    assert not np.array_equal(before, layer.weight.numpy())
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(-1, 3)


def test_linear_float32_stays_float32_and_skips_unneeded_input_grad():
    layer = nn.Linear(3, 2)
    x = topograd.randn(4, 3)  # no requires_grad: no g @ W is needed
    out = layer(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad is None
    assert layer.weight.grad.dtype == np.float32 and layer.bias.grad.dtype == np.float32
    np.testing.assert_allclose(layer.bias.grad.numpy(), [4, 4])
    np.testing.assert_allclose(layer.weight.grad.numpy(),
                               np.tile(x.numpy().sum(0), (2, 1)), rtol=1e-6)


def test_linear_errors():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(6x4 and 3x2\)"):
        nn.Linear(3, 2)(topograd.zeros(2, 3, 4))
    with pytest.raises(RuntimeError, match="same dtype.*Long and Float"):
        nn.Linear(3, 2)(topograd.tensor([[1, 2, 3]]))


def test_linear_double_backward():
    from topograd.autograd import gradgradcheck

    w = topograd.randn(3, 4, dtype=topograd.float64, requires_grad=True)
    b = topograd.randn(3, dtype=topograd.float64, requires_grad=True)
    x = topograd.randn(2, 4, dtype=topograd.float64, requires_grad=True)
    assert gradgradcheck(lambda x, w, b: (nn.functional.linear(x, w, b) ** 2).sum(), (x, w, b))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm1d_matches_pytorch(dtype, shape, train, affine, rng):
    torch = pytest.importorskip("torch")
    tdt = torch.float64 if dtype == np.float64 else torch.float32
    ours = nn.BatchNorm1d(3, affine=affine, dtype=dtype)
    theirs = torch.nn.BatchNorm1d(3, affine=affine, dtype=tdt)
    if affine:
        nn.init.uniform_(ours.weight, 0.5, 1.5)
        nn.init.uniform_(ours.bias, -1, 1)
    nn.init.uniform_(ours.running_var, 0.5, 2.0)
    nn.init.normal_(ours.running_mean)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    _module_vs_torch(ours, theirs, x, torch, train=train)


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("track", [True, False])
def test_batchnorm1d_running_stats_over_steps(momentum, track, rng):
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm1d(4, momentum=momentum, track_running_stats=track, dtype=np.float64)
    theirs = torch.nn.BatchNorm1d(4, momentum=momentum, track_running_stats=track,
                                  dtype=torch.float64)
    for step in range(4):
        x = rng.standard_normal((6, 4)) * (step + 1) + step
        out = ours(topograd.tensor(x))
        ref = theirs(torch.from_numpy(x))
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (k, v), (k2, v2) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert k == k2
        np.testing.assert_allclose(v.numpy(), v2.numpy(), rtol=1e-10, err_msg=k)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((3, 4))
    np.testing.assert_allclose(ours(topograd.tensor(x)).numpy(),
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-10)


def test_batchnorm_semantics_and_errors():
    bn = nn.BatchNorm1d(3)
    x = topograd.randn(16, 3) * 5 + 2
    y = bn(x).numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(0), 1, rtol=1e-3)
    assert int(bn.num_batches_tracked) == 1
    n = 16
    np.testing.assert_allclose(bn.running_var.numpy(),
                               0.9 + 0.1 * x.numpy().var(0) * n / (n - 1), rtol=1e-5)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when "
                                         r"training, got input size topograd.Size\(\[1, 3\]\)"):
        bn(topograd.randn(1, 3))
    bn.eval()
    assert bn(topograd.randn(1, 3)).shape == (1, 3)  # eval mode takes a single sample
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        bn(topograd.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match="expected 3 channels"):
        bn(topograd.randn(2, 4))
    bn2 = nn.BatchNorm2d(3)
    assert bn2(topograd.randn(2, 3, 4, 4)).shape == (2, 3, 4, 4)


def test_batchnorm2d_matches_pytorch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 2, 4, 5))
    _module_vs_torch(nn.BatchNorm2d(2, dtype=np.float64),
                     torch.nn.BatchNorm2d(2, dtype=torch.float64), x, torch)


def test_dropout_train_and_eval():
    topograd.manual_seed(0)
    drop = nn.Dropout(p=0.3)
    x = topograd.ones(200, 100, requires_grad=True)
    y = drop(x)
    vals = y.numpy()
    kept = vals != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(vals[kept], 1 / 0.7, rtol=1e-6)
    assert y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), vals)  # the same mask scales the gradient
    drop.eval()
    assert drop(x) is x
    topograd.manual_seed(5)
    a = nn.Dropout()(topograd.ones(50)).numpy()
    topograd.manual_seed(5)
    assert np.array_equal(nn.Dropout()(topograd.ones(50)).numpy(), a)
    assert not nn.Dropout(p=1.0)(topograd.ones(5)).numpy().any()
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    f = nn.functional.dropout
    assert f(x, 0.5, training=False) is x


def test_flatten_identity_unflatten():
    x = topograd.randn(2, 3, 4, requires_grad=True)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Identity(3, foo=1)(x) is x
    assert nn.Unflatten(1, (3, 1))(x).shape == (2, 3, 1, 4)
    nn.Flatten()(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 1)
