"""Saving and loading, safely: safetensors files, JSON metadata, atomic writes, never pickle.

The PyTorch-style face is :func:`save` / :func:`load` (also ``topograd.save`` /
``topograd.load``); :func:`load_weights` loads a file into a model after checking every
name, shape and dtype. The Keras-style face (:func:`save_model`, :func:`load_model`) keeps
the architecture and compile settings as JSON in the same file as the weights.

Every write goes to a temporary file in the destination's folder and is renamed into
place, so a crash during a save leaves the previous file intact. Every read checks the
safetensors header against the file before the ``safetensors`` package parses it; errors
name the file and the tensor.

>>> import os, tempfile, topograd
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
>>> topograd.save({"weight": topograd.ones(2, 2), "epoch": 3}, path)
>>> ck = topograd.load(path)
>>> ck["epoch"], ck["weight"].shape
(3, topograd.Size([2, 2]))
"""

from ._atomic import atomic_write
from .api import MismatchError, check_state_dict, decode, encode, load, save
from .image import load_digit
from .model import load_model, model_info, save_model
from .tensorfile import FormatError, parse_header, read_header, read_tensors, write_tensors
from .weights import (
    load_weights,
    model_weights,
    read_state_dict,
    save_weights,
    set_model_weights,
)

__all__ = [
    "FormatError", "MismatchError", "atomic_write", "check_state_dict", "decode", "encode",
    "load", "load_digit", "load_model", "load_weights", "model_info", "model_weights",
    "parse_header", "read_header", "read_state_dict", "read_tensors", "save", "save_model",
    "save_weights", "set_model_weights", "write_tensors",
]
