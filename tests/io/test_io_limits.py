"""Header fields are type-checked before use, and files beyond the documented limits are
refused with a FormatError naming the file, before anything is allocated for them."""

from __future__ import annotations

import json
import struct
import time

import numpy as np
import pytest

import topograd
from topograd.io import FormatError, read_header, write_tensors

pytest.importorskip("safetensors")


def craft(path, header: dict, data: bytes = b"") -> str:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return str(path)


def refused(path, *fragments):
    for read in (topograd.load, read_header):
        with pytest.raises(FormatError) as info:
            read(path)
        msg = str(info.value)
        assert str(path) in msg, msg
        for f in fragments:
            assert f in msg, msg


@pytest.mark.parametrize("field,value,fragment", [
    ("dtype", ["F32"], "dtype ['F32'] is not a safetensors dtype"),
    ("dtype", {"F32": 1}, "is not a safetensors dtype"),
    ("dtype", None, "is not a safetensors dtype"),
    ("shape", {"0": 3}, "shape must be a list"),
    ("shape", [[3]], "shape must be a list"),
    ("shape", None, "shape must be a list"),
    ("data_offsets", {"begin": 0}, "data_offsets must be [begin, end]"),
    ("data_offsets", [0, [12]], "data_offsets must be [begin, end]"),
    ("data_offsets", [0, 12, 24], "data_offsets must be [begin, end]"),
])
def test_every_field_type_is_checked_first(tmp_path, field, value, fragment):
    h = {"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}}
    h["w"][field] = value
    refused(craft(tmp_path / "f.safetensors", h, b"\0" * 12), "'w'", fragment)


@pytest.mark.parametrize("meta", [[], ["a"], {"k": 1}, {"k": ["v"]}, "text", 3])
def test_metadata_must_map_strings_to_strings(tmp_path, meta):
    h = {"__metadata__": meta, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    refused(craft(tmp_path / "m.safetensors", h, b"\0" * 4), "__metadata__")


def test_more_dimensions_than_numpy_has(tmp_path):
    h = {"w": {"dtype": "F32", "shape": [1] * 65, "data_offsets": [0, 4]}}
    refused(craft(tmp_path / "d.safetensors", h, b"\0" * 4), "'w'", "65 dimensions",
            "at most 64")
    h = {"w": {"dtype": "F32", "shape": [1] * 64, "data_offsets": [0, 4]}}
    assert topograd.load(craft(tmp_path / "ok.safetensors", h, b"\0" * 4))["w"].dim() == 64


@pytest.mark.parametrize("shape", [[0, 2 ** 62, 2 ** 62], [0, 2 ** 63], [2 ** 40, 0, 2 ** 40]])
def test_empty_tensor_with_unaddressable_shape(tmp_path, shape):
    h = {"w": {"dtype": "F32", "shape": shape, "data_offsets": [0, 0]}}
    refused(craft(tmp_path / "z.safetensors", h), "'w'", "too large")


def test_too_many_tensors_is_refused_before_parsing(tmp_path):
    # a 28 MiB header of 500,000 empty tensors: refused at once, not parsed
    n = 500_000
    entry = '"t%d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}'
    raw = ("{" + ",".join(entry % i for i in range(n)) + "}").encode()
    p = tmp_path / "many.safetensors"
    p.write_bytes(struct.pack("<Q", len(raw)) + raw)
    start = time.perf_counter()
    refused(str(p), "500000 tensors", "at most 100000")
    assert time.perf_counter() - start < 2.0  # measured: well under 0.1 s


def test_header_length_beyond_the_limit(tmp_path):
    p = tmp_path / "big.safetensors"
    p.write_bytes(struct.pack("<Q", 100_000_001) + b"{}")
    refused(str(p), "header length 100000001", "100000000")


def test_deeply_nested_json_is_refused(tmp_path):
    for name, header in [("h", b'{"w":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
                         ("m", b'{"__metadata__":' + b"{" * 100_000)]:
        p = tmp_path / f"{name}.safetensors"
        p.write_bytes(struct.pack("<Q", len(header)) + header)
        refused(str(p), "not valid JSON")


def test_deeply_nested_structure_is_refused(tmp_path):
    p = tmp_path / "s.safetensors"
    write_tensors(p, {}, {"topograd.tree": '{"l":[' * 70 + '{"v":1}' + "]}" * 70})
    with pytest.raises(FormatError, match=r"s\.safetensors: the structure is nested deeper "
                                          r"than 64 levels"):
        topograd.load(p)
    with pytest.raises(FormatError, match=r"s\.safetensors: .*not valid JSON"):
        write_tensors(p, {}, {"topograd.tree": '{"l":[' * 100_000})
        topograd.load(p)


def test_saving_deeper_than_the_limit_is_refused(tmp_path):
    obj = 1
    for _ in range(70):
        obj = [obj]
    with pytest.raises(ValueError, match="nested deeper than 64"):
        topograd.save(obj, tmp_path / "deep.safetensors")
    ok = 1
    for _ in range(60):
        ok = [ok]
    topograd.save(ok, tmp_path / "ok.safetensors")
    assert topograd.load(tmp_path / "ok.safetensors") == ok


def test_limits_leave_ordinary_files_alone(tmp_path):
    p = tmp_path / "fine.safetensors"
    tensors = {f"layer{i}.weight": np.full((2, 2), i, np.float32) for i in range(2000)}
    write_tensors(p, tensors)
    back = topograd.load(p, as_numpy=True)
    assert len(back) == 2000 and back["layer7.weight"][0, 0] == 7
