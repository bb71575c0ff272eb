"""Weight initializers by Keras's names; they draw from topograd's global generator.

An initializer is called as ``init(shape, dtype)`` and returns a NumPy array. For a Dense
kernel of shape (in, out), fan_in is ``in`` and fan_out is ``out``.

>>> import topograd
>>> from topograd.keras import initializers
>>> _ = topograd.manual_seed(0)
>>> w = initializers.get("glorot_uniform")((784, 512))
>>> w.shape, w.dtype, bool(abs(w).max() <= (6 / (784 + 512)) ** 0.5)
((784, 512), dtype('float32'), True)
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform",
    "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal", "Identity", "get", "INITIALIZERS",
]


def _rng(seed):
    if seed is not None:
        return np.random.default_rng(seed)
    from topograd.random import default_generator

    return default_generator()


def _fans(shape) -> tuple[int, int]:
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: ``init(shape, dtype="float32") -> ndarray``."""

    def __call__(self, shape, dtype="float32") -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        """The constructor arguments."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros.

    >>> Zeros()((2,)).tolist()
    [0.0, 0.0]
    """

    def __call__(self, shape, dtype="float32"):
        return np.zeros(shape, dtype=dtype)


class Ones(Initializer):
    """All ones.

    >>> Ones()((2,)).tolist()
    [1.0, 1.0]
    """

    def __call__(self, shape, dtype="float32"):
        return np.ones(shape, dtype=dtype)


class Constant(Initializer):
    """Every value equal to ``value``.

    >>> Constant(0.5)((2,)).tolist()
    [0.5, 0.5]
    """

    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(self, shape, dtype="float32"):
        return np.full(shape, self.value, dtype=dtype)


class RandomNormal(Initializer):
    """Normal(mean, stddev) draws (Keras's default stddev is 0.05).

    >>> RandomNormal(seed=0)((3,)).shape
    (3,)
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None) -> None:
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype="float32"):
        return _rng(self.seed).normal(self.mean, self.stddev, shape).astype(dtype)


class RandomUniform(Initializer):
    """Uniform(minval, maxval) draws (Keras's default range is [-0.05, 0.05]).

    >>> bool(abs(RandomUniform(seed=0)((100,))).max() <= 0.05)
    True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed=None) -> None:
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype="float32"):
        return _rng(self.seed).uniform(self.minval, self.maxval, shape).astype(dtype)


def _truncated_normal(rng, stddev: float, shape, mean: float = 0.0) -> np.ndarray:
    """Normal draws, redrawn until every one lies within two standard deviations."""
    out = rng.normal(0.0, 1.0, shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.normal(0.0, 1.0, int(bad.sum()))
        bad = np.abs(out) > 2
    return out * stddev + mean


class TruncatedNormal(Initializer):
    """Normal(mean, stddev) draws truncated at two standard deviations.

    >>> bool(abs(TruncatedNormal(stddev=1.0, seed=0)((1000,))).max() <= 2)
    True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None) -> None:
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype="float32"):
        return _truncated_normal(_rng(self.seed), self.stddev, shape, self.mean).astype(dtype)


class VarianceScaling(Initializer):
    """Draws with variance ``scale / n``, n = fan_in, fan_out or their mean (``mode``).

    Args:
        scale: the variance's numerator.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"``, ``"untruncated_normal"`` or ``"uniform"``.
        seed: an int for a private generator (default: topograd's global one).

    >>> VarianceScaling(2.0, "fan_in", "uniform", seed=0)((4, 3)).shape
    (4, 3)
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed=None) -> None:
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode expected 'fan_in', 'fan_out' or 'fan_avg', "
                             f"found {mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling: distribution expected 'truncated_normal', "
                             f"'untruncated_normal' or 'uniform', found {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype="float32"):
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        var = self.scale / max(1.0, n)
        rng = _rng(self.seed)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * var)
            return rng.uniform(-limit, limit, shape).astype(dtype)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, math.sqrt(var), shape).astype(dtype)
        # the std of a normal truncated at 2 std is 0.8796... of the untruncated one
        return _truncated_normal(rng, math.sqrt(var) / 0.87962566103423978, shape).astype(dtype)


