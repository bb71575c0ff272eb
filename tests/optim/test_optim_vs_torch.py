"""Every optimizer follows PyTorch's trajectory: 200 steps, float64, 1e-10 relative."""

from __future__ import annotations

import numpy as np
import pytest

from topograd import optim

torch = pytest.importorskip("torch")

# (name, options, groups): groups is None (one group) or [(param indices, options), ...].
# Giving each parameter its own group runs several option sets in one walk.
# Learning rates are kept where the walk is smooth: with a fast-adapting second moment
# (small alpha or beta2) and a large step, the walk turns chaotic near the minimum, and
# differences of one rounding (PyTorch's kernels fuse multiply-adds) grow to 1e-2.
CASES = [
    ("SGD", {"lr": 0.05}, None),
    ("SGD", {"lr": 0.02, "momentum": 0.9}, None),
    ("SGD", {"lr": 0.02}, [([0], {"momentum": 0.9}),
                           ([1], {"momentum": 0.9, "dampening": 0.5}),
                           ([2], {"momentum": 0.9, "nesterov": True}),
                           ([3], {"momentum": 0.8, "weight_decay": 0.05, "nesterov": True}),
                           ([4], {"weight_decay": 0.1, "lr": 0.05})]),
    ("SGD", {"lr": 0.01}, [([0, 1], {"momentum": 0.8, "weight_decay": 0.05, "dampening": 0.3,
                                     "lr": 0.03}),
                           ([2, 3, 4], {"momentum": 0.5})]),
    ("Adagrad", {}, None),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.3, "weight_decay": 0.02}, None),
    ("Adagrad", {"lr": 0.1}, [([0], {"lr_decay": 0.01}),
                              ([1], {"weight_decay": 0.02}),
                              ([2], {"eps": 1e-3, "lr": 0.05}),
                              ([3, 4], {"weight_decay": 0.1, "lr_decay": 0.05})]),
    ("RMSprop", {}, None),
    ("RMSprop", {"lr": 0.003}, [([0], {"momentum": 0.9}),
                                ([1], {"centered": True}),
                                ([2], {"centered": True, "momentum": 0.7, "weight_decay": 0.05,
                                       "lr": 0.002}),
                                ([3], {"alpha": 0.9, "eps": 1e-4, "lr": 0.001}),
                                # alpha < 0.5: torch.lerp's other formula
                                ([4], {"alpha": 0.4, "centered": True, "eps": 0.1,
                                       "lr": 0.002})]),
    ("Adam", {"lr": 0.01}, None),
    ("Adam", {"lr": 0.003}, [([0], {"amsgrad": True}),
                             ([1], {"weight_decay": 0.1}),
                             ([2], {"betas": (0.8, 0.99), "eps": 1e-6}),
                             ([3], {"betas": (0.3, 0.9), "lr": 0.001}),  # lerp, weight > .5
                             ([4], {"weight_decay": 0.1, "decoupled_weight_decay": True})]),
    ("AdamW", {"lr": 0.01}, None),
    ("AdamW", {"lr": 0.01}, [([0, 1], {"weight_decay": 0.3, "amsgrad": True}),
                             ([2, 3], {"weight_decay": 0.0}),
                             ([4], {"lr": 0.02})]),
]

def _id(case):
    name, opts, spec = case
    body = ",".join(f"{k}={v}" for k, v in opts.items())
    return f"{name}({body}){'-groups' if spec else ''}"


def run_both(problem, name, opts, spec, steps, skip=None):
    """Run topograd and PyTorch side by side; compare the parameters after every step."""
    tp, pp = problem.tg_params(), problem.torch_params()
    topt = getattr(optim, name)(problem.groups(tp, spec), **opts)
    popt = getattr(torch.optim, name)(problem.groups(pp, spec), **opts)
    for step in range(steps):
        topt.zero_grad()
        popt.zero_grad()
        lt, lp = problem.tg_backward(tp), problem.torch_backward(pp)
        assert abs(lt - lp) <= 1e-10 * abs(lp), (step, lt, lp)
        if skip is not None:  # a parameter with no gradient this step is left alone
            for i in skip(step):
                tp[i].grad = pp[i].grad = None
        topt.step()
        popt.step()
        if step % 5 == 4:
            problem.assert_close([p.numpy() for p in tp], [p.detach().numpy() for p in pp],
                                 what=f"{name} step {step}")
    return topt, popt, tp, pp


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_trajectory_matches_pytorch(problem, case):
    name, opts, spec = case
    topt, popt, tp, pp = run_both(problem, name, opts, spec, steps=200)
    # the walk went somewhere: the parameters moved well beyond rounding
    moved = max(float(np.max(np.abs(p.numpy() - v))) for p, v in zip(tp, problem.init))
    assert moved > 1e-2
    # and the state is PyTorch's, entry by entry
    tsd, psd = topt.state_dict(), popt.state_dict()
    assert tsd["state"].keys() == psd["state"].keys()
    for k, st in tsd["state"].items():
        assert st.keys() == psd["state"][k].keys(), (k, st.keys(), psd["state"][k].keys())
        for key, v in st.items():
            want = psd["state"][k][key]
            if key == "step":
                assert v == want.item()
            else:
                problem.assert_close([v], [want.numpy()], what=f"state {k} {key}")


