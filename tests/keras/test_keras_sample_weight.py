"""Keras's sample_weight / class_weight / weighted_metrics, as Keras 3 defines them.

Keras 3 (keras/src/losses/loss.py ``reduce_weighted_values``): the per-sample losses are
multiplied by the weights and reduced by ``"sum_over_batch_size"``, i.e. divided by the
number of samples in the batch, not by the sum of the weights. ``class_weight`` becomes
per-sample weights (data_adapter_utils ``class_weight_to_sample_weights``); it cannot be
combined with ``sample_weight``. Only ``weighted_metrics`` see the weights (compile_utils
``CompileMetrics.update_state``); plain ``metrics`` stay unweighted.
"""

import numpy as np
import pytest

import topograd
from topograd import nn, optim, train
from topograd.keras import callbacks, layers, losses, models, optimizers
from topograd.keras.utils import to_categorical
from topograd.train import metrics as tmetrics
from topograd.train.data import class_weight_to_sample_weights

N, D, C = 24, 5, 3
_rng = np.random.default_rng(7)
X = _rng.normal(size=(N, D)).astype(np.float32)
LABELS = (np.arange(N) % C).astype(np.int64)
ONE_HOT = np.eye(C, dtype=np.float32)[LABELS]
BIN = (np.arange(N) % 2).astype(np.float32)[:, None]
REG = _rng.normal(size=(N, 2)).astype(np.float32)
SIGNS = np.where(_rng.random((N, 2)) > 0.5, 1.0, -1.0).astype(np.float32)
DIST = _rng.random((N, C)).astype(np.float32)
DIST /= DIST.sum(axis=1, keepdims=True)
W = _rng.uniform(0.0, 3.0, size=N).astype(np.float32)
W_INT = np.array([0, 1, 2, 3] * (N // 4), dtype=np.float32)
EPS = 1e-7


# -- NumPy references of the per-sample losses (Keras's formulas) --------------------------
def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _clip(p):
    return np.clip(p, EPS, 1 - EPS)


def np_cce(y, p):
    return -(y * np.log(_clip(p / p.sum(-1, keepdims=True)))).sum(-1)


def np_scce(y, p):
    return -np.log(_clip(p / p.sum(-1, keepdims=True)))[np.arange(len(y)), y]


def np_bce(y, p):
    p = _clip(p)
    return (-(y * np.log(p) + (1 - y) * np.log(1 - p))).mean(-1)


def np_bce_logits(y, z):
    return (np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))).mean(-1)


def np_huber(y, p):
    d = np.abs(y - p)
    return np.where(d <= 1.0, 0.5 * d * d, d - 0.5).mean(-1)


def np_hinge(y, p):
    return np.maximum(1 - y * p, 0).mean(-1)


def np_cat_hinge(y, p):
    return np.maximum(((1 - y) * p).max(-1) - (y * p).sum(-1) + 1, 0)


def np_kld(y, p):
    y, p = np.clip(y, EPS, 1), np.clip(p, EPS, 1)
    return (y * np.log(y / p)).sum(-1)


# name -> (loss, last activation, units, y, per-sample reference on model.predict's output,
#          whether the step takes the fused softmax/sigmoid + cross-entropy path)
CASES = {
    "cce_fused": ("categorical_crossentropy", "softmax", C, ONE_HOT, np_cce, True),
    "cce_logits": (lambda: losses.CategoricalCrossentropy(from_logits=True), None, C, ONE_HOT,
                   lambda y, z: -(y * _log_softmax(z)).sum(-1), False),
    "cce_probs": (lambda: losses.LossFunctionWrapper(losses.categorical_crossentropy),
                  "softmax", C, ONE_HOT, np_cce, False),
    "scce_fused": ("sparse_categorical_crossentropy", "softmax", C, LABELS, np_scce, True),
    "scce_logits": (lambda: losses.SparseCategoricalCrossentropy(from_logits=True), None, C,
                    LABELS, lambda y, z: -_log_softmax(z)[np.arange(len(y)), y], False),
    "bce_fused": ("binary_crossentropy", "sigmoid", 1, BIN, np_bce, True),
    "bce_logits": (lambda: losses.BinaryCrossentropy(from_logits=True), None, 1, BIN,
                   np_bce_logits, False),
    "bce_probs": (lambda: losses.LossFunctionWrapper(losses.binary_crossentropy), "sigmoid",
                  1, BIN, np_bce, False),
    "mse": ("mse", None, 2, REG, lambda y, p: ((y - p) ** 2).mean(-1), False),
    "mae": ("mae", None, 2, REG, lambda y, p: np.abs(y - p).mean(-1), False),
    "huber": ("huber", None, 2, REG, np_huber, False),
    "hinge": ("hinge", "tanh", 2, SIGNS, np_hinge, False),
    "categorical_hinge": ("categorical_hinge", "softmax", C, ONE_HOT, np_cat_hinge, False),
    "kl_divergence": ("kl_divergence", "softmax", C, DIST, np_kld, False),
}


