"""MNIST from the official IDX files: locating, downloading (once, MD5-checked) and parsing.

The data home is, in order: the ``root`` argument, the environment variable ``TOPOGRAD_DATA``,
then the user cache folder ``pooch.os_cache("topograd")``. The four files (gzipped or not)
are read from ``<home>/mnist/`` (or ``<home>`` itself); missing ones are downloaded into
``<home>/mnist/`` with pooch, their MD5 sums checked against the official ones.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from topograd.data._utils import check_bool
from topograd.data.dataset import Dataset, _check_index, _check_indices
from topograd.data.datasets.idx import IMAGES_MAGIC, LABELS_MAGIC, IDXFormatError, read_idx

ENV_VAR = "TOPOGRAD_DATA"

#: Official file names (without ``.gz``) and the MD5 sums of their ``.gz`` downloads.
MNIST_FILES = {
    "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
}
#: Mirrors tried in order.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
_SPLITS = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
           False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000)}


def get_data_home(root: str | os.PathLike | None = None) -> Path:
    """The folder that holds topograd's data sets (``mnist/`` and so on).

    Args:
        root: an explicit folder; wins over everything else.

    Returns:
        ``root``, else ``$TOPOGRAD_DATA``, else ``pooch.os_cache("topograd")``, as a Path.

    Example:
        >>> str(get_data_home("/tmp/my-data"))
        '/tmp/my-data'
    """
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    try:
        import pooch
    except ImportError as err:
        raise ImportError(f"no data folder given: pass root=, set {ENV_VAR}, or install pooch "
                          "(pip install 'topograd[data]') for the default cache") from err
    return Path(pooch.os_cache("topograd"))


def _find(home: Path, name: str) -> Path | None:
    for folder in (home / "mnist", home):
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                return candidate
    return None


def _download(name: str, folder: Path) -> Path:
    """Fetch ``name.gz`` into ``folder`` from the first mirror that works, MD5-checked."""
    import pooch

    errors = []
    for base in MNIST_MIRRORS:
        try:
            path = pooch.retrieve(url=f"{base}{name}.gz", known_hash=f"md5:{MNIST_FILES[name]}",
                                  fname=f"{name}.gz", path=folder, progressbar=False)
            return Path(path)
        except Exception as err:  # network, HTTP or hash errors: try the next mirror
            errors.append(f"{base}: {type(err).__name__}: {err}")
    raise OSError("; ".join(errors))


def _missing_error(home: Path, reason: str) -> FileNotFoundError:
    names = ", ".join(f"{n}.gz" for n in MNIST_FILES)
    return FileNotFoundError(
        f"MNIST not found in {home / 'mnist'} ({reason}). It needs the four files {names} "
        f"(gzipped or not). Put them in <folder>/mnist/ and set the environment variable "
        f"{ENV_VAR}=<folder>, or pass root=<folder>, or allow download=True while online.")


def mnist_paths(root=None, download: bool = True, names=tuple(MNIST_FILES)) -> dict[str, Path]:
    """Locate the MNIST files, downloading missing ones into ``<home>/mnist/``.

    Args:
        root: the data home (see :func:`get_data_home`).
        download: fetch missing files (MD5-checked, through pooch).
        names: which of the four official file names to locate.

    Returns:
        ``{name: path}`` for each requested file.

    Raises:
        FileNotFoundError: files are missing and cannot be downloaded; the message names the
            four files and ``TOPOGRAD_DATA``.

    Example:
        >>> mnist_paths("/nonexistent", download=False)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        FileNotFoundError: MNIST not found in /nonexistent/mnist (download=False)...
    """
    check_bool(download, "download", "mnist_paths")
    home = get_data_home(root)
    found = {name: _find(home, name) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing and not download:
        raise _missing_error(home, "download=False")
    for name in missing:
        try:
            found[name] = _download(name, home / "mnist")
        except ImportError:
            raise _missing_error(home, "pooch is not installed, so it cannot download; "
                                 "pip install 'topograd[data]'") from None
        except OSError as err:
            raise _missing_error(home, f"download of {name}.gz failed: {err}") from None
    return found


def _load_split(paths: dict[str, Path], train: bool) -> tuple[np.ndarray, np.ndarray]:
    images_name, labels_name, n = _SPLITS[train]
    # no more than the official files declare: a header cannot ask for more memory
    images = read_idx(paths[images_name], IMAGES_MAGIC, max_dims=(n, 28, 28))
    labels = read_idx(paths[labels_name], LABELS_MAGIC, max_dims=(n,))
    img_file, lbl_file = paths[images_name].name, paths[labels_name].name
    if images.shape[1:] != (28, 28):
        raise IDXFormatError(f"{img_file}: expected 28x28 images, found "
                             f"{images.shape[1]}x{images.shape[2]}")
    if len(labels) != len(images):
        raise IDXFormatError(f"{lbl_file} holds {len(labels)} labels but {img_file} holds "
                             f"{len(images)} images")
    if labels.size and labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise IDXFormatError(f"{lbl_file}: expected labels 0..9, found {labels[bad]} at "
                             f"index {bad}")
    return images, labels


def load_mnist(root=None, download: bool = True):
    """Load MNIST as ``keras.datasets.mnist.load_data()`` does.

    Args:
        root: the data home (``root`` > ``$TOPOGRAD_DATA`` > the user cache); the files are
            read from ``<home>/mnist/``.
        download: fetch missing files into ``<home>/mnist/`` (MD5-checked).

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: uint8 images ``(60000, 28, 28)`` and
        ``(10000, 28, 28)``, uint8 labels ``(60000,)`` and ``(10000,)``.

    Raises:
        FileNotFoundError: the files are missing and cannot be downloaded.
        IDXFormatError: a file is corrupt or truncated (the message names it).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_mnist()  # doctest: +SKIP
        >>> x_train.shape, y_train.dtype  # doctest: +SKIP
        ((60000, 28, 28), dtype('uint8'))
    """
    paths = mnist_paths(root, download)
    return _load_split(paths, True), _load_split(paths, False)


class MNIST(Dataset):
    """The MNIST digits as a Dataset, batched by DataLoader without a per-sample loop.

    Args:
        root: the data home (``root`` > ``$TOPOGRAD_DATA`` > the user cache).
        train: the 60,000 training images (True) or the 10,000 test images (False).
        download: fetch missing files (MD5-checked).
        transform: a batch transform (e.g. from :mod:`topograd.data.transforms`) applied to
            images shaped ``(n, 28, 28)`` after normalization and before flattening.
        flatten: give images as 784-vectors instead of 28x28.
        normalize: give float32 images in [0, 1] (pixel / 255) instead of uint8.

    Attributes:
        data: uint8 images ``(n, 28, 28)``; targets: int64 labels ``(n,)``.

    Example:
        >>> ds = MNIST(train=False, flatten=True)  # doctest: +SKIP
        >>> x, y = ds.get_batch([0, 1])  # doctest: +SKIP
        >>> x.shape, x.dtype, y.tolist()  # doctest: +SKIP
        ((2, 784), dtype('float32'), [7, 2])
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, root=None, train: bool = True, download: bool = True, transform=None,
                 flatten: bool = False, normalize: bool = True):
        self.train = check_bool(train, "train", "MNIST")
        self.flatten = check_bool(flatten, "flatten", "MNIST")
        self.normalize = check_bool(normalize, "normalize", "MNIST")
        if transform is not None and not callable(transform):
            raise TypeError(f"MNIST: transform expected a callable, found "
                            f"{type(transform).__name__}")
        self.transform = transform
        paths = mnist_paths(root, download, _SPLITS[self.train][:2])
        images, labels = _load_split(paths, self.train)
        self.data = images
        self.targets = labels.astype(np.int64)

    def __len__(self) -> int:
        return len(self.data)

    def _prepare(self, images: np.ndarray) -> np.ndarray:
        if self.normalize:
            images = images.astype(np.float32) / np.float32(255)
        if self.transform is not None:
            images = np.asarray(self.transform(images))
        return images.reshape(len(images), -1) if self.flatten else images

    def __getitem__(self, index):
        i = _check_index(index, len(self), "MNIST")
        return self._prepare(self.data[i:i + 1])[0], self.targets[i]

    def get_batch(self, indices) -> tuple[np.ndarray, np.ndarray]:
        """Images and labels at ``indices``, prepared as one batch.

        Args:
            indices: 1-D integer array of sample indices.

        Returns:
            ``(images, labels)``: images ``(n, 28, 28)`` or ``(n, 784)``, float32 when
            ``normalize`` else uint8; int64 labels ``(n,)``.
        """
        idx = _check_indices(indices, len(self), "MNIST")
        return self._prepare(self.data[idx]), self.targets[idx]

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"MNIST({split}, n={len(self)}, flatten={self.flatten}, normalize={self.normalize})"
