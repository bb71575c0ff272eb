"""The Optimizer base: groups, validation, lazy state, in-place updates, checkpoints."""

from __future__ import annotations

import re

import numpy as np
import pytest

import topograd
from topograd import optim

ALL = [
    (optim.SGD, {"lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (optim.SGD, {"lr": 0.02, "momentum": 0.9, "dampening": 0.2}),
    (optim.SGD, {"lr": 0.05}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    (optim.RMSprop, {"lr": 0.003, "momentum": 0.5, "centered": True, "weight_decay": 0.01}),
    (optim.RMSprop, {"lr": 0.003}),
    (optim.Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01}),
    (optim.AdamW, {"lr": 0.01}),
]
ALL_IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(ALL)]


def leaf(*shape, dtype=topograd.float64):
    return topograd.randn(*shape, dtype=dtype).requires_grad_()


def train(opt, params, problem, steps):
    for _ in range(steps):
        opt.zero_grad()
        problem.tg_backward(params)
        opt.step()


# -- construction ----------------------------------------------------------------------
def test_params_as_list_generator_groups_and_single_dict():
    a, b, c = leaf(2), leaf(3), leaf(4)
    assert optim.SGD([a, b], lr=0.1).param_groups[0]["params"] == [a, b]
    assert len(optim.SGD((p for p in [a, b]), lr=0.1).param_groups[0]["params"]) == 2
    opt = optim.SGD([{"params": [a, b]}, {"params": c, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    g0, g1 = opt.param_groups
    assert (g0["lr"], g0["momentum"], g1["lr"], g1["momentum"]) == (0.1, 0, 0.5, 0.9)
    assert g1["params"] == [c] and g1["nesterov"] is False  # defaults filled in
    assert optim.Adam({"params": [a], "lr": 0.2}).param_groups[0]["lr"] == 0.2


def test_group_dict_given_by_the_user_is_not_modified():
    a = leaf(2)
    group = {"params": (p for p in [a]), "lr": 0.5}
    optim.SGD([group])
    assert set(group) == {"params", "lr"}


def test_named_parameters_keep_their_names():
    a, b = leaf(2), leaf(3)
    opt = optim.SGD([("w", a), ("b", b)], lr=0.1)
    assert opt.param_groups[0]["params"] == [a, b]
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


@pytest.mark.parametrize("params,exc,msg", [
    ([], ValueError, "optimizer got an empty parameter list"),
    ([np.zeros(3)], TypeError, "one of the params (index 0) is numpy.ndarray"),
    ([[1.0, 2.0]], TypeError, "one of the params (index 0) is list"),
    ({topograd.zeros(1, requires_grad=True)}, TypeError, "ordered collections"),
    ([{"params": {topograd.zeros(1, requires_grad=True)}}], TypeError, "ordered collections"),
])
def test_bad_params_raise_naming_what_was_given(params, exc, msg):
    with pytest.raises(exc, match=re.escape(msg)):
        optim.SGD(params, lr=0.1)


def test_a_single_tensor_is_refused_with_its_type():
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got .*Tensor"):
        optim.SGD(leaf(3), lr=0.1)


def test_a_parameter_given_twice_raises():
    a, b = leaf(2), leaf(2)
    with pytest.raises(ValueError, match="parameter 2 .*appears twice"):
        optim.SGD([a, b, a], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a]}, {"params": [b, a]}], lr=0.1)
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    assert len(opt.param_groups) == 1  # nothing was added


def test_non_leaf_and_bad_group_raise():
    a = leaf(2)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2], lr=0.1)
    with pytest.raises(ValueError, match="'params' entry"):
        optim.SGD([{"lr": 0.1}], lr=0.1)
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict, but got list"):
        opt.add_param_group([leaf(2)])
    with pytest.raises(ValueError, match="Invalid momentum value: -1"):
        opt.add_param_group({"params": [leaf(2)], "momentum": -1})


