"""Every public name of topograd.optim is documented, and the examples run."""

from __future__ import annotations

import inspect

import pytest

from topograd import optim
from topograd.optim import lr_scheduler

PUBLIC = ([(optim, n) for n in optim.__all__ if n != "lr_scheduler"]
          + [(lr_scheduler, n) for n in lr_scheduler.__all__])
METHODS = [(optim.Optimizer, m) for m in ("step", "zero_grad", "add_param_group",
                                          "state_dict", "load_state_dict", "lr")]
METHODS += [(lr_scheduler.LRScheduler, m) for m in ("step", "get_last_lr", "state_dict",
                                                    "load_state_dict")]
METHODS += [(lr_scheduler.ReduceLROnPlateau, "step")]


def _check(obj, name):
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    assert doc.splitlines()[0].strip().endswith("."), f"{name}: one-line summary first"
    assert ">>>" in doc, f"{name}: no example"
    return doc


@pytest.mark.parametrize("module,name", PUBLIC, ids=[n for _, n in PUBLIC])
def test_public_classes_have_summary_args_and_example(module, name):
    obj = getattr(module, name)
    doc = _check(obj, name)
    assert "Args:" in doc, f"{name}: arguments not described"


PAPERS = {"SGD": ["Polyak", "1964", "Sutskever", "2013"], "Adagrad": ["Duchi", "2011"],
          "RMSprop": ["Tieleman", "Hinton", "2012"], "Adam": ["Kingma", "Ba", "2015", "Reddi",
                                                                 "2018"],
          "AdamW": ["Loshchilov", "Hutter", "2019"]}


@pytest.mark.parametrize("name", sorted(PAPERS))
def test_optimizers_state_the_rule_and_cite_the_paper(name):
    doc = inspect.getdoc(getattr(optim, name))
    assert all(word in doc for word in PAPERS[name]), name
    assert "p = p" in doc  # the update rule is written out


@pytest.mark.parametrize("cls,name", METHODS, ids=[f"{c.__name__}.{m}" for c, m in METHODS])
def test_public_methods_have_summary_and_example(cls, name):
    attr = inspect.getattr_static(cls, name)
    _check(attr.fget if isinstance(attr, property) else attr, f"{cls.__name__}.{name}")
