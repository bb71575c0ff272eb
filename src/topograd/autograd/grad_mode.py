"""Grad mode: whether operations record the graph.

``no_grad()`` and ``enable_grad()`` work as context managers and as decorators, as in
PyTorch. The flag is process-wide (topograd runs in one thread).

>>> import topograd
>>> x = topograd.ones(2, requires_grad=True)
>>> with topograd.no_grad():
...     y = x * 2
>>> y.requires_grad
False
"""

from __future__ import annotations

import functools


class _State:
    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = True


STATE = _State()


def is_grad_enabled() -> bool:
    """True when operations record the graph for backward."""
    return STATE.enabled


class _GradMode:
    """Base of the grad-mode switches: a context manager and a decorator."""

    _mode: bool = True

    def __enter__(self) -> None:
        self._prev = STATE.enabled
        STATE.enabled = self._mode

    def __exit__(self, *exc) -> None:
        STATE.enabled = self._prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Disable graph recording inside a ``with`` block or a decorated function."""

    _mode = False


class enable_grad(_GradMode):
    """Enable graph recording (inside ``no_grad``, say)."""

    _mode = True


class set_grad_enabled(_GradMode):
    """Set grad mode to ``mode`` for a ``with`` block (or, called bare, from now on).

    >>> import topograd
    >>> with topograd.set_grad_enabled(False):
    ...     topograd.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
        self._prev = STATE.enabled
        STATE.enabled = self._mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        STATE.enabled = self._prev

    def __call__(self, fn):
        mode = self._mode
        STATE.enabled = self._prev

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = STATE.enabled
            STATE.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                STATE.enabled = prev

        return wrapper
