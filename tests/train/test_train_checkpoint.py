"""Checkpoints: safetensors + JSON (no pickle), ModelCheckpoint, BackupAndRestore."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from topograd import train
from topograd.train import BackupAndRestore, LambdaCallback, ModelCheckpoint

SCRIPT = Path(__file__).with_name("resume_script.py")


def _weights(model):
    return [p.numpy().copy() for p in model.parameters()]


def test_save_and_load_model_and_optimizer(tmp_path, blobs, make_model):
    x, y = blobs
    model, loss, opt = make_model(lr=0.1)
    opt = type(opt)(model.parameters(), lr=0.1, momentum=0.9)
    train.fit(model, loss, opt, x, y, epochs=2, verbose=0)
    path = tmp_path / "c.safetensors"
    train.save_checkpoint(path, model, opt, extra={"epoch": 1, "rng": {"big": 2 ** 100}})
    assert sorted(os.listdir(tmp_path)) == ["c.safetensors"]  # no temp file left
    assert b"pickle" not in path.read_bytes()[:200]
    m2, _, o2 = make_model(seed=9)
    o2 = type(o2)(m2.parameters(), lr=0.5, momentum=0.9)
    extra = train.load_checkpoint(path, m2, o2)
    assert extra == {"epoch": 1, "rng": {"big": 2 ** 100}}
    for a, b in zip(_weights(model), _weights(m2)):
        np.testing.assert_array_equal(a, b)
    assert o2.param_groups[0]["lr"] == 0.1
    # the two now train identically
    train.fit(model, loss, opt, x, y, epochs=1, shuffle=False, verbose=0)
    train.fit(m2, loss, o2, x, y, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(_weights(model), _weights(m2)):
        np.testing.assert_array_equal(a, b)


def test_load_errors_name_the_problem(tmp_path, make_model):
    from topograd import nn

    model, _, _ = make_model()
    path = tmp_path / "c.safetensors"
    train.save_checkpoint(path, model)
    with pytest.raises(ValueError, match=r"missing.*unexpected|shape mismatch"):
        train.load_checkpoint(path, nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)))
    with pytest.raises(ValueError, match="no optimizer state"):
        train.load_checkpoint(path, optimizer=object())
    import safetensors.numpy

    other = tmp_path / "plain.safetensors"
    safetensors.numpy.save_file({"a": np.zeros(2, np.float32)}, str(other))
    with pytest.raises(ValueError, match="not a topograd checkpoint"):
        train.load_checkpoint(other)


def test_model_checkpoint_best_only_and_filename_format(tmp_path, blobs, make_model):
    x, y = blobs
    model, loss, opt = make_model()
    vals = iter([0.5, 0.7, 0.4, 0.6])
    fake = LambdaCallback(on_epoch_end=lambda e, logs: logs.update(val_loss=next(vals)))
    best = ModelCheckpoint(tmp_path / "best.safetensors", save_best_only=True,
                           save_weights_only=True)
    every = ModelCheckpoint(str(tmp_path / "ep{epoch:02d}-{val_loss:.1f}.safetensors"))
    train.fit(model, loss, opt, x, y, epochs=4, verbose=0, callbacks=[fake, best, every])
    names = sorted(os.listdir(tmp_path))
    assert names == ["best.safetensors", "ep01-0.5.safetensors", "ep02-0.7.safetensors",
                     "ep03-0.4.safetensors", "ep04-0.6.safetensors"]
    assert train.load_checkpoint(tmp_path / "best.safetensors")["epoch"] == 2
    assert best.best == 0.4
    with pytest.raises(KeyError, match="not in the logs"):
        train.fit(model, loss, opt, x, y, epochs=1, verbose=0,
                  callbacks=[ModelCheckpoint(tmp_path / "{nope}.safetensors")])


def test_early_stopping_state_survives_backup(tmp_path, blobs, make_model):
    x, y = blobs
    model, loss, opt = make_model()
    es = train.EarlyStopping(monitor="loss", patience=100)
    backup = BackupAndRestore(tmp_path)

    def stop(epoch, logs):
        if epoch == 1:
            raise KeyboardInterrupt

    train.fit(model, loss, opt, x, y, epochs=4, verbose=0,
              callbacks=[es, LambdaCallback(on_epoch_end=stop), backup])
    assert (tmp_path / "backup.safetensors").exists()  # kept: the run was interrupted
    saved_best = es.best
    es2 = train.EarlyStopping(monitor="loss", patience=100)
    model2, loss, opt2 = make_model()
    h = train.fit(model2, loss, opt2, x, y, epochs=4, verbose=0,
                  callbacks=[es2, LambdaCallback(), BackupAndRestore(tmp_path)])
    assert h.epoch == [0, 1, 2, 3]  # History restored, then epochs 2 and 3
    assert es2.best <= saved_best
    assert not (tmp_path / "backup.safetensors").exists()  # deleted when training finished


def _run(face, backup, out, *extra, check=True):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(SCRIPT), face, str(backup), str(out), *extra],
                          capture_output=True, text=True, env=env, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}: {proc.stderr[-2000:]}")
    return proc


def _result(path):
    data = np.load(path)
    weights = [data[k] for k in data.files if k.startswith("arr_")]
    return weights, json.loads(str(data["history"])), list(data["epochs"])


def _assert_same(a, b):
    wa, ha, ea = a
    wb, hb, eb = b
    assert ea == eb == [0, 1, 2, 3, 4, 5]
    assert ha == hb
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run of each face, computed once."""
    cache = {}

    def get(face):
        if face not in cache:
            folder = tmp_path_factory.mktemp(f"ref_{face}")
            _run(face, folder / "backup", folder / "ref.npz")
            assert not (folder / "backup" / "backup.safetensors").exists()
            cache[face] = _result(folder / "ref.npz")
        return cache[face]

    return get


