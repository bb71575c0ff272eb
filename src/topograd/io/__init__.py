"""File formats, safely: safetensors files, JSON metadata, atomic writes, never pickle.

``topograd.io`` owns the formats and imports no face; the faces build their files on it:

- :mod:`.tensorfile`: the safetensors format, read and written here, every header field
  checked (with documented limits) before anything is read; errors name the file and the
  tensor;
- :mod:`.tree` and :mod:`.api`: nested objects as tensors plus a JSON skeleton,
  :func:`save` / :func:`load` (also ``topograd.save`` / ``topograd.load``), and
  :func:`save_tree` / :func:`load_tree`, which also record what kind of file it is (a
  training checkpoint of :func:`topograd.train.save_checkpoint` is one);
- :mod:`.weights`: a model's weights, checked name by name on load (:func:`load_weights`);
- :mod:`.model`: whole-model files (weights, architecture and compile settings as JSON,
  optimizer state). :func:`save_model` asks the model to save itself; :func:`load_model`
  hands the file to the face registered for the format it records (the Keras face's
  schema is :mod:`topograd.keras.saving`);
- :mod:`._atomic`: every write goes to a temporary file in the destination's folder and is
  renamed into place, so a crash during a save leaves the previous file intact, and a
  failed save (full disk, read-only folder) raises an ``OSError`` naming the file;
- :mod:`._paths`: the file naming rule (``.safetensors`` or no extension);
- :mod:`.image`: digit images as MNIST-like arrays.

>>> import os, tempfile, topograd
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
>>> topograd.save({"weight": topograd.ones(2, 2), "epoch": 3}, path)
>>> ck = topograd.load(path)
>>> ck["epoch"], ck["weight"].shape
(3, topograd.Size([2, 2]))
"""

from ._atomic import atomic_write
from ._paths import check_save_path
from .api import (
    MismatchError,
    check_state_dict,
    decode,
    encode,
    load,
    load_tree,
    save,
    save_tree,
)
from .image import load_digit
from .model import (
    load_model,
    model_info,
    read_model_file,
    register_model_format,
    save_model,
    write_model_file,
)
from .tensorfile import FormatError, parse_header, read_header, read_tensors, write_tensors
from .weights import (
    load_weights,
    model_weights,
    read_state_dict,
    save_weights,
    set_model_weights,
)

__all__ = [
    "FormatError", "MismatchError", "atomic_write", "check_save_path", "check_state_dict",
    "decode", "encode", "load", "load_digit", "load_model", "load_tree", "load_weights",
    "model_info", "model_weights", "parse_header", "read_header", "read_model_file",
    "read_state_dict", "read_tensors", "register_model_format", "save", "save_model",
    "save_tree", "save_weights", "set_model_weights", "write_model_file", "write_tensors",
]
