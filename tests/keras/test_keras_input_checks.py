"""Bad arguments and bad data reach the Keras face's fit/evaluate/predict as one clear error,
before any work: no silent coercion (``batch_size=0`` -> 32), no NumPy warning or traceback."""

import warnings

import numpy as np
import pytest

from topograd.data import DataLoader, TensorDataset
from topograd.keras import layers, models

rng = np.random.default_rng(0)
X = rng.random((10, 784), dtype=np.float32)
Y = np.arange(10) % 3


def _model():
    m = models.Sequential([layers.Dense(4, activation="relu", input_shape=(784,)),
                           layers.Dense(3, activation="softmax")])
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def _refused(call, error, match):
    """``call(model)`` raises ``error`` matching ``match``, warns nothing, trains nothing."""
    m = _model()
    before = m.get_weights()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning (or any other) on the way
        with pytest.raises(error, match=match):
            call(m)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


CALLS = {
    "fit": lambda m, **kw: m.fit(X, Y, verbose=0, **kw),
    "evaluate": lambda m, **kw: m.evaluate(X, Y, verbose=0, **kw),
    "predict": lambda m, **kw: m.predict(X, verbose=0, **kw),
}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("value,error", [(0, ValueError), (-1, ValueError),
                                         (2.5, TypeError), ("32", TypeError),
                                         (True, TypeError)])
def test_bad_batch_size_is_refused(call, value, error):
    _refused(lambda m: CALLS[call](m, batch_size=value), error,
             rf"{call}: batch_size expected a positive int \(or None for the default 32\), "
             rf"found {value!r}")


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("value,error", [(0, ValueError), (-2, ValueError),
                                         (1.5, TypeError), ("3", TypeError),
                                         (True, TypeError)])
def test_bad_steps_are_refused(call, value, error):
    name = "steps_per_epoch" if call == "fit" else "steps"
    _refused(lambda m: CALLS[call](m, **{name: value}), error,
             rf"{call}: {name} expected a positive int.*found {value!r}")


def test_batch_size_none_is_the_default_32():
    m = _model()
    xs, ys = np.concatenate([X] * 7), np.concatenate([Y] * 7)  # 70 samples: 3 batches of 32
    m.fit(xs, ys, batch_size=None, epochs=1, verbose=0)
    assert m._trainer.batch_size == 32 and m.history.params["steps"] == 3
    assert m.predict(xs, batch_size=None, verbose=0).shape == (70, 3)


@pytest.mark.parametrize("kwargs,error,match", [
    ({"epochs": -1}, ValueError, r"fit: epochs expected a non-negative int, found -1"),
    ({"epochs": 2.5}, TypeError, r"fit: epochs expected a non-negative int, found 2\.5"),
    ({"validation_split": 1.0}, ValueError,
     r"fit: validation_split expected a fraction in \[0, 1\), found 1\.0"),
    ({"validation_split": -0.1}, ValueError, r"validation_split .* found -0\.1"),
    ({"validation_split": "0.2"}, TypeError, r"validation_split .* found '0\.2'"),
    ({"validation_split": 0.2, "validation_freq": 0}, ValueError,
     r"fit: validation_freq expected a positive int.*found 0"),
    ({"validation_split": 0.2, "validation_freq": 1.5}, TypeError,
     r"validation_freq expected a positive int.*found 1\.5"),
    ({"validation_split": 0.2, "validation_batch_size": 0}, ValueError,
     r"fit: validation_batch_size expected a positive int.*found 0"),
    ({"verbose": 1.0}, ValueError, r"verbose expected 0, 1, 2 or 'auto', found 1\.0"),
])
def test_bad_fit_options_are_refused(kwargs, error, match):
    _refused(lambda m: m.fit(X, Y, **{"verbose": 0, **kwargs}), error, match)


COMPLEX = "must be numeric \\(float or int\\) data; found dtype complex128"
STRINGS = "must be numeric \\(float or int\\) data; found dtype <U"
RAGGED = r"is a ragged nested sequence: [\w ]+(\[0\])+ has length \d+ but [\w ]+\[\d+\]"