def build(case, optimizer="sgd", metrics=None, weighted_metrics=None, seed=0):
    loss, act, units, *_ = CASES[case]
    topograd.manual_seed(seed)
    model = models.Sequential([layers.Dense(7, activation="tanh", input_shape=(D,)),
                               layers.Dense(units, activation=act)])
    model.compile(optimizer=optimizer, loss=loss() if callable(loss) else loss,
                  metrics=metrics, weighted_metrics=weighted_metrics)
    return model


def weights_of(model):
    return [w.copy() for w in model.get_weights()]


# -- the loss value ------------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(CASES))
def test_weighted_loss_value_is_sum_over_batch_size(case):
    model = build(case)
    _, _, _, y, ref, fused = CASES[case]
    assert model._trainer.fused is fused
    per = ref(y, model.predict(X, verbose=0).astype(np.float64))
    for batch_size in (N, 5):  # batches of 5, 5, 5, 5, 4: still sum(w * loss) / N overall
        got = model.evaluate(X, y, sample_weight=W, batch_size=batch_size, verbose=0)
        np.testing.assert_allclose(got, (W * per).sum() / N, rtol=2e-5, atol=1e-6)
    # not divided by the sum of the weights
    assert not np.isclose((W * per).sum() / N, (W * per).sum() / W.sum(), rtol=1e-3)


@pytest.mark.parametrize("case", ["cce_fused", "bce_fused", "mse", "kl_divergence"])
def test_history_loss_is_the_weighted_loss(case):
    model = build(case, optimizer=optimizers.SGD(learning_rate=0.0))
    _, _, _, y, ref, _ = CASES[case]
    per = ref(y, model.predict(X, verbose=0).astype(np.float64))
    h = model.fit(X, y, sample_weight=W, batch_size=8, epochs=1, verbose=0)
    np.testing.assert_allclose(h.history["loss"][0], (W * per).sum() / N, rtol=2e-5)


def test_loss_objects_weight_and_reduce_like_keras():
    y = np.array([[0.0], [0.0], [0.0]], np.float32)
    p = topograd.tensor([[1.0], [2.0], [3.0]])  # squared errors 1, 4, 9
    w = np.array([2.0, 0.0, 1.0])
    assert losses.MeanSquaredError()(y, p, sample_weight=w).item() == pytest.approx(11 / 3)
    assert losses.MeanSquaredError(reduction="sum")(y, p, sample_weight=w).item() == 11.0
    assert losses.MeanSquaredError(reduction="none")(
        y, p, sample_weight=w).tolist() == [2.0, 0.0, 9.0]
    assert losses.MeanSquaredError(reduction="mean_with_sample_weight")(
        y, p, sample_weight=w).item() == pytest.approx(11 / 3)
    assert losses.MeanSquaredError(reduction="mean_with_sample_weight")(
        y, p, sample_weight=np.zeros(3)).item() == 0.0
    assert losses.MeanSquaredError()(y, p, sample_weight=w[:, None]).item() == \
        pytest.approx(11 / 3)  # (n, 1) weights too
    with pytest.raises(ValueError, match=r"one weight per sample, shape \(3,\), found shape"):
        losses.MeanSquaredError()(y, p, sample_weight=np.ones(2))


