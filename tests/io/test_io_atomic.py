"""Atomic writes: a crash, a kill or an exception during a save leaves the old file intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import topograd
from topograd.io import _atomic, atomic_write

pytest.importorskip("safetensors")

BIG = 4_000_000  # float32 elements: a 16 MB file, so a save takes a while

CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    import topograd

    path = sys.argv[1]
    big = np.empty({big}, dtype=np.float32)
    i = 1
    while True:  # save forever, each version filled with its own number
        big.fill(i)
        topograd.save({{"version": i, "big": big}}, path)
        i += 1
""")


def leftovers(folder, name):
    return [f for f in os.listdir(folder) if f.startswith(f".{name}.") and f.endswith(".tmp")]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_during_save_leaves_the_previous_file(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    topograd.save({"version": 0, "big": np.zeros(BIG, np.float32)}, path)
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(big=BIG))
    killed_mid_save = False
    for _ in range(5):  # in the rare race where the rename wins, try again
        child = subprocess.Popen([sys.executable, str(script), str(path)])
        try:
            deadline = time.monotonic() + 30
            while not leftovers(tmp_path, path.name):
                assert child.poll() is None, "the saving child died on its own"
                assert time.monotonic() < deadline, "the child never started a save"
                time.sleep(0.0005)
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
        assert child.returncode == -signal.SIGKILL
        ck = topograd.load(path)  # the file in place is always a whole version
        v = ck["version"]
        assert ck["big"].shape == (BIG,)
        assert float(ck["big"].min()) == float(ck["big"].max()) == v
        stale = leftovers(tmp_path, path.name)
        if stale:
            killed_mid_save = True
            break
    assert killed_mid_save, "never caught the child in the middle of a save"


def test_exception_during_write_keeps_old_file_and_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "w.safetensors"
    topograd.save({"x": np.ones(3, np.float32)}, path)

    def boom(f, view):
        f.write(view[:10])
        raise OSError("disk full")

    monkeypatch.setattr(_atomic, "_write_chunks", boom)
    with pytest.raises(OSError, match="disk full"):
        topograd.save({"x": np.zeros(3, np.float32)}, path)
    assert topograd.load(path)["x"].tolist() == [1, 1, 1]
    assert os.listdir(tmp_path) == ["w.safetensors"]


def test_write_is_chunked_and_complete(tmp_path, monkeypatch):
    monkeypatch.setattr(_atomic, "_CHUNK", 7)
    data = bytes(range(256)) * 3
    atomic_write(tmp_path / "c.bin", data)
    assert (tmp_path / "c.bin").read_bytes() == data


def test_callable_writer(tmp_path):
    atomic_write(tmp_path / "f.txt", lambda f: f.write(b"abc"))
    assert (tmp_path / "f.txt").read_bytes() == b"abc"


def test_missing_folder_and_folder_target(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atomic_write(tmp_path / "no" / "f.bin", b"x")
    with pytest.raises(IsADirectoryError):
        atomic_write(tmp_path, b"x")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_writes_through_a_symlink(tmp_path):
    real = tmp_path / "real.bin"
    real.write_bytes(b"old")
    link = tmp_path / "link.bin"
    link.symlink_to(real)
    atomic_write(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_new_file_gets_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "p.bin", b"x")
    finally:
        os.umask(old)
    assert (os.stat(tmp_path / "p.bin").st_mode & 0o777) == 0o644
