"""A data folder's IDX files are checked against their declared size before they are read
(issue 11): a header cannot ask for more than the official file holds, and a gzip bomb is
abandoned as soon as it runs past what the header declares."""

from __future__ import annotations

import gzip
import os
import resource
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from topograd.data import IDXFormatError, load_mnist, read_idx
from topograd.data.datasets.idx import MAX_IDX_BYTES, read_bytes

GIB = 2 ** 30


def _idx(magic: int, dims: tuple, body: bytes = b"") -> bytes:
    return (magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims) + body)


def _fake_mnist(folder, n_train=12, n_test=5):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(
            gzip.compress(_idx(2051, images.shape, images.tobytes())))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(
            gzip.compress(_idx(2049, labels.shape, labels.tobytes())))


def _bomb(path, header: bytes, gib: int = 1) -> None:
    """A gzip file of about ``gib`` GiB of zeros after ``header``, a few MB on disk: 16
    gzip members of 64 MiB each per GiB (gzip readers concatenate members)."""
    block = gzip.compress(bytes(64 << 20), compresslevel=9)
    with open(path, "wb") as f:
        f.write(gzip.compress(header))
        for _ in range(16 * gib):
            f.write(block)


def _limited(limit_mb: int):
    def apply():
        size = limit_mb * 2 ** 20
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    return apply


def test_a_gzip_bomb_in_a_data_folder_is_refused_under_a_memory_limit(tmp_path):
    """The header says 60000 images of 28x28 (47 MB) but the stream holds 1 GiB: reading
    stops 64 KiB past the declared size, in a process limited to 600 MB."""
    home = tmp_path / "home"
    _fake_mnist(home / "mnist")
    target = home / "mnist" / "train-images-idx3-ubyte.gz"
    _bomb(target, _idx(2051, (60000, 28, 28)))
    assert target.stat().st_size < 2_000_000
    code = textwrap.dedent(f"""
        from topograd.data import IDXFormatError, load_mnist
        try:
            load_mnist({str(home)!r}, download=False)
        except IDXFormatError as e:
            print(e)
    """)
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, preexec_fn=_limited(600))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ("train-images-idx3-ubyte.gz: expected 47040016 bytes of image "
                                  "data for 60000 images of 28x28, found more than 47105552")
    assert time.perf_counter() - start < 60


@pytest.mark.parametrize("name, raw, message", [
    ("train-images-idx3-ubyte", _idx(2051, (10 ** 9, 28, 28)),
     "train-images-idx3-ubyte.gz: the header declares image data for 1000000000 images of "
     "28x28, more than the official file's image data for 60000 images of 28x28"),
    ("t10k-images-idx3-ubyte", _idx(2051, (5, 28, 10 ** 6)),
     "t10k-images-idx3-ubyte.gz: the header declares image data for 5 images of 28x1000000, "
     "more than the official file's image data for 10000 images of 28x28"),
    ("t10k-labels-idx1-ubyte", _idx(2049, (10001,)),
     "t10k-labels-idx1-ubyte.gz: the header declares label data for 10001 labels, more than "
     "the official file's label data for 10000 labels"),
])
def test_official_names_declare_at_most_the_official_sizes(tmp_path, name, raw, message):
    _fake_mnist(tmp_path / "mnist")
    (tmp_path / "mnist" / f"{name}.gz").write_bytes(gzip.compress(raw))
    with pytest.raises(IDXFormatError) as info:
        load_mnist(tmp_path, download=False)
    assert str(info.value) == message


def test_any_idx_declares_at_most_max_idx_bytes(tmp_path):
    path = tmp_path / "big-images"
    path.write_bytes(_idx(2051, (2 ** 20, 2 ** 10, 2)))  # 2 GiB declared, none present
    with pytest.raises(IDXFormatError, match=f"big-images: the header declares image data for "
                                             f"1048576 images of 1024x2 .* at most "
                                             f"{MAX_IDX_BYTES} bytes"):
        read_idx(path, 2051)


def test_a_raw_file_is_checked_against_its_size_before_reading(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(_idx(2049, (4,), bytes(3)))
    with pytest.raises(IDXFormatError, match="labels: expected 12 bytes of label data for 4 "
                                             "labels, found 11"):
        read_idx(path, 2049)
    path.write_bytes(_idx(2049, (4,), bytes(4)))
    assert read_idx(path, 2049).tolist() == [0, 0, 0, 0]


def test_read_bytes_stops_at_its_limit(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(bytes(1 << 20)))
    with pytest.raises(IDXFormatError, match=r"x\.gz: holds more than 1000 bytes"):
        read_bytes(path, limit=1000)
    assert len(read_bytes(path)) == 1 << 20


def test_the_real_files_still_load(mnist_home):
    (x_train, y_train), (x_test, y_test) = load_mnist(download=False)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert os.fspath(mnist_home)
