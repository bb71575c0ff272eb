"""The learning rate: one path writes it, and one plateau state machine is behind both
ReduceLROnPlateau, each keeping its own behaviour.

The scheduler is compared with PyTorch's in test_optim_lr_scheduler.py; here the Keras-style
callback (topograd.train) is compared with Keras 3's algorithm, written out below, on
random metric sequences and options.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import topograd
from topograd import optim, train
from topograd.keras import optimizers as kopt
from topograd.optim import lr_scheduler as ls
from topograd.optim.lr_scheduler.plateau import Plateau


def test_every_writer_of_the_learning_rate_goes_through_set_lr():
    calls = []

    def recording(cls):
        def set_lr(self, value):
            calls.append(value)
            cls.set_lr(self, value)
        return type("Recording" + cls.__name__, (cls,), {"set_lr": set_lr})

    w = topograd.zeros(1, requires_grad=True)
    opt = recording(optim.SGD)([w], lr=1.0)
    opt.lr = 0.5
    ls.StepLR(opt, step_size=1, gamma=0.5).step()
    plateau = ls.ReduceLROnPlateau(opt, patience=0)
    plateau.step(1.0)
    plateau.step(1.0)
    train.set_lr(opt, 0.2)
    trainer = type("Trainer", (), {"optimizer": opt})()
    cb = train.LearningRateScheduler(lambda epoch, lr: lr / 2)
    cb.trainer = trainer
    cb.on_epoch_begin(0)
    cb = train.ReduceLROnPlateau(monitor="loss", patience=0)
    cb.trainer = trainer
    cb.on_epoch_end(0, {"loss": 1.0})
    cb.on_epoch_end(1, {"loss": 1.0})
    assert calls == [0.5, [0.5], [0.25], [0.025], 0.2, 0.1, pytest.approx(0.01)]

    calls.clear()
    k = recording(kopt.SGD)(learning_rate=kopt.schedules.ExponentialDecay(1.0, 1, 0.5))
    k.build([w])
    w.grad = topograd.zeros(1)
    k.step()
    k.step()
    k.learning_rate = 0.1
    k.lr = 0.05
    assert calls == [1.0, 0.5, 0.1, 0.05]


def keras_reference(values, lr, factor, patience, min_delta, cooldown, min_lr, mode):
    """Keras 3's ReduceLROnPlateau.on_epoch_end, epoch by epoch; returns the lrs."""
    best, wait, cooldown_counter, lrs = (math.inf if mode == "min" else -math.inf), 0, 0, []
    for current in values:
        if cooldown_counter > 0:
            cooldown_counter -= 1
            wait = 0
        better = current < best - min_delta if mode == "min" else current > best + min_delta
        if better:
            best = current
            wait = 0
        elif cooldown_counter <= 0:
            wait += 1
            if wait >= patience and lr > min_lr:
                lr = max(lr * factor, min_lr)
                cooldown_counter = cooldown
                wait = 0
        lrs.append(lr)
    return lrs


OPTIONS = list(itertools.product([0, 1, 2, 4], [0, 1, 3], [0.0, 0.05], ["min", "max"]))


@pytest.mark.parametrize("patience,cooldown,min_delta,mode", OPTIONS)
def test_keras_callback_follows_keras(patience, cooldown, min_delta, mode):
    rng = np.random.default_rng(patience * 100 + cooldown * 10 + int(min_delta * 100))
    steps = rng.integers(-1, 2, size=120) * rng.random(120) * 0.1  # stalls and wobbles
    values = np.cumsum(steps if mode == "max" else -steps).tolist()
    w = topograd.zeros(1, requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    cb = train.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=patience, mode=mode,
                                 min_delta=min_delta, cooldown=cooldown, min_lr=0.01)
    cb.trainer = type("Trainer", (), {"optimizer": opt})()
    cb.on_train_begin()
    got = []
    for epoch, v in enumerate(values):
        cb.on_epoch_end(epoch, {"loss": v})
        got.append(opt.lr)
    want = keras_reference(values, 1.0, 0.5, patience, min_delta, cooldown, 0.01, mode)
    assert got == want
    assert min(got) == 0.01 or patience > 2  # the floor was reached in most cases


def test_keras_callback_state_round_trip_resumes_exactly():
    values = [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8]

    def run(cb, opt, vs, start=0):
        for epoch, v in enumerate(vs, start):
            cb.on_epoch_end(epoch, {"loss": v})
        return opt.lr

    def make():
        opt = optim.SGD([topograd.zeros(1, requires_grad=True)], lr=1.0)
        cb = train.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, cooldown=2)
        cb.trainer = type("Trainer", (), {"optimizer": opt})()
        return cb, opt

    cb, opt = make()
    straight = run(cb, opt, values)
    cb, opt = make()
    run(cb, opt, values[:4])
    state, lr = cb.state_dict(), opt.lr
    cb2, opt2 = make()
    assert cb2.state_dict()["best"] is None  # nothing seen yet (JSON-able)
    cb2.load_state_dict(state)
    opt2.lr = lr
    assert run(cb2, opt2, values[4:], 4) == straight


def test_the_state_machine_counts_as_pytorch():
    p = Plateau(mode="max", factor=0.5, patience=1, threshold=0.1, threshold_mode="abs",
                cooldown=1)
    seen = []
    for v in [1.0, 1.05, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0]:
        reduce = p.update(v)
        if reduce:
            p.restart()
        seen.append((reduce, p.num_bad_epochs, p.cooldown_counter))
    assert seen == [(False, 0, 0), (False, 1, 0), (True, 0, 1), (False, 0, 0),
                    (False, 1, 0), (True, 0, 1), (False, 0, 0), (False, 1, 0)]
    assert p.reduce(0.1, min_lr=0.08) == 0.08 and p.reduce(0.08, min_lr=0.08) == 0.08
