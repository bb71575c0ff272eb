"""topograd train / evaluate / predict / summary / export, end to end on small data."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest

from topograd.cli import main
from topograd.io import load_model, read_tensors

TEST_LINE = re.compile(r"^test loss: \S+ - test accuracy: \S+ \(\d+/\d+ correct\)$", re.M)
SPIRAL = ["--dataset", "spiral", "--model", "mlp-small", "--optimizer", "adam", "--lr", "0.01",
          "--batch-size", "64"]


def result_line(out: str) -> str:
    found = TEST_LINE.findall(out)
    assert len(found) == 1, out
    return found[0]


def test_train_save_then_evaluate_in_a_new_process(tmp_path, cli):
    out = cli("train", *SPIRAL, "--epochs", "3", "--save", "m.safetensors", "--log", "log.csv",
              "--verbose", "2").stdout
    assert "Epoch 1/3" in out and "Epoch 3/3" in out and "loss:" in out
    line = result_line(out)
    assert float(line.split("test accuracy: ")[1].split()[0]) > 0.5
    again = cli("evaluate", "m.safetensors").stdout  # dataset, limit, batch size recorded
    assert result_line(again) == line  # the same numbers, to the last digit
    with open(tmp_path / "log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"]
    assert {"loss", "accuracy"} <= set(rows[0])


def test_resume_continues_exactly(tmp_path, capsys):
    common = [*SPIRAL, "--augment", "--validation-split", "0.2", "--verbose", "0"]
    a, b = str(tmp_path / "a.safetensors"), str(tmp_path / "b.safetensors")
    assert main(["train", *common, "--epochs", "4", "--save", a]) == 0
    straight = result_line(capsys.readouterr().out)
    assert main(["train", *common, "--epochs", "2", "--save", b]) == 0
    capsys.readouterr()
    assert main(["train", *common, "--epochs", "4", "--save", b, "--resume"]) == 0
    out = capsys.readouterr().out
    assert "resuming from" in out and "after epoch 2" in out
    assert result_line(out) == straight
    wa, wb = read_tensors(a)[0], read_tensors(b)[0]
    assert set(wa) == set(wb) and any(k.startswith("optimizer.") for k in wa)
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)
    # nothing left to do: --epochs already reached
    assert main(["train", *common, "--epochs", "4", "--save", b, "--resume"]) == 0
    assert "already trained for 4 epochs" in capsys.readouterr().out


def test_resume_without_a_checkpoint_starts_fresh(tmp_path, capsys):
    path = str(tmp_path / "new.safetensors")
    assert main(["train", *SPIRAL, "--epochs", "1", "--save", path, "--resume",
                 "--verbose", "0"]) == 0
    assert "starting from scratch" in capsys.readouterr().out
    assert load_model(path) is not None


def test_mnist_subset_default_network_and_predict_on_a_drawn_digit(tmp_path, cli, mnist_home,
                                                                   capsys, monkeypatch):
    from PIL import Image

    from topograd.data import MNIST

    monkeypatch.chdir(tmp_path)
    assert main(["train", "--limit", "500", "--epochs", "1", "--save", "mnist.safetensors"]) == 0
    out = capsys.readouterr().out
    assert "Epoch 1/1" in out and "accuracy:" in out  # Keras-style progress
    line = result_line(out)
    assert "/500 correct" in line
    assert result_line(cli("evaluate", "mnist.safetensors").stdout) == line  # a new process

    assert main(["summary", "mnist.safetensors"]) == 0
    summary = capsys.readouterr().out
    for text in ["Layer (type)", "(None, 512)", "(None, 10)", "407,050", "Total params"]:
        assert text in summary

    x_test = MNIST(mnist_home, train=False, download=False, normalize=False).data[:4]
    model = load_model(tmp_path / "mnist.safetensors")
    paths, expected = [], []
    for i in (0, 1, 2, 3):
        path = tmp_path / f"digit{i}.png"
        Image.fromarray(x_test[i]).save(path)  # white on black, 28x28, as MNIST
        paths.append(path.name)
        probs = model.predict(x_test[i:i + 1].reshape(1, 784).astype(np.float32) / 255,
                              verbose=0)
        expected.append((int(probs.argmax()), float(probs.max())))
    assert main(["predict", "mnist.safetensors", *paths]) == 0
    pred = capsys.readouterr().out.strip().splitlines()
    assert len(pred) == 4
    for line, name, (cls, p) in zip(pred, paths, expected):
        got = re.fullmatch(rf"{name}: (\d) \((\S+)\)", line)
        assert got, line
        assert int(got.group(1)) == cls and abs(float(got.group(2)) - p) < 1e-4


def test_json_architecture_file(tmp_path, capsys):
    arch = tmp_path / "arch.json"
    arch.write_text(json.dumps({"layers": [
        {"class_name": "Dense", "config": {"units": 16, "activation": "tanh"}},
        {"class_name": "BatchNormalization", "config": {}},
        {"class_name": "Dense", "config": {"units": 3, "activation": "softmax"}}]}))
    path = str(tmp_path / "j.safetensors")
    assert main(["train", *SPIRAL[:2], "--model", str(arch), "--epochs", "1", "--save", path,
                 "--verbose", "0"]) == 0
    capsys.readouterr()
    assert main(["summary", path]) == 0
    out = capsys.readouterr().out
    assert 'Model: "arch"' in out and "batch_normalization" in out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"class_name": "Dense", "config": {"units": 5}}]))
    assert main(["train", *SPIRAL[:2], "--model", str(bad), "--epochs", "1"]) == 2
    assert "ends in 5 units but --dataset spiral has 3 classes" in capsys.readouterr().err
    bad.write_text("{oops")
    assert main(["train", "--model", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "not a JSON architecture file" in err and len(err.strip().splitlines()) == 1
    bad.write_text(json.dumps([{"class_name": "Conv9D", "config": {}}]))
    assert main(["train", *SPIRAL[:2], "--model", str(bad)]) == 2
    assert "unknown layer class 'Conv9D'" in capsys.readouterr().err


def test_moons_with_batchnorm_preset(tmp_path, capsys):
    path = str(tmp_path / "moons.safetensors")
    assert main(["train", "--dataset", "moons", "--model", "mlp-bn", "--epochs", "2",
                 "--optimizer", "momentum", "--lr", "0.05", "--save", path, "--verbose",
                 "0"]) == 0
    assert "/400 correct" in result_line(capsys.readouterr().out)
    assert main(["predict", path, "0.0,0.5", "1.5,-0.3", "--top", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and all(re.fullmatch(r"\S+: \d \(\S+\), \d \(\S+\)", x)
                                   for x in lines)


def test_predict_inputs_and_errors(tmp_path, capsys):
    path = str(tmp_path / "s.safetensors")
    assert main(["train", *SPIRAL, "--epochs", "1", "--save", path, "--verbose", "0"]) == 0
    capsys.readouterr()
    batch = np.random.default_rng(0).normal(size=(3, 2)).astype(np.float32)
    np.save(tmp_path / "batch.npy", batch)
    assert main(["predict", path, str(tmp_path / "batch.npy"), "0.1,0.2", "-1.5,2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [x.split(":")[0] for x in lines] == [f"{tmp_path / 'batch.npy'}[{i}]"
                                                for i in range(3)] + ["0.1,0.2", "-1.5,2"]
    want = load_model(path).predict(batch, verbose=0).argmax(1)
    assert [int(x.split(": ")[1][0]) for x in lines[:3]] == want.tolist()
    for bad, msg in [("1,2,3", "has 3 numbers; the model takes 2"),
                     ("abc", "neither an existing image or .npy file"),
                     ("missing.png", "input file 'missing.png' not found")]:
        assert main(["predict", path, bad]) == 2
        err = capsys.readouterr().err
        assert msg in err and len(err.strip().splitlines()) == 1


def test_export_onnx(tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    path = str(tmp_path / "e.safetensors")
    assert main(["train", *SPIRAL, "--epochs", "1", "--save", path, "--verbose", "0"]) == 0
    out = str(tmp_path / "e.onnx")
    assert main(["export", path, out]) == 0
    x = np.random.default_rng(1).normal(size=(7, 2)).astype(np.float32)
    sess = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(None, {"input": x})[0],
                               load_model(path).predict(x, verbose=0), atol=1e-5)
