"""topograd: a small deep-learning framework on NumPy.

Define-by-run reverse-mode autograd, a PyTorch-style face (``topograd.nn``,
``topograd.optim``) and a Keras-style face (``topograd.keras``).

>>> import topograd as torch
>>> x = torch.tensor(-2.0, requires_grad=True)
>>> y = torch.tensor(5.0, requires_grad=True)
>>> z = torch.tensor(-4.0, requires_grad=True)
>>> f = (x + y) * z
>>> f.backward()
>>> x.grad.item(), y.grad.item(), z.grad.item()
(-4.0, -4.0, 3.0)
"""

import os as _os

from . import autograd
from ._device import device, get_default_device, set_default_device
from .autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import (
    bool_,
    double,
    float,
    float16,
    float32,
    float64,
    half,
    int8,
    int32,
    int64,
    long,
    uint8,
)
from .ops import *  # noqa: F403 - the function forms of tensor methods
from .ops import cat, concat, pad, stack, where
from .random import get_rng_state, initial_seed, manual_seed, set_rng_state
from .tensor import Parameter, Size, Tensor

# A relative TOPOGRAD_DATA (the README's `TOPOGRAD_DATA=../shared/data ...`) means what it
# meant where the user typed it: resolve it once, now, before any code changes directory,
# so the data home and every child process see the same folder.
if _os.environ.get("TOPOGRAD_DATA") and not _os.path.isabs(_os.environ["TOPOGRAD_DATA"]):
    _os.environ["TOPOGRAD_DATA"] = _os.path.abspath(
        _os.path.expanduser(_os.environ["TOPOGRAD_DATA"]))


__version__ = "0.1.0"

bool = bool_  # noqa: A001 - PyTorch's name for the dtype


def __getattr__(name):
    # subpackages load on first use, so `import topograd` stays light
    if name in ("nn", "optim", "data", "keras", "train", "io", "onnx", "utils", "cuda",
                "backends", "accelerator"):
        import importlib

        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    if name in ("save", "load"):
        from . import io

        return getattr(io, name)
    raise AttributeError(f"module 'topograd' has no attribute {name!r}")


def _register_model_formats() -> None:
    # topograd.io reads whole-model files but imports no face: for a format it has no
    # reader for yet, it asks here, where the faces are known; importing a face's saving
    # module registers its reader (topograd.io.register_model_format)
    from .keras import saving  # noqa: F401 - registers "keras-model"


__all__ = [
    "Parameter", "Size", "Tensor", "arange", "as_tensor", "autograd", "cat", "concat", "device",
    "empty", "empty_like", "get_default_device", "logspace", "set_default_device",
    "enable_grad", "eye", "from_numpy", "full", "full_like", "get_rng_state", "initial_seed",
    "is_grad_enabled", "linspace", "manual_seed", "no_grad", "ones", "ones_like", "pad", "rand",
    "rand_like", "randint", "randn", "randn_like", "randperm", "set_grad_enabled",
    "set_rng_state", "stack", "tensor", "where", "zeros", "zeros_like",
    "float32", "float64", "float16", "int64", "int32", "int8", "uint8", "bool_", "float",
    "double", "long", "half",
]
