"""Schedulers: PyTorch's learning-rate sequences (to the bit) and trajectories."""

from __future__ import annotations

import math

import numpy as np
import pytest

import topograd
from topograd import optim
from topograd.optim import lr_scheduler as ls

torch = pytest.importorskip("torch")


class Warmup:
    """A callable object (its state is saved by LambdaLR.state_dict)."""

    def __init__(self, n):
        self.n = n

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.n)


# (name, kwargs or a function of the library's module giving the kwargs)
SCHEDULERS = [
    ("StepLR", {"step_size": 30, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [20, 50, 50, 120], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.99}),
    ("CosineAnnealingLR", {"T_max": 50, "eta_min": 0.001}),  # 200 steps: two periods
    ("CosineAnnealingLR", {"T_max": 30}),
    ("LinearLR", {"start_factor": 0.2, "end_factor": 0.9, "total_iters": 40}),
    ("LinearLR", {}),
    ("LambdaLR", {"lr_lambda": [lambda e: 1 / (1 + 0.05 * e), Warmup(10)]}),
]


def two_groups(params):
    return [{"params": params[:1], "lr": 0.03}, {"params": params[1:], "lr": 0.01}]


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=[f"{n}-{i}" for i, (n, _) in
                                                         enumerate(SCHEDULERS)])
def test_lrs_and_trajectory_match_pytorch(least_squares, name, kwargs):
    problem = least_squares
    tp, pp = problem.tg_params(), problem.torch_params()
    topt = optim.SGD(two_groups(tp), momentum=0.9)
    popt = torch.optim.SGD(two_groups(pp), momentum=0.9)
    tsched = getattr(ls, name)(topt, **kwargs)
    psched = getattr(torch.optim.lr_scheduler, name)(popt, **kwargs)
    for step in range(200):
        assert tsched.get_last_lr() == psched.get_last_lr(), step  # exact, not approximate
        assert [g["lr"] for g in topt.param_groups] == [g["lr"] for g in popt.param_groups]
        topt.zero_grad()
        popt.zero_grad()
        problem.tg_backward(tp)
        problem.torch_backward(pp)
        topt.step()
        popt.step()
        tsched.step()
        psched.step()
        if step % 10 == 9:
            problem.assert_close([p.numpy() for p in tp], [p.detach().numpy() for p in pp],
                                 what=f"{name} step {step}")
    assert tsched.last_epoch == psched.last_epoch == 200
    assert [g["initial_lr"] for g in topt.param_groups] == [0.03, 0.01]


def test_chained_schedulers_match_pytorch():
    t = optim.SGD([topograd.zeros(1, requires_grad=True)], lr=0.1)
    p = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    ours = [ls.LinearLR(t, start_factor=0.1, total_iters=10), ls.ExponentialLR(t, gamma=0.97),
            ls.MultiStepLR(t, milestones=[30, 60])]
    theirs = [torch.optim.lr_scheduler.LinearLR(p, start_factor=0.1, total_iters=10),
              torch.optim.lr_scheduler.ExponentialLR(p, gamma=0.97),
              torch.optim.lr_scheduler.MultiStepLR(p, milestones=[30, 60])]
    for _ in range(100):
        t.step()
        p.step()
        for a, b in zip(ours, theirs):
            a.step()
            b.step()
        assert t.param_groups[0]["lr"] == p.param_groups[0]["lr"]


def test_cosine_is_the_closed_form_without_outside_changes():
    opt = optim.SGD([topograd.zeros(1, requires_grad=True)], lr=1.0)
    sched = ls.CosineAnnealingLR(opt, T_max=20, eta_min=0.1)
    for epoch in range(1, 60):
        sched.step()
        want = 0.1 + 0.9 * (1 + math.cos(math.pi * epoch / 20)) / 2
        assert sched.get_last_lr()[0] == pytest.approx(want, abs=1e-12)


