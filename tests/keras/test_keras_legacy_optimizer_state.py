"""Files saved before the Keras optimizers became topograd.optim's rules (2943c74) still resume.

The fixtures in ``data/legacy_optimizer_state`` were written by topograd 2943c74^ (see
``make_fixtures.py`` there): ``model.save`` files for every Keras optimizer, a
``ModelCheckpoint`` file and a ``BackupAndRestore`` backup, their optimizer state under the
old names (``velocity``, ``momentum``, ``beta_1``, ...). ``expected.json`` holds the losses and
weights the old code reached when it resumed them; the current code must reach the same.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import topograd
from topograd import keras
from topograd.io import read_tensors, write_tensors
from topograd.keras import callbacks, optimizers

pytest.importorskip("safetensors")

DATA = Path(__file__).parent / "data" / "legacy_optimizer_state"
EXPECTED = json.loads((DATA / "expected.json").read_text())
NEW_NAMES = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq", "square_avg", "grad_avg",
             "momentum_buffer", "sum", "step", "alpha", "eps", "betas", "convention"}


def data():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(8, 4)).astype(np.float32),
            rng.normal(size=(8, 3)).astype(np.float32))


def build(case):
    topograd.manual_seed(0)
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(optimizer=getattr(optimizers, case["optimizer"])(**case["kwargs"]),
                  loss="mse")
    return model


def fit(model, epochs, initial_epoch=0, cbs=None):
    x, y = data()
    return model.fit(x, y, batch_size=4, epochs=epochs, initial_epoch=initial_epoch,
                     shuffle=False, verbose=0, callbacks=cbs or [])


def resume(path, case, tmp_path):
    """Resume from ``path`` as make_fixtures.py did with the old code."""
    if case["how"] == "backup":
        backup = tmp_path / "backup"
        backup.mkdir()
        shutil.copy(path, backup / "backup.safetensors")
        model = build(case)
        history = fit(model, 5, cbs=[callbacks.LambdaCallback(),
                                     callbacks.BackupAndRestore(backup)])
    else:
        model = keras.models.load_model(path)
        start = case["initial_epoch"]
        history = fit(model, start + 3, initial_epoch=start)
    return model, history


def assert_as_the_old_code(model, history, case):
    assert model.optimizer.iterations == case["iterations"]
    loss = history.history["loss"]
    assert len(loss) == len(case["loss"])
    np.testing.assert_allclose(loss, case["loss"], rtol=1e-6)
    weights = model.get_weights()
    assert len(weights) == len(case["weights"])
    for got, want in zip(weights, case["weights"]):
        # float32 rounding: SGD's Nesterov step and RMSprop's centered average now round
        # in another order (atol: the ulp of the weights, for an entry near zero)
        np.testing.assert_allclose(got, np.asarray(want, np.float32), rtol=1e-6, atol=1e-7)


def saved_names(path) -> set:
    """The optimizer's group options and state names stored in a fixture."""
    tensors, metadata = read_tensors(path)
    if "topograd.checkpoint" in metadata:  # a BackupAndRestore backup
        opt = json.loads(metadata["topograd.checkpoint"])["optimizer"]
        entries = [dict(v) for _, v in opt["state"]["__dict__"]]
    else:
        opt = json.loads(metadata["topograd.tree"])
        opt = dict(opt["d"])["optimizer"]["d"]
        entries = [dict(v["d"]) for _, v in dict(opt)["state"]["d"]]
        opt = {"param_groups": [dict(g["d"]) for g in dict(opt)["param_groups"]["l"]]}
    return {k for g in opt["param_groups"] for k in g} | {k for e in entries for k in e}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_old_file_resumes_as_the_old_code_did(name, tmp_path):
    case = EXPECTED[name]
    model, history = resume(DATA / f"{name}.safetensors", case, tmp_path)
    assert_as_the_old_code(model, history, case)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_fixtures_hold_the_old_names(name):
    names = saved_names(DATA / f"{name}.safetensors")
    assert "lr" in names and not names & NEW_NAMES


