"""Every public name of topograd.nn is documented with a summary and an example, and the
examples run."""

from __future__ import annotations

import inspect

import pytest

from topograd import nn

INIT = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "zeros_", "ones_",
        "eye_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
        "orthogonal_"]
PUBLIC = ([(nn, n) for n in nn.__all__ if callable(getattr(nn, n))]
          + [(nn.functional, n) for n in nn.functional.__all__]
          + [(nn.init, n) for n in INIT] + [(nn.utils, n) for n in nn.utils.__all__])


@pytest.mark.parametrize("owner,name", PUBLIC, ids=[f"{o.__name__}.{n}" for o, n in PUBLIC])
def test_public_callables_have_summary_and_example(owner, name):
    obj = getattr(owner, name)
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    assert doc.splitlines()[0].strip().endswith("."), f"{name}: one-line summary first"
    assert ">>>" in doc, f"{name}: no example"




def test_parameter_is_the_core_parameter():
    import topograd

    assert nn.Parameter is topograd.Parameter
