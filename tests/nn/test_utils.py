"""nn.utils: gradient clipping against PyTorch, parameter vectors, penalties."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd import nn


def _with_grads(rng, scale=3.0):
    params = [nn.Parameter(topograd.tensor(rng.standard_normal(s))) for s in [(3, 4), (4,)]]
    for p in params:
        p.grad = topograd.tensor(rng.standard_normal(p.shape) * scale)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm, rng):
    torch = pytest.importorskip("torch")
    ours = _with_grads(rng)
    theirs = []
    for p in ours:
        q = torch.nn.Parameter(torch.from_numpy(p.numpy().copy()))
        q.grad = torch.from_numpy(p.grad.numpy().copy())
        theirs.append(q)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ref = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, topograd.Tensor) and total.ndim == 0
    np.testing.assert_allclose(total.item(), ref.item(), rtol=1e-10)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10)


def test_clip_grad_norm_accepts_module_and_tensor_and_skips_missing_grads(rng):
    model = nn.Linear(3, 2)
    assert nn.utils.clip_grad_norm_(model, 1.0).item() == 0.0  # no gradients yet
    model(topograd.ones(4, 3) * 10).sum().backward()
    before = model.weight.grad.numpy().copy()
    total = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    after = np.sqrt(sum(float((p.grad.numpy() ** 2).sum()) for p in model.parameters()))
    assert total.item() > 1 and after == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(model.weight.grad.numpy(), before / total.item(), rtol=1e-5)
    t = nn.Parameter(topograd.zeros(2))
    t.grad = topograd.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(t, 1.0, error_if_nonfinite=True)


def test_clip_grad_value(rng):
    params = _with_grads(rng)
    nn.utils.clip_grad_value_(params, 0.5)
    for p in params:
        assert np.abs(p.grad.numpy()).max() <= 0.5


def test_parameter_vector_round_trip():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    np.testing.assert_array_equal(vec.numpy()[:12], model[0].weight.numpy().ravel())
    w = model[0].weight
    nn.utils.vector_to_parameters(topograd.arange(vec.numel()).float(), model.parameters())
    assert model[0].weight is w
    np.testing.assert_array_equal(model[2].bias.numpy(), [24, 25])
    with pytest.raises(RuntimeError, match="26 elements"):
        nn.utils.vector_to_parameters(topograd.zeros(5), model.parameters())
    # differentiable: the gradient flows back into every parameter
    (nn.utils.parameters_to_vector(model.parameters()) ** 2).sum().backward()
    np.testing.assert_allclose(model[0].weight.grad.numpy(), 2 * model[0].weight.numpy())


def test_penalties_values_and_gradients():
    a = nn.Parameter(topograd.tensor([1.0, -2.0, 0.5]))
    b = nn.Parameter(topograd.tensor([[3.0]]))
    assert nn.utils.l1_penalty([a, b]).item() == pytest.approx(6.5)
    assert nn.utils.l2_penalty([a, b]).item() == pytest.approx(1 + 4 + 0.25 + 9)
    pen = nn.utils.elastic_net_penalty([a, b], l1=0.1, l2=0.01)
    assert pen.item() == pytest.approx(0.65 + 0.1425)
    pen.backward()
    np.testing.assert_allclose(a.grad.numpy(), 0.1 * np.sign(a.numpy()) + 0.02 * a.numpy(),
                               rtol=1e-6)
    assert nn.utils.l2_penalty([]).item() == 0.0
    model = nn.Linear(2, 2)
    assert nn.utils.l1_penalty(model).item() == pytest.approx(
        sum(float(np.abs(p.numpy()).sum()) for p in model.parameters()), rel=1e-6)


def test_l2_penalty_is_weight_decay():
    # d/dw [lam * sum w^2] = 2 lam w: the penalty's gradient is weight decay
    model = nn.Linear(3, 1)
    lam = 0.05
    (lam * nn.utils.l2_penalty(model.parameters())).backward()
    for p in model.parameters():
        np.testing.assert_allclose(p.grad.numpy(), 2 * lam * p.numpy(), rtol=1e-6)
