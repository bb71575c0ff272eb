"""Progress display for fit/evaluate/predict, in Keras's format (the drawing; the
:class:`~topograd.train.callbacks.ProgbarLogger` callback that ``fit``/``evaluate``/
``predict`` add when ``verbose != 0`` drives it).

On a terminal (``verbose=1``) a live bar per epoch, redrawn at most every ``interval``
seconds and drawn with `rich <https://github.com/Textualize/rich>`_ when it is installed
(``pip install 'topograd[progress]'``; a plain ``\\r`` line otherwise)::

    Epoch 1/5
    469/469 ━━━━━━━━━━━━━━━━━━━━ 2s 4ms/step - accuracy: 0.9273 - loss: 0.2524

When the output is not a terminal (CI logs, files) or ``verbose=2``: one line per epoch,
``469/469 - 2s - 4ms/step - accuracy: 0.9273 - loss: 0.2524``. ``verbose=0`` is silent.

>>> import io
>>> out = io.StringIO()
>>> p = Progress(verbose=2, epochs=1, file=out)
>>> p.epoch_begin(0, 3); p.epoch_end(3, {"loss": 0.5})
>>> out.getvalue().splitlines()[0]
'Epoch 1/1'
"""

from __future__ import annotations

import math
import numbers
import sys
import time

import numpy as np

__all__ = ["Progress", "resolve_verbose", "format_logs", "format_time_per_step"]


def resolve_verbose(verbose, file=None) -> int:
    """Turn ``verbose`` (0, 1, 2 or ``"auto"``) into 0, 1 or 2.

    ``"auto"`` is 1 (live bar) when the output is a terminal or a Jupyter notebook, else 2
    (one line per epoch).

    >>> resolve_verbose(0), resolve_verbose(2)
    (0, 2)
    """
    if verbose == "auto" or verbose is None:
        stream = file if file is not None else sys.stdout
        return 1 if _isatty(stream) or _in_notebook(stream) else 2
    if isinstance(verbose, (bool, np.bool_)) or not isinstance(verbose, numbers.Integral) \
            or verbose not in (0, 1, 2):
        raise ValueError(f"verbose expected 0, 1, 2 or 'auto', found {verbose!r}")
    return int(verbose)


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _in_notebook(stream) -> bool:
    """A Jupyter kernel's stdout: it redraws ``\\r`` lines (but is no terminal for rich)."""
    return "ipykernel" in sys.modules and stream is sys.stdout and not _isatty(stream)


def format_time_per_step(seconds: float, unit: str = "step") -> str:
    """Keras's time-per-step: ``4ms/step``, ``2s/step`` or ``850us/step``.

    >>> format_time_per_step(0.0042)
    '4ms/step'
    """
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def _format_value(v) -> str:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{v:.4f}" if abs(v) > 1e-3 or v == 0 else f"{v:.4e}"


def format_logs(logs: dict) -> str:
    """`` - key: value`` for each entry, Keras's way (4 decimals, or scientific if tiny).

    >>> format_logs({"accuracy": 0.92731, "loss": 0.00001})
    ' - accuracy: 0.9273 - loss: 1.0000e-05'
    """
    return "".join(f" - {k}: {_format_value(v)}" for k, v in logs.items())


def _format_eta(eta: float) -> str:
    if eta > 3600:
        return f"{int(eta // 3600)}:{int(eta % 3600 // 60):02d}:{int(eta % 60):02d}"
    if eta > 60:
        return f"{int(eta // 60)}:{int(eta % 60):02d}"
    return f"{int(eta)}s"


