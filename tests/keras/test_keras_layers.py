"""Keras layers, activations, initializers and regularizers by Keras's names."""

import numpy as np
import pytest

import topograd
from topograd.keras import activations, initializers, layers, regularizers

rng = np.random.default_rng(0)


def test_dense_builds_from_input_shape_or_first_call():
    d = layers.Dense(3, input_shape=(4,))
    assert d.built and d.kernel.shape == (4, 3) and d.output_shape == (None, 3)
    assert layers.Dense(3, input_dim=5).kernel.shape == (5, 3)
    lazy = layers.Dense(2, activation="tanh")
    assert not lazy.built
    out = lazy(np.ones((7, 6), np.float32))
    assert lazy.built and lazy.kernel.shape == (6, 2) and out.shape == (7, 2)
    np.testing.assert_allclose(out.numpy(), np.tanh(np.ones((7, 6)) @ lazy.kernel.numpy()),
                               rtol=1e-5)
    assert [n for n, _ in lazy.named_parameters()] == ["kernel", "bias"]


def test_dense_wrong_input_size_error():
    d = layers.Dense(3, input_shape=(4,))
    with pytest.raises(ValueError, match=r'layer "dense" is incompatible.*value 4.*\(2, 5\)'):
        d(np.ones((2, 5), np.float32))


def test_layer_names_are_unique_per_class():
    names = [layers.Dense(1).name, layers.Dense(1).name, layers.BatchNormalization().name,
             layers.Dense(1, name="out").name]
    assert names == ["dense", "dense_1", "batch_normalization", "out"]


def test_get_and_set_weights_checks():
    d = layers.Dense(2, input_shape=(3,))
    w = d.get_weights()
    assert [a.shape for a in w] == [(3, 2), (2,)]
    d.set_weights([np.ones((3, 2)), np.full(2, 5.0)])
    assert d.bias.numpy().tolist() == [5.0, 5.0]
    with pytest.raises(ValueError, match="expecting 2 weights"):
        d.set_weights([np.ones((3, 2))])
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        d.set_weights([np.ones((2, 3)), np.ones(2)])
    assert d.count_params() == 8


def test_dropout_train_and_inference():
    topograd.manual_seed(0)
    drop = layers.Dropout(0.25)
    x = topograd.ones(400, 50)
    y = drop(x).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match="rate"):
        layers.Dropout(1.0)


def test_batch_normalization_layer_modes_and_weights():
    bn = layers.BatchNormalization(input_shape=(3,), momentum=0.5)
    assert [n for n in bn.state_dict()] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.shape for w in bn.trainable_weights] == [(3,), (3,)]
    assert len(bn.non_trainable_weights) == 2 and bn.count_params() == 12
    x = rng.normal(1.0, 2.0, size=(32, 3)).astype(np.float32)
    out = bn(x).numpy()
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * x.mean(0), rtol=1e-5)
    bn.eval()
    out = bn(x).numpy()
    want = (x - bn.moving_mean.numpy()) / np.sqrt(bn.moving_variance.numpy() + 1e-3)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)


