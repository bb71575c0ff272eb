"""Write the legacy-optimizer-state fixtures with topograd before 2943c74 (its optimizer names).

Run with the old code on the path, from the repository root::

    git worktree add /tmp/oldtg 2943c74^
    PYTHONPATH=/tmp/oldtg/src python tests/keras/data/legacy_optimizer_state/make_fixtures.py

Each case trains a Dense(3) on 4 inputs for a few steps and saves it (``model.save``, a
``ModelCheckpoint`` file after batch 3, or a ``BackupAndRestore`` backup left by a run
stopped in its third epoch), then resumes with the old code: ``expected.json`` holds the
losses and weights the old code reached, which the current code must reproduce.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile

import numpy as np

import topograd
from topograd import keras
from topograd.keras import callbacks, optimizers

HERE = os.path.dirname(os.path.abspath(__file__))
RESUME_EPOCHS = 3  # epochs of 2 steps each after loading

#: name -> (optimizer class, its arguments, how the file is made)
CASES = {
    "sgd": ("SGD", {"learning_rate": 0.1}, "save"),
    "sgd_nesterov": ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}, "save"),
    "rmsprop": ("RMSprop", {"learning_rate": 0.01}, "save"),
    "rmsprop_centered_momentum": ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5,
                                              "centered": True}, "save"),
    "adam": ("Adam", {"learning_rate": 0.01}, "save"),
    "adam_amsgrad": ("Adam", {"learning_rate": 0.01, "amsgrad": True}, "save"),
    "adamw": ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1}, "save"),
    "adagrad": ("Adagrad", {"learning_rate": 0.1}, "save"),
    "checkpoint_sgd_nesterov": ("SGD", {"learning_rate": 0.05, "momentum": 0.9,
                                        "nesterov": True}, "checkpoint"),
    "backup_adam": ("Adam", {"learning_rate": 0.01}, "backup"),
}


def data():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(8, 4)).astype(np.float32),
            rng.normal(size=(8, 3)).astype(np.float32))


def build(cls, kwargs):
    topograd.manual_seed(0)
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(optimizer=getattr(optimizers, cls)(**kwargs), loss="mse")
    return model


def fit(model, epochs, initial_epoch=0, cbs=None):
    x, y = data()
    return model.fit(x, y, batch_size=4, epochs=epochs, initial_epoch=initial_epoch,
                     shuffle=False, verbose=0, callbacks=cbs or [])


def weights(model):
    return [w.tolist() for w in model.get_weights()]


class Stop(Exception):
    pass


def make(name, cls, kwargs, how, work):
    path = os.path.join(HERE, f"{name}.safetensors")
    if how == "save":
        model = build(cls, kwargs)
        fit(model, 2)
        model.save(path)
    elif how == "checkpoint":
        model = build(cls, kwargs)
        fit(model, 2, cbs=[callbacks.ModelCheckpoint(path, save_freq=3)])  # after step 3
    else:  # a run of 5 epochs stopped in its third: the backup of epoch 2 stays
        backup = os.path.join(work, name)

        def stop(batch, logs):
            if model.optimizer.iterations == 5:
                raise Stop

        model = build(cls, kwargs)
        try:
            fit(model, 5, cbs=[callbacks.LambdaCallback(on_train_batch_end=stop),
                               callbacks.BackupAndRestore(backup)])
        except Stop:
            pass
        shutil.copy(os.path.join(backup, "backup.safetensors"), path)
    # resume with the old code: what the current code must reproduce
    if how == "backup":
        backup = os.path.join(work, name + "_resume")
        os.makedirs(backup)
        shutil.copy(path, os.path.join(backup, "backup.safetensors"))
        model = build(cls, kwargs)
        history = fit(model, 5, cbs=[callbacks.LambdaCallback(),  # the same callbacks
                                     callbacks.BackupAndRestore(backup)])
        start = 2
    else:
        model = keras.models.load_model(path)
        start = model.optimizer.iterations // 2
        history = fit(model, start + RESUME_EPOCHS, initial_epoch=start)
    return {"optimizer": cls, "kwargs": kwargs, "how": how, "initial_epoch": start,
            "iterations": model.optimizer.iterations, "loss": history.history["loss"],
            "weights": weights(model)}


def main():
    if hasattr(optimizers, "_Option"):  # the Keras optimizers of 2943c74 and later
        sys.exit("run this with topograd before 2943c74 on PYTHONPATH")
    expected = {}
    with tempfile.TemporaryDirectory() as work:
        for name, (cls, kwargs, how) in CASES.items():
            expected[name] = make(name, cls, kwargs, how, work)
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