class Progress:
    """Draws the progress of fit (one bar or line per epoch), evaluate or predict.

    :class:`~topograd.train.callbacks.ProgbarLogger` calls :meth:`epoch_begin`, then
    :meth:`update` after every batch (cheap: it only redraws when ``interval`` seconds have
    passed), then :meth:`epoch_end`.

    Args:
        verbose: 1 (live bar on a terminal; one final line per epoch otherwise) or 2 (one
            line per epoch). Use no Progress at all for 0.
        epochs: the number of epochs, for the ``Epoch i/N`` headers (None: no header).
        file: the stream to write to (default ``sys.stdout``, looked up when drawing).
        interval: the shortest time between two redraws of the live bar, in seconds.
        use_rich: draw the live bar with rich (default: when rich is installed).
        force_terminal: treat ``file`` as a terminal (tests, notebooks).

    >>> import io
    >>> out = io.StringIO()
    >>> p = Progress(verbose=1, file=out, force_terminal=False)
    >>> p.epoch_begin(0, 2); p.update(1, lambda: {}); p.epoch_end(2, {"loss": 0.25})
    >>> "2/2" in out.getvalue() and "loss: 0.2500" in out.getvalue()
    True
    """

    width = 20

    def __init__(self, verbose: int = 1, epochs: int | None = None, file=None,
                 interval: float = 0.1, use_rich: bool | None = None,
                 force_terminal: bool | None = None) -> None:
        self.verbose = verbose
        self.epochs = epochs
        self._file = file
        self.interval = interval
        stream = self.file
        tty = _isatty(stream) if force_terminal is None else force_terminal
        self.dynamic = verbose == 1 and (tty or _in_notebook(stream))
        if use_rich is None:
            use_rich = tty and _has_rich()  # in a notebook: plain \r lines, as Keras
        self.use_rich = bool(use_rich) and self.dynamic
        self.force_terminal = force_terminal
        self._live = None
        self._console = None
        self._prev_width = 0
        self.steps = None

    @property
    def file(self):
        return self._file if self._file is not None else sys.stdout

    # -- the loop's calls ------------------------------------------------------------
    def epoch_begin(self, epoch: int, steps: int | None) -> None:
        """Start a new bar (printing ``Epoch i/N`` first when ``epochs`` was given)."""
        self.steps = steps
        self._start = time.perf_counter()
        self._after_first = None
        self._next_draw = self._start + self.interval
        self._prev_width = 0
        if self.epochs is not None:
            self._print(f"Epoch {epoch + 1}/{self.epochs}")
        if self.use_rich:
            self._start_rich()

    def update(self, step: int, logs) -> None:
        """Note that ``step`` batches are done; redraw if due.

        Args:
            step: the batches done in this epoch.
            logs: the logs so far, or a function returning them (called only to redraw).
        """
        if step == 1:
            self._after_first = time.perf_counter()
        if not self.dynamic:
            return
        now = time.perf_counter()
        if now < self._next_draw:
            return
        self._next_draw = now + self.interval
        self._draw(self._bar_line(step, logs() if callable(logs) else logs, now, final=False))

    def epoch_end(self, step: int, logs: dict) -> None:
        """Draw the final line of the epoch (with its validation logs, if any)."""
        now = time.perf_counter()
        if self.verbose == 2:
            self._print(self._line2(step, logs, now))
            return
        line = self._bar_line(step, logs, now, final=True)
        if self.use_rich:
            self._draw(line)
            self._stop_rich()
        elif self.dynamic:
            self._draw(line)
            self._write("\n")
            self._prev_width = 0
        else:
            self._print(_render(line, ansi=False))

    def message(self, text: str, file=None) -> None:
        """Print a line without breaking a live bar (it is closed first)."""
        self.close()
        print(text, file=file if file is not None else self.file, flush=True)

    def close(self) -> None:
        """Stop a live bar left open and end its line (after an error or an interruption)."""
        self._stop_rich()
        if self.dynamic and self._prev_width:
            self._write("\n")
            self._prev_width = 0

    # -- formatting ------------------------------------------------------------------
    def _time_per_step(self, step: int, now: float) -> float:
        if not step:
            return 0.0
        if self._after_first is not None and step > 1:
            return (now - self._after_first) / (step - 1)
        return (now - self._start) / step

    def _bar_line(self, step: int, logs: dict, now: float, final: bool) -> list:
        """The live-bar line as (text, style) pieces."""
        tps = self._time_per_step(step, now)
        steps = self.steps
        pieces = []
        if steps:
            digits = int(math.log10(steps)) + 1
            pieces.append((f"{step:>{digits}}/{steps}", "bold"))
            done = min(self.width, int(self.width * step / steps))
            pieces.append((" ", ""))
            if done:
                pieces.append(("━" * done, "green"))
            if self.width - done:
                pieces.append(("━" * (self.width - done), "bright_black"))
        else:
            pieces.append((f"{step:>7}/Unknown", "bold"))
        if steps and not final:
            pieces.append((" " + _format_eta(tps * (steps - step)), "bold"))
        else:
            pieces.append((f" {now - self._start:.0f}s", "bold"))
        pieces.append((" " + format_time_per_step(tps) + format_logs(logs), ""))
        return pieces

    def _line2(self, step: int, logs: dict, now: float) -> str:
        steps = self.steps or step
        digits = int(math.log10(max(steps, 1))) + 1
        return (f"{step:>{digits}}/{steps} - {now - self._start:.0f}s - "
                f"{format_time_per_step(self._time_per_step(step, now))}{format_logs(logs)}")

    # -- output ----------------------------------------------------------------------
    def _print(self, text: str) -> None:
        if self._live is not None:
            self._live.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self.file, flush=True)

    def _write(self, text: str) -> None:
        f = self.file
        f.write(text)
        f.flush()

    def _draw(self, pieces: list) -> None:
        if self.use_rich:
            from rich.text import Text

            if self._live is None:
                self._start_rich()
            self._live.update(Text.assemble(*pieces), refresh=True)
            return
        width = len(_render(pieces, ansi=False))
        pad = max(0, self._prev_width - width)
        self._write("\r" + _render(pieces, ansi=True) + " " * pad)
        self._prev_width = width

    def _start_rich(self) -> None:
        if self._live is not None:
            return
        from rich.console import Console
        from rich.live import Live

        if self._console is None or self._console.file is not self.file:
            self._console = Console(file=self.file, force_terminal=self.force_terminal,
                                    highlight=False)
        self._live = Live(console=self._console, auto_refresh=False, transient=False,
                          redirect_stdout=False, redirect_stderr=False)
        self._live.start()

    def _stop_rich(self) -> None:
        if self._live is not None:
            live, self._live = self._live, None
            live.stop()


_ANSI = {"bold": "\x1b[1m", "green": "\x1b[32m", "bright_black": "\x1b[90m"}


def _render(pieces: list, ansi: bool) -> str:
    """The line as text: with ANSI colours, or plain (the bar's remainder drawn thin)."""
    out = []
    for text, style in pieces:
        if ansi and style in _ANSI:
            out.append(f"{_ANSI[style]}{text}\x1b[0m")
        elif not ansi and style == "bright_black":
            out.append("─" * len(text))
        else:
            out.append(text)
    return "".join(out)


def _has_rich() -> bool:
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True
