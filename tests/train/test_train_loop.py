"""The PyTorch-style loop: fit/evaluate/predict on arrays and DataLoaders, errors, Ctrl-C."""

import io
import os
import re
import signal

import numpy as np
import pytest

import topograd
from topograd import nn, optim, train
from topograd.data import DataLoader, TensorDataset, make_spiral
from topograd.train import LambdaCallback, Progress


def _weights(model):
    return [p.numpy().copy() for p in model.parameters()]


def test_fit_learns_and_reports_metrics(blobs, make_model):
    x, y = blobs
    model, loss, opt = make_model()
    h = train.fit(model, loss, opt, x, y, epochs=8, batch_size=16, metrics=["accuracy"],
                  verbose=0)
    assert sorted(h.history) == ["accuracy", "loss"]
    assert h.history["loss"][-1] < h.history["loss"][0]
    logs = train.evaluate(model, loss, x, y, metrics=["accuracy"], verbose=0)
    assert logs["accuracy"] > 0.9
    out = train.predict(model, x, batch_size=10)
    assert out.shape == (64, 2)
    with topograd.no_grad():
        np.testing.assert_allclose(out, model(topograd.from_numpy(x)).numpy(), rtol=1e-6)
    assert not model.training  # fit leaves the model in inference mode


def test_dataloader_and_arrays_train_identically(blobs, make_model):
    x, y = blobs
    m1, loss, o1 = make_model(seed=3)
    train.fit(m1, loss, o1, x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    m2, loss, o2 = make_model(seed=3)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    h = train.fit(m2, loss, o2, loader, epochs=2, verbose=0, validation_data=loader)
    for a, b in zip(_weights(m1), _weights(m2)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert "val_loss" in h.history


def test_shuffling_is_seeded(blobs, make_model):
    x, y = blobs
    runs = []
    for _ in range(2):
        model, loss, opt = make_model(seed=5)
        train.fit(model, loss, opt, x, y, epochs=2, batch_size=8, verbose=0)
        runs.append(_weights(model))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_validation_split_takes_the_tail(blobs, make_model):
    x, y = blobs
    model, loss, opt = make_model()
    seen = []
    probe = LambdaCallback(on_train_batch_begin=lambda b, logs: None)
    h = train.fit(model, loss, opt, x, y, epochs=1, batch_size=100, validation_split=0.25,
                  verbose=0, callbacks=[probe],
                  metrics=[lambda t, p: (seen.append(len(t)) or np.ones(len(t)))])
    assert seen == [48, 16]  # 48 training samples in one batch, then the last 16
    assert "val_loss" in h.history
    with pytest.raises(ValueError, match="validation_split"):
        train.fit(model, loss, opt, x, y, validation_split=1.0, verbose=0)


@pytest.mark.parametrize("bad,match", [
    ("empty", "empty"),
    ("length", "different numbers of samples: x has 64.*y has 63"),
    ("nan", "x contains NaN or infinity.*sample 5"),
    ("inf_val", "validation x contains NaN"),
])
def test_clear_errors_before_any_work(blobs, make_model, bad, match):
    x, y = blobs
    model, loss, opt = make_model()
    before = _weights(model)
    kwargs = {}
    if bad == "empty":
        x, y = x[:0], y[:0]
    elif bad == "length":
        y = y[:-1]
    elif bad == "nan":
        x = x.copy()
        x[5, 2] = np.nan
    else:
        xv = x.copy()
        xv[0, 0] = np.inf
        kwargs["validation_data"] = (xv, y)
    with pytest.raises(ValueError, match=match):
        train.fit(model, loss, opt, x, y, epochs=1, verbose=0, **kwargs)
    for a, b in zip(before, _weights(model)):
        np.testing.assert_array_equal(a, b)


def test_fit_argument_errors(blobs, make_model):
    x, y = blobs
    model, loss, opt = make_model()
    with pytest.raises(ValueError, match="batch_size"):
        train.fit(model, loss, opt, x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="verbose"):
        train.fit(model, loss, opt, x, y, verbose=3)
    with pytest.raises(ValueError, match="y must be None"):
        train.fit(model, loss, opt, DataLoader(TensorDataset(x, y)), y, verbose=0)
    with pytest.raises(RuntimeError, match="loss and an optimizer"):
        train.Trainer(model).fit(x, y, verbose=0)


def test_keyboard_interrupt_from_a_callback_keeps_model_and_history(blobs, make_model,
                                                                    capsys):
    x, y = blobs
    model, loss, opt = make_model()

    def interrupt(batch, logs):
        if len(history_probe) == 1 and batch == 1:
            raise KeyboardInterrupt

    history_probe = []
    cbs = [LambdaCallback(on_epoch_end=lambda e, logs: history_probe.append(e)),
           LambdaCallback(on_train_batch_end=interrupt)]
    trainer = train.Trainer(model, loss, opt)
    h = trainer.fit(x, y, epochs=5, batch_size=16, verbose=0, callbacks=cbs)
    assert trainer.interrupted and h.epoch == [0]
    err = capsys.readouterr().err
    assert "interrupted (Ctrl-C) in epoch 2/5 after batch 2/4" in err
    assert "1 completed epoch" in err


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt", reason="POSIX signals")
def test_sigint_stops_after_the_current_batch(blobs, make_model, capsys):
    x, y = blobs
    model, loss, opt = make_model()
    steps = []

    def send(batch, logs):
        steps.append(batch)
        if len(steps) == 3:
            os.kill(os.getpid(), signal.SIGINT)  # arrives mid-fit, as a Ctrl-C would

    trainer = train.Trainer(model, loss, opt)
    h = trainer.fit(x, y, epochs=3, batch_size=16, verbose=0,
                    callbacks=[LambdaCallback(on_train_batch_begin=send)])
    assert trainer.interrupted and len(steps) == 3 and h.epoch == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert "stopping after the current batch" in capsys.readouterr().err


def test_verbose_two_prints_one_line_per_epoch(blobs, make_model, capsys):
    x, y = blobs
    model, loss, opt = make_model()
    train.fit(model, loss, opt, x, y, epochs=2, batch_size=16, metrics=["accuracy"],
              validation_data=(x, y), verbose="auto")  # captured output: not a terminal
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert re.fullmatch(r"4/4 - \d+s - \d+(ms|us|s)/step - accuracy: \d\.\d{4} - loss: "
                        r"\d\.\d{4} - val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}", lines[1])


def test_live_bar_on_a_terminal(blobs, make_model, monkeypatch):
    x, y = blobs
    out = io.StringIO()
    real = Progress.__init__

    def to_terminal(self, verbose=1, epochs=None, file=None, **kw):
        real(self, verbose, epochs, file=out, interval=0.0, force_terminal=True)

    monkeypatch.setattr(Progress, "__init__", to_terminal)
    model, loss, opt = make_model()
    train.fit(model, loss, opt, x, y, epochs=1, batch_size=16, metrics=["accuracy"],
              verbose=1)
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", out.getvalue())
    assert "Epoch 1/1" in text and "1/4 " in text
    final = [seg for seg in re.split(r"[\r\n]", text) if seg.startswith("4/4 ")][-1]
    assert re.fullmatch(r"4/4 ━{20} \d+s \d+(ms|us|s)/step - accuracy: \d\.\d{4} - "
                        r"loss: \d\.\d{4}\s*", final)


def test_plain_terminal_bar_without_rich(capsys):
    out = io.StringIO()
    p = Progress(verbose=1, epochs=1, file=out, interval=0.0, use_rich=False,
                 force_terminal=True)
    p.epoch_begin(0, 4)
    p.update(1, lambda: {"loss": 1.0})
    p.epoch_end(4, {"loss": 0.5})
    text = out.getvalue()
    assert "\r" in text and text.endswith("- loss: 0.5000\n") and "\x1b[32m" in text


def test_spiral_linear_fails_mlp_succeeds():
    x, y = make_spiral(300, n_classes=3, seed=0)
    results = {}
    for name in ("linear", "mlp"):
        topograd.manual_seed(0)
        if name == "linear":
            model = nn.Linear(2, 3)
        else:
            model = nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 3))
        opt = optim.Adam(model.parameters(), lr=0.05)
        train.fit(model, nn.CrossEntropyLoss(), opt, x, y, epochs=300, batch_size=300,
                  verbose=0)
        results[name] = train.evaluate(model, nn.CrossEntropyLoss(), x, y,
                                       metrics=["accuracy"], verbose=0)["accuracy"]
    assert results["linear"] < 0.60
    assert results["mlp"] >= 0.98


def test_validation_freq_counts_absolute_epochs(blobs, make_model):
    x, y = blobs
    model, loss, opt = make_model()
    val_epochs = []
    probe = LambdaCallback(on_epoch_end=lambda e, logs: "val_loss" in logs and
                           val_epochs.append(e))
    h = train.fit(model, loss, opt, x, y, epochs=5, initial_epoch=1, validation_freq=2,
                  validation_data=(x, y), verbose=0, callbacks=[probe])
    assert val_epochs == [1, 3] and h.epoch == [1, 2, 3, 4]
    assert len(h.history["val_loss"]) == 2 and len(h.history["loss"]) == 4


def test_auto_verbose_in_a_notebook(monkeypatch):
    import sys
    import types

    from topograd.train.progress import resolve_verbose

    assert resolve_verbose("auto", io.StringIO()) == 2
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    assert resolve_verbose("auto") == 1  # Jupyter's stdout redraws \r lines
    p = Progress(verbose=1)
    assert p.dynamic and not p.use_rich
