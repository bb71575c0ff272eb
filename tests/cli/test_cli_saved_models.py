"""The CLI takes every model the library saves (issue 9).

``topograd evaluate`` gives each model the labels its loss takes and reports what its own
``model.evaluate`` reports; a model without metrics, or saved uncompiled, is evaluated
too; a model file whose metadata holds valid JSON of the wrong type is a one-line error;
``topograd predict`` prepares a drawn digit as MNIST's digits were prepared.
"""

from __future__ import annotations

import json
import re
import struct

import numpy as np
import pytest

import topograd
from topograd.cli import main

LINE = re.compile(r"^(?:test loss: (\S+) - )?test accuracy: (\S+) \((\d+)/(\d+) correct\)"
                  r"(.*)$", re.M)
SPIRAL = ["--dataset", "spiral", "--model", "mlp-small", "--optimizer", "adam",
          "--batch-size", "64", "--verbose", "0"]


def _result(out: str):
    found = LINE.findall(out)
    assert len(found) == 1, out
    loss, acc, correct, n, rest = found[0]
    return (float(loss) if loss else None), float(acc), int(correct), int(n), rest


def _one_line_error(capsys, *fragments) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return err


def _mnist(n_train=600, n_test=200):
    from topograd.keras.datasets import mnist

    (xtr, ytr), (xte, yte) = mnist.load_data()
    xtr = xtr[:n_train].reshape(n_train, 784).astype(np.float32) / 255
    xte = xte[:n_test].reshape(n_test, 784).astype(np.float32) / 255
    return xtr, ytr[:n_train].astype(np.int64), xte, yte[:n_test].astype(np.int64)


def _keras_model(last="softmax", units=64):
    from topograd.keras import layers, models

    topograd.manual_seed(0)
    model = models.Sequential()
    model.add(layers.Dense(units, activation="relu", input_shape=(28 * 28,)))
    model.add(layers.Dense(10, activation=last))
    return model


# -- evaluate: the labels each loss takes -------------------------------------------------

def test_readme_keras_snippet_evaluates_in_a_new_process(tmp_path, cli, mnist_home):
    """The README's Keras code (categorical_crossentropy on to_categorical labels), saved and
    evaluated by the CLI: the numbers are model.evaluate's."""
    from topograd.io import load_model
    from topograd.keras.utils import to_categorical

    xtr, ytr, xte, yte = _mnist()
    network = _keras_model(units=512)
    network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    network.fit(xtr, to_categorical(ytr), epochs=1, batch_size=128, verbose=0)
    network.save(str(tmp_path / "mnist.safetensors"))

    out = cli("evaluate", "mnist.safetensors", "--limit", "200").stdout
    loss, acc, correct, n, _ = _result(out)
    want_loss, want_acc = load_model(tmp_path / "mnist.safetensors").evaluate(
        xte, to_categorical(yte, 10), batch_size=128, verbose=0)
    assert n == 200 and f"{acc:.4f}" == f"{want_acc:.4f}" and correct == round(want_acc * 200)
    assert f"{loss:.4f}" == f"{want_loss:.4f}"
    assert want_acc > 0.5  # a real model, not chance


def _onehot(y):
    return np.eye(10, dtype=np.float32)[y]


# (loss given to compile, the last layer's activation, the targets fit and evaluate take)
LOSSES = {
    "categorical_crossentropy": ("categorical_crossentropy", "softmax", _onehot),
    "categorical_from_logits": ("cce_logits", None, _onehot),
    "sparse_categorical_crossentropy": ("sparse_categorical_crossentropy", "softmax",
                                        lambda y: y),
    "sparse_from_logits": ("scce_logits", None, lambda y: y),
    "mse_on_one_hot": ("mse", "softmax", _onehot),
    "binary_crossentropy_on_one_hot": ("binary_crossentropy", "sigmoid", _onehot),
    "kl_divergence": ("kl_divergence", "softmax", _onehot),
    "categorical_hinge": ("categorical_hinge", None, _onehot),
}


@pytest.mark.parametrize("case", sorted(LOSSES))
def test_evaluate_gives_each_loss_its_labels(case, tmp_path, capsys, mnist_home):
    from topograd.io import load_model
    from topograd.keras import losses

    loss, last, targets = LOSSES[case]
    loss = {"cce_logits": losses.CategoricalCrossentropy(from_logits=True),
            "scce_logits": losses.SparseCategoricalCrossentropy(from_logits=True)}.get(
        loss, loss)
    xtr, ytr, xte, yte = _mnist(n_train=300)
    model = _keras_model(last, units=32)
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    model.fit(xtr, targets(ytr), epochs=1, batch_size=64, verbose=0)
    path = tmp_path / "m.safetensors"
    model.save(path)

    assert main(["evaluate", str(path), "--limit", "200", "--batch-size", "64"]) == 0
    got_loss, acc, correct, n, _ = _result(capsys.readouterr().out)
    want_loss, want_acc = load_model(path).evaluate(xte, targets(yte), batch_size=64,
                                                     verbose=0)
    assert (f"{got_loss:.4f}", f"{acc:.4f}") == (f"{want_loss:.4f}", f"{want_acc:.4f}")
    assert n == 200 and correct == round(want_acc * 200)