BAD = [
    (optim.SGD, {"lr": -1}, "Invalid learning rate: -1"),
    (optim.SGD, {"lr": 0.1, "momentum": -0.5}, "Invalid momentum value: -0.5"),
    (optim.SGD, {"lr": 0.1, "weight_decay": -1e-4}, "Invalid weight_decay value: -0.0001"),
    (optim.SGD, {"lr": 0.1, "nesterov": True},
     "Nesterov momentum requires a momentum and zero dampening"),
    (optim.SGD, {"lr": 0.1, "nesterov": True, "momentum": 0.9, "dampening": 0.1},
     "Nesterov momentum requires a momentum and zero dampening"),
    (optim.Adagrad, {"lr": -0.1}, "Invalid learning rate: -0.1"),
    (optim.Adagrad, {"lr_decay": -1}, "Invalid lr_decay value: -1"),
    (optim.Adagrad, {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    (optim.Adagrad, {"initial_accumulator_value": -1},
     "Invalid initial_accumulator_value value: -1"),
    (optim.Adagrad, {"eps": -1}, "Invalid epsilon value: -1"),
    (optim.RMSprop, {"lr": -1}, "Invalid learning rate: -1"),
    (optim.RMSprop, {"eps": -1}, "Invalid epsilon value: -1"),
    (optim.RMSprop, {"momentum": -1}, "Invalid momentum value: -1"),
    (optim.RMSprop, {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    (optim.RMSprop, {"alpha": -1}, "Invalid alpha value: -1"),
    (optim.Adam, {"lr": -1}, "Invalid learning rate: -1"),
    (optim.Adam, {"eps": -1}, "Invalid epsilon value: -1"),
    (optim.Adam, {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    (optim.Adam, {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    (optim.Adam, {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    (optim.AdamW, {"lr": -1}, "Invalid learning rate: -1"),
    (optim.AdamW, {"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
    (optim.AdamW, {"weight_decay": -0.01}, "Invalid weight_decay value: -0.01"),
]


@pytest.mark.parametrize("cls,kwargs,msg", BAD, ids=[f"{c.__name__}-{m}" for c, _, m in BAD])
def test_bad_hyperparameters_raise_pytorchs_message(cls, kwargs, msg):
    with pytest.raises(ValueError, match=re.escape(msg)):
        cls([leaf(2)], **kwargs)
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=re.escape(msg)):  # the same words as PyTorch
        getattr(torch.optim, cls.__name__)([torch.zeros(2, requires_grad=True)], **kwargs)


def test_defaults_are_pytorchs():
    torch = pytest.importorskip("torch")
    t = torch.zeros(2, requires_grad=True)
    for name in ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW"):
        ours = getattr(optim, name)([leaf(2)]).defaults
        theirs = getattr(torch.optim, name)([t]).defaults
        for key, value in ours.items():
            assert theirs[key] == value, (name, key, value, theirs[key])


# -- stepping --------------------------------------------------------------------------
@pytest.mark.parametrize("cls,kwargs", ALL, ids=ALL_IDS)
def test_state_is_created_lazily_and_updates_are_in_place(cls, kwargs, problem):
    params = problem.tg_params()
    arrays = [p._data for p in params]
    opt = cls(params, **kwargs)
    assert len(opt.state) == 0
    train(opt, params, problem, 1)
    states = {id(p): {k: v for k, v in opt.state[p].items() if isinstance(v, np.ndarray)}
              for p in params}
    scratch = {k: v for k, v in opt._scratch.items()}
    versions = [p._version for p in params]
    train(opt, params, problem, 3)
    assert all(p._data is a for p, a in zip(params, arrays))  # updated in place
    for p in params:  # state arrays allocated once
        for k, v in states[id(p)].items():
            assert opt.state[p][k] is v
    assert all(opt._scratch[k] is v for k, v in scratch.items()) and len(opt._scratch) <= 2
    assert [p._version for p in params] == [v + 3 for v in versions]


@pytest.mark.parametrize("cls,kwargs", ALL, ids=ALL_IDS)
def test_float32_parameters_and_state_stay_float32(cls, kwargs, problem):
    params = [p.float().detach().requires_grad_() for p in problem.tg_params()]
    opt = cls(params, **kwargs)
    train(opt, params, problem, 3)
    assert all(p.dtype == np.float32 for p in params)
    for st in opt.state.values():
        assert all(v.dtype == np.float32 for v in st.values() if isinstance(v, np.ndarray))
    assert all(isinstance(v, float) for st in opt.state.values()
               for k, v in st.items() if k == "step")


def test_parameters_without_grad_are_skipped_and_get_no_state():
    a, b = leaf(3), leaf(3)
    before = b.numpy().copy()
    opt = optim.Adam([a, b], lr=0.1)
    (a * a).sum().backward()
    opt.step()
    assert b not in opt.state and b.grad is None
    np.testing.assert_array_equal(b.numpy(), before)


def test_zero_grad_to_none_or_to_zeros_in_place():
    a = leaf(3)
    opt = optim.SGD([a], lr=0.1)
    (a * a).sum().backward()
    g = a.grad._data
    opt.zero_grad(set_to_none=False)
    assert a.grad._data is g and not g.any()
    opt.zero_grad()
    assert a.grad is None
    opt.zero_grad()  # no gradient: nothing to do


def test_closure_runs_with_grad_enabled_and_its_loss_is_returned():
    a = topograd.tensor([3.0], dtype=topograd.float64, requires_grad=True)
    opt = optim.SGD([a], lr=0.25)
    calls = []

    def closure():
        calls.append(topograd.is_grad_enabled())
        opt.zero_grad()
        loss = (a ** 2).sum()
        loss.backward()
        return loss

    with topograd.no_grad():
        loss = opt.step(closure)
    assert calls == [True] and loss.item() == 9.0 and a.item() == 1.5
    assert opt.step() is None


def test_learning_rate_is_read_at_every_step():
    a = topograd.tensor([1.0], dtype=topograd.float64, requires_grad=True)
    opt = optim.SGD([a], lr=0.1)
    a.grad = topograd.tensor([1.0], dtype=topograd.float64)
    opt.step()
    opt.param_groups[0]["lr"] = 0.5
    opt.step()
    assert a.item() == pytest.approx(1.0 - 0.1 - 0.5, abs=1e-15)
    opt.lr = 0.25
    opt.step()
    assert a.item() == pytest.approx(0.4 - 0.25, abs=1e-15)


def test_lr_property_gets_and_sets_every_group():
    a, b = leaf(2), leaf(2)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.1}], lr=0.1)
    assert opt.lr == 0.1
    opt.lr = 0.01
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.01]
    opt.lr = [0.2, 0.3]
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.3]
    with pytest.raises(ValueError, match=re.escape("different learning rates [0.2, 0.3]")):
        opt.lr  # noqa: B018
    with pytest.raises(ValueError, match="expected 2 learning rates"):
        opt.lr = [0.1]
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        opt.lr = -1


def test_add_param_group_mid_training(problem):
    params = problem.tg_params()
    opt = optim.Adam(params[:4], lr=0.01)
    train(opt, params, problem, 2)
    opt.add_param_group({"params": [params[4]], "lr": 0.001})
    train(opt, params, problem, 3)
    assert opt.state[params[0]]["step"] == 5.0 and opt.state[params[4]]["step"] == 3.0
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)


def test_adagrad_initial_accumulator_value_per_group():
    a, b = leaf(2), leaf(2)
    opt = optim.Adagrad([{"params": [a]}, {"params": [b], "initial_accumulator_value": 2.0}],
                        initial_accumulator_value=0.5)
    (a.sum() + b.sum()).backward()
    opt.step()
    np.testing.assert_array_equal(opt.state[a]["sum"], [1.5, 1.5])
    np.testing.assert_array_equal(opt.state[b]["sum"], [3.0, 3.0])


def test_repr_lists_groups():
    opt = optim.SGD([{"params": [leaf(2)]}, {"params": [leaf(2)], "lr": 0.5}], lr=0.1)
    text = repr(opt)
    assert text.startswith("SGD (") and "Parameter Group 1" in text and "lr: 0.5" in text


# -- checkpoints -----------------------------------------------------------------------
def test_state_dict_format_and_copies(problem):
    params = problem.tg_params()
    opt = optim.Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.003}], lr=0.01)
    train(opt, params, problem, 3)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3, 4]]
    assert sd["param_groups"][1]["lr"] == 0.003
    assert set(sd["state"]) == {0, 1, 2, 3, 4}
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    saved = sd["state"][2]["exp_avg"].copy()
    assert sd["state"][2]["exp_avg"] is not opt.state[params[2]]["exp_avg"]
    train(opt, params, problem, 1)
    np.testing.assert_array_equal(sd["state"][2]["exp_avg"], saved)  # not aliased
    sd["param_groups"][0]["betas"] = (0.5, 0.5)
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)


