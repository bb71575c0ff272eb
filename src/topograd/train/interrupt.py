"""Ctrl-C during training: stop cleanly after the current batch instead of mid-update."""

from __future__ import annotations

import signal
import sys
import threading

__all__ = ["SigintGuard"]


class SigintGuard:
    """During fit, the first Ctrl-C asks to stop after the current batch; a second stops now.

    A context manager: inside it, SIGINT sets ``hit`` instead of raising KeyboardInterrupt
    (only in the main thread, and only when Python's default handler is in place).

    >>> with SigintGuard() as guard:
    ...     pass
    >>> guard.hit
    False
    """

    def __init__(self) -> None:
        self.hit = False
        self._old = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._old = signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum, frame):
        if self.hit:
            raise KeyboardInterrupt
        self.hit = True
        print("\nInterrupt received: stopping after the current batch (press Ctrl-C again to "
              "stop at once).", file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
            self._old = None
        return False
