"""Reverse-mode automatic differentiation: Function, the engine, grad, gradcheck.

``function`` is the node and ``apply``; ``engine`` the backward walk; ``graph`` its
order; ``hooks`` tensor hooks and ``retain_grad``; ``grad_mode`` the recording switch;
``inplace`` views and in-place updates; ``gradcheck`` numerical checks.

>>> import topograd
>>> x = topograd.tensor(2.0, requires_grad=True)
>>> topograd.autograd.grad(x * x, x)[0].item()
4.0
"""

# The core loop: the tensor is built on autograd and the primitives, and autograd's nodes
# make tensors. Its modules import each other as modules and read names at call time;
# loading topograd.tensor first gives the one order in which the loop initialises.
from .. import tensor as _tensor  # noqa: F401
from .engine import backward, grad
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import topological_order

__all__ = [
    "Function", "GradcheckError", "backward", "enable_grad", "grad", "gradcheck",
    "gradgradcheck", "is_grad_enabled", "no_grad", "set_grad_enabled", "topological_order",
]