@pytest.mark.parametrize("face,kill_at", [("keras", "2:3"), ("torch", "3:0"), ("keras", "0:2")])
def test_sigkill_mid_epoch_then_restart_gives_the_same_weights(tmp_path, reference, face,
                                                                kill_at):
    out = tmp_path / "resumed.npz"
    killed = _run(face, tmp_path / "backup", out, "--kill-at", kill_at, check=False)
    assert killed.returncode == -signal.SIGKILL and not out.exists()
    epoch = int(kill_at.split(":")[0])
    assert (tmp_path / "backup" / "backup.safetensors").exists() == (epoch > 0)
    resumed = _run(face, tmp_path / "backup", out)
    assert resumed.stdout.split()[:2] == ["epoch", str(epoch)]  # continued, not restarted
    _assert_same(reference(face), _result(out))


def test_sigkill_at_a_random_moment_from_outside(tmp_path, reference):
    out = tmp_path / "out.npz"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, str(SCRIPT), "keras", str(tmp_path / "b"),
                             str(out), "--sleep", "0.004"], stdout=subprocess.PIPE, text=True,
                            env=env)
    for line in proc.stdout:
        if line.strip() == "epoch 2":
            break
    time.sleep(float(np.random.default_rng().uniform(0.0, 0.08)))
    proc.kill()  # SIGKILL, wherever it is: in a batch, or writing the backup
    proc.wait(timeout=60)
    proc.stdout.close()
    assert not out.exists()
    _run("keras", tmp_path / "b", out)
    _assert_same(reference("keras"), _result(out))


def test_resume_in_process_with_batchnorm_dropout_and_plateau(tmp_path):
    import topograd
    from topograd import nn, optim

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)

    def run(backup_dir, interrupt_at=None):
        topograd.manual_seed(1)
        model = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2),
                              nn.Linear(16, 2))
        opt = optim.Adam(model.parameters(), lr=0.01)

        def stop(epoch, logs):
            if epoch == interrupt_at:
                raise KeyboardInterrupt

        h = train.fit(model, nn.CrossEntropyLoss(), opt, x, y, epochs=5, batch_size=32,
                      verbose=0, callbacks=[train.ReduceLROnPlateau("loss", 0.5, patience=0),
                                            LambdaCallback(on_epoch_end=stop),
                                            BackupAndRestore(backup_dir)])
        return model, h

    ref, h_ref = run(tmp_path / "a")
    run(tmp_path / "b", interrupt_at=2)
    resumed, h = run(tmp_path / "b")
    assert h.history == h_ref.history and h.epoch == [0, 1, 2, 3, 4]
    for (k, a), b in zip(ref.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