class GlorotUniform(VarianceScaling):
    """Uniform in ±sqrt(6 / (fan_in + fan_out)): Keras's default for Dense kernels.

    >>> GlorotUniform(seed=0)((2, 2)).shape
    (2, 2)
    """

    def __init__(self, seed=None) -> None:
        super().__init__(1.0, "fan_avg", "uniform", seed)


class GlorotNormal(VarianceScaling):
    """Truncated normal, std sqrt(2 / (fan_in + fan_out)).

    >>> GlorotNormal(seed=0)((2, 2)).shape
    (2, 2)
    """

    def __init__(self, seed=None) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)


class HeUniform(VarianceScaling):
    """Uniform in ±sqrt(6 / fan_in) (for ReLU networks).

    >>> HeUniform(seed=0)((2, 2)).shape
    (2, 2)
    """

    def __init__(self, seed=None) -> None:
        super().__init__(2.0, "fan_in", "uniform", seed)


class HeNormal(VarianceScaling):
    """Truncated normal, std sqrt(2 / fan_in).

    >>> HeNormal(seed=0)((2, 2)).shape
    (2, 2)
    """

    def __init__(self, seed=None) -> None:
        super().__init__(2.0, "fan_in", "truncated_normal", seed)


class LecunUniform(VarianceScaling):
    """Uniform in ±sqrt(3 / fan_in).

    >>> LecunUniform(seed=0)((2, 2)).shape
    (2, 2)
    """

    def __init__(self, seed=None) -> None:
        super().__init__(1.0, "fan_in", "uniform", seed)


class LecunNormal(VarianceScaling):
    """Truncated normal, std sqrt(1 / fan_in) (for SELU networks).

    >>> LecunNormal(seed=0)((2, 2)).shape
    (2, 2)
    """

    def __init__(self, seed=None) -> None:
        super().__init__(1.0, "fan_in", "truncated_normal", seed)


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain``, from the QR decomposition of normal draws.

    >>> import numpy as np
    >>> q = Orthogonal(seed=0)((3, 3))
    >>> bool(np.allclose(q @ q.T, np.eye(3), atol=1e-5))
    True
    """

    def __init__(self, gain: float = 1.0, seed=None) -> None:
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype="float32"):
        rows = math.prod(shape[:-1])
        cols = shape[-1]
        a = _rng(self.seed).normal(0.0, 1.0, (max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype)


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only).

    >>> Identity()((2, 2)).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape, dtype="float32"):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape, found {tuple(shape)}")
        return (self.gain * np.eye(*shape)).astype(dtype)


#: Keras names -> classes.
INITIALIZERS = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "orthogonal": Orthogonal,
    "identity": Identity,
}


def get(identifier) -> Initializer:
    """An initializer from a Keras name, an Initializer, a class, or a callable.

    Args:
        identifier: e.g. ``"he_normal"``; an instance; a class; or ``f(shape, dtype)``.

    Returns:
        A callable ``(shape, dtype) -> ndarray``.

    Raises:
        ValueError: an unknown name; the message lists the valid ones.

    >>> type(get("he_normal")).__name__
    'HeNormal'
    """
    if isinstance(identifier, str):
        key = identifier.lower()
        cls = INITIALIZERS.get(key)
        if cls is None:
            # Keras also accepts CamelCase class names ("GlorotUniform")
            by_class = {c.__name__.lower(): c for c in INITIALIZERS.values()}
            cls = by_class.get(key.replace("_", ""))
        if cls is None:
            raise ValueError(f"unknown initializer {identifier!r}; valid names: "
                             f"{', '.join(sorted(INITIALIZERS))}")
        return cls()
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"initializer expected a name or a callable, found "
                    f"{type(identifier).__name__}")
