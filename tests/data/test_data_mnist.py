"""MNIST: finding, downloading (faked), parsing, and clear errors for bad files."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from topograd.data import MNIST, MNIST_FILES, DataLoader, IDXFormatError, load_mnist
from topograd.data.datasets import get_data_home, mnist_paths, read_idx
from topograd.data.datasets.mnist import MNIST_MIRRORS

NAMES = list(MNIST_FILES)


def idx_bytes(magic, dims, payload=None):
    """An IDX file: magic, big-endian dimensions, then the bytes (zeros by default)."""
    head = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in dims)
    if payload is None:
        payload = bytes(int(np.prod(dims)))
    elif not isinstance(payload, bytes):
        payload = np.asarray(payload).astype(np.uint8).tobytes()
    return head + payload


def write(path: Path, raw: bytes, gz: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(raw))
    else:
        path.write_bytes(raw)
    return path


def fake_mnist(folder: Path, n_train=12, n_test=5, gz=True, seed=0):
    """Write a tiny, valid MNIST (random pixels, labels 0..9) into ``folder``."""
    rng = np.random.default_rng(seed)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        write(folder / f"{prefix}-images-idx3-ubyte", idx_bytes(2051, images.shape,
                                                                images.tobytes()), gz)
        write(folder / f"{prefix}-labels-idx1-ubyte", idx_bytes(2049, labels.shape,
                                                                labels.tobytes()), gz)
        out[prefix] = (images, labels)
    return out


# ---------------------------------------------------------------- the real files

@pytest.fixture(scope="module")
def real(mnist_home):
    return load_mnist(download=False)


def test_real_mnist_matches_keras_layout(real):
    (x_train, y_train), (x_test, y_test) = real
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert y_train.min() == 0 and y_train.max() == 9
    assert sorted(np.unique(y_test).tolist()) == list(range(10))
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert x_train.max() == 255 and x_train[0].mean() == pytest.approx(35.108, abs=1e-3)
    assert np.bincount(y_train).min() > 5000


def test_real_files_have_the_official_md5(mnist_home):
    for name, md5 in MNIST_FILES.items():
        digest = hashlib.md5((mnist_home / "mnist" / f"{name}.gz").read_bytes()).hexdigest()
        assert digest == md5, name


def test_real_mnist_dataset_and_loader(mnist_home, real):
    (_, _), (x_test, y_test) = real
    ds = MNIST(train=False, flatten=True)
    assert len(ds) == 10000 and ds.targets.dtype == np.int64
    x, y = ds.get_batch(np.array([0, 9999]))
    assert x.shape == (2, 784) and x.dtype == np.float32
    np.testing.assert_allclose(x[1], x_test[9999].reshape(-1) / 255.0, rtol=1e-6)
    assert y.tolist() == [7, int(y_test[9999])]
    loader = DataLoader(ds, batch_size=1000, shuffle=True, seed=0, as_tensor=False)
    labels = np.concatenate([yb for _, yb in loader])
    assert len(loader) == 10 and np.bincount(labels).tolist() == np.bincount(y_test).tolist()


# ---------------------------------------------------------------- finding the folder

def test_data_home_order(tmp_path, monkeypatch):
    import pooch

    monkeypatch.setenv("TOPOGRAD_DATA", str(tmp_path / "env"))
    monkeypatch.setattr(pooch, "os_cache", lambda name: tmp_path / "cache" / name)
    assert get_data_home(tmp_path / "arg") == tmp_path / "arg"
    assert get_data_home() == tmp_path / "env"
    monkeypatch.delenv("TOPOGRAD_DATA")
    assert get_data_home() == tmp_path / "cache" / "topograd"


def test_explicit_root_wins_over_environment(tmp_path, monkeypatch):
    fake_mnist(tmp_path / "env" / "mnist", seed=1)
    arrays = fake_mnist(tmp_path / "arg" / "mnist", seed=2)
    monkeypatch.setenv("TOPOGRAD_DATA", str(tmp_path / "env"))
    (x, _), _ = load_mnist(root=tmp_path / "arg", download=False)
    np.testing.assert_array_equal(x, arrays["train"][0])


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("sub", ["mnist", ""])
def test_reads_gzipped_or_raw_files_in_home_or_home_mnist(tmp_path, gz, sub):
    arrays = fake_mnist(tmp_path / sub if sub else tmp_path, gz=gz)
    (x_train, y_train), (x_test, y_test) = load_mnist(tmp_path, download=False)
    np.testing.assert_array_equal(x_train, arrays["train"][0])
    np.testing.assert_array_equal(y_test, arrays["t10k"][1])
    assert x_train.dtype == y_train.dtype == np.uint8 and x_test.shape == (5, 28, 28)


def test_default_cache_is_used_without_root_or_env(tmp_path, monkeypatch):
    import pooch

    monkeypatch.delenv("TOPOGRAD_DATA", raising=False)
    monkeypatch.setattr(pooch, "os_cache", lambda name: tmp_path / name)
    arrays = fake_mnist(tmp_path / "topograd" / "mnist")
    (_, y), _ = load_mnist(download=False)
    np.testing.assert_array_equal(y, arrays["train"][1])


# ---------------------------------------------------------------- downloading (faked)

def test_missing_files_without_download_name_the_files_and_variable(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path, download=False)
    msg = str(info.value)
    assert all(f"{n}.gz" in msg for n in NAMES) and "TOPOGRAD_DATA" in msg
    assert str(tmp_path / "mnist") in msg


def test_offline_download_error_names_files_variable_and_mirrors(tmp_path):
    with pytest.raises(FileNotFoundError) as info:  # conftest makes pooch.retrieve fail
        load_mnist(tmp_path)
    msg = str(info.value)
    assert all(f"{n}.gz" in msg for n in NAMES) and "TOPOGRAD_DATA" in msg
    assert all(m in msg for m in MNIST_MIRRORS) and "network disabled" in msg


def _fake_retrieve(calls, fail_urls=()):
    data = {}
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 6), ("t10k", 3)):
        data[f"{prefix}-images-idx3-ubyte"] = idx_bytes(2051, (n, 28, 28),
                                                        rng.integers(0, 256, n * 784))
        data[f"{prefix}-labels-idx1-ubyte"] = idx_bytes(2049, (n,), rng.integers(0, 10, n))

    def retrieve(url, known_hash, fname, path, progressbar=False):
        calls.append((url, known_hash, fname, Path(path)))
        if any(url.startswith(u) for u in fail_urls):
            raise OSError(f"HTTP 503 for {url}")
        target = Path(path) / fname
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.compress(data[fname[:-3]]))
        return str(target)

    return retrieve


def test_download_fetches_each_file_once_with_md5(tmp_path, monkeypatch):
    import pooch

    calls = []
    monkeypatch.setattr(pooch, "retrieve", _fake_retrieve(calls))
    (x, y), (xt, yt) = load_mnist(tmp_path)
    assert x.shape == (6, 28, 28) and yt.shape == (3,)
    assert sorted(c[2] for c in calls) == sorted(f"{n}.gz" for n in NAMES)
    for url, known_hash, fname, path in calls:
        name = fname[:-3]
        assert known_hash == f"md5:{MNIST_FILES[name]}"
        assert url == MNIST_MIRRORS[0] + fname and path == tmp_path / "mnist"
    load_mnist(tmp_path)  # files now present: no second download
    assert len(calls) == 4


def test_download_falls_back_to_the_second_mirror(tmp_path, monkeypatch):
    import pooch

    calls = []
    monkeypatch.setattr(pooch, "retrieve", _fake_retrieve(calls, fail_urls=[MNIST_MIRRORS[0]]))
    paths = mnist_paths(tmp_path)
    assert set(paths) == set(NAMES) and all(p.is_file() for p in paths.values())
    assert [c[0].startswith(MNIST_MIRRORS[k % 2]) for k, c in enumerate(calls)] == [True] * 8


def test_mnist_dataset_downloads_only_its_split(tmp_path, monkeypatch):
    import pooch

    calls = []
    monkeypatch.setattr(pooch, "retrieve", _fake_retrieve(calls))
    ds = MNIST(tmp_path, train=False)
    assert len(ds) == 3 and sorted(c[2] for c in calls) == ["t10k-images-idx3-ubyte.gz",
                                                            "t10k-labels-idx1-ubyte.gz"]


# ---------------------------------------------------------------- the Dataset

def test_mnist_dataset_options(tmp_path):
    arrays = fake_mnist(tmp_path / "mnist", n_train=10)
    images, labels = arrays["train"]
    ds = MNIST(tmp_path, download=False)
    x, y = ds[3]
    assert x.shape == (28, 28) and x.dtype == np.float32 and 0 <= x.min() <= x.max() <= 1
    np.testing.assert_allclose(x, images[3] / 255.0, rtol=1e-6)
    assert y == labels[3] and ds.targets.dtype == np.int64
    raw = MNIST(tmp_path, download=False, normalize=False, flatten=True)
    xb, yb = raw.get_batch(np.array([1, 2]))
    assert xb.shape == (2, 784) and xb.dtype == np.uint8
    np.testing.assert_array_equal(xb, images[[1, 2]].reshape(2, -1))
    flipped = MNIST(tmp_path, download=False, flatten=True, transform=lambda b: b[:, :, ::-1])
    np.testing.assert_allclose(flipped.get_batch([4])[0][0],
                               (images[4, :, ::-1] / 255.0).reshape(-1), rtol=1e-6)
    np.testing.assert_array_equal(flipped[4][0], flipped.get_batch([4])[0][0])
    assert "train" in repr(ds)


def test_mnist_dataset_validates_arguments(tmp_path):
    fake_mnist(tmp_path / "mnist")
    with pytest.raises(TypeError, match="train expected a bool"):
        MNIST(tmp_path, train="yes", download=False)
    with pytest.raises(TypeError, match="transform expected a callable"):
        MNIST(tmp_path, transform=3, download=False)


# ---------------------------------------------------------------- broken files

def _broken_home(tmp_path, name, raw=None, gz=True, compressed=None):
    """A valid fake MNIST in which file ``name`` is replaced."""
    fake_mnist(tmp_path / "mnist")
    for p in (tmp_path / "mnist").glob(f"{name}*"):
        p.unlink()
    target = tmp_path / "mnist" / (name + (".gz" if gz else ""))
    if compressed is not None:
        target.write_bytes(compressed)
    else:
        write(tmp_path / "mnist" / name, raw, gz)
    return tmp_path


def _error(home):
    with pytest.raises(IDXFormatError) as info:
        load_mnist(home, download=False)
    assert not isinstance(info.value, (EOFError, OSError))
    assert info.value.__suppress_context__ or info.value.__context__ is None
    return str(info.value)


def test_truncated_image_data_reports_expected_and_found_bytes(tmp_path):
    raw = idx_bytes(2051, (60000, 28, 28))[:1000]
    msg = _error(_broken_home(tmp_path, "train-images-idx3-ubyte", raw))
    assert msg == ("train-images-idx3-ubyte.gz: expected 47040016 bytes of image data for "
                   "60000 images of 28x28, found 1000")


def test_truncated_label_data_in_raw_file(tmp_path):
    raw = idx_bytes(2049, (10000,))[:500]
    msg = _error(_broken_home(tmp_path, "t10k-labels-idx1-ubyte", raw, gz=False))
    assert msg == ("t10k-labels-idx1-ubyte: expected 10008 bytes of label data for 10000 "
                   "labels, found 500")


def test_truncated_gzip_stream(tmp_path):
    full = gzip.compress(idx_bytes(2051, (12, 28, 28), np.arange(12 * 784) % 256))
    msg = _error(_broken_home(tmp_path, "train-images-idx3-ubyte", compressed=full[:200]))
    assert msg.startswith("train-images-idx3-ubyte.gz: truncated gzip file")


def test_corrupt_gzip_data(tmp_path):
    good = bytearray(gzip.compress(idx_bytes(2049, (12,), np.arange(12) % 10)))
    good[-8] ^= 0xFF  # breaks the CRC in the trailer
    msg = _error(_broken_home(tmp_path, "train-labels-idx1-ubyte", compressed=bytes(good)))
    assert msg.startswith("train-labels-idx1-ubyte.gz: corrupt gzip data")


def test_gz_file_that_is_not_gzip(tmp_path):
    msg = _error(_broken_home(tmp_path, "t10k-images-idx3-ubyte",
                              compressed=b"<html>404 Not Found</html>"))
    assert msg.startswith("t10k-images-idx3-ubyte.gz: not a gzip file")
    assert "3c 68" in msg


def test_empty_gz_file(tmp_path):
    msg = _error(_broken_home(tmp_path, "t10k-images-idx3-ubyte", compressed=b""))
    assert "not a gzip file" in msg and "empty" in msg


def test_wrong_magic_number_says_what_it_found(tmp_path):
    msg = _error(_broken_home(tmp_path, "train-images-idx3-ubyte", idx_bytes(2049, (12,))))
    assert msg == ("train-images-idx3-ubyte.gz: expected magic number 2051 (an image file), "
                   "found 2049; this looks like a label file")
    msg = _error(_broken_home(tmp_path, "train-labels-idx1-ubyte", b"\x00\x00\x08\x02abcd"))
    assert msg.startswith("train-labels-idx1-ubyte.gz: expected magic number 2049 (a label "
                          "file), found 2050")


@pytest.mark.parametrize("raw, match", [
    (b"\x00\x00", "expected an IDX header .magic number 2051., found only 2 bytes"),
    ((2051).to_bytes(4, "big") + b"\x00\x00\x00\x0c", "expected a 16-byte header, found 8"),
])
def test_short_headers(tmp_path, raw, match):
    assert pytest.raises(IDXFormatError, load_mnist, _broken_home(
        tmp_path, "train-images-idx3-ubyte", raw), download=False).match(match)


def test_wrong_image_size(tmp_path):
    msg = _error(_broken_home(tmp_path, "train-images-idx3-ubyte",
                              idx_bytes(2051, (12, 20, 20))))
    assert msg == "train-images-idx3-ubyte.gz: expected 28x28 images, found 20x20"


def test_label_count_mismatch(tmp_path):
    msg = _error(_broken_home(tmp_path, "train-labels-idx1-ubyte", idx_bytes(2049, (11,))))
    assert msg == ("train-labels-idx1-ubyte.gz holds 11 labels but train-images-idx3-ubyte.gz "
                   "holds 12 images")


def test_label_out_of_range(tmp_path):
    labels = np.zeros(12, np.uint8)
    labels[7] = 10
    msg = _error(_broken_home(tmp_path, "train-labels-idx1-ubyte",
                              idx_bytes(2049, (12,), labels.tobytes())))
    assert msg == "train-labels-idx1-ubyte.gz: expected labels 0..9, found 10 at index 7"


def test_trailing_garbage_is_an_error(tmp_path):
    raw = idx_bytes(2049, (3,), b"\x01\x02\x03") + b"extra"
    p = write(tmp_path / "labels", raw)
    with pytest.raises(IDXFormatError, match="expected 11 bytes of label data for 3 labels, "
                                             "found 16"):
        read_idx(p, 2049)