RICHEST = [ALL[i] for i in (0, 3, 4, 6, 7)]  # every class, with most of its options


@pytest.mark.parametrize("cls,kwargs", RICHEST, ids=[c.__name__ for c, _ in RICHEST])
def test_resuming_from_state_dict_is_exact(cls, kwargs, problem):
    def make(values):
        params = problem.tg_params(values)
        spec = [([0, 1], {}), ([2, 3, 4], {"lr": kwargs.get("lr", 0.01) / 2})]
        return params, cls(problem.groups(params, spec), **kwargs)

    straight, opt = make(None)
    train(opt, straight, problem, 200)

    first, opt = make(None)
    train(opt, first, problem, 100)
    sd = opt.state_dict()
    resumed, opt2 = make([p.numpy() for p in first])
    opt2.lr = [1.0, 1.0]  # overwritten by the load
    opt2.load_state_dict(sd)
    train(opt2, resumed, problem, 100)
    for a, b in zip(resumed, straight):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_load_accepts_string_keys_and_tensors(problem):
    params = problem.tg_params()
    opt = optim.RMSprop(params, lr=0.003, momentum=0.5)
    train(opt, params, problem, 3)
    sd = opt.state_dict()
    as_json = {"state": {str(k): {n: (topograd.tensor(v) if isinstance(v, np.ndarray) else v)
                                  for n, v in st.items()} for k, st in sd["state"].items()},
               "param_groups": sd["param_groups"]}
    opt2 = optim.RMSprop(params)
    opt2.load_state_dict(as_json)
    for p in params:
        for k, v in opt.state[p].items():
            np.testing.assert_array_equal(opt2.state[p][k], v)
            assert type(opt2.state[p][k]) is type(v)