@pytest.mark.parametrize("name,opts", [("SGD", {"lr": 0.02, "momentum": 0.9}),
                                       ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
                                       ("RMSprop", {"lr": 0.003, "centered": True}),
                                       ("Adam", {"lr": 0.01, "amsgrad": True})])
def test_parameters_without_grad_are_skipped_like_pytorch(problem, name, opts):
    # z gets no gradient every third step, b1 none for the first five: per-parameter
    # step counts (Adam's bias correction, Adagrad's lr decay) drift apart
    def skip(step):
        return ([4] if step % 3 == 0 else []) + ([1] if step < 5 else [])

    topt, _, tp, _ = run_both(problem, name, opts, None, steps=60, skip=skip)
    if "step" in topt.state[tp[4]]:
        assert topt.state[tp[4]]["step"] == 40.0
        assert topt.state[tp[1]]["step"] == 55.0


def test_float32_trajectory_stays_float32_and_close(problem):
    tp = [p.float().detach().requires_grad_() for p in problem.tg_params()]
    pp = [p.float().detach().requires_grad_() for p in problem.torch_params()]
    topt = optim.Adam(tp, lr=0.01, amsgrad=True, weight_decay=0.01)
    popt = torch.optim.Adam(pp, lr=0.01, amsgrad=True, weight_decay=0.01)
    for _ in range(50):
        topt.zero_grad()
        popt.zero_grad()
        problem.tg_backward(tp)
        problem.torch_backward(pp)
        topt.step()
        popt.step()
    for p in tp:
        assert p.dtype == np.float32
    for st in topt.state.values():
        assert all(v.dtype == np.float32 for v in st.values() if isinstance(v, np.ndarray))
    problem.assert_close([p.numpy() for p in tp], [p.detach().numpy() for p in pp], rtol=1e-4)


@pytest.mark.parametrize("name,opts", [("SGD", {"lr": 0.02, "momentum": 0.9, "nesterov": True}),
                                       ("Adam", {"lr": 0.01, "amsgrad": True})])
def test_loads_a_pytorch_state_dict_and_continues_like_pytorch(problem, name, opts):
    pp = problem.torch_params()
    popt = getattr(torch.optim, name)(pp, **opts)
    for _ in range(50):
        popt.zero_grad()
        problem.torch_backward(pp)
        popt.step()
    tp = problem.tg_params([p.detach().numpy() for p in pp])
    topt = getattr(optim, name)(tp, lr=0.5)  # hyperparameters come from the state dict
    topt.load_state_dict(popt.state_dict())  # torch tensors, torch's extra group keys
    assert topt.param_groups[0]["lr"] == opts["lr"]
    for _ in range(50):
        topt.zero_grad()
        popt.zero_grad()
        problem.tg_backward(tp)
        problem.torch_backward(pp)
        topt.step()
        popt.step()
    problem.assert_close([p.numpy() for p in tp], [p.detach().numpy() for p in pp])


def test_pytorch_loads_a_topograd_state_dict(problem):
    tp = problem.tg_params()
    topt = optim.Adam(tp, lr=0.01)
    for _ in range(100):
        topt.zero_grad()
        problem.tg_backward(tp)
        topt.step()
    sd = topt.state_dict()
    converted = {
        "state": {k: {n: torch.tensor(v) for n, v in st.items()} for k, st in sd["state"].items()},
        "param_groups": sd["param_groups"],
    }
    pp = problem.torch_params([p.numpy() for p in tp])
    popt = torch.optim.Adam(pp)
    popt.load_state_dict(converted)
    for _ in range(50):
        topt.zero_grad()
        popt.zero_grad()
        problem.tg_backward(tp)
        problem.torch_backward(pp)
        topt.step()
        popt.step()
    problem.assert_close([p.numpy() for p in tp], [p.detach().numpy() for p in pp])
