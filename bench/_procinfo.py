"""Process measurements for the benchmarks: peak resident memory and BLAS/torch threads.

Peak memory is the largest resident set size (RSS) the process reaches after a baseline,
minus the RSS at that baseline. On Linux the kernel's high-water mark (``VmHWM``) is reset
at the baseline by writing ``5`` to ``/proc/self/clear_refs``, so a larger peak reached
earlier (while importing or decoding the data) does not hide the one being measured.
Where that reset is not possible, the unreset high-water mark is used and the method
says so.
"""

from __future__ import annotations

import ctypes
import os
import resource
import sys


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _maxrss_kib() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss  # macOS reports bytes


class PeakMemory:
    """Peak RSS increase over a baseline, in MiB.

    >>> pm = PeakMemory()          # the baseline: imports and data already in memory
    >>> buf = bytearray(50 << 20)  # ... the work being measured ...
    >>> pm.peak_mib() >= 0
    True
    """

    def __init__(self) -> None:
        self.method = self._reset()
        self.baseline_kib = _status_kib("VmRSS")
        if self.baseline_kib is None:
            self.baseline_kib = _maxrss_kib()

    @staticmethod
    def _reset() -> str:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            return "VmHWM (reset at baseline) - VmRSS at baseline"
        except OSError:
            if _status_kib("VmHWM") is not None:
                return "VmHWM (not resettable) - VmRSS at baseline"
            return "ru_maxrss - ru_maxrss at baseline"

    def peak_mib(self) -> float:
        """The peak RSS since the baseline, minus the baseline RSS, in MiB."""
        hwm = _status_kib("VmHWM")
        if hwm is None:
            hwm = _maxrss_kib()
        return max(hwm - self.baseline_kib, 0) / 1024


def rss_mib() -> float:
    """The current resident set size in MiB (0 where /proc is missing)."""
    kib = _status_kib("VmRSS")
    return (kib or 0) / 1024


def blas_info() -> str:
    """NumPy's BLAS library and its thread count, read from the loaded library.

    Returns:
        e.g. ``"OpenBLAS 0.3.31 ... SkylakeX, 2 threads"``, or what could be found.
    """
    import numpy as np  # noqa: F401 - loads the BLAS library this function inspects

    paths = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if "blas" in path.lower() or "mkl" in path.lower():
                    paths.add(path)
    except OSError:
        pass
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        threads = config = None
        for prefix in ("scipy_openblas", "openblas", ""):
            for suffix in ("64_", ""):
                if threads is None:
                    fn = getattr(lib, f"{prefix}_get_num_threads{suffix}".lstrip("_"), None)
                    if fn is not None:
                        threads = int(fn())
                if config is None:
                    fn = getattr(lib, f"{prefix}_get_config{suffix}".lstrip("_"), None)
                    if fn is not None:
                        fn.restype = ctypes.c_char_p
                        config = fn().decode(errors="replace")
        if threads is not None or config is not None:
            config = " ".join((config or os.path.basename(path)).split())
            return f"{config}, {threads if threads is not None else '?'} threads"
    env = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                      "MKL_NUM_THREADS") if k in os.environ}
    return f"unknown BLAS (env {env or 'unset'})"