def test_loaded_state_is_cast_to_the_parameter_dtype():
    a = leaf(3, dtype=topograd.float32)
    opt = optim.Adam([a])
    opt.load_state_dict({"state": {0: {"step": np.float64(4), "exp_avg": np.ones(3),
                                       "exp_avg_sq": np.ones(3)}},
                         "param_groups": [{**opt.defaults, "params": [0]}]})
    assert opt.state[a]["exp_avg"].dtype == np.float32 and opt.state[a]["step"] == 4.0


def test_load_state_dict_validates_with_clear_errors():
    a, b, c = leaf(2), leaf(3), leaf(4)
    opt = optim.SGD([{"params": [a, b]}, {"params": [c]}], lr=0.1, momentum=0.9)
    for p in (a, b, c):
        p.grad = topograd.ones_like(p)
    opt.step()
    sd = opt.state_dict()

    one_group = optim.SGD([a, b, c], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups: it has 2, "
                                         "the optimizer has 1"):
        one_group.load_state_dict(sd)
    other_sizes = optim.SGD([{"params": [a]}, {"params": [b, c]}], lr=0.1)
    with pytest.raises(ValueError, match="group 0 has 2 parameters in the state dict and 1"):
        other_sizes.load_state_dict(sd)
    other_shapes = optim.SGD([{"params": [a, c]}, {"params": [b]}], lr=0.1)
    with pytest.raises(ValueError, match=r"'momentum_buffer' of parameter 1 has shape \(3,\), "
                                         r"but the parameter has shape \(4,\)"):
        other_shapes.load_state_dict(sd)
    bad_index = {"state": {7: {}}, "param_groups": sd["param_groups"]}
    with pytest.raises(ValueError, match="state for parameter 7"):
        opt.load_state_dict(bad_index)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})
    # a failed load leaves the optimizer as it was
    assert opt.param_groups[0]["params"] == [a, b] and "momentum_buffer" in opt.state[a]


def test_adamw_stays_decoupled_after_loading_an_adam_state():
    a = leaf(2)
    adam = optim.Adam([a], weight_decay=0.1)
    adamw = optim.AdamW([a])
    adamw.load_state_dict(adam.state_dict())
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True