PLATEAU = [
    {},
    {"mode": "max", "factor": 0.5, "patience": 2},
    {"threshold_mode": "abs", "threshold": 0.05, "patience": 1, "cooldown": 3},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.01, "patience": 0, "factor": 0.7},
    {"patience": 1, "factor": 0.5, "min_lr": [0.004, 0.0], "eps": 1e-4},
    {"patience": 0, "factor": 0.1, "min_lr": 1e-3, "cooldown": 1},
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(i) for i in range(len(PLATEAU))])
def test_reduce_on_plateau_matches_pytorch(least_squares, kwargs):
    problem = least_squares
    tp, pp = problem.tg_params(), problem.torch_params()
    topt = optim.SGD(two_groups(tp), momentum=0.9)
    popt = torch.optim.SGD(two_groups(pp), momentum=0.9)
    tsched = ls.ReduceLROnPlateau(topt, **kwargs)
    psched = torch.optim.lr_scheduler.ReduceLROnPlateau(popt, **kwargs)
    # a metric that improves, stalls, wobbles and improves again
    rng = np.random.default_rng(1)
    metrics = np.concatenate([np.linspace(2, 1, 40), np.full(30, 1.0), 1 + 0.02 * rng.random(60),
                              np.linspace(1, 0.5, 70)])
    for step, m in enumerate(metrics):
        topt.zero_grad()
        popt.zero_grad()
        problem.tg_backward(tp)
        problem.torch_backward(pp)
        topt.step()
        popt.step()
        tsched.step(m)
        psched.step(m)
        assert tsched.get_last_lr() == psched.get_last_lr(), step
        assert (tsched.best, tsched.num_bad_epochs, tsched.cooldown_counter, tsched.last_epoch) \
            == (psched.best, psched.num_bad_epochs, psched.cooldown_counter, psched.last_epoch)
    assert tsched.get_last_lr() != [0.03, 0.01]  # it did reduce
    problem.assert_close([p.numpy() for p in tp], [p.detach().numpy() for p in pp])


def test_reduce_on_plateau_accepts_a_tensor_metric_and_validates():
    opt = optim.SGD([topograd.zeros(1, requires_grad=True)], lr=1.0)
    sched = ls.ReduceLROnPlateau(opt, patience=0)
    sched.step(topograd.tensor(1.0))
    sched.step(topograd.tensor(1.0))
    assert opt.param_groups[0]["lr"] == 0.1
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        ls.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode 'low' is unknown"):
        ls.ReduceLROnPlateau(opt, mode="low")
    with pytest.raises(ValueError, match="threshold mode 'x' is unknown"):
        ls.ReduceLROnPlateau(opt, threshold_mode="x")
    with pytest.raises(ValueError, match="expected 1 min_lrs, got 2"):
        ls.ReduceLROnPlateau(opt, min_lr=[0, 0])


def test_constructor_errors():
    opt = optim.SGD([topograd.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        ls.StepLR([], step_size=1)
    with pytest.raises(KeyError, match="initial_lr"):
        ls.StepLR(opt, step_size=1, last_epoch=5)
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        ls.LambdaLR(opt, [lambda e: 1, lambda e: 1])
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        ls.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Ending multiplicative factor"):
        ls.LinearLR(opt, end_factor=2)


@pytest.mark.parametrize("name,kwargs", SCHEDULERS + [("ReduceLROnPlateau", {"patience": 1})],
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULERS)]
                         + ["ReduceLROnPlateau"])
def test_state_dict_round_trip_resumes_exactly(name, kwargs):
    def make():
        a = topograd.zeros(1, requires_grad=True)
        opt = optim.SGD([{"params": [a]}, {"params": [topograd.zeros(1, requires_grad=True)],
                                           "lr": 0.5}], lr=0.1)
        return opt, getattr(ls, name)(opt, **kwargs)

    def advance(opt, sched, n, start):
        lrs = []
        for k in range(start, start + n):
            opt.step()
            sched.step(1.0 / (1 + k // 5)) if name == "ReduceLROnPlateau" else sched.step()
            lrs.append(sched.get_last_lr())
        return lrs

    opt, sched = make()
    straight = advance(opt, sched, 150, 0)
    opt, sched = make()
    first = advance(opt, sched, 70, 0)
    osd, ssd = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in ssd
    opt2, sched2 = make()  # build the scheduler first, then load both (PyTorch's order)
    opt2.load_state_dict(osd)
    sched2.load_state_dict(ssd)
    assert first + advance(opt2, sched2, 80, 70) == straight


def test_lambda_state_dict_keeps_callable_objects_state():
    opt = optim.SGD([topograd.zeros(1, requires_grad=True)], lr=1.0)
    sched = ls.LambdaLR(opt, Warmup(10))
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"n": 10}]
    other = ls.LambdaLR(opt, Warmup(3))
    other.load_state_dict(sd)
    assert other.lr_lambdas[0].n == 10 and "lr_lambdas" in sd


def test_schedulers_see_lr_set_through_the_optimizer():
    opt = optim.Adam([topograd.zeros(1, requires_grad=True)], lr=1.0)
    sched = ls.ExponentialLR(opt, gamma=0.5)
    opt.lr = 4.0
    sched.step()
    assert opt.lr == 2.0 and sched.base_lrs == [1.0]