# -- the gradient --------------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(CASES))
def test_gradient_weight_k_equals_k_copies(case):
    """One full-batch SGD step with integer weights equals a step on the data with sample i
    repeated w_i times (weight 0: dropped), with the learning rate scaled by the batch
    sizes: sum_over_batch_size divides by N on one side and by sum(w) on the other."""
    _, _, _, y, _, _ = CASES[case]
    lr = 0.2
    weighted = build(case, optimizer=optimizers.SGD(learning_rate=lr))
    h_w = weighted.fit(X, y, sample_weight=W_INT, batch_size=N, epochs=1, shuffle=False,
                       verbose=0)
    rep = W_INT.astype(int)
    x_dup, y_dup = np.repeat(X, rep, axis=0), np.repeat(y, rep, axis=0)
    m = len(x_dup)
    copies = build(case, optimizer=optimizers.SGD(learning_rate=lr * m / N))
    h_d = copies.fit(x_dup, y_dup, batch_size=m, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_w.history["loss"][0] * N, h_d.history["loss"][0] * m,
                               rtol=1e-5)
    before = weights_of(build(case))
    for a, b, b0 in zip(weights_of(weighted), weights_of(copies), before):
        assert not np.allclose(a, b0)  # the step moved the weights
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("case", ["scce_fused", "cce_fused", "bce_fused"])
def test_fused_gradient_matches_torch(case):
    """The weighted fused loss and its gradient with respect to the logits, against
    torch: mean(w * per-sample cross-entropy)."""
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    model = build(case)
    _, _, _, y, _, _ = CASES[case]
    z = _rng.normal(size=(N, model.layers[-1].units)).astype(np.float32)
    logits = topograd.tensor(z, requires_grad=True)
    loss = model.loss.from_logits_loss(y, logits, sample_weight=W)
    loss.backward()
    zt = torch.tensor(z, requires_grad=True)
    if case == "scce_fused":
        per = tf.cross_entropy(zt, torch.tensor(y), reduction="none")
    elif case == "cce_fused":
        per = tf.cross_entropy(zt, torch.tensor(y), reduction="none")
    else:
        per = tf.binary_cross_entropy_with_logits(zt, torch.tensor(y), reduction="none")
        per = per.mean(-1)
    ref = (per * torch.tensor(W)).mean()
    ref.backward()
    assert loss.item() == pytest.approx(ref.item(), rel=1e-5)
    np.testing.assert_allclose(logits.grad.numpy(), zt.grad.numpy(), rtol=1e-4, atol=1e-7)


def test_weights_are_shuffled_with_their_samples():
    seen = []

    class Record(tmetrics.Metric):
        default_name = "record"

        def update_state(self, y_true, y_pred, sample_weight=None):
            seen.append((np.asarray(y_true).ravel().copy(), None if sample_weight is None
                         else np.asarray(sample_weight).copy()))

        def result(self):
            return 0.0

    y = np.arange(N, dtype=np.float32)[:, None]  # the sample's index as a target
    w = 10.0 * np.arange(N, dtype=np.float32) + 1.0
    topograd.manual_seed(3)
    model = models.Sequential([layers.Dense(1, input_shape=(D,))])
    model.compile(optimizer="sgd", loss="mse", weighted_metrics=[Record()])
    model.fit(X, y, sample_weight=w, batch_size=5, epochs=2, verbose=0)
    assert len(seen) == 10
    order = np.concatenate([s[0] for s in seen[:5]])
    assert sorted(order.tolist()) == list(range(N)) and order.tolist() != list(range(N))
    for yb, wb in seen:
        np.testing.assert_array_equal(wb, 10.0 * yb + 1.0)


# -- no weights == weights of ones ------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(CASES))
def test_no_weights_equals_weights_of_ones(case):
    _, _, _, y, _, _ = CASES[case]
    wm = ["accuracy"] + ([] if y.ndim == 1 else ["mse", "precision"])
    runs = []
    for sw in (None, np.ones(N), np.ones((N, 1), np.float64)):
        model = build(case, optimizer="adam", metrics=["accuracy"], weighted_metrics=wm)
        topograd.manual_seed(1)
        h = model.fit(X, y, sample_weight=sw, batch_size=7, epochs=3, verbose=0,
                      validation_data=(X[:6], y[:6]))
        runs.append((h.history, weights_of(model)))
    for hist, ws in runs[1:]:
        assert hist == runs[0][0]
        for a, b in zip(ws, runs[0][1]):
            np.testing.assert_array_equal(a, b)


