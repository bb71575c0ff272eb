"""Keras losses: Keras's formulas, from_logits, and the fused softmax/sigmoid step."""

import warnings

import numpy as np
import pytest

import topograd
from topograd.keras import layers, losses, models

rng = np.random.default_rng(0)
EPS = 1e-7


def _probs(n=6, c=4):
    z = rng.normal(size=(n, c))
    return np.exp(z) / np.exp(z).sum(1, keepdims=True), z


def _t(a):
    return topograd.tensor(a, dtype=topograd.float64)


def test_crossentropies_match_keras_formulas():
    p, z = _probs()
    labels = rng.integers(0, 4, 6)
    onehot = np.eye(4)[labels]
    want = -np.log(np.clip(p, EPS, 1 - EPS))[np.arange(6), labels]
    for name, y in (("categorical_crossentropy", onehot),
                    ("sparse_categorical_crossentropy", labels)):
        loss = losses.get(name)
        np.testing.assert_allclose(loss.call(y, _t(p)).numpy(), want, rtol=1e-10)
        assert loss(y, _t(p)).item() == pytest.approx(want.mean())
        logits_loss = type(loss)(from_logits=True)
        assert logits_loss(y, _t(z)).item() == pytest.approx(want.mean())
    smooth = losses.CategoricalCrossentropy(label_smoothing=0.2)
    ys = onehot * 0.8 + 0.05
    assert smooth(onehot, _t(p)).item() == pytest.approx(
        (-(ys * np.log(np.clip(p, EPS, 1))).sum(1)).mean())


def test_binary_crossentropy_and_regression_losses():
    y = rng.integers(0, 2, (5, 3)).astype(float)
    z = rng.normal(size=(5, 3))
    p = 1 / (1 + np.exp(-z))
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(1)
    np.testing.assert_allclose(losses.binary_crossentropy(y, _t(p)).numpy(), bce, rtol=1e-8)
    np.testing.assert_allclose(losses.binary_crossentropy(y, _t(z), from_logits=True).numpy(),
                               bce, rtol=1e-8)
    t, q = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    assert losses.get("mse")(t, _t(q)).item() == pytest.approx(((t - q) ** 2).mean())
    assert losses.get("mae")(t, _t(q)).item() == pytest.approx(np.abs(t - q).mean())
    hinge = np.maximum(1 - (2 * y - 1) * z, 0).mean(1)
    np.testing.assert_allclose(losses.hinge(y, _t(z)).numpy(), hinge, rtol=1e-10)
    oh = np.eye(3)[[0, 2, 1, 1, 0]]
    pos = (oh * z).sum(1)
    neg = ((1 - oh) * z).max(1)
    np.testing.assert_allclose(losses.categorical_hinge(oh, _t(z)).numpy(),
                               np.maximum(neg - pos + 1, 0), rtol=1e-10)
    pp, _ = _probs(5, 3)
    kl = (np.clip(oh, EPS, 1) * np.log(np.clip(oh, EPS, 1) / pp)).sum(1)
    np.testing.assert_allclose(losses.get("kl_divergence").call(oh, _t(pp)).numpy(), kl,
                               rtol=1e-8)


def test_unknown_loss_lists_valid_names():
    with pytest.raises(ValueError, match="unknown loss 'categorical_crossentropyy'.*"
                                         "binary_crossentropy"):
        losses.get("categorical_crossentropyy")


@pytest.mark.parametrize("act,loss,y", [
    ("softmax", "categorical_crossentropy", np.eye(5)[rng.integers(0, 5, 16)]),
    ("softmax", "sparse_categorical_crossentropy", rng.integers(0, 5, 16)),
    ("sigmoid", "binary_crossentropy", rng.integers(0, 2, (16, 5)).astype(float)),
])
def test_fused_step_equals_the_plain_composition(act, loss, y):
    x = rng.normal(size=(16, 3)).astype(np.float32)
    topograd.manual_seed(0)
    model = models.Sequential([layers.Dense(5, activation=act, input_shape=(3,))])
    model.compile(optimizer="sgd", loss=loss)
    trainer = model._trainer
    assert trainer.fused
    y = trainer.prepare(x, np.asarray(y), "fit")[1]
    fused, _ = trainer._loss_and_pred(x, y)
    fused.backward()
    g_fused = model.layers[0].kernel.grad.numpy().copy()
    model.zero_grad()
    plain = losses.get(loss)(y, model(x))
    plain.backward()
    assert fused.item() == pytest.approx(plain.item(), rel=1e-5)
    np.testing.assert_allclose(g_fused, model.layers[0].kernel.grad.numpy(), rtol=1e-4,
                               atol=1e-6)


