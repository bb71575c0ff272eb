"""Tampered, truncated and lying safetensors files: each is refused, naming file and tensor."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import topograd
from topograd.io import FormatError, read_header, read_tensors, write_tensors

pytest.importorskip("safetensors")


def craft(path, header: dict, data: bytes, length: int | None = None) -> str:
    """Write a file from a header dict and raw data, optionally lying about the length."""
    raw = json.dumps(header).encode()
    n = len(raw) if length is None else length
    path.write_bytes(struct.pack("<Q", n) + raw + data)
    return str(path)


def good_header():
    return {"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
            "b": {"dtype": "F32", "shape": [3], "data_offsets": [24, 36]}}


def refused(path, *fragments):
    with pytest.raises(FormatError) as info:
        topograd.load(path)
    msg = str(info.value)
    assert str(path) in msg
    for f in fragments:
        assert f in msg, msg
    return msg


def test_valid_crafted_file_loads(tmp_path):
    data = np.arange(9, dtype=np.float32).tobytes()
    p = craft(tmp_path / "ok.safetensors", good_header(), data)
    sd = topograd.load(p)
    np.testing.assert_array_equal(sd["w"].numpy(), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(sd["b"].numpy(), [6, 7, 8])


@pytest.mark.parametrize("cut", [0, 3, 8, 20, -1, -12])
def test_truncated_file(tmp_path, cut):
    p = tmp_path / "m.safetensors"
    write_tensors(p, {"w": np.ones((2, 3), np.float32), "b": np.zeros(3, np.float32)})
    raw = p.read_bytes()
    p.write_bytes(raw[:cut] if cut >= 0 else raw[:len(raw) + cut])
    msg = refused(p)
    assert "truncated" in msg or "run past" in msg or "cover" in msg


def test_truncated_data_names_the_tensor(tmp_path):
    data = np.zeros(9, np.float32).tobytes()[:-4]
    p = craft(tmp_path / "t.safetensors", good_header(), data)
    refused(p, "'b'", "truncated")


def test_header_length_larger_than_file(tmp_path):
    p = craft(tmp_path / "l.safetensors", good_header(), b"\0" * 36, length=10_000)
    refused(p, "10000", "truncated")


def test_absurd_header_length(tmp_path):
    p = tmp_path / "x.safetensors"
    p.write_bytes(struct.pack("<Q", 2**63) + b"{}")
    refused(p, "header length")


def test_header_lies_about_shape(tmp_path):
    h = good_header()
    h["w"]["shape"] = [3, 3]  # 36 bytes claimed, 24 stored
    p = craft(tmp_path / "s.safetensors", h, b"\0" * 36)
    refused(p, "'w'", "span 24 bytes", "need 36")


def test_header_lies_about_dtype_size(tmp_path):
    h = good_header()
    h["b"]["dtype"] = "F64"
    p = craft(tmp_path / "d.safetensors", h, b"\0" * 36)
    refused(p, "'b'", "F64")


@pytest.mark.parametrize("dtype,why", [("F33", "not a safetensors dtype"),
                                       ("BF16", "no NumPy equivalent"),
                                       (7, "not a safetensors dtype")])
def test_wrong_dtype_code(tmp_path, dtype, why):
    h = good_header()
    h["w"]["dtype"] = dtype
    p = craft(tmp_path / "c.safetensors", h, b"\0" * 36)
    refused(p, "'w'", why)


@pytest.mark.parametrize("shape", [[-1, 3], [2.0, 3], "23", [True, 3]])
def test_bad_shape(tmp_path, shape):
    h = good_header()
    h["w"]["shape"] = shape
    p = craft(tmp_path / "bs.safetensors", h, b"\0" * 36)
    refused(p, "'w'", "shape")


@pytest.mark.parametrize("offsets", [[24, 0], [0], [-4, 20], "0,24", [0, 24.0]])
def test_bad_offsets(tmp_path, offsets):
    h = good_header()
    h["w"]["data_offsets"] = offsets
    p = craft(tmp_path / "bo.safetensors", h, b"\0" * 36)
    refused(p, "'w'", "data_offsets")


def test_overlapping_tensors(tmp_path):
    h = good_header()
    h["b"]["data_offsets"] = [12, 24]
    p = craft(tmp_path / "ov.safetensors", h, b"\0" * 36)
    refused(p, "'w'", "overlaps")


def test_gap_between_tensors(tmp_path):
    h = good_header()
    h["b"]["data_offsets"] = [28, 40]
    p = craft(tmp_path / "gap.safetensors", h, b"\0" * 40)
    refused(p, "'b'", "unclaimed")


def test_trailing_bytes(tmp_path):
    p = craft(tmp_path / "tail.safetensors", good_header(), b"\0" * 40)
    refused(p, "cover 36 bytes but 40")


def test_offsets_past_end(tmp_path):
    h = good_header()
    h["b"]["data_offsets"] = [36, 48]
    p = craft(tmp_path / "end.safetensors", h, b"\0" * 36)
    refused(p, "'b'", "past the end")


@pytest.mark.parametrize("raw", [b"not json!", b"[1, 2]", b"\xff\xfe{}", b"[" * 5000])
def test_header_not_a_json_object(tmp_path, raw):
    p = tmp_path / "j.safetensors"
    p.write_bytes(struct.pack("<Q", len(raw)) + raw)
    refused(p, "header")


def test_duplicate_tensor_name(tmp_path):
    raw = (b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, '
           b'"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}')
    p = tmp_path / "dup.safetensors"
    p.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * 8)
    refused(p, "'w'", "twice")


def test_entry_with_unknown_field(tmp_path):
    h = good_header()
    h["w"]["code"] = "print('hi')"
    p = craft(tmp_path / "f.safetensors", h, b"\0" * 36)
    refused(p, "'w'", "fields")


def test_metadata_must_be_strings(tmp_path):
    h = good_header()
    h["__metadata__"] = {"epoch": 3}
    p = craft(tmp_path / "md.safetensors", h, b"\0" * 36)
    refused(p, "__metadata__")


def test_read_header_reads_no_data(tmp_path):
    p = tmp_path / "h.safetensors"
    write_tensors(p, {"w": np.ones((4, 5), np.float16)}, {"k": "v"})
    entries, meta = read_header(p)
    assert entries == {"w": (np.dtype(np.float16), (4, 5))}
    assert meta == {"k": "v"}
    p.write_bytes(p.read_bytes()[:-1])
    with pytest.raises(FormatError, match="'w'"):
        read_header(p)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        topograd.load(tmp_path / "nope.safetensors")
    with pytest.raises(IsADirectoryError):
        topograd.load(tmp_path)


def test_empty_and_zero_size_tensors(tmp_path):
    p = tmp_path / "z.safetensors"
    write_tensors(p, {"e": np.zeros((0, 3), np.float32), "s": np.array(2.5)})
    out, _ = read_tensors(p)
    assert out["e"].shape == (0, 3) and out["s"].shape == () and out["s"] == 2.5


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "uint16", "int32",
                                   "uint32", "int64", "uint64", "float16", "float32", "float64"])
def test_every_dtype_round_trips(tmp_path, dtype):
    arr = (np.arange(6).reshape(2, 3) % 2 == 0) if dtype == "bool" else \
        np.arange(6).reshape(2, 3).astype(dtype)
    p = tmp_path / f"{dtype}.safetensors"
    write_tensors(p, {"x": arr})
    out, _ = read_tensors(p)
    assert out["x"].dtype == arr.dtype
    np.testing.assert_array_equal(out["x"], arr)


def test_big_endian_and_non_contiguous_arrays(tmp_path):
    be = np.arange(4, dtype=">f4")
    strided = np.arange(12, dtype=np.int32).reshape(3, 4)[:, ::2]
    p = tmp_path / "be.safetensors"
    write_tensors(p, {"be": be, "st": strided})
    out, _ = read_tensors(p)
    np.testing.assert_array_equal(out["be"], be)
    np.testing.assert_array_equal(out["st"], strided)


def test_unstorable_dtype_is_refused(tmp_path):
    with pytest.raises(TypeError, match="'obj'"):
        write_tensors(tmp_path / "o.safetensors", {"obj": np.array([object()])})
    with pytest.raises(TypeError, match="'c'"):
        write_tensors(tmp_path / "o.safetensors", {"c": np.zeros(2, np.complex64)})
    assert not list(tmp_path.iterdir())