def test_unweighted_steps_get_no_weights():
    model = build("cce_fused")
    calls = []
    step = model._trainer.train_step
    model._trainer.train_step = lambda *a: calls.append(len(a)) or step(*a)
    model.fit(X, ONE_HOT, batch_size=8, epochs=1, verbose=0)
    assert calls == [2, 2, 2]
    calls.clear()
    model.fit(X, ONE_HOT, sample_weight=W, batch_size=8, epochs=1, verbose=0)
    assert calls == [3, 3, 3]


# -- class_weight --------------------------------------------------------------------------
def test_class_weight_to_sample_weights_follows_keras():
    cw = {0: 0.5, 2: 4.0}  # class 1 missing: weight 1
    expect = np.array([0.5, 1.0, 4.0] * (N // C), np.float32)
    np.testing.assert_array_equal(class_weight_to_sample_weights(LABELS, cw), expect)
    np.testing.assert_array_equal(class_weight_to_sample_weights(LABELS[:, None], cw), expect)
    np.testing.assert_array_equal(class_weight_to_sample_weights(ONE_HOT, cw), expect)
    # a single sigmoid unit: the rounded 0/1 target is the class
    soft = np.array([[0.2], [0.9], [0.0], [0.6]], np.float32)
    np.testing.assert_array_equal(class_weight_to_sample_weights(soft, {1: 3.0}),
                                  [1.0, 3.0, 1.0, 3.0])
    np.testing.assert_array_equal(class_weight_to_sample_weights(soft[:, 0], {0: 2}),
                                  [2.0, 1.0, 2.0, 1.0])


@pytest.mark.parametrize("case,y", [("scce_fused", LABELS), ("cce_fused", ONE_HOT),
                                    ("bce_fused", BIN), ("categorical_hinge", ONE_HOT)])
def test_fit_class_weight_equals_the_sample_weights_it_stands_for(case, y):
    cw = {0: 0.25, 1: 3.0, "2": 1.5}  # keys read with int(), as Keras
    sw = class_weight_to_sample_weights(y, {0: 0.25, 1: 3.0, 2: 1.5})
    runs = []
    for kwargs in ({"class_weight": cw}, {"sample_weight": sw}):
        model = build(case, weighted_metrics=["accuracy"])
        topograd.manual_seed(5)
        h = model.fit(X, y, batch_size=8, epochs=2, verbose=0, **kwargs)
        runs.append((h.history, weights_of(model)))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)
    plain = build(case)
    topograd.manual_seed(5)
    assert plain.fit(X, y, batch_size=8, epochs=2, verbose=0).history["loss"] != \
        runs[0][0]["loss"]


def test_class_weight_is_not_applied_to_validation_split():
    model = build("scce_fused", optimizer=optimizers.SGD(learning_rate=0.0))
    h = model.fit(X, LABELS, class_weight={0: 5.0}, validation_split=0.25, batch_size=8,
                  epochs=1, verbose=0)
    cut = 18
    assert h.history["val_loss"][0] == pytest.approx(
        model.evaluate(X[cut:], LABELS[cut:], verbose=0), rel=1e-6)
    assert h.history["loss"][0] == pytest.approx(model.evaluate(
        X[:cut], LABELS[:cut], sample_weight=np.where(LABELS[:cut] == 0, 5.0, 1.0),
        verbose=0), rel=1e-5)


# -- validation ----------------------------------------------------------------------------
def test_validation_split_splits_the_weights_like_x_and_y():
    cut = 18  # floor(24 * 0.75)
    a = build("cce_fused", weighted_metrics=["accuracy"])
    topograd.manual_seed(2)
    ha = a.fit(X, ONE_HOT, sample_weight=W, validation_split=0.25, batch_size=6, epochs=2,
               verbose=0)
    b = build("cce_fused", weighted_metrics=["accuracy"])
    topograd.manual_seed(2)
    hb = b.fit(X[:cut], ONE_HOT[:cut], sample_weight=W[:cut], batch_size=6, epochs=2,
               verbose=0, validation_data=(X[cut:], ONE_HOT[cut:], W[cut:]))
    assert ha.history == hb.history
    assert ha.history["val_loss"][-1] == pytest.approx(
        a.evaluate(X[cut:], ONE_HOT[cut:], sample_weight=W[cut:], verbose=0)[0], rel=1e-6)


def test_validation_data_triple_weights_val_loss_and_weighted_metrics():
    xv, yv, wv = X[:10], LABELS[:10], np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], np.float32)
    model = build("scce_fused", metrics=["accuracy"], weighted_metrics=["accuracy"])
    h = model.fit(X, LABELS, validation_data=(xv, yv, wv), batch_size=8, epochs=1, verbose=0)
    loss, acc, wacc = model.evaluate(xv, yv, sample_weight=wv, verbose=0)
    assert h.history["val_loss"][0] == pytest.approx(loss, rel=1e-6)
    assert h.history["val_weighted_accuracy"][0] == wacc
    assert h.history["val_accuracy"][0] == acc
    correct = model.predict(xv, verbose=0).argmax(1) == yv
    assert wacc == pytest.approx(correct[5:].mean())
    assert acc == pytest.approx(correct.mean())
    # (x_val, y_val, None) is unweighted
    h2 = build("scce_fused").fit(X, LABELS, validation_data=(xv, yv, None), epochs=1,
                                 verbose=0)
    assert "val_loss" in h2.history


