"""Reverse-mode automatic differentiation: Function, the engine, grad, gradcheck.

The names below load on first use, so that ``topograd.tensor`` (which the engine needs)
can import the grad-mode switches from here without a cycle.

>>> import topograd
>>> x = topograd.tensor(2.0, requires_grad=True)
>>> topograd.autograd.grad(x * x, x)[0].item()
4.0
"""

import sys
import types

from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

_LAZY = {
    "Function": "function",
    "backward": "engine",
    "grad": "engine",
    "topological_order": "engine",
    "GradcheckError": "gradcheck",
    "gradcheck": "gradcheck",
    "gradgradcheck": "gradcheck",
}

__all__ = ["enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'topograd.autograd' has no attribute {name!r}")


class _Package(types.ModuleType):
    """Keeps ``topograd.autograd.gradcheck`` the function (as in PyTorch): when the import
    system binds the submodule of the same name, the function is bound instead (the
    module stays reachable through ``sys.modules``)."""

    def __setattr__(self, name, value):
        if name in _LAZY and isinstance(value, types.ModuleType) and hasattr(value, name):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