def test_single_sigmoid_output_gets_0_1_labels(tmp_path, capsys):
    from topograd.data import make_moons
    from topograd.io import load_model
    from topograd.keras import layers, models

    topograd.manual_seed(0)
    x, y = make_moons(400, seed=0, noise=0.2)
    model = models.Sequential([layers.Dense(16, activation="relu", input_shape=(2,)),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y.reshape(-1, 1).astype(np.float32), epochs=3, batch_size=32, verbose=0)
    path = tmp_path / "moons.safetensors"
    model.save(path)
    assert main(["evaluate", str(path), "--dataset", "moons"]) == 0
    loss, acc, _, n, _ = _result(capsys.readouterr().out)
    from topograd.cli.presets import load_dataset

    spec = load_dataset("moons", test_only=True)
    want = load_model(path).evaluate(spec.x_test, spec.y_test.reshape(-1, 1).astype(np.float32),
                                     batch_size=128, verbose=0)
    assert n == len(spec.y_test) and (f"{loss:.4f}", f"{acc:.4f}") == tuple(
        f"{v:.4f}" for v in want)


def test_model_compiled_without_metrics(tmp_path, capsys, mnist_home):
    """compile() without metrics: model.evaluate gives a float; the CLI prints the loss and
    the accuracy of the arg-max predictions."""
    from topograd.io import load_model

    xtr, ytr, xte, yte = _mnist(n_train=300, n_test=100)
    model = _keras_model(units=32)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    model.fit(xtr, ytr, epochs=1, batch_size=64, verbose=0)
    path = tmp_path / "m.safetensors"
    model.save(path)
    assert main(["evaluate", str(path), "--limit", "100"]) == 0
    loss, acc, correct, n, rest = _result(capsys.readouterr().out)
    again = load_model(path)
    want_loss = again.evaluate(xte, yte, batch_size=128, verbose=0)
    assert isinstance(want_loss, float) and f"{loss:.4f}" == f"{want_loss:.4f}"
    want_correct = int((again.predict(xte, verbose=0).argmax(1) == yte).sum())
    assert (correct, n, rest) == (want_correct, 100, "")


def test_other_metrics_are_printed_too(tmp_path, capsys):
    from topograd.keras import layers, models

    topograd.manual_seed(0)
    model = models.Sequential([layers.Dense(8, activation="relu", input_shape=(2,)),
                               layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=["precision", "accuracy"])
    path = tmp_path / "m.safetensors"
    model.save(path)
    assert main(["evaluate", str(path), "--dataset", "moons"]) == 0
    assert re.fullmatch(r" - test precision: \S+", _result(capsys.readouterr().out)[4])


def test_uncompiled_model_reports_its_accuracy(tmp_path, capsys):
    from topograd.io import load_model
    from topograd.keras import layers, models

    topograd.manual_seed(0)
    model = models.Sequential([layers.Dense(8, activation="relu", input_shape=(2,)),
                               layers.Dense(3)])
    path = tmp_path / "raw.safetensors"
    model.save(path)
    assert main(["evaluate", str(path), "--dataset", "spiral"]) == 0
    out = capsys.readouterr()
    loss, acc, correct, n, _ = _result(out.out)
    assert loss is None and "without compile settings" in out.err
    from topograd.cli.presets import load_dataset

    spec = load_dataset("spiral", test_only=True)
    pred = load_model(path).predict(spec.x_test, verbose=0).argmax(1)
    assert correct == int((pred == spec.y_test).sum()) and n == len(spec.y_test)


def test_resume_a_model_saved_by_model_save_with_one_hot_loss(tmp_path, capsys):
    """train --resume of a Keras-face file compiled with categorical_crossentropy."""
    from topograd.keras import layers, models

    topograd.manual_seed(0)
    model = models.Sequential([layers.Dense(16, activation="relu", input_shape=(2,)),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    path = str(tmp_path / "m.safetensors")
    model.save(path)
    assert main(["train", *SPIRAL, "--epochs", "1", "--limit", "100", "--save", path,
                 "--resume"]) == 0
    out = capsys.readouterr().out
    assert "resuming from" in out
    _result(out)


def test_pytorch_face_state_dict_is_a_one_line_error(tmp_path, capsys):
    """topograd.save of an nn model's state dict holds no architecture: the CLI says so."""
    from topograd import nn, optim, train

    topograd.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
    x = np.random.default_rng(0).normal(size=(32, 2)).astype(np.float32)
    train.fit(net, nn.CrossEntropyLoss(), optim.Adam(net.parameters()), x,
              np.arange(32) % 3, epochs=1, verbose=0)
    path = tmp_path / "net.safetensors"
    topograd.save(net.state_dict(), path)
    for command in ("evaluate", "summary"):
        assert main([command, str(path)]) == 2
        _one_line_error(capsys, "not a topograd model file", "load_weights")


# -- metadata of the right JSON but the wrong type ------------------------------------------

def _read(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def _write(path, header, data):
    head = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + data)


def _edit(src, dst, key, change):
    """Copy the model file ``src`` to ``dst`` with ``change(value)`` applied to the JSON
    held in its metadata entry ``key``."""
    header, data = _read(src)
    meta = header["__metadata__"]
    meta[key] = json.dumps(change(json.loads(meta[key])))
    _write(dst, header, data)


@pytest.fixture(scope="module")
def spiral_file(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("spiral") / "s.safetensors")
    assert main(["train", *SPIRAL, "--epochs", "1", "--limit", "60", "--save", path]) == 0
    return path


def _set(*keys, value):
    def change(obj):
        target = obj
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value
        return obj
    return change


EXTRA = "topograd.extra"
COMPILE = "topograd.compile_config"
CONFIG = "topograd.model_config"
BAD_METADATA = [
    # (metadata entry, change, the command, what the error must say)
    (EXTRA, _set("cli", value="mnist"), "evaluate", "extra.cli must be a JSON object"),
    (EXTRA, _set("cli", value=None), "evaluate", "extra.cli must be a JSON object"),
    (EXTRA, _set("cli", "limit", value="100"), "evaluate",
     "extra.cli.limit must be a positive integer or null, found a string '100'"),
    (EXTRA, _set("cli", "limit", value=1.5), "evaluate", "extra.cli.limit must be"),
    (EXTRA, _set("cli", "limit", value=True), "evaluate", "extra.cli.limit must be"),
    (EXTRA, _set("cli", "dataset", value=["spiral"]), "evaluate",
     "extra.cli.dataset must be one of mnist, spiral, moons, found a list ['spiral']"),
    (EXTRA, _set("cli", "dataset", value={"name": "spiral"}), "evaluate",
     "extra.cli.dataset must be one of"),
    (EXTRA, _set("cli", "batch_size", value="64"), "evaluate", "extra.cli.batch_size must be"),
    (EXTRA, _set("cli", "batch_size", value=0), "evaluate", "extra.cli.batch_size must be"),
    (EXTRA, _set("cli", "epoch", value="1"), "resume", "extra.cli.epoch must be"),
    (EXTRA, _set("cli", "epoch", value=None), "resume", "extra.cli.epoch must be"),
    (EXTRA, _set("rng_state", value="seed"), "resume", "extra.rng_state must be"),
    (EXTRA, _set("rng_state", "state", value=[1]), "resume", "extra.rng_state must be"),
    (COMPILE, _set("loss", "name", value=["mse"]), "evaluate", "unknown loss"),
    (COMPILE, _set("loss", value="mse"), "evaluate", "unknown loss"),
    (COMPILE, _set("metrics", value="accuracy"), "evaluate", "metrics must be a list"),
    (COMPILE, _set("optimizer", "config", "learning_rate", value="0.01"), "resume",
     "optimizer setting 'learning_rate' must be a number, found '0.01'"),
    (COMPILE, _set("optimizer", "config", "clipnorm", value=[1]), "resume",
     "optimizer setting 'clipnorm' must be a number"),
    (COMPILE, _set("optimizer", "config", "amsgrad", value="no"), "evaluate",
     "optimizer setting 'amsgrad' must be true or false"),
    (COMPILE, _set("optimizer", value="adam"), "evaluate", "without an optimizer"),
    (CONFIG, _set("config", "layers", 0, "config", value="2"), "summary",
     "InputLayer needs batch_shape"),
    (CONFIG, _set("config", "layers", value={"0": 1}), "summary", "no list of layers"),
    (CONFIG, _set("config", "layers", 1, "config", "units", value="64"), "summary",
     "cannot build layer Dense"),
]


@pytest.mark.parametrize("entry, change, command, message", BAD_METADATA,
                         ids=[f"{e.split('.')[1]}-{i}" for i, (e, *_) in
                              enumerate(BAD_METADATA)])
def test_metadata_of_the_wrong_type_is_one_line(entry, change, command, message, spiral_file,
                                                tmp_path, capsys):
    bad = str(tmp_path / "bad.safetensors")
    _edit(spiral_file, bad, entry, change)
    argv = {"evaluate": ["evaluate", bad], "summary": ["summary", bad],
            "resume": ["train", *SPIRAL, "--epochs", "2", "--limit", "30", "--save", bad,
                       "--resume"]}[command]
    assert main(argv) == 2
    _one_line_error(capsys, message)


def test_extra_that_is_not_an_object_is_no_cli_record(spiral_file, tmp_path, capsys):
    """save_model(..., extra="a note") is a valid library file: evaluate takes it (it just
    records no dataset), and says what to pass when the guess of mnist does not fit."""
    bad = str(tmp_path / "note.safetensors")
    _edit(spiral_file, bad, EXTRA, lambda _: "a note")
    assert main(["evaluate", bad, "--dataset", "spiral", "--limit", "50"]) == 0
    assert _result(capsys.readouterr().out)[3] == 50
    assert main(["evaluate", bad]) == 2
    _one_line_error(capsys, "records no dataset", "--dataset")
    assert main(["summary", bad]) == 0


# -- predict: a drawn digit is prepared as MNIST's were ----------------------------------------

@pytest.fixture(scope="module")
def mnist_model(tmp_path_factory, mnist_home):
    from topograd.io import load_model

    path = tmp_path_factory.mktemp("mnist") / "m.safetensors"
    assert main(["train", "--limit", "3000", "--epochs", "2", "--save", str(path),
                 "--verbose", "0"]) == 0
    return str(path), load_model(path)


def _confident_digits(model, count=8):
    from topograd.data import MNIST

    images = MNIST(train=False, download=False, normalize=False).data[:200]
    labels = MNIST(train=False, download=False).targets[:200]
    probs = model.predict(images.reshape(-1, 784).astype(np.float32) / 255, verbose=0)
    keep = [i for i in range(200) if probs[i].argmax() == labels[i] and probs[i].max() > 0.9]
    assert len(keep) >= count
    return [(images[i], int(labels[i])) for i in keep[:count]]


def _predicted(capsys, path, files):
    assert main(["predict", path, *files]) == 0
    return [int(line.split(": ")[1][0]) for line in capsys.readouterr().out.splitlines()]


def test_predict_centres_an_off_centre_28x28_digit(mnist_model, tmp_path, capsys):
    from PIL import Image

    path, model = mnist_model
    files, labels = [], []
    for k, (image, label) in enumerate(_confident_digits(model)):
        ink = np.nonzero(image > 25)
        box = image[ink[0].min():ink[0].max() + 1, ink[1].min():ink[1].max() + 1]
        moved = np.zeros((28, 28), np.uint8)  # the digit pushed into the top-left corner
        moved[:box.shape[0], :box.shape[1]] = box
        files.append(str(tmp_path / f"corner{k}.png"))
        Image.fromarray(moved).save(files[-1])
        labels.append(label)
    assert _predicted(capsys, path, files) == labels


def test_predict_a_digit_drawn_dark_on_light_in_a_corner_of_a_big_canvas(mnist_model, tmp_path,
                                                                         capsys):
    from PIL import Image

    path, model = mnist_model
    files, labels = [], []
    for k, (image, label) in enumerate(_confident_digits(model)):
        big = Image.fromarray(image).resize((84, 84), Image.BICUBIC)  # drawn 3 times larger
        canvas = np.full((160, 240), 255, np.uint8)  # white paper, dark ink
        canvas[150 - 84:150, 6:90] = 255 - np.asarray(big)
        files.append(str(tmp_path / f"drawn{k}.png"))
        Image.fromarray(canvas).convert("RGB").save(files[-1])
        labels.append(label)
    assert _predicted(capsys, path, files) == labels


def test_load_digit_reads_an_mnist_digit_back_unchanged(mnist_home, tmp_path):
    from PIL import Image

    from topograd.data import MNIST
    from topograd.io import load_digit

    images = MNIST(train=False, download=False, normalize=False).data[:50]
    for k, image in enumerate(images):
        Image.fromarray(image).save(tmp_path / f"d{k}.png")
        np.testing.assert_array_equal(load_digit(tmp_path / f"d{k}.png"),
                                      image.astype(np.float32) / np.float32(255))


def test_predict_help_says_what_an_image_must_be(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for fragment in ("any size", "dark ink on light paper or light on dark", "white on black",
                     "20x20 box", "centre of mass", "28x28"):
        assert fragment in text, fragment


def test_train_refuses_a_save_name_of_another_format_before_training(tmp_path, capsys):
    path = tmp_path / "run.h5"
    assert main(["train", *SPIRAL, "--epochs", "1", "--save", str(path)]) == 2
    _one_line_error(capsys, "--save", "use a .safetensors file name", "HDF5")
    assert not path.exists()