# -- evaluate and metrics --------------------------------------------------------------------
def test_evaluate_weighted_accuracy_and_unweighted_metrics():
    model = build("cce_fused", metrics=["accuracy", "mse"],
                  weighted_metrics=["accuracy", "precision", "recall", "mse"])
    probs = model.predict(X, verbose=0).astype(np.float64)
    correct = probs.argmax(1) == LABELS
    logs = model.evaluate(X, ONE_HOT, sample_weight=W, batch_size=5, verbose=0,
                          return_dict=True)
    assert sorted(logs) == ["accuracy", "loss", "mse", "precision", "recall",
                            "weighted_accuracy", "weighted_mse"]
    assert logs["accuracy"] == pytest.approx(correct.mean())
    assert logs["weighted_accuracy"] == pytest.approx((W * correct).sum() / W.sum())
    se = ((probs - ONE_HOT) ** 2).mean(1)
    assert logs["mse"] == pytest.approx(se.mean(), rel=1e-6)
    assert logs["weighted_mse"] == pytest.approx((W * se).sum() / W.sum(), rel=1e-6)
    pred, true = probs > 0.5, ONE_HOT > 0.5
    w2 = np.broadcast_to(W[:, None], pred.shape)
    assert logs["precision"] == pytest.approx(w2[pred & true].sum() / w2[pred].sum())
    assert logs["recall"] == pytest.approx(w2[pred & true].sum() / w2[true].sum())
    as_list = model.evaluate(X, ONE_HOT, sample_weight=W, verbose=0)
    assert as_list[0] == pytest.approx(logs["loss"]) and len(as_list) == 7
    assert model.metrics_names == ["loss", "accuracy", "mse", "weighted_accuracy",
                                   "precision", "recall", "weighted_mse"]


def test_weighted_metrics_without_weights_equal_the_plain_ones():
    model = build("scce_fused", metrics=["accuracy"], weighted_metrics=["accuracy"])
    h = model.fit(X, LABELS, epochs=2, batch_size=8, verbose=0)
    assert h.history["accuracy"] == h.history["weighted_accuracy"]


def test_streaming_metrics_take_sample_weight():
    y, p = np.array([0, 1, 1, 0]), np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
    w = np.array([1.0, 2.0, 3.0, 4.0])
    acc = tmetrics.get("accuracy")
    acc.update_state(y, p, sample_weight=w)
    assert acc.result() == pytest.approx(3 / 10)
    acc.update_state(y, p)  # an unweighted batch counts each sample once
    assert acc.result() == pytest.approx((3 + 2) / (10 + 4))
    mse = tmetrics.MeanSquaredError()
    mse.update_state(np.zeros((2, 2)), np.array([[1.0, 3.0], [2.0, 2.0]]),
                     sample_weight=np.array([[3.0], [1.0]]))
    assert mse.result() == pytest.approx((3 * 5 + 1 * 4) / 4)
    rec = tmetrics.Recall()
    rec.update_state(np.array([1, 1, 0]), np.array([0.9, 0.1, 0.8]),
                     sample_weight=np.array([1.0, 3.0, 5.0]))
    assert rec.result() == pytest.approx(1 / 4)
    with pytest.raises(ValueError, match=r"one weight per sample, shape \(4,\)"):
        tmetrics.get("binary_accuracy").update_state(y, p[:, 0], sample_weight=np.ones(3))


