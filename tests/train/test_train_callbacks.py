"""Callbacks: the hooks the loop calls, stopping, learning-rate control, logging."""

import csv
import math

import numpy as np
import pytest

from topograd import train
from topograd.train import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ReduceLROnPlateau,
    TerminateOnNaN,
)


class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin",))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_train_batch_begin(self, batch, logs=None):
        self.calls.append(("batch_begin", batch))

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", batch, sorted(logs)))

    def on_test_begin(self, logs=None):
        self.calls.append(("test_begin",))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, sorted(logs)))

    def on_train_end(self, logs=None):
        self.calls.append(("train_end",))


def test_hook_order_and_logs(blobs, make_model):
    x, y = blobs
    model, loss, opt = make_model()
    rec = Recorder()
    train.fit(model, loss, opt, x, y, epochs=2, batch_size=32, metrics=["accuracy"],
              validation_data=(x, y), callbacks=[rec], verbose=0)
    names = [c[0] for c in rec.calls]
    assert names == (["train_begin"] + (["epoch_begin"] + ["batch_begin", "batch_end"] * 2
                                        + ["test_begin", "epoch_end"]) * 2 + ["train_end"])
    assert rec.calls[3] == ("batch_end", 0, ["accuracy", "loss"])
    assert rec.calls[7][2] == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert rec.params == {"epochs": 2, "steps": 2, "verbose": 0}
    assert rec.model is model and rec.trainer.optimizer is opt


