"""Reverse-mode automatic differentiation: Function, the engine, grad, gradcheck.

The names below load on first use, so that ``topograd.tensor`` (which the engine needs)
can import the grad-mode switches from here without a cycle.
"""

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
        globals()[name] = value  # importing the submodule bound its name; rebind ours
        return value
    raise AttributeError(f"module 'topograd.autograd' has no attribute {name!r}")
