"""Keras optimizers: Keras 3's update rules, defaults, schedules, clipping, state."""

import math

import numpy as np
import pytest

import topograd
from topograd.keras import optimizers
from topograd.keras.optimizers import schedules

rng = np.random.default_rng(0)
W0 = rng.normal(size=(3, 4))
TARGET = rng.normal(size=(3, 4))
SCALE = rng.uniform(0.1, 2.0, size=(3, 4))


def _grad(w):
    return 2 * SCALE * (w - TARGET)


def _run(opt, steps=5):
    w = topograd.tensor(W0.copy(), dtype=topograd.float64, requires_grad=True)
    opt.build([w])
    for _ in range(steps):
        opt.zero_grad()
        (((w - topograd.tensor(TARGET)) ** 2) * topograd.tensor(SCALE)).sum().backward()
        opt.step()
    return w.numpy()


def _reference(name, steps=5, **h):
    w = W0.copy()
    s1, s2, s3 = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    if name == "adagrad":
        s1[...] = h.get("initial_accumulator_value", 0.1)
    lr = h.get("learning_rate", 0.001)
    for t in range(1, steps + 1):
        g = _grad(w)
        if name == "sgd":
            mu = h.get("momentum", 0.0)
            s1 = mu * s1 - lr * g
            w = w + (mu * s1 - lr * g if h.get("nesterov") else s1)
        elif name == "rmsprop":
            rho, eps = h.get("rho", 0.9), h.get("epsilon", 1e-7)
            s1 = rho * s1 + (1 - rho) * g * g
            if h.get("centered"):
                s2 = rho * s2 + (1 - rho) * g
                inc = lr * g / np.sqrt(s1 - s2 * s2 + eps)
            else:
                inc = lr * g / np.sqrt(s1 + eps)
            if h.get("momentum"):
                s3 = h["momentum"] * s3 + inc
                w = w - s3
            else:
                w = w - inc
        elif name == "adagrad":
            s1 = s1 + g * g
            w = w - lr * g / np.sqrt(s1 + h.get("epsilon", 1e-7))
        elif name in ("adam", "adamw"):
            b1, b2, eps = h.get("beta_1", 0.9), h.get("beta_2", 0.999), h.get("epsilon", 1e-7)
            if name == "adamw":
                w = w - w * h.get("weight_decay", 0.004) * lr
            alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            s1 = s1 + (g - s1) * (1 - b1)
            s2 = s2 + (g * g - s2) * (1 - b2)
            v = s2
            if h.get("amsgrad"):
                s3 = np.maximum(s3, s2)
                v = s3
            w = w - alpha * s1 / (np.sqrt(v) + eps)
    return w


