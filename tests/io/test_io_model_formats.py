"""topograd.io owns whole-model files but imports no face: the Keras face's schema lives in
topograd.keras.saving, which registers the format it records; io.load_model finds it by
the name the file records, even in a process that never imported the face."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import topograd
from topograd import io, keras, nn
from topograd.io import FormatError

pytest.importorskip("safetensors")


def _run(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_importing_io_imports_no_face():
    out = _run("""
        import sys
        import topograd.io
        faces = ("topograd.keras", "topograd.nn", "topograd.train", "topograd.cli")
        print(sorted(m for m in sys.modules if m.startswith(faces)))
    """)
    assert out.strip() == "[]"


def test_io_load_model_finds_the_face_by_the_recorded_format(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="relu")])
    model.compile(optimizer="adam", loss="mse")
    path = tmp_path / "m.safetensors"
    model.save(path)
    assert io.model_info(path)["format"] == "keras-model"
    x = np.ones((1, 3), np.float32)
    np.save(tmp_path / "want.npy", model.predict(x, verbose=0))
    out = _run(f"""
        import sys
        import numpy as np
        from topograd.io import load_model
        before = "topograd.keras" in sys.modules
        model = load_model({str(path)!r})
        got = model.predict(np.ones((1, 3), np.float32), verbose=0)
        print(before, type(model).__name__, type(model.optimizer).__name__,
              bool(np.array_equal(got, np.load({str(tmp_path / "want.npy")!r}))))
    """)
    assert out.split() == ["False", "Sequential", "Adam", "True"]


def test_every_public_loader_reads_a_keras_file(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    path = tmp_path / "m.safetensors"
    keras.saving.save_model(model, path, extra={"epoch": 2})
    for load in (io.load_model, keras.models.load_model, keras.saving.load_model):
        assert load(path).count_params() == 3
    assert io.model_info(path)["extra"] == {"epoch": 2}
    assert sorted(topograd.load(path)) == ["weights"]
    assert sorted(io.read_state_dict(path)) == ["0.bias", "0.kernel"]
    io.save_model(model, tmp_path / "again.safetensors", extra={"epoch": 3})
    assert io.model_info(tmp_path / "again.safetensors")["extra"] == {"epoch": 3}


def test_a_model_that_cannot_be_saved_whole(tmp_path):
    with pytest.raises(TypeError, match=r"needs a Keras-face model, found Linear; for an "
                                        r"nn\.Module use topograd\.save"):
        io.save_model(nn.Linear(2, 2), tmp_path / "m.safetensors")
    with pytest.raises(TypeError, match="needs a Keras-face model"):
        keras.saving.save_model(nn.Linear(2, 2), tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()


def test_formats_no_face_reads(tmp_path):
    path = tmp_path / "odd.safetensors"
    io.write_model_file(path, format="some-other-face", config={},
                        weights={"w": np.zeros(1, np.float32)})
    with pytest.raises(FormatError, match=r"odd\.safetensors: a model file of format "
                                          r"'some-other-face', which this version"):
        io.load_model(path)
    with pytest.raises(FormatError, match=r"odd\.safetensors: a model file of format "
                                          r"'some-other-face', not 'keras-model'"):
        keras.models.load_model(path)


def test_a_registered_reader_gets_its_files(tmp_path):
    path = tmp_path / "demo.safetensors"
    io.write_model_file(path, format="test-demo", config={"n": 2},
                        weights={"w": np.arange(2, dtype=np.float32)})

    def reader(p, compile=True):
        return ("demo", io.read_model_file(p, format="test-demo")["config"], compile)

    io.register_model_format("test-demo", reader)
    assert io.load_model(path, compile=False) == ("demo", {"n": 2}, False)
    with pytest.raises(TypeError, match="needs a format name and a callable"):
        io.register_model_format("", reader)


def test_model_file_parts_are_type_checked(tmp_path):
    path = tmp_path / "m.safetensors"
    io.write_model_file(path, format="keras-model", config={}, weights={})
    tensors, meta = io.read_tensors(path)
    meta["topograd.tree"] = '{"d":[["weights",{"v":3}]]}'
    io.write_tensors(path, tensors, meta)
    with pytest.raises(FormatError, match=r"m\.safetensors: holds no weights"):
        io.load_model(path)
    meta["topograd.tree"] = '{"d":[["weights",{"d":[]}],["optimizer",{"l":[]}]]}'
    io.write_tensors(path, tensors, meta)
    with pytest.raises(FormatError, match=r"m\.safetensors: the optimizer state must be a dict"):
        io.load_model(path)
    meta["topograd.model_config"] = "{oops"
    io.write_tensors(path, tensors, meta)
    with pytest.raises(FormatError, match=r"metadata 'topograd.model_config' is not valid JSON"):
        io.model_info(path)