def test_batch_normalization_on_another_axis():
    bn = layers.BatchNormalization(axis=1, momentum=0.5, input_shape=(3, 4, 4))
    assert [w.shape for w in bn.get_weights()] == [(3,)] * 4
    x = rng.normal(1.0, 2.0, size=(8, 3, 4, 4)).astype(np.float32)
    out = bn(x).numpy()
    np.testing.assert_allclose(out.mean((0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std((0, 2, 3)), 1, rtol=1e-3)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * x.mean((0, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.5 + 0.5 * x.var((0, 2, 3)),
                               rtol=1e-5)  # Keras's rule: the biased variance
    with pytest.raises(NotImplementedError, match="axis"):
        layers.BatchNormalization(axis=0)
    with pytest.raises(ValueError, match="out of range"):
        layers.BatchNormalization(axis=3, input_shape=(4,))


def test_activation_flatten_and_input():
    x = topograd.tensor([[-1.0, 0.0, 2.0]])
    assert layers.Activation("relu")(x).tolist() == [[0.0, 0.0, 2.0]]
    np.testing.assert_allclose(layers.Activation("softmax")(x).numpy().sum(), 1.0, rtol=1e-6)
    f = layers.Flatten()
    assert f(topograd.zeros(2, 3, 4)).shape == (2, 12)
    assert f.compute_output_shape((None, 3, 4)) == (None, 12)
    assert layers.Input(shape=(5,)).shape == (None, 5)
    with pytest.raises(TypeError, match="unexpected keyword"):
        layers.Dense(3, activaton="relu")


@pytest.mark.parametrize("name,fn", [
    ("relu", lambda v: np.maximum(v, 0)),
    ("sigmoid", lambda v: 1 / (1 + np.exp(-v))),
    ("tanh", np.tanh),
    ("softmax", lambda v: np.exp(v) / np.exp(v).sum(-1, keepdims=True)),
    ("leaky_relu", lambda v: np.where(v > 0, v, 0.2 * v)),
    ("elu", lambda v: np.where(v > 0, v, np.exp(v) - 1)),
    ("gelu", lambda v: 0.5 * v * (1 + np.tanh(np.sqrt(2 / np.pi) * (v + 0.044715 * v ** 3)))),
    ("linear", lambda v: v),
    ("selu", lambda v: 1.0507009873554805 * np.where(v > 0, v, 1.6732632423543772
                                                      * (np.exp(v) - 1))),
    ("softplus", lambda v: np.log1p(np.exp(v))),
    ("softsign", lambda v: v / (1 + np.abs(v))),
    ("swish", lambda v: v / (1 + np.exp(-v))),
    ("relu6", lambda v: np.clip(v, 0, 6)),
    ("hard_sigmoid", lambda v: np.clip(v + 3, 0, 6) / 6),
])
def test_activations_by_name(name, fn):
    v = rng.normal(0, 3, size=(4, 5))
    out = activations.get(name)(topograd.tensor(v, dtype=topograd.float64)).numpy()
    np.testing.assert_allclose(out, fn(v), rtol=1e-6, atol=1e-8)
    # and inside a Dense layer (fused or not): same values as a separate Activation
    d = layers.Dense(5, activation=name, input_shape=(5,))
    x = rng.normal(size=(3, 5)).astype(np.float32)
    np.testing.assert_allclose(d(x).numpy(), fn(x @ d.kernel.numpy()), rtol=1e-4, atol=1e-5)


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="unknown activation 'rellu'.*relu, relu6"):
        activations.get("rellu")
    with pytest.raises(ValueError, match="unknown initializer 'glorot'.*glorot_normal"):
        initializers.get("glorot")
    with pytest.raises(ValueError, match="unknown regularizer"):
        regularizers.get("l3")


@pytest.mark.parametrize("name,check", [
    ("glorot_uniform", lambda w: abs(w).max() <= np.sqrt(6 / 1000) and
     abs(w.var() - 2 / 1000) < 2e-4),
    ("glorot_normal", lambda w: abs(w.std() - np.sqrt(2 / 1000)) < 3e-3),
    ("he_uniform", lambda w: abs(w).max() <= np.sqrt(6 / 600)),
    ("he_normal", lambda w: abs(w.std() - np.sqrt(2 / 600)) < 3e-3 and
     abs(w).max() <= 2 * np.sqrt(2 / 600) / 0.8796 + 1e-6),
    ("lecun_uniform", lambda w: abs(w).max() <= np.sqrt(3 / 600)),
    ("lecun_normal", lambda w: abs(w.std() - np.sqrt(1 / 600)) < 3e-3),
    ("zeros", lambda w: not w.any()),
    ("ones", lambda w: (w == 1).all()),
    ("random_normal", lambda w: abs(w.std() - 0.05) < 3e-3),
    ("random_uniform", lambda w: abs(w).max() <= 0.05),
    ("truncated_normal", lambda w: abs(w).max() <= 0.1),
    ("orthogonal", lambda w: np.allclose(w.T @ w, np.eye(400), atol=1e-4)),
])
def test_initializers_by_name(name, check):
    topograd.manual_seed(1)
    w = initializers.get(name)((600, 400))
    assert w.dtype == np.float32 and w.shape == (600, 400)
    assert check(w.astype(np.float64))


def test_initializers_follow_the_global_seed():
    topograd.manual_seed(3)
    a = layers.Dense(4, input_shape=(3,)).kernel.numpy().copy()
    topograd.manual_seed(3)
    b = layers.Dense(4, input_shape=(3,)).kernel.numpy()
    np.testing.assert_array_equal(a, b)


def test_regularizers_values():
    w = topograd.tensor([1.0, -2.0, 3.0])
    assert regularizers.l1(0.1)(w).item() == pytest.approx(0.6)
    assert regularizers.l2(0.1)(w).item() == pytest.approx(1.4)
    assert regularizers.l1_l2(0.1, 0.1)(w).item() == pytest.approx(2.0)
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