def test_train_and_test_on_batch_take_weights():
    model = build("mse", metrics=["mae"], weighted_metrics=["mae"])
    out = model.predict(X, verbose=0).astype(np.float64)
    per = ((REG - out) ** 2).mean(1)
    loss, mae, wmae = model.test_on_batch(X, REG, sample_weight=W)
    assert loss == pytest.approx((W * per).sum() / N, rel=1e-5)
    ae = np.abs(REG - out).mean(1)
    assert mae == pytest.approx(ae.mean(), rel=1e-5)
    assert wmae == pytest.approx((W * ae).sum() / W.sum(), rel=1e-5)
    d = model.train_on_batch(X, REG, sample_weight=W, return_dict=True)
    assert d["loss"] == pytest.approx(loss, rel=1e-5)
    c = build("scce_fused")
    assert c.train_on_batch(X, LABELS, class_weight={0: 2.0}) == pytest.approx(
        build("scce_fused").train_on_batch(X, LABELS, sample_weight=np.where(
            LABELS == 0, 2.0, 1.0)), rel=1e-6)


class _Batches:
    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        return iter(self.batches)

    def __len__(self):
        return len(self.batches)


def test_iterable_batches_may_carry_weights():
    batches = _Batches([(X[i:i + 8], ONE_HOT[i:i + 8], W[i:i + 8]) for i in range(0, N, 8)])
    a = build("cce_fused")
    ha = a.fit(batches, epochs=2, verbose=0)
    b = build("cce_fused")
    hb = b.fit(X, ONE_HOT, sample_weight=W, batch_size=8, shuffle=False, epochs=2, verbose=0)
    assert ha.history == hb.history
    assert a.evaluate(batches, verbose=0) == b.evaluate(X, ONE_HOT, sample_weight=W,
                                                        batch_size=8, verbose=0)


def test_negative_weights_are_allowed_as_in_keras():
    model = build("mse")
    w = W.copy()
    w[0] = -1.0
    h = model.fit(X, REG, sample_weight=w, epochs=1, verbose=0)
    assert np.isfinite(h.history["loss"][0])


