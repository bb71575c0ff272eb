"""Grad mode is per thread, as in PyTorch: no_grad in one thread leaves the others alone.

New threads start with grad enabled whatever the mode of the thread that started them,
and two trainings run side by side end where they end when run one after the other.
"""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import topograd
from topograd import nn, optim, train
from topograd.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled


@pytest.fixture(autouse=True)
def _grad_mode_on():
    assert is_grad_enabled(), "grad mode was left off before this test"
    yield
    assert is_grad_enabled(), "this test left grad mode off"


def _run_threads(*targets):
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - reported by the test
                errors.append(e)
        return run

    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_does_not_turn_off_another():
    entered, built = threading.Event(), threading.Event()
    seen = {}

    def inference():
        with no_grad():
            entered.set()
            assert built.wait(10)
            seen["inference"] = is_grad_enabled()

    def training():
        assert entered.wait(10)
        x = topograd.ones(2, requires_grad=True)
        y = (x * 2).sum()
        seen["training"] = (is_grad_enabled(), y.requires_grad)
        built.set()
        y.backward()
        seen["grad"] = x.grad.tolist()

    _run_threads(inference, training)
    assert seen == {"inference": False, "training": (True, True), "grad": [2.0, 2.0]}
    assert is_grad_enabled()


@pytest.mark.parametrize("switch", ["no_grad", "set_grad_enabled"])
def test_new_thread_starts_with_grad_enabled(switch):
    seen = []
    ctx = no_grad() if switch == "no_grad" else set_grad_enabled(False)
    with ctx:
        t = threading.Thread(target=lambda: seen.append(is_grad_enabled()))
        t.start()
        t.join()
        assert not is_grad_enabled()
    assert seen == [True]
    assert is_grad_enabled()


def test_no_grad_loop_while_another_thread_builds_graphs():
    stop = threading.Event()
    bad = []

    def inference():
        w = topograd.ones(3, requires_grad=True)
        while not stop.is_set():
            with no_grad():
                if (w * 2).requires_grad or is_grad_enabled():
                    bad.append("no_grad leaked")

    def training():
        try:
            x = topograd.ones(3, requires_grad=True)
            for _ in range(3000):
                y = (x * 3).tanh().sum()
                if not y.requires_grad:
                    bad.append("graph not recorded")
                    break
                y.backward()
        finally:
            stop.set()

    _run_threads(inference, training)
    assert bad == []


def test_shared_grad_mode_instance_restores_each_thread():
    """One no_grad object entered by two threads at once restores each thread's mode."""
    ng = no_grad()
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with ng:
            a_in.set()
            assert b_in.wait(10)
        seen["a"] = is_grad_enabled()
        a_out.set()

    def b():
        with enable_grad():
            assert a_in.wait(10)
            with set_grad_enabled(False):
                with ng:
                    b_in.set()
                    assert a_out.wait(10)
                seen["b_inner"] = is_grad_enabled()
            seen["b"] = is_grad_enabled()

    _run_threads(a, b)
    assert seen == {"a": True, "b_inner": False, "b": True}


# -- two trainings side by side -------------------------------------------------------
#
# Thread A's validation (under no_grad) blocks inside its loss until thread B has run a
# training step: with one grad mode for all threads, B's step would record no graph.

class _Rendezvous:
    def __init__(self):
        self.a_in_no_grad = threading.Event()
        self.b_stepped = threading.Event()

    def loss_hook(self, n):
        """Called by A's loss on ``n`` samples: in validation (6 samples: a batch of 6, or
        of 4 and 2; the training batches have 4), wait there, under no_grad, for B's
        training step."""
        if n != 4 and not self.a_in_no_grad.is_set():
            assert not is_grad_enabled()
            self.a_in_no_grad.set()
            assert self.b_stepped.wait(20)

    def callbacks(self, base):
        rv = self

        class Lockstep(base):
            def on_train_batch_begin(self, batch, logs=None):
                if batch == 2 and not rv.b_stepped.is_set():
                    assert rv.a_in_no_grad.wait(20)

            def on_train_batch_end(self, batch, logs=None):
                if batch == 2 and rv.a_in_no_grad.is_set():
                    rv.b_stepped.set()

        return [Lockstep()]


def _data(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((48, 5)).astype(np.float32)
    y = (x @ rng.standard_normal((5, 1)) > 0).astype(np.float32)
    return x, y


def _keras_fit(seed, rv=None, role=None):
    from topograd import keras

    def loss(y_true, y_pred):
        if role == "a":
            rv.loss_hook(len(y_true))
        return keras.losses.binary_crossentropy(y_true, y_pred)

    init = keras.initializers.GlorotUniform(seed=seed)
    model = keras.Sequential([
        keras.Input((5,)),
        keras.layers.Dense(8, activation="tanh", kernel_initializer=init),
        keras.layers.Dense(1, activation="sigmoid", kernel_initializer=init),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=loss, metrics=["accuracy"])
    x, y = _data(seed)
    cbs = rv.callbacks(keras.callbacks.Callback) if role == "b" else None
    model.fit(x, y, batch_size=4, epochs=4, shuffle=False, verbose=0,
              validation_data=(x[:6], y[:6]), callbacks=cbs)
    return [w.copy() for w in model.get_weights()]


def _torch_style_fit(seed, rv=None, role=None):
    from topograd.train.callbacks import Callback

    gen = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1))
    with no_grad():
        for p in model.parameters():
            p.copy_(topograd.tensor(gen.uniform(-0.5, 0.5, p.shape).astype(np.float32)))
    mse = nn.MSELoss()

    def loss(out, target):
        if role == "a":
            rv.loss_hook(len(target))
        return mse(out, target)

    x, y = _data(seed)
    opt = optim.SGD(model.parameters(), lr=0.1)
    cbs = rv.callbacks(Callback) if role == "b" else None
    train.fit(model, loss, opt, x, y, batch_size=4, epochs=4, shuffle=False, verbose=0,
              validation_data=(x[:6], y[:6]), metrics=["mae"], callbacks=cbs)
    return [p.detach().numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("fit", [_keras_fit, _torch_style_fit], ids=["keras", "train.fit"])
def test_two_fits_in_threads_match_sequential_fits(fit):
    sequential = [fit(1), fit(2)]
    rv = _Rendezvous()
    threaded = {}
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: the fits interleave everywhere
    try:
        _run_threads(lambda: threaded.__setitem__(1, fit(1, rv, "a")),
                     lambda: threaded.__setitem__(2, fit(2, rv, "b")))
    finally:
        sys.setswitchinterval(old)
    assert rv.a_in_no_grad.is_set() and rv.b_stepped.is_set()
    for seed, want in zip((1, 2), sequential):
        for got, w in zip(threaded[seed], want):
            np.testing.assert_array_equal(got, w)
