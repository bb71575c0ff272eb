"""A PyTorch beginner tutorial's device and training code runs with only its imports changed.

The body below is PyTorch's quickstart pattern (pick a device, ``model.to(device)``, a
DataLoader loop moving every batch with ``X.to(device)``, ``loss.backward()``,
``optimizer.step()``); it runs unchanged under ``import topograd as torch`` and, as a check
that it is genuine PyTorch code, under PyTorch itself when it is installed.
"""

from __future__ import annotations

import pytest

TOPOGRAD_IMPORTS = """
import topograd as torch
from topograd import nn
from topograd.utils.data import DataLoader, TensorDataset
"""

TORCH_IMPORTS = """
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
"""

TUTORIAL = """
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
if torch.backends.mps.is_available():
    device = torch.device("mps")
accelerator = (torch.accelerator.current_accelerator().type
               if torch.accelerator.is_available() else "cpu")
print(f"Using {device} device ({accelerator})")

torch.manual_seed(0)
X = torch.randn(512, 2)
y = (X[:, 0] > 0).long() + (X[:, 1] > 0).long()  # 3 classes: how many coordinates are > 0
train_data = TensorDataset(X[:384], y[:384])
test_data = TensorDataset(X[384:], y[384:])
train_dataloader = DataLoader(train_data, batch_size=32, shuffle=True, num_workers=0,
                              pin_memory=True)
test_dataloader = DataLoader(test_data, batch_size=64)


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(2, 64),
            nn.ReLU(),
            nn.Linear(64, 64),
            nn.ReLU(),
            nn.Linear(64, 3),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
assert next(model.parameters()).device == device
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)

        pred = model(X)
        loss = loss_fn(pred, y)

        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

        if batch % 4 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f}")
    return test_loss, correct


first_loss, _ = test(test_dataloader, model, loss_fn)
for t in range(15):
    train(train_dataloader, model, loss_fn, optimizer)
last_loss, accuracy = test(test_dataloader, model, loss_fn)
"""


def _run(imports: str) -> dict:
    namespace: dict = {"__name__": "tutorial"}
    exec(compile(imports + TUTORIAL, "<tutorial>", "exec"), namespace)  # noqa: S102
    return namespace


def test_tutorial_runs_with_import_topograd_as_torch(capsys):
    ns = _run(TOPOGRAD_IMPORTS)
    assert ns["torch"].__name__ == "topograd"
    assert repr(ns["device"]) == "device(type='cpu')"
    assert ns["last_loss"] < ns["first_loss"] / 3
    assert ns["accuracy"] > 0.9
    out = capsys.readouterr().out
    assert "Using cpu device (cpu)" in out and "Test Error: Accuracy" in out


@pytest.mark.filterwarnings("ignore:.pin_memory. argument is set as true:UserWarning")
def test_tutorial_is_pytorch_code():
    pytest.importorskip("torch")
    ns = _run(TORCH_IMPORTS)
    assert repr(ns["device"]) == "device(type='cpu')"
    assert ns["last_loss"] < ns["first_loss"] / 3
    assert ns["accuracy"] > 0.9