# -- errors: raised before any work -----------------------------------------------------------
class _Spy(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.began = False

    def on_train_begin(self, logs=None):
        self.began = True


BAD_FIT = [
    ({"sample_weight": np.ones(N - 1)},
     ValueError, r"sample_weight has 23 weights but x has 24 samples: expected shape \(24,\)"),
    ({"sample_weight": np.ones((N, 2))},
     ValueError, r"sample_weight expected shape \(24,\) or \(24, 1\), one weight per sample, "
                 r"found shape \(24, 2\)"),
    ({"sample_weight": 1.0}, ValueError, r"found shape \(\)"),
    ({"sample_weight": ["a"] * N}, TypeError, r"sample_weight expected numbers .* dtype <U1"),
    ({"sample_weight": np.where(np.arange(N) == 4, np.nan, 1.0)},
     ValueError, r"sample_weight expected finite numbers, found NaN or infinity: 1 weight\(s\), "
                 r"the first at sample 4 \(value nan\)"),
    ({"sample_weight": np.where(np.arange(N) > 20, np.inf, 1.0)},
     ValueError, r"3 weight\(s\), the first at sample 21 \(value inf\)"),
    ({"sample_weight": np.full(N, 1e40)}, ValueError, r"value inf"),  # overflows float32
    ({"class_weight": [1.0, 2.0]},
     ValueError, r"class_weight expected a dict mapping class indices to weights, .* found "
                 r"list"),
    ({"class_weight": {"zero": 1.0}},
     ValueError, r"class_weight expected integer class indices as keys, found the key 'zero' "
                 r"of type str"),
    ({"class_weight": {0: "heavy"}},
     ValueError, r"class_weight expected a number as the weight of class 0, found 'heavy'"),
    ({"class_weight": {0: float("nan")}},
     ValueError, r"class_weight expected a finite number as the weight of class 0"),
    ({"class_weight": {0: 2.0}, "sample_weight": W},
     ValueError, r"You cannot pass class_weight and sample_weight at the same time"),
    ({"validation_data": (X[:4], LABELS[:4], np.ones(3))},
     ValueError, r"validation sample_weight has 3 weights but x has 4 samples"),
    ({"validation_data": (X[:4], LABELS[:4], np.ones(4), None)},
     ValueError, r"validation_data expected \(x_val, y_val\) or \(x_val, y_val, "
                 r"val_sample_weight\), found a tuple of 4 items"),
]


@pytest.mark.parametrize("kwargs,exc,msg", BAD_FIT)
def test_fit_rejects_bad_weights_before_any_work(kwargs, exc, msg):
    model = build("scce_fused")
    before = weights_of(model)
    spy = _Spy()
    with pytest.raises(exc, match=msg):
        model.fit(X, LABELS, epochs=1, verbose=0, callbacks=[spy], **kwargs)
    assert not spy.began
    for a, b in zip(weights_of(model), before):
        np.testing.assert_array_equal(a, b)


def test_weights_are_refused_with_a_dataloader():
    batches = _Batches([(X[:8], LABELS[:8])])
    model = build("scce_fused")
    with pytest.raises(ValueError, match=r"class_weight is not supported when x is a "
                                         r"DataLoader .* \(inputs, targets, sample_weight\)"):
        model.fit(batches, class_weight={0: 2.0}, verbose=0)
    with pytest.raises(ValueError, match=r"sample_weight is not supported when x is a "
                                         r"DataLoader"):
        model.fit(batches, sample_weight=np.ones(8), verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: when x is a DataLoader .* sample_weight "
                                         r"must be None"):
        model.evaluate(batches, sample_weight=np.ones(8), verbose=0)
    bad = _Batches([(X[:8], LABELS[:8], np.ones(7))])
    with pytest.raises(ValueError, match=r"a batch's sample weights has 7 weights but x has "
                                         r"8 samples"):
        model.fit(bad, verbose=0)


def test_class_weight_needs_one_class_per_sample():
    y = np.zeros((N, 2, 3), np.float32)
    model = models.Sequential([layers.Dense(3, input_shape=(D,))])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"class_weight needs one class per sample: .* found "
                                         r"y of shape \(24, 2, 3\)"):
        class_weight_to_sample_weights(y, {0: 1.0})
    with pytest.raises(ValueError, match="class_weight needs the targets y"):
        class_weight_to_sample_weights(None, {0: 1.0})


def test_evaluate_rejects_bad_weights():
    model = build("mse")
    with pytest.raises(ValueError, match=r"sample_weight has 5 weights but x has 24 samples"):
        model.evaluate(X, REG, sample_weight=np.ones(5), verbose=0)


def test_the_pytorch_style_trainer_refuses_weights():
    model = nn.Linear(D, C)
    with pytest.raises(NotImplementedError, match=r"sample_weight is not supported by Trainer"):
        train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), X,
                  LABELS, sample_weight=W, verbose=0)
    with pytest.raises(NotImplementedError, match=r"class_weight is not supported by Trainer"):
        train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), X,
                  LABELS, class_weight={0: 1.0}, verbose=0)
    batches = _Batches([(X[:8], LABELS[:8], W[:8])])
    with pytest.raises(NotImplementedError, match=r"sample_weight is not supported by Trainer"):
        train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                  batches, verbose=0)


def test_to_categorical_one_hot_class_weight_end_to_end():
    y = to_categorical(LABELS, C)
    model = build("cce_fused", weighted_metrics=["accuracy"])
    h = model.fit(X, y, class_weight={0: 0.0, 1: 0.0, 2: 1.0}, epochs=1, verbose=0)
    assert 0.0 <= h.history["accuracy"][0] <= 1.0  # only a weighted one: Keras's name