def test_fused_loss_is_stable_where_probabilities_underflow():
    model = models.Sequential([layers.Dense(2, activation="softmax", input_shape=(1,),
                                            use_bias=False)])
    model.set_weights([np.array([[200.0, -200.0]], np.float32)])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    value = model.evaluate(np.ones((1, 1), np.float32), np.array([[0.0, 1.0]], np.float32),
                           verbose=0)
    assert value == pytest.approx(400.0, rel=1e-4)  # Keras's clipped probability would give 16.1


def test_keras_constructor_order():
    # Keras's positional order: Huber(delta, reduction, name);
    # SparseCategoricalCrossentropy(from_logits, ignore_class, reduction, name);
    # LossFunctionWrapper(fn, reduction, name)
    y, q = np.zeros((2, 2)), _t([[0.5, 2.0], [1.0, 0.0]])
    assert losses.Huber(2.0, "sum")(y, q).item() == pytest.approx(
        losses.huber(y, q, delta=2.0).sum().item())
    scce = losses.SparseCategoricalCrossentropy(True, None, "sum", "mine")
    assert (scce.reduction, scce.name) == ("sum", "mine")
    wrapped = losses.LossFunctionWrapper(losses.mean_absolute_error, "sum", "l1")
    assert (wrapped.reduction, wrapped.name) == ("sum", "l1")


def test_keras_losses_are_the_pytorch_face_functions():
    # one function per piece of math: the Keras forms equal nn.functional's, bit for bit
    F = topograd.nn.functional
    y = rng.integers(0, 2, (5, 3)).astype(float)
    t, q = rng.normal(size=(5, 3)), _t(rng.normal(size=(5, 3)))
    p = _t(1 / (1 + np.exp(-rng.normal(size=(5, 3)))))
    pp, _ = _probs(5, 3)
    oh = np.eye(3)[[0, 2, 1, 1, 0]]
    pairs = [
        (losses.mean_squared_error(t, q), F.mse_loss(q, _t(t), reduction="none").mean(-1)),
        (losses.mean_absolute_error(t, q), F.l1_loss(q, _t(t), reduction="none").mean(-1)),
        (losses.huber(t, q), F.huber_loss(q, _t(t), reduction="none").mean(-1)),
        (losses.binary_crossentropy(y, p),
         F.binary_cross_entropy(p.clamp(EPS, 1 - EPS), _t(y), reduction="none").mean(-1)),
        (losses.kl_divergence(oh, _t(pp)),
         F.kl_div(_t(pp).clamp(EPS, 1).log(), _t(oh).clamp(EPS, 1), reduction="none").sum(-1)),
    ]
    for keras_value, torch_value in pairs:
        np.testing.assert_array_equal(keras_value.numpy(), torch_value.numpy())


def test_targets_broadcast_as_in_keras_without_pytorch_warnings():
    y, q = np.array([[1.0], [0.0]]), _t([[0.5, 1.0, 2.0], [0.0, 1.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = losses.mean_squared_error(y, q).numpy()
        bce = losses.binary_crossentropy(y, q.sigmoid()).numpy()
    np.testing.assert_allclose(got, ((y - q.numpy()) ** 2).mean(-1))
    assert bce.shape == (2,)
    z = _t([[0.5], [1.0]]).requires_grad_()  # the predictions broadcast too
    losses.mean_squared_error(np.zeros((2, 3)), z).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 2 * z.detach().numpy())
