"""Bad arguments and bad data reach topograd.train's fit/evaluate/predict (and the Trainer)
as one clear error before any work, not as a NumPy or matmul error from the first batch."""

import warnings

import numpy as np
import pytest

from topograd import train
from topograd.data import DataLoader, TensorDataset
from topograd.train import Trainer
from topograd.train.progress import resolve_verbose


def _weights(model):
    return [p.numpy().copy() for p in model.parameters()]


@pytest.fixture
def refused(blobs, make_model):
    """``refused(call, error, match)``: ``call(model, loss, opt, x, y)`` raises, warns and
    trains nothing."""

    def check(call, error, match):
        x, y = blobs
        model, loss, opt = make_model()
        before = _weights(model)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(error, match=match):
                call(model, loss, opt, x, y)
        for a, b in zip(before, _weights(model)):
            np.testing.assert_array_equal(a, b)

    return check


CALLS = {
    "fit": lambda m, lf, o, x, y, **kw: train.fit(m, lf, o, x, y, verbose=0, **kw),
    "evaluate": lambda m, lf, o, x, y, **kw: train.evaluate(m, lf, x, y, verbose=0, **kw),
    "predict": lambda m, lf, o, x, y, **kw: train.predict(m, x, **kw),
}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("value,error", [(0, ValueError), (-4, ValueError),
                                         (2.5, TypeError), ("32", TypeError),
                                         (False, TypeError)])
def test_bad_batch_size_is_refused(refused, call, value, error):
    refused(lambda *a: CALLS[call](*a, batch_size=value), error,
            rf"{call}: batch_size expected a positive int.*found {value!r}")


@pytest.mark.parametrize("call", sorted(CALLS))
def test_bad_steps_are_refused(refused, call):
    name = "steps_per_epoch" if call == "fit" else "steps"
    refused(lambda *a: CALLS[call](*a, **{name: 0}), ValueError,
            rf"{call}: {name} expected a positive int.*found 0")
    refused(lambda *a: CALLS[call](*a, **{name: 1.5}), TypeError,
            rf"{call}: {name} expected a positive int.*found 1\.5")


def test_batch_size_none_means_32(blobs, make_model):
    x, y = blobs  # 64 samples
    model, loss, opt = make_model()
    h = train.fit(model, loss, opt, x, y, batch_size=None, verbose=0)
    assert h.params["steps"] == 2
    assert train.predict(model, x, batch_size=None).shape == (64, 2)


@pytest.mark.parametrize("kwargs,error,match", [
    ({"epochs": 1.0}, TypeError, r"fit: epochs expected a non-negative int, found 1\.0"),
    ({"validation_split": "0.2"}, TypeError,
     r"fit: validation_split expected a fraction in \[0, 1\), found '0\.2'"),
    ({"validation_split": True}, TypeError, r"validation_split .* found True"),
    ({"validation_split": 0.25, "validation_freq": 0}, ValueError,
     r"fit: validation_freq expected a positive int.*found 0"),
    ({"validation_split": 0.25, "validation_freq": -1}, ValueError,
     r"fit: validation_freq expected a positive int.*found -1"),
    ({"validation_split": 0.25, "validation_batch_size": 0}, ValueError,
     r"fit: validation_batch_size expected a positive int.*found 0"),
])
def test_bad_fit_options_are_refused(refused, kwargs, error, match):
    refused(lambda m, lf, o, x, y: train.fit(m, lf, o, x, y, verbose=0, **kwargs), error,
            match)


def test_verbose_must_be_an_int():
    with pytest.raises(ValueError, match=r"verbose expected 0, 1, 2 or 'auto', found 2\.0"):
        resolve_verbose(2.0)
    assert resolve_verbose(np.int64(2)) == 2


NUMERIC = r"must be numeric \(float or int\) data; found dtype "


@pytest.mark.parametrize("call,error,match", [
    (lambda m, lf, o, x, y: train.fit(m, lf, o, x.astype(complex), y, verbose=0), TypeError,
     "fit: x " + NUMERIC + "complex128"),
    (lambda m, lf, o, x, y: train.fit(m, lf, o, x, y.astype(complex), verbose=0), TypeError,
     "fit: y " + NUMERIC + "complex128"),
    (lambda m, lf, o, x, y: train.fit(m, lf, o, x.astype(str), y, verbose=0), TypeError,
     "fit: x " + NUMERIC + "<U"),
    (lambda m, lf, o, x, y: train.fit(m, lf, o, x, y.astype(str), verbose=0), TypeError,
     "fit: y " + NUMERIC + "<U"),
    (lambda m, lf, o, x, y: train.fit(m, lf, o, [[1.0] * 4, [1.0] * 3], [0, 1], verbose=0),
     ValueError, r"fit: x is a ragged nested sequence: x\[0\] has length 4 but x\[1\] has "
                 "length 3"),
    (lambda m, lf, o, x, y: train.fit(m, lf, o, x, y, verbose=0,
                                      validation_data=(x.astype(complex), y)), TypeError,
     "fit: validation x " + NUMERIC + "complex128"),
    (lambda m, lf, o, x, y: train.evaluate(m, lf, x.astype(str), y, verbose=0), TypeError,
     "evaluate: x " + NUMERIC + "<U"),
    (lambda m, lf, o, x, y: train.predict(m, x.astype(complex)), TypeError,
     "predict: x " + NUMERIC + "complex128"),
    (lambda m, lf, o, x, y: train.predict(m, np.array([x[0], x[1, :3]], dtype=object)),
     ValueError, r"predict: x is a ragged nested sequence: x\[0\] has shape \(4,\) but "
                 r"x\[1\] has shape \(3,\)"),
    (lambda m, lf, o, x, y: train.fit(m, lf, o, DataLoader(TensorDataset(x.astype(complex), y),
                                                           batch_size=8), verbose=0),
     TypeError, "fit: a batch's x " + NUMERIC + "complex128"),
    (lambda m, lf, o, x, y: train.fit(m, lf, o, TensorDataset(x, y), verbose=0), TypeError,
     r"fit: x is a TensorDataset \(a dataset of samples, not of batches\): pass "
     r"DataLoader\(dataset, batch_size=32\)"),
    (lambda m, lf, o, x, y: train.fit(m, lf, o, x, y[:10], verbose=0), ValueError,
     r"fit: x and y have different numbers of samples: x has 64 \(shape \(64, 4\)\), y has 10"),
])
def test_bad_data_is_refused_before_any_work(refused, call, error, match):
    refused(call, error, match)


def test_trainer_checks_before_the_model_runs(blobs, make_model):
    x, y = blobs
    model, loss, opt = make_model()
    calls = []
    trainer = Trainer(lambda t: calls.append(t) or model(t), loss, opt)
    with pytest.raises(TypeError, match="fit: x " + NUMERIC + "complex64"):
        trainer.fit(x.astype(np.complex64), y, verbose=0)
    with pytest.raises(ValueError, match="evaluate: batch_size"):
        trainer.evaluate(x, y, batch_size=0, verbose=0)
    assert calls == []


@pytest.mark.parametrize("value,error", [(0, ValueError), (2.5, TypeError), ("8", TypeError),
                                         (True, TypeError), (None, TypeError)])
def test_dataloader_batch_size(blobs, value, error):
    with pytest.raises(error, match=r"DataLoader: batch_size expected a positive int"):
        DataLoader(TensorDataset(*blobs), batch_size=value)
