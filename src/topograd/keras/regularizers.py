"""Weight penalties by Keras's names: ``l1``, ``l2``, ``l1_l2``; added to the training loss.

A regularizer is called on a weight Tensor and returns a differentiable scalar Tensor.
Keras's L2 is ``l2 * sum(w ** 2)`` (no factor 1/2).

>>> import topograd
>>> from topograd.keras import regularizers
>>> regularizers.l2(0.1)(topograd.tensor([1.0, 2.0])).item()
0.5
"""

from __future__ import annotations

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get"]


class Regularizer:
    """Base class: ``reg(weight) -> scalar Tensor``."""

    def __call__(self, x):
        raise NotImplementedError

    def get_config(self) -> dict:
        """The constructor arguments."""
        return dict(vars(self))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _factor(v, name: str) -> float:
    v = float(v)
    if v < 0:
        raise ValueError(f"{name} expected a non-negative factor, found {v}")
    return v


class L1(Regularizer):
    """``l1 * sum(|w|)``.

    >>> import topograd
    >>> L1(0.5)(topograd.tensor([1.0, -2.0])).item()
    1.5
    """

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _factor(l1, "l1")

    def __call__(self, x):
        return x.abs().sum() * self.l1


class L2(Regularizer):
    """``l2 * sum(w ** 2)``.

    >>> import topograd
    >>> L2(0.5)(topograd.tensor([1.0, -2.0])).item()
    2.5
    """

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _factor(l2, "l2")

    def __call__(self, x):
        return (x * x).sum() * self.l2


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w ** 2)``.

    >>> import topograd
    >>> L1L2(l1=1.0, l2=1.0)(topograd.tensor([1.0, -2.0])).item()
    8.0
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _factor(l1, "l1")
        self.l2 = _factor(l2, "l2")

    def __call__(self, x):
        out = None
        if self.l1:
            out = x.abs().sum() * self.l1
        if self.l2:
            term = (x * x).sum() * self.l2
            out = term if out is None else out + term
        return out if out is not None else (x * 0.0).sum()


def l1(l1: float = 0.01) -> L1:  # noqa: D103 - Keras's function spelling
    """An :class:`L1` regularizer (``l1=0.01`` by default)."""
    return L1(l1)


def l2(l2: float = 0.01) -> L2:
    """An :class:`L2` regularizer (``l2=0.01`` by default)."""
    return L2(l2)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """An :class:`L1L2` regularizer (both 0.01 by default, as Keras's function)."""
    return L1L2(l1, l2)


_NAMES = {"l1": L1, "l2": L2, "l1_l2": lambda: L1L2(0.01, 0.01), "l1l2": L1L2}


def get(identifier):
    """A regularizer from a Keras name (``"l1"``, ``"l2"``, ``"l1_l2"``), an object, or None.

    Raises:
        ValueError: an unknown name; the message lists the valid ones.

    >>> get("l2")
    L2(l2=0.01)
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        factory = _NAMES.get(identifier.lower())
        if factory is None:
            raise ValueError(f"unknown regularizer {identifier!r}; valid names: l1, l2, l1_l2")
        return factory()
    if callable(identifier):
        return identifier
    raise TypeError(f"regularizer expected a name or a callable, found "
                    f"{type(identifier).__name__}")
