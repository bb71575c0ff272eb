"""A training run for the BackupAndRestore tests: run as a subprocess, killed and restarted.

    python resume_script.py FACE BACKUP_DIR OUT.npz [--kill-at EPOCH:BATCH] [--sleep S]

FACE is "keras" (Dense + BatchNormalization + Dropout, Adam, ReduceLROnPlateau) or "torch"
(nn.Sequential with Dropout, optim.SGD with momentum). With --kill-at the process sends
itself SIGKILL after that batch; with --sleep every batch sleeps (so a parent can kill it
at a random moment). Without a kill it writes the final weights and history to OUT.npz.
"""

import json
import os
import signal
import sys
import time

import numpy as np

import topograd
from topograd import train


def data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(384, 12)).astype(np.float32)
    y = (x[:, :3].sum(1) > 0).astype(np.int64) + (x[:, 3] > 0.5)
    return x, y


def main():
    face, backup, out = sys.argv[1:4]
    kill_at = None
    sleep = 0.0
    args = sys.argv[4:]
    if "--kill-at" in args:
        e, b = args[args.index("--kill-at") + 1].split(":")
        kill_at = (int(e), int(b))
    if "--sleep" in args:
        sleep = float(args[args.index("--sleep") + 1])
    x, y = data()
    topograd.manual_seed(42)
    state = {"epoch": 0}

    def on_epoch_begin(epoch, logs):
        state["epoch"] = epoch
        print(f"epoch {epoch}", flush=True)

    def on_batch_end(batch, logs):
        if sleep:
            time.sleep(sleep)
        if kill_at == (state["epoch"], batch):
            os.kill(os.getpid(), signal.SIGKILL)

    cbs = [train.LambdaCallback(on_epoch_begin=on_epoch_begin, on_train_batch_end=on_batch_end),
           train.BackupAndRestore(backup)]
    if face == "keras":
        from topograd.keras import callbacks, layers, models, optimizers

        model = models.Sequential([
            layers.Dense(32, activation="relu", input_shape=(12,)),
            layers.BatchNormalization(),
            layers.Dropout(0.3),
            layers.Dense(3, activation="softmax"),
        ])
        model.compile(optimizer=optimizers.Adam(learning_rate=0.01),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        cbs.insert(1, callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1))
        history = model.fit(x, y, epochs=6, batch_size=32, validation_split=0.25, verbose=0,
                            callbacks=cbs)
        weights = model.get_weights()
    else:
        from topograd import nn, optim

        model = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        history = train.fit(model, nn.CrossEntropyLoss(), opt, x, y, epochs=6, batch_size=32,
                            metrics=["accuracy"], verbose=0, callbacks=cbs)
        weights = [p.numpy() for p in model.parameters()]
    np.savez(out, *weights, history=json.dumps(history.history), epochs=history.epoch)


if __name__ == "__main__":
    main()
