"""Grad mode: whether operations record the graph.

``no_grad()`` and ``enable_grad()`` work as context managers and as decorators, as in
PyTorch. The flag belongs to the calling thread, as PyTorch's does: ``no_grad`` in one
thread (an inference server, say) leaves the others recording, and every new thread
starts with grad enabled.

>>> import topograd
>>> x = topograd.ones(2, requires_grad=True)
>>> with topograd.no_grad():
...     y = x * 2
>>> y.requires_grad
False
"""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    """The calling thread's grad mode: ``STATE.enabled`` reads and writes this thread's.

    ``threading.local`` runs ``__init__`` again in each thread that first touches the
    object, so a new thread starts with grad enabled.
    """

    def __init__(self) -> None:
        self.enabled = True


STATE = _State()


def is_grad_enabled() -> bool:
    """True when operations record the graph for backward.

    >>> import topograd
    >>> topograd.is_grad_enabled()
    True
    """
    return STATE.enabled


class _GradMode:
    """Base of the grad-mode switches: a context manager and a decorator.

    The previous modes live on a stack per thread, so one instance may be entered again
    while it is active (``with ng: with ng: ...``), or by several threads at once, and
    still restore each level of each thread correctly.
    """

    _mode: bool = True

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        self._prev = {}  # thread id -> the modes to restore, innermost last
        if fn is not None:  # bare decorator: @no_grad (as well as @no_grad())
            if not callable(fn):
                raise TypeError(f"{cls.__name__}() takes no arguments, found {fn!r}")
            return self(fn)
        return self

    def __init__(self, fn=None) -> None:
        pass

    def __enter__(self) -> None:
        stack = self._prev.setdefault(threading.get_ident(), [])
        stack.append(STATE.enabled)
        STATE.enabled = self._mode

    def __exit__(self, *exc) -> None:
        tid = threading.get_ident()
        stack = self._prev[tid]
        STATE.enabled = stack.pop()
        if not stack:
            del self._prev[tid]

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = STATE.enabled
            STATE.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                STATE.enabled = prev

        return wrapper


class no_grad(_GradMode):
    """Disable graph recording inside a ``with`` block or a decorated function.

    Operations inside record no node and their results do not require grad; in-place
    updates of parameters are allowed (this is how optimizers step).

    >>> import topograd
    >>> w = topograd.ones(2, requires_grad=True)
    >>> with topograd.no_grad():
    ...     _ = w.sub_(0.5)
    >>> w
    tensor([0.5, 0.5], dtype=float32, requires_grad=True)
    >>> @topograd.no_grad()
    ... def double(t):
    ...     return t * 2
    >>> double(w).requires_grad
    False
    """

    _mode = False


class enable_grad(_GradMode):
    """Enable graph recording inside a ``with`` block or a decorated function.

    Useful inside ``no_grad`` (a function that needs a graph, called from anywhere).

    >>> import topograd
    >>> x = topograd.ones(2, requires_grad=True)
    >>> with topograd.no_grad(), topograd.enable_grad():
    ...     (x * 2).requires_grad
    True
    """

    _mode = True


class set_grad_enabled(_GradMode):
    """Set grad mode for a ``with`` block, a decorated function, or (called bare) onwards.

    Args:
        mode: True to record the graph, False not to.

    >>> import topograd
    >>> with topograd.set_grad_enabled(False):
    ...     topograd.is_grad_enabled()
    False
    >>> topograd.is_grad_enabled()
    True
    """

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
        self._prev = [STATE.enabled]  # the call itself switches the mode, as PyTorch's
        STATE.enabled = self._mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        STATE.enabled = self._prev[0]

    def __call__(self, fn):
        STATE.enabled = self._prev[0]  # used as a decorator: undo the switch made by __init__
        return super().__call__(fn)