def test_callbacklist_dispatches_batch_hooks_only_to_overriders():
    class EpochOnly(Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    cbs = CallbackList([EpochOnly(), train.History()])
    assert not cbs.wants("on_train_batch_end") and not cbs.wants("on_train_batch_begin")
    assert CallbackList([Recorder()]).wants("on_train_batch_end")
    lam = LambdaCallback(on_batch_end=lambda b, logs: None)
    assert CallbackList([lam]).wants("on_train_batch_end")
    with pytest.raises(TypeError, match="Callback objects"):
        CallbackList([object()])


def test_stop_training_from_a_callback(blobs, make_model):
    x, y = blobs
    model, loss, opt = make_model()

    def stop(batch, logs):
        if batch == 0:
            model.stop_training = True

    h = train.fit(model, loss, opt, x, y, epochs=5, batch_size=16, verbose=0,
                  callbacks=[LambdaCallback(on_train_batch_end=stop)])
    # Keras: the epoch is cut after the batch, its end still runs, no further epochs
    assert h.epoch == [0] and len(h.history["loss"]) == 1


def test_early_stopping_patience_and_restore(blobs, make_model):
    x, y = blobs
    model, loss, opt = make_model()
    values = iter([1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    snapshots = {}

    class Fake(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = next(values)
            snapshots[epoch] = [p.numpy().copy() for p in model.parameters()]

    es = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    h = train.fit(model, loss, opt, x, y, epochs=7, batch_size=16, verbose=0,
                  callbacks=[Fake(), es])
    assert h.epoch == [0, 1, 2, 3] and es.stopped_epoch == 3 and es.best_epoch == 1
    for p, best in zip(model.parameters(), snapshots[1]):
        np.testing.assert_array_equal(p.numpy(), best)


def test_early_stopping_modes_and_min_delta():
    assert EarlyStopping(monitor="val_accuracy").mode == "max"
    assert EarlyStopping(monitor="loss").mode == "min"
    es = EarlyStopping(monitor="loss", min_delta=0.1, patience=1)
    es.set_model(type("M", (), {"stop_training": False})())
    es.on_train_begin()
    for epoch, v in enumerate([1.0, 0.95, 0.92]):
        es.on_epoch_end(epoch, {"loss": v})
    assert es.model.stop_training and es.best == 1.0
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")


def test_learning_rate_scheduler_and_logs(blobs, make_model):
    x, y = blobs
    model, loss, opt = make_model(lr=0.1)
    seen = []
    sched = LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)
    probe = LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(opt.param_groups[0]["lr"]))
    h = train.fit(model, loss, opt, x, y, epochs=3, batch_size=32, verbose=0,
                  callbacks=[sched, probe])
    assert seen == [0.1, 0.05, 0.025]
    assert h.history["learning_rate"] == [0.1, 0.05, 0.025]
    with pytest.raises(ValueError, match="finite number"):
        train.fit(model, loss, opt, x, y, epochs=1, verbose=0,
                  callbacks=[LearningRateScheduler(lambda e, lr: float("nan"))])


def test_reduce_lr_on_plateau_with_cooldown_and_floor():
    class Opt:
        param_groups = [{"lr": 1.0}, {"lr": 1.0}]

    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=2, min_lr=0.3)
    cb.trainer = type("T", (), {"optimizer": Opt()})()
    cb.on_train_begin()
    lrs = []
    for epoch, v in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        logs = {"loss": v}
        cb.on_epoch_end(epoch, logs)
        lrs.append(Opt.param_groups[1]["lr"])
    assert lrs == [1.0, 0.5, 0.5, 0.3, 0.3, 0.3]
    assert cb.state_dict()["best"] == 1.0
    with pytest.raises(ValueError, match="below 1"):
        ReduceLROnPlateau(factor=2.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan(blobs, make_model):
    x, y = blobs
    x = x.copy()
    model, loss, opt = make_model(lr=1e30)
    h = train.fit(model, loss, opt, x * 1e20, y, epochs=3, batch_size=8, verbose=0,
                  callbacks=[TerminateOnNaN()])
    assert len(h.epoch) == 1 and not math.isfinite(h.history["loss"][0])


def test_csv_logger_writes_and_appends(tmp_path, blobs, make_model):
    x, y = blobs
    model, loss, opt = make_model()
    path = tmp_path / "log.csv"
    train.fit(model, loss, opt, x, y, epochs=2, verbose=0, metrics=["accuracy"],
              callbacks=[CSVLogger(path)])
    train.fit(model, loss, opt, x, y, epochs=1, verbose=0, metrics=["accuracy"],
              callbacks=[CSVLogger(path, append=True)])
    rows = list(csv.DictReader(path.open()))
    assert [r["epoch"] for r in rows] == ["0", "1", "0"]
    assert set(rows[0]) == {"epoch", "accuracy", "loss"}
    assert all(0 <= float(r["accuracy"]) <= 1 for r in rows)


def test_history_state_roundtrip():
    h = train.History()
    h.on_train_begin()
    h.on_epoch_end(0, {"loss": 1.0})
    g = train.History()
    g.load_state_dict(h.state_dict())
    assert g.history == {"loss": [1.0]} and g.epoch == [0]


def test_history_and_progbar_are_callbacks_the_list_adds(blobs, make_model, capsys):
    class Last(Callback):
        _run_last = True

    user, last = Recorder(), Last()
    cbs = CallbackList([last, user], add_history=True, add_progbar=True)
    names = [type(c).__name__ for c in cbs]
    assert names == ["Recorder", "History", "Last", "ProgbarLogger"]
    assert cbs.history is cbs.callbacks[1]
    mine = train.History()  # as Keras: a History among the callbacks is the one used
    assert CallbackList([mine], add_history=True).history is mine
    assert [type(c).__name__ for c in CallbackList([], add_progbar=False)] == []

    x, y = blobs
    model, loss, opt = make_model()
    order = []

    class Says(Callback):
        def on_epoch_end(self, epoch, logs=None):
            order.append(capsys.readouterr().out)  # the epoch's line is already out

    trainer = train.Trainer(model, loss, opt)
    h = trainer.fit(x, y, epochs=1, batch_size=32, verbose=2, callbacks=[Says()])
    assert order and order[0].splitlines()[-1].startswith("2/2 - ")
    assert [type(c).__name__ for c in trainer.callbacks] == ["Says", "History",
                                                             "ProgbarLogger"]
    assert h is trainer.callbacks[1]


def test_steps_limit_array_batches(blobs, make_model):
    x, y = blobs
    model, loss, opt = make_model()
    seen = []
    probe = LambdaCallback(on_test_batch_end=lambda batch, logs: seen.append(batch))
    train.evaluate(model, loss, x, y, batch_size=16, steps=2, verbose=0, callbacks=[probe])
    assert seen == [0, 1]
    assert train.predict(model, x, batch_size=16, steps=3).shape == (48, 2)
    h = train.fit(model, loss, opt, x, y, batch_size=16, steps_per_epoch=1, verbose=0,
                  callbacks=[Recorder()])
    assert h.params["steps"] == 1