@pytest.mark.parametrize("name", ["adam_amsgrad", "rmsprop_centered_momentum", "sgd_nesterov",
                                  "adagrad"])
def test_an_old_file_saved_again_holds_the_new_names_and_resumes_the_same(name, tmp_path):
    case = EXPECTED[name]
    model = keras.models.load_model(DATA / f"{name}.safetensors")
    again = tmp_path / "again.safetensors"
    model.save(again)
    sd = keras.models.load_model(again).optimizer.state_dict()
    group = sd["param_groups"][0]
    assert group["convention"] == "keras" and not {"rho", "epsilon", "beta_1"} & set(group)
    assert all(set(s) & NEW_NAMES and not {"velocity", "accumulator"} & set(s)
               for s in sd["state"].values())
    resumed, history = resume(again, case, tmp_path)
    assert_as_the_old_code(resumed, history, case)


def test_the_old_names_translate_to_the_rules():
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    w = topograd.zeros(2, requires_grad=True)
    opt.build([w])
    m = np.array([0.5, -1.0], np.float32)
    opt.load_state_dict({"state": {0: {"momentum": m}}, "iterations": 3,
                         "param_groups": [{"lr": 0.1, "momentum": 0.9, "nesterov": False,
                                           "params": [0]}]})
    np.testing.assert_array_equal(opt.state[w]["momentum_buffer"], -m)  # m held -steps
    assert "step" not in opt.state[w] and opt.iterations == 3

    opt = optimizers.Adam()
    opt.build([w])
    saved = {"state": {0: {"momentum": m, "velocity": m * m}}, "iterations": 4,
             "param_groups": [{"lr": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6,
                               "amsgrad": False, "params": [0]}]}
    opt.load_state_dict(saved)
    group = opt.param_groups[0]
    assert (group["betas"], group["eps"], group["lr"]) == ((0.8, 0.99), 1e-6, 0.01)
    assert (opt.beta_1, opt.beta_2, opt.epsilon) == (0.8, 0.99, 1e-6)
    assert group["convention"] == "keras" and "beta_1" not in group
    assert sorted(opt.state[w]) == ["exp_avg", "exp_avg_sq", "step"]
    assert opt.state[w]["step"] == 4.0
    assert set(saved["state"][0]) == {"momentum", "velocity"}  # the caller's dict untouched


def damaged_copy(tmp_path, name, change):
    tensors, metadata = read_tensors(DATA / f"{name}.safetensors")
    change(tensors, metadata)
    path = tmp_path / f"damaged_{name}.safetensors"
    write_tensors(path, tensors, metadata)
    return path


def test_a_damaged_old_state_gets_the_loaders_error(tmp_path):
    def bad_shape(tensors, metadata):
        tensors["optimizer.state.0.velocity"] = np.zeros((2,), np.float32)

    with pytest.raises(ValueError, match=r"state 'square_avg' of parameter 0 has shape \(2,\)"):
        keras.models.load_model(damaged_copy(tmp_path, "rmsprop_centered_momentum", bad_shape))

    def extra_group(tensors, metadata):
        tree = json.loads(metadata["topograd.tree"])
        opt = dict(tree["d"])["optimizer"]["d"]
        groups = dict(opt)["param_groups"]["l"]
        groups.append(groups[0])
        metadata["topograd.tree"] = json.dumps(tree)

    with pytest.raises(ValueError, match="different number of parameter groups"):
        keras.models.load_model(damaged_copy(tmp_path, "adam", extra_group))


def test_a_damaged_old_backup_gets_the_loaders_error(tmp_path):
    case = EXPECTED["backup_adam"]

    def unknown_parameter(tensors, metadata):
        meta = json.loads(metadata["topograd.checkpoint"])
        meta["optimizer"]["state"]["__dict__"][1][0] = 7
        metadata["topograd.checkpoint"] = json.dumps(meta)

    path = damaged_copy(tmp_path, "backup_adam", unknown_parameter)
    with pytest.raises(ValueError, match="state for parameter 7, which is in none"):
        resume(path, case, tmp_path)
