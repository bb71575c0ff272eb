"""topograd writes safetensors only: a name promising another format is refused, the way
Keras 3 refuses an extension it cannot honour, and a file in another format is named on
load (issue 9)."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

import topograd
from topograd import io, nn
from topograd.keras import layers, models


def _model():
    model = models.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("name, kind", [
    ("model.h5", "HDF5"), ("model.hdf5", "HDF5"), ("model.keras", "Keras 3 .keras"),
    ("model.pt", "PyTorch"), ("model.pkl", "pickle"), ("model.onnx", "ONNX"),
    ("model.bin", "'.bin' is not an extension topograd writes"),
])
def test_model_save_refuses_other_formats(name, kind, tmp_path):
    with pytest.raises(ValueError) as info:
        _model().save(tmp_path / name)
    message = str(info.value)
    assert "safetensors format" in message and "use a .safetensors file name" in message
    assert f"found {name!r}" in message and kind in message
    assert not (tmp_path / name).exists()  # nothing written under the misleading name


def test_save_weights_and_the_pytorch_face_refuse_too(tmp_path):
    with pytest.raises(ValueError, match=r"weights in the safetensors format.*'m\.weights\.h5'"):
        _model().save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match=r"found 'net\.pth': PyTorch"):
        topograd.save(nn.Linear(2, 2).state_dict(), tmp_path / "net.pth")
    with pytest.raises(ValueError, match="safetensors format"):
        io.save_weights(nn.Linear(2, 2), tmp_path / "w.h5")
    with pytest.raises(ValueError, match="safetensors format"):
        io.save_model(_model(), tmp_path / "m.keras")
    assert list(tmp_path.iterdir()) == []


def test_safetensors_and_names_without_extension_still_save(tmp_path):
    model = _model()
    x = np.ones((2, 4), np.float32)
    for name in ("m.safetensors", "M.SafeTensors", "checkpoint"):
        model.save(tmp_path / name)
        again = models.load_model(tmp_path / name)
        np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    model.save_weights(tmp_path / "seed.weights.safetensors")
    topograd.save({"w": topograd.ones(2)}, tmp_path / "plain")
    assert topograd.load(tmp_path / "plain")["w"].shape == (2,)


def test_loading_another_format_names_it(tmp_path):
    h5 = tmp_path / "model.h5"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(200))
    with pytest.raises(io.FormatError, match=r"model\.h5: an HDF5 file .* not a safetensors"):
        models.load_model(h5)
    keras3 = tmp_path / "model.keras"
    with zipfile.ZipFile(keras3, "w") as z:
        z.writestr("config.json", "{}")
    with pytest.raises(io.FormatError, match=r"a zip archive \(a Keras 3 \.keras file"):
        models.load_model(keras3)
    with pytest.raises(io.FormatError, match="HDF5"):
        topograd.load(h5)
    with pytest.raises(io.FormatError, match="HDF5"):
        _model().load_weights(h5)


def test_an_old_safetensors_file_under_another_name_still_loads(tmp_path):
    """Reading judges the content: a file an older topograd wrote as model.h5 loads."""
    from topograd.io.model import save_model

    model = _model()
    save_model(model, tmp_path / "m.safetensors")
    (tmp_path / "old.h5").write_bytes((tmp_path / "m.safetensors").read_bytes())
    assert models.load_model(tmp_path / "old.h5").count_params() == model.count_params()
