"""The tensor and autograd layers are documented, and their examples run."""

from __future__ import annotations

import inspect

import pytest

import topograd
import topograd.autograd as autograd

# the public functions of topograd that the tensor layer provides
TOP_LEVEL = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like",
             "ones_like", "full_like", "arange", "linspace", "eye", "rand", "randn", "randint",
             "rand_like", "randn_like", "randperm", "manual_seed", "initial_seed",
             "get_rng_state", "set_rng_state", "cat", "stack", "where", "pad", "no_grad",
             "enable_grad", "set_grad_enabled", "is_grad_enabled", "Tensor"]
AUTOGRAD = ["Function", "backward", "grad", "topological_order", "gradcheck", "gradgradcheck",
            "GradcheckError"]
CALLABLES = [(topograd, n) for n in TOP_LEVEL] + [(autograd, n) for n in AUTOGRAD]


@pytest.mark.parametrize("owner,name", CALLABLES,
                         ids=[f"{o.__name__}.{n}" for o, n in CALLABLES])
def test_public_callables_have_summary_args_and_example(owner, name):
    obj = getattr(owner, name)
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    assert doc.splitlines()[0].strip().endswith("."), f"{name}: one-line summary first"
    assert ">>>" in doc, f"{name}: no example"
    if isinstance(obj, type):
        return
    params = [p for p in inspect.signature(obj).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if params:
        assert "Args:" in doc, f"{name}: arguments not described"


TENSOR_METHODS = sorted(
    n for n, v in inspect.getmembers(topograd.Tensor)
    if not n.startswith("_") and (callable(v) or isinstance(v, property))
)


@pytest.mark.parametrize("name", TENSOR_METHODS)
def test_tensor_methods_have_a_summary(name):
    doc = inspect.getdoc(getattr(topograd.Tensor, name))
    assert doc and doc.splitlines()[0].strip().endswith("."), f"Tensor.{name}"