CASES = [
    ("sgd", optimizers.SGD, {"learning_rate": 0.01}),
    ("sgd", optimizers.SGD, {"learning_rate": 0.05, "momentum": 0.9}),
    ("sgd", optimizers.SGD, {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("rmsprop", optimizers.RMSprop, {}),
    ("rmsprop", optimizers.RMSprop, {"learning_rate": 0.01, "rho": 0.8, "epsilon": 1e-3}),
    ("rmsprop", optimizers.RMSprop, {"learning_rate": 0.01, "centered": True, "momentum": 0.5}),
    ("adagrad", optimizers.Adagrad, {"learning_rate": 0.1}),
    ("adam", optimizers.Adam, {}),
    ("adam", optimizers.Adam, {"learning_rate": 0.1, "beta_1": 0.5, "amsgrad": True}),
    ("adamw", optimizers.AdamW, {"learning_rate": 0.1, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("name,cls,hyper", CASES)
def test_keras_update_rules(name, cls, hyper):
    np.testing.assert_allclose(_run(cls(**hyper)), _reference(name, **hyper), rtol=1e-12,
                               atol=1e-14)


def test_sgd_momentum_matches_pytorch():
    torch = pytest.importorskip("torch")
    w = torch.tensor(W0.copy(), requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.05, momentum=0.9)
    for _ in range(5):
        opt.zero_grad()
        (((w - torch.tensor(TARGET)) ** 2) * torch.tensor(SCALE)).sum().backward()
        opt.step()
    np.testing.assert_allclose(_run(optimizers.SGD(0.05, momentum=0.9)), w.detach().numpy(),
                               rtol=1e-12)


def test_keras_defaults_and_names():
    assert optimizers.get("rmsprop").get_config()["learning_rate"] == 0.001
    r = optimizers.get("RMSprop")
    assert (r.rho, r.epsilon, r.momentum, r.centered) == (0.9, 1e-7, 0.0, False)
    a = optimizers.get("adam")
    assert (a.learning_rate, a.beta_1, a.beta_2, a.epsilon) == (0.001, 0.9, 0.999, 1e-7)
    assert optimizers.get("sgd").learning_rate == 0.01
    assert optimizers.get("adagrad").initial_accumulator_value == 0.1
    assert optimizers.get("adamw").weight_decay == 0.004
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'.*adagrad, adam, adamw"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Adam(beta_1=1.0)
    with pytest.raises(ValueError, match="only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


def test_learning_rate_property_and_schedule():
    opt = optimizers.SGD(learning_rate=schedules.ExponentialDecay(1.0, 1, 0.5))
    seen = []
    w = topograd.tensor([1.0], requires_grad=True)
    opt.build([w])
    for _ in range(3):
        w.grad = topograd.tensor([0.0])
        opt.step()
        seen.append(opt.learning_rate)
    assert seen == [1.0, 0.5, 0.25] and opt.iterations == 3
    opt.learning_rate = 0.1
    assert opt.param_groups[0]["lr"] == 0.1 and opt.lr == 0.1


def test_schedules():
    assert schedules.PiecewiseConstantDecay([10], [1.0, 0.1])(11) == 0.1
    c = schedules.CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=5)
    assert c(0) == 0.0 and c(5) == 1.0 and c(15) == pytest.approx(0.0)
    assert schedules.InverseTimeDecay(1.0, 2, 1.0)(2) == 0.5


def test_clipping():
    def step(opt, g):
        w = topograd.tensor(np.zeros(2), dtype=topograd.float64, requires_grad=True)
        opt.build([w])
        w.grad = topograd.tensor(np.array(g), dtype=topograd.float64)
        opt.step()
        return -w.numpy()

    np.testing.assert_allclose(step(optimizers.SGD(1.0, clipnorm=1.0), [3.0, 4.0]), [0.6, 0.8])
    np.testing.assert_allclose(step(optimizers.SGD(1.0, clipvalue=1.0), [3.0, -0.5]),
                               [1.0, -0.5])
    np.testing.assert_allclose(step(optimizers.SGD(1.0, global_clipnorm=10.0), [3.0, 4.0]),
                               [3.0, 4.0])


def test_state_dict_roundtrip_continues_identically():
    a = optimizers.Adam(learning_rate=0.05)
    wa = _run(a, steps=3)
    b = optimizers.Adam(learning_rate=0.5)
    w = topograd.tensor(wa.copy(), dtype=topograd.float64, requires_grad=True)
    b.build([w])
    b.load_state_dict(a.state_dict())
    assert b.iterations == 3 and b.learning_rate == 0.05
    wa_t = a.param_groups[0]["params"][0]
    for opt, t in ((a, wa_t), (b, w)):
        opt.zero_grad()
        (((t - topograd.tensor(TARGET)) ** 2) * topograd.tensor(SCALE)).sum().backward()
        opt.step()
    np.testing.assert_array_equal(wa_t.numpy(), w.numpy())
    with pytest.raises(RuntimeError, match="build"):
        optimizers.Adam().load_state_dict(a.state_dict())


def test_keras_optimizers_are_the_optim_rules_with_keras_conventions():
    from topograd import optim

    pairs = [(optimizers.SGD, optim.SGD), (optimizers.RMSprop, optim.RMSprop),
             (optimizers.Adagrad, optim.Adagrad), (optimizers.Adam, optim.Adam),
             (optimizers.AdamW, optim.Adam)]
    for kcls, rule in pairs:
        group = kcls().param_groups[0]
        assert isinstance(kcls(), rule) and group["params"] == []
        assert group["convention"] == "keras" and group["decoupled_weight_decay"] is True
    # the PyTorch face, given a group with Keras's conventions, runs the same numbers
    hyper = {"learning_rate": 0.01, "rho": 0.8, "epsilon": 1e-3, "centered": True,
             "momentum": 0.5, "weight_decay": 0.1}
    w = topograd.tensor(W0.copy(), dtype=topograd.float64, requires_grad=True)
    torch_face = optim.RMSprop([{"params": [w], "convention": "keras",
                                 "decoupled_weight_decay": True}],
                               lr=0.01, alpha=0.8, eps=1e-3, centered=True, momentum=0.5,
                               weight_decay=0.1)
    for _ in range(5):
        torch_face.zero_grad()
        (((w - topograd.tensor(TARGET)) ** 2) * topograd.tensor(SCALE)).sum().backward()
        torch_face.step()
    np.testing.assert_array_equal(w.numpy(), _run(optimizers.RMSprop(**hyper)))


def test_keras_hyperparameters_are_the_groups_options():
    opt = optimizers.Adam(beta_1=0.8)
    opt.beta_2 = 0.99
    assert opt.param_groups[0]["betas"] == (0.8, 0.99) and opt.get_config()["beta_2"] == 0.99
    assert optimizers.SGD().weight_decay is None
    opt.weight_decay = 0.1
    assert opt.param_groups[0]["weight_decay"] == 0.1 and opt.weight_decay == 0.1
    # Nesterov without momentum is plain SGD (Keras accepts it)
    np.testing.assert_array_equal(_run(optimizers.SGD(0.05, nesterov=True)),
                                  _run(optimizers.SGD(0.05)))


def test_loading_keeps_the_keras_conventions():
    from topograd import optim

    w = topograd.tensor(W0.copy(), dtype=topograd.float64, requires_grad=True)
    k = optimizers.Adam(learning_rate=0.1)
    k.build([w])
    k.load_state_dict(optim.Adam([w], lr=0.5).state_dict())  # no 'convention' there
    assert k.learning_rate == 0.5 and k.param_groups[0]["convention"] == "keras"
