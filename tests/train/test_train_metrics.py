"""Streaming metrics: values against direct NumPy computations, Keras's name resolution."""

import numpy as np
import pytest

from topograd.train import metrics as M

rng = np.random.default_rng(0)


def _batches(y_true, y_pred, size=7):
    for s in range(0, len(y_true), size):
        yield y_true[s:s + size], y_pred[s:s + size]


def _stream(metric, y_true, y_pred):
    for t, p in _batches(y_true, y_pred):
        metric.update_state(t, p)
    return metric.result()


@pytest.mark.parametrize("n,c", [(50, 3), (33, 10)])
def test_accuracies_match_numpy(n, c):
    probs = rng.random((n, c)).astype(np.float32)
    labels = rng.integers(0, c, n)
    onehot = np.eye(c, dtype=np.float32)[labels]
    want = float((probs.argmax(1) == labels).mean())
    assert _stream(M.SparseCategoricalAccuracy(), labels, probs) == pytest.approx(want)
    assert _stream(M.CategoricalAccuracy(), onehot, probs) == pytest.approx(want)
    assert _stream(M.get("accuracy"), labels, probs) == pytest.approx(want)
    assert _stream(M.get("accuracy"), onehot, probs) == pytest.approx(want)
    assert _stream(M.get("accuracy"), labels[:, None], probs) == pytest.approx(want)
    # top-k: the label's score is among the k largest
    k = 2
    rank = (probs > probs[np.arange(n), labels][:, None]).sum(1)
    assert _stream(M.TopKCategoricalAccuracy(k=k), onehot, probs) == pytest.approx(
        float((rank < k).mean()))
    assert _stream(M.SparseTopKCategoricalAccuracy(k=k), labels, probs) == pytest.approx(
        float((rank < k).mean()))


def test_accuracy_resolution_follows_keras():
    m = M.get("acc")
    m.update_state(np.array([1, 0, 1]), np.array([[0.9], [0.2], [0.3]]))
    assert type(m.resolved) is M.BinaryAccuracy and m.name == "acc"
    assert m.result() == pytest.approx(2 / 3)
    m = M.AutoAccuracy()
    m.update_state(np.eye(3)[[0]], np.array([[0.5, 0.3, 0.2]]))
    assert type(m.resolved) is M.CategoricalAccuracy
    assert not m.needs_probabilities


def test_precision_recall_binary_and_onehot():
    y = np.array([1, 0, 1, 1, 0, 0])
    p = np.array([0.9, 0.6, 0.4, 0.8, 0.1, 0.7])
    pred = p > 0.5
    tp = int((pred & (y == 1)).sum())
    assert _stream(M.Precision(), y, p) == pytest.approx(tp / pred.sum())
    assert _stream(M.Recall(), y, p) == pytest.approx(tp / (y == 1).sum())
    # one-hot multi-class: every element is one binary decision, as in Keras
    onehot = np.eye(3)[[0, 1, 2, 1]]
    probs = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.2, 0.7, 0.1]])
    assert _stream(M.Precision(), onehot, probs) == pytest.approx(3 / 4)
    assert _stream(M.Recall(), onehot, probs) == pytest.approx(3 / 4)
    assert _stream(M.Recall(class_id=1), onehot, probs) == pytest.approx(1 / 2)
    assert _stream(M.Precision(top_k=1, thresholds=0.0), onehot, probs) == pytest.approx(3 / 4)


def test_regression_metrics_and_mean():
    t = rng.normal(size=(20, 3))
    p = rng.normal(size=(20, 3))
    assert _stream(M.get("mse"), t, p) == pytest.approx(float(((t - p) ** 2).mean()))
    assert _stream(M.get("mae"), t, p) == pytest.approx(float(np.abs(t - p).mean()))
    m = M.Mean()
    m.update_state([1.0, 2.0])
    m.update_state(4.0, sample_weight=2)
    assert m.result() == pytest.approx((1 + 2 + 8) / 4)


def test_reset_and_function_metrics():
    m = M.get(lambda t, p: (t == p.argmax(1)).astype(float))
    m.update_state(np.array([0]), np.array([[1.0, 0.0]]))
    assert m.result() == 1.0 and m.name == "<lambda>"
    m.reset_state()
    assert m.result() == 0.0


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match="unknown metric 'acuracy'.*accuracy.*precision"):
        M.get("acuracy")
    with pytest.raises(TypeError):
        M.get(3)