@pytest.mark.parametrize("call,error,match", [
    (lambda m: m.fit(X.astype(complex), Y, verbose=0), TypeError, "fit: x " + COMPLEX),
    (lambda m: m.fit(X, Y.astype(complex), verbose=0), TypeError, "fit: y " + COMPLEX),
    (lambda m: m.fit(X.astype(str), Y, verbose=0), TypeError, "fit: x " + STRINGS),
    (lambda m: m.fit(X, Y.astype(str), verbose=0), TypeError, "fit: y " + STRINGS),
    (lambda m: m.fit(X.astype(object), Y, verbose=0), TypeError,
     "fit: x must be numeric .* found dtype object"),
    (lambda m: m.fit([[1.0] * 784, [1.0] * 783], [0, 1], verbose=0), ValueError,
     "fit: x " + RAGGED),
    (lambda m: m.fit(X[:2], [[0], [1, 2]], verbose=0), ValueError, "fit: y " + RAGGED),
    (lambda m: m.fit(X, Y, validation_data=(X.astype(complex), Y), verbose=0), TypeError,
     "fit: validation x " + COMPLEX),
    (lambda m: m.fit(X, Y, validation_data=(X, Y.astype(str)), verbose=0), TypeError,
     "fit: validation y " + STRINGS),
    (lambda m: m.fit(X, Y, validation_data=([[1.0] * 784, [1.0]], [0, 1]), verbose=0),
     ValueError, "fit: validation x " + RAGGED),
    (lambda m: m.fit(X, Y, sample_weight=[[1.0], [1.0, 2.0]] + [[1.0]] * 8, verbose=0),
     ValueError, "sample_weight " + RAGGED),
    (lambda m: m.fit(X, Y, sample_weight=np.ones(10, complex), verbose=0), TypeError,
     "sample_weight expected numbers .* dtype complex128"),
    (lambda m: m.evaluate(X.astype(complex), Y, verbose=0), TypeError,
     "evaluate: x " + COMPLEX),
    (lambda m: m.evaluate(X.astype(str), Y, verbose=0), TypeError, "evaluate: x " + STRINGS),
    (lambda m: m.predict(X.astype(complex), verbose=0), TypeError, "predict: x " + COMPLEX),
    (lambda m: m.predict(X.astype(str), verbose=0), TypeError, "predict: x " + STRINGS),
    (lambda m: m.predict([[1.0] * 784, [1.0]], verbose=0), ValueError,
     "predict: x " + RAGGED),
    (lambda m: m.train_on_batch(X.astype(complex), Y), TypeError, "fit: x " + COMPLEX),
    (lambda m: m.test_on_batch([[1.0] * 784, [1.0]], [0, 1]), ValueError,
     "evaluate: x " + RAGGED),
    (lambda m: m.predict_on_batch(X.astype(str)), TypeError, "predict: x " + STRINGS),
    (lambda m: m.fit(DataLoader(TensorDataset(X.astype(complex), Y), batch_size=4),
                     verbose=0), TypeError, "fit: a batch's x " + COMPLEX),
    (lambda m: m.fit({"input": X}, Y, verbose=0), TypeError,
     "fit: x is a dict: dict inputs .* are not supported"),
    (lambda m: m.fit("train.csv", Y, verbose=0), TypeError,
     "fit: x expected an array of numbers, found a str"),
    (lambda m: m.fit(TensorDataset(X, Y), verbose=0), TypeError,
     r"fit: x is a TensorDataset .*DataLoader\(dataset, batch_size=32\)"),
    (lambda m: m.evaluate(None, Y, verbose=0), ValueError, "evaluate: x is missing"),
])
def test_bad_data_is_refused_before_any_work(call, error, match):
    _refused(call, error, match)


def test_ragged_message_names_the_first_difference():
    with pytest.raises(ValueError, match=r"x\[0\] has length 784 but x\[1\] has length 783; "
                                         "every sample must have the same shape"):
        _model().fit([[1.0] * 784, [1.0] * 783], [0, 1], verbose=0)


def test_lengths_of_x_and_y_must_match():
    _refused(lambda m: m.fit(X, Y[:5], verbose=0), ValueError,
             r"fit: x and y have different numbers of samples: x has 10 \(shape \(10, 784\)\), "
             r"y has 5 \(shape \(5,\)\)")


EXPECTED = r'Input 0 of layer "sequential" is incompatible with the layer: ' \
           r"expected shape=\(None, 784\), "


@pytest.mark.parametrize("call,what", [
    (lambda m: m.predict(X[0], verbose=0), "to predict one sample$"),
    (lambda m: m.predict_on_batch(X[0]), "to predict one sample$"),
    (lambda m: m.fit(X[0], Y[:1], verbose=0), r"to fit on one sample \(and y\[None\] with it\)"),
    (lambda m: m.evaluate(X[0], Y[:1], verbose=0), "to evaluate one sample"),
    (lambda m: m.train_on_batch(X[0], Y[:1]), "to fit on one sample"),
])
def test_one_sample_without_batch_axis_is_named(call, what):
    _refused(call, ValueError, EXPECTED + r"found shape=\(784,\)\. A batch axis is missing: "
             r"pass x\[None\] or x\.reshape\(1, -1\) " + what)


def test_one_image_without_batch_axis_suggests_x_none():
    m = models.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(3)])
    with pytest.raises(ValueError, match=r"expected shape=\(None, 28, 28\), found "
                                         r"shape=\(28, 28\)\. A batch axis is missing: "
                                         r"pass x\[None\] to predict one sample"):
        m.predict(np.zeros((28, 28), np.float32), verbose=0)


@pytest.mark.parametrize("call", [
    lambda m: m.fit(X[:, :783], Y, verbose=0),
    lambda m: m.evaluate(X[:, :783], Y, verbose=0),
    lambda m: m.predict(X[:, :783], verbose=0),
])
def test_wrong_feature_size_shows_both_shapes(call):
    _refused(call, ValueError, EXPECTED + r"found shape=\(10, 783\)$")
