"""Neural-network building blocks, as ``torch.nn``: Module, Parameter, layers,
activations, losses, and the ``functional``, ``init`` and ``utils`` submodules.

The seed tutorial's model runs unchanged with ``import topograd as torch``:

>>> import numpy as np
>>> import topograd as torch
>>> from topograd import nn
>>> x = torch.from_numpy(np.random.random(size=(4, 10)))
>>> model = nn.Sequential(
...     nn.Linear(in_features=10, out_features=5).double(),
...     nn.Sigmoid(),
...     nn.Linear(in_features=5, out_features=8).double(),
... )
>>> loss = nn.CrossEntropyLoss()(model(x), torch.randint(8, (4,)))
>>> loss.backward()
>>> [tuple(p.grad.shape) for p in model.parameters()]
[(5, 10), (5,), (8, 5), (8,)]
"""

from ..tensor import Parameter
from . import functional, init, utils
from .modules import (
    ELU,
    GELU,
    BatchNorm1d,
    BatchNorm2d,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Dropout,
    Flatten,
    HuberLoss,
    Identity,
    KLDivLoss,
    L1Loss,
    LeakyReLU,
    Linear,
    LogSoftmax,
    Module,
    ModuleDict,
    ModuleList,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    SmoothL1Loss,
    Softmax,
    Softplus,
    Tanh,
    Unflatten,
)

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "CrossEntropyLoss", "Dropout",
    "ELU", "Flatten", "GELU", "HuberLoss", "Identity", "KLDivLoss", "L1Loss", "LeakyReLU",
    "Linear", "LogSoftmax", "MSELoss", "Module", "ModuleDict", "ModuleList", "MultiMarginLoss",
    "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "SmoothL1Loss", "Softmax",
    "Softplus", "Tanh", "Unflatten", "functional", "init", "utils",
]
