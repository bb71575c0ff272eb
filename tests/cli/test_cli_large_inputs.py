"""``topograd predict`` on inputs that are small on disk and huge decoded (issue 11).

A blank 10000x10000 PNG is about 100 KiB but 100 MB of pixels (400 MB in RGBA), and the
old reader turned it into float arrays at full size (1.3 GB peak). Now the size the
header declares is checked first, a JPEG is decoded reduced, another image is reduced
right after decoding, and what would not fit the limits is a one-line error naming the
file and its size. A ``.npy`` file's header is checked against the file before its data
is read. Each command runs in a process whose address space is limited to 600 MB.
"""

from __future__ import annotations

import resource
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest

from topograd.cli import main

LIMIT_MB = 600


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def write_png(path, w: int, h: int, channels: int = 1, declared_only: bool = False) -> None:
    """A white ``w`` x ``h`` PNG (1 channel: L, 3: RGB, 4: RGBA) with a black square in
    its middle third, compressed row by row (the test never holds the pixels)."""
    ctype = {1: 0, 3: 2, 4: 6}[channels]
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, ctype, 0, 0, 0)))
        if not declared_only:
            white = b"\x00" + b"\xff" * (w * channels)
            ink = bytearray(white)
            black = (b"\x00" * 3 + b"\xff")[-channels:] if channels == 4 else b"\x00" * channels
            ink[1 + w // 3 * channels:1 + 2 * w // 3 * channels] = black * (2 * w // 3 - w // 3)
            comp = zlib.compressobj(6)
            for y in range(h):
                data = comp.compress(bytes(ink) if h // 3 <= y < 2 * h // 3 else white)
                if data:
                    f.write(_chunk(b"IDAT", data))
            f.write(_chunk(b"IDAT", comp.flush()))
        f.write(_chunk(b"IEND", b""))


def _limited():
    size = LIMIT_MB * 2 ** 20
    resource.setrlimit(resource.RLIMIT_AS, (size, size))


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    from topograd import keras

    path = tmp_path_factory.mktemp("large") / "digit.safetensors"
    keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")]).save(
        path)
    return path


def _predict(model_file, *inputs):
    return subprocess.run([sys.executable, "-m", "topograd", "predict", str(model_file),
                           *map(str, inputs)], capture_output=True, text=True, timeout=120,
                          preexec_fn=_limited)


def _one_line_error(run, *fragments):
    err = run.stderr.strip()
    assert run.returncode == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


def test_a_large_grayscale_png_is_read_reduced(model_file, tmp_path):
    path = tmp_path / "big.png"
    write_png(path, 10000, 10000)
    assert path.stat().st_size < 300_000
    run = _predict(model_file, path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"{path}: ") and run.stderr == ""


def test_a_large_rgba_png_is_refused_by_its_declared_size(model_file, tmp_path):
    path = tmp_path / "big-rgba.png"
    write_png(path, 10000, 10000, channels=4)
    _one_line_error(_predict(model_file, path), str(path), "10000x10000 RGBA PNG image",
                    "MiB to decode", "at most 256 MiB")


def test_a_large_jpeg_is_decoded_reduced(model_file, tmp_path):
    from PIL import Image

    path = tmp_path / "big.jpg"
    img = Image.new("L", (10000, 10000), 255)
    img.paste(0, (3000, 3000, 7000, 7000))
    img.save(path, quality=75)
    del img
    run = _predict(model_file, path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"{path}: ")


@pytest.mark.parametrize("side, fragment", [
    (100_000, "Image size (10000000000 pixels) exceeds limit"),
    (12_500, "a 12500x12500 image (156,250,000 pixels) is too large"),
])
def test_absurd_sizes_are_refused_before_decoding(model_file, tmp_path, side, fragment):
    path = tmp_path / "absurd.png"
    write_png(path, side, side, declared_only=True)  # the header alone: 57 bytes
    _one_line_error(_predict(model_file, path), str(path), fragment)


def test_reducing_first_gives_the_digit_the_reduced_image_gives(tmp_path):
    """A large image is reduced (a box average) before anything else: the same digit as the
    image reduced by Pillow beforehand."""
    from PIL import Image

    from topograd.io import load_digit
    from topograd.io.image import WORK_SIDE

    big, small = tmp_path / "big.png", tmp_path / "small.png"
    write_png(big, 3 * WORK_SIDE - 10, 2 * WORK_SIDE)
    with Image.open(big) as img:
        img.reduce(3).save(small)
    np.testing.assert_array_equal(load_digit(big), load_digit(small))


# -- .npy inputs ----------------------------------------------------------------------------

def _npy(path, shape, descr="<f4", data: bytes | None = None, fortran=False):
    from numpy.lib import format as npy

    with open(path, "wb") as f:
        npy.write_array_header_1_0(f, {"descr": descr, "fortran_order": fortran,
                                       "shape": shape})
        if data is not None:
            f.write(data)
    return path


def test_a_npy_header_that_lies_is_refused_under_a_memory_limit(model_file, tmp_path):
    path = _npy(tmp_path / "huge.npy", (10 ** 6, 10 ** 6), data=bytes(100))
    _one_line_error(_predict(model_file, path), str(path), "(1000000, 1000000)",
                    "at most 100,000,000 values")


@pytest.mark.parametrize("shape, descr, data, fragment", [
    ((1000, 784), "<f4", bytes(100), "the header declares float32 (1000, 784) (3,136,000 "
                                     "bytes) but 100 bytes of data follow it"),
    ((3, 784), "<f4", bytes(3 * 784 * 4 + 1), "but 9,409 bytes of data follow it"),
    ((2, 5), "<f4", bytes(40), "holds an array shaped (2, 5); the model takes (784,)"),
    ((2,), "|O", bytes(16), "holds object values; a .npy input must hold numbers"),
    ((2,), "<c16", bytes(32), "holds complex128 values"),
])
def test_npy_inputs_are_checked_before_reading(model_file, tmp_path, capsys, shape, descr, data,
                                               fragment):
    path = _npy(tmp_path / "x.npy", shape, descr, data)
    assert main(["predict", str(model_file), str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and fragment in err, err


def test_valid_npy_inputs_still_predict(model_file, tmp_path, capsys):
    x = np.random.default_rng(0).random((2, 784)).astype(np.float32)
    np.save(tmp_path / "c.npy", x)
    np.save(tmp_path / "f.npy", np.asfortranarray(x.astype(np.float64)))
    np.save(tmp_path / "one.npy", x[0].reshape(28, 28))
    (tmp_path / "junk.npy").write_bytes(b"hello")
    for name in ("c", "f", "one"):
        assert main(["predict", str(model_file), str(tmp_path / f"{name}.npy")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [line.replace("f.npy", "c.npy") for line in out[2:4]] and len(out) == 5
    assert main(["predict", str(model_file), str(tmp_path / "junk.npy")]) == 2
    assert "junk.npy: not a valid .npy file" in capsys.readouterr().err
