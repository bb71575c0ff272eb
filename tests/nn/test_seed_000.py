"""Seed 000 (matrix dimensions and activations): its PyTorch code runs on topograd with
only the import lines changed, and gives PyTorch's loss and gradients."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import topograd
import topograd.nn.functional

SEED_SCRIPT = '''
import numpy as np
import topograd as torch
from topograd import nn

x = torch.from_numpy(np.random.random(size=(4, 10)))
print(x.shape)

linear = nn.Linear(in_features=10, out_features=5).double()
print(linear(x).shape)

nonlinear = nn.Softmax()
print(nonlinear(linear(x)))

yhat = nn.Softmax()
nonlinear = nn.Sigmoid()
linear2 = nn.Linear(in_features=5, out_features=8).double()

print(yhat(linear2(nonlinear(linear(x)))).shape)

model = nn.Sequential(
nn.Linear(in_features=10, out_features=5).double(),
nn.Sigmoid(),
nn.Linear(in_features=5, out_features=8).double(),
nn.Softmax(),
)

print(model(x).shape)

ytrue = torch.randint(8, (4, ))
loss_fn = nn.CrossEntropyLoss()

print(model(x).shape)
print(ytrue.shape)

loss = loss_fn(model(x), ytrue)
loss.backward()

for p in model.parameters():
    print(p, p.grad)
'''


@pytest.fixture
def fresh_warning(monkeypatch):
    monkeypatch.setattr(topograd.nn.functional, "_warned_probabilities", False)


def run_seed():
    namespace: dict = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(SEED_SCRIPT, "seed_000.py", "exec"), namespace)
    return namespace, caught


def test_seed_script_runs_and_prints(capsys, fresh_warning):
    ns, caught = run_seed()
    out = capsys.readouterr().out
    assert "topograd.Size([4, 10])" in out
    assert out.count("topograd.Size([4, 8])") == 3
    assert "Parameter containing:" in out
    params = list(ns["model"].parameters())
    assert [tuple(p.shape) for p in params] == [(5, 10), (5,), (8, 5), (8,)]
    assert all(p.grad is not None and p.grad.dtype == np.float64 for p in params)
    assert ns["loss"].dtype == np.float64
    messages = [str(w.message) for w in caught]
    # nn.Softmax() without dim warns as PyTorch does, pointing at the script
    assert any(m.startswith("Implicit dimension choice for softmax") for m in messages)
    assert any(w.filename == "seed_000.py" for w in caught)
    # softmax before CrossEntropyLoss is the classic mistake: one pointed warning
    assert sum("expects raw, unnormalized scores (logits)" in m for m in messages) == 1


def test_seed_matches_pytorch(fresh_warning, capsys):
    torch = pytest.importorskip("torch")
    ns, _ = run_seed()
    capsys.readouterr()
    model, x, ytrue = ns["model"], ns["x"], ns["ytrue"]
    ref = torch.nn.Sequential(
        torch.nn.Linear(10, 5).double(), torch.nn.Sigmoid(),
        torch.nn.Linear(5, 8).double(), torch.nn.Softmax(dim=1),
    )
    ref.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                         for k, v in model.state_dict().items()})
    ref_loss = torch.nn.CrossEntropyLoss()(ref(torch.from_numpy(x.numpy())),
                                           torch.from_numpy(ytrue.numpy()))
    ref_loss.backward()
    np.testing.assert_allclose(ns["loss"].item(), ref_loss.item(), rtol=1e-12)
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_wrong_in_features_gives_pytorch_message():
    x = topograd.from_numpy(np.random.random(size=(4, 10)))
    linear = topograd.nn.Linear(in_features=8, out_features=5).double()
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(4x10 and 8x5\)"):
        linear(x)


def test_forgotten_double_is_explained():
    x = topograd.from_numpy(np.random.random(size=(4, 10)))
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got "
                                           "Double and Float.*double"):
        topograd.nn.Linear(10, 5)(x)


def test_seed_typo_nn_linear_fails_as_in_pytorch():
    # the tutorial once writes nn.linear (lower case): PyTorch has no such name either
    with pytest.raises(AttributeError, match="has no attribute 'linear'"):
        topograd.nn.linear(in_features=5, out_features=8)
