"""Every save fails alike: a full disk or a read-only folder gives an OSError naming the
target and leaves the previous file intact; temporary names are unique per call; a save
killed midway leaves a temporary file that the next save of that target removes."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import topograd
from topograd import io, keras, nn, train

pytest.importorskip("safetensors")


def temporaries(folder, name):
    return sorted(f for f in os.listdir(folder) if f.startswith(f".{name}.")
                  and f.endswith(".tmp"))


def keras_model():
    topograd.manual_seed(0)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])


# each way topograd saves a file: (name, save(path, version))
SAVERS = {
    "topograd.save": lambda p, v: topograd.save({"v": v, "w": topograd.full((4,), v)}, p),
    "io.save_weights": lambda p, v: io.save_weights(nn.Linear(2, 2), p),
    "model.save": lambda p, v: keras_model().save(p),
    "model.save_weights": lambda p, v: keras_model().save_weights(p),
    "train.save_checkpoint": lambda p, v: train.save_checkpoint(p, nn.Linear(2, 2),
                                                                extra={"v": v}),
    "io.atomic_write": lambda p, v: io.atomic_write(p, b"version %d" % v),
}


def _fail_on_temporaries(monkeypatch, error):
    """Make creating a temporary file (or renaming one) fail as the system would."""
    real_open, real_replace = os.open, os.replace

    def fake_open(path, flags, *args, **kwargs):
        if os.fspath(path).endswith(".tmp"):
            raise error
        return real_open(path, flags, *args, **kwargs)

    def fake_replace(src, dst, *args, **kwargs):
        if os.fspath(src).endswith(".tmp"):
            raise error
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "replace", fake_replace)


@pytest.mark.parametrize("saver", list(SAVERS))
@pytest.mark.parametrize("where", ["open", "replace"])
def test_full_disk_fails_alike_and_keeps_the_previous_file(tmp_path, monkeypatch, saver,
                                                           where):
    path = tmp_path / "target.safetensors"
    SAVERS[saver](path, 1)
    before = path.read_bytes()
    real = os.open if where == "open" else os.replace
    error = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def fake(first, *args, **kwargs):  # os.open(tmp, ...) or os.replace(tmp, target)
        if os.fspath(first).endswith(".tmp"):
            raise error
        return real(first, *args, **kwargs)

    monkeypatch.setattr(os, where, fake)
    with pytest.raises(OSError) as info:
        SAVERS[saver](path, 2)
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC
    assert f"cannot save {path}" in str(info.value)
    assert "No space left on device" in str(info.value)
    assert path.read_bytes() == before
    assert temporaries(tmp_path, path.name) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
@pytest.mark.parametrize("saver", list(SAVERS))
def test_read_only_folder(tmp_path, saver, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "target.safetensors"
    SAVERS[saver](path, 1)
    before = path.read_bytes()
    folder.chmod(0o555)
    try:
        try:
            (folder / "probe").write_bytes(b"")
        except PermissionError:
            pass
        else:  # as root chmod does not stop writes: the OS's refusal is simulated instead
            (folder / "probe").unlink()
            _fail_on_temporaries(monkeypatch,
                                 PermissionError(errno.EACCES, "Permission denied"))
        with pytest.raises(PermissionError, match=f"cannot save {path}: Permission denied"):
            SAVERS[saver](path, 2)
    finally:
        monkeypatch.undo()
        folder.chmod(0o755)
    assert path.read_bytes() == before
    assert temporaries(folder, path.name) == []


def test_permission_error_keeps_its_kind(tmp_path, monkeypatch):
    path = tmp_path / "p.safetensors"
    topograd.save({"a": 1}, path)
    _fail_on_temporaries(monkeypatch, PermissionError(errno.EACCES, "Permission denied"))
    with pytest.raises(PermissionError, match=f"cannot save {path}: Permission denied"):
        topograd.save({"a": 2}, path)
    monkeypatch.undo()
    assert topograd.load(path) == {"a": 1}


@pytest.mark.parametrize("saver", ["topograd.save", "train.save_checkpoint"])
def test_two_threads_saving_one_path(tmp_path, saver):
    path = tmp_path / "shared.safetensors"
    errors = []

    def work(k):
        try:
            for i in range(15):
                SAVERS[saver](path, 100 * k + i)
        except Exception as e:  # pragma: no cover - the failure this test looks for
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert temporaries(tmp_path, path.name) == []
    if saver == "topograd.save":
        ck = topograd.load(path)
        assert float(ck["w"][0]) == ck["v"]  # one whole version
    else:
        assert train.load_checkpoint(path)["v"] % 100 == 14


def test_temporary_names_are_unique_per_call(tmp_path):
    seen = []

    def spy(f):  # while the data is written, the temporary file is in the folder
        (name,) = temporaries(tmp_path, "u.bin")
        seen.append(name)
        f.write(b"x")

    for _ in range(3):
        io.atomic_write(tmp_path / "u.bin", spy)
    assert len(set(seen)) == 3
    assert all(n.startswith(f".u.bin.{os.getpid()}.") and n.endswith(".tmp") for n in seen)


CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    import topograd
    from topograd import train

    path, kind = sys.argv[1], sys.argv[2]
    big = np.zeros(4_000_000, np.float32)  # 16 MB: each save takes a while
    i = 1
    while True:
        big.fill(i)
        if kind == "checkpoint":
            train.save_checkpoint(path, extra={"big": big, "v": i})
        else:
            topograd.save({"v": i, "big": big}, path)
        i += 1
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("kind", ["save", "checkpoint"])
def test_killed_save_leaves_a_temporary_that_the_next_save_removes(tmp_path, kind):
    path = tmp_path / "big.safetensors"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    for _ in range(5):  # in the rare race where the rename wins, try again
        child = subprocess.Popen([sys.executable, str(script), str(path), kind])
        try:
            deadline = time.monotonic() + 60
            while not (path.exists() and temporaries(tmp_path, path.name)):
                assert child.poll() is None, "the saving child died on its own"
                assert time.monotonic() < deadline, "the child never started a second save"
                time.sleep(0.0005)
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
        left = temporaries(tmp_path, path.name)
        if left:
            break
    assert left, "never caught the child in the middle of a save"
    assert f".{path.name}.{child.pid}." in left[0]
    # the file in place is a whole version, and the next save cleans up
    if kind == "checkpoint":
        v = train.load_checkpoint(path)["v"]
        train.save_checkpoint(path, extra={"v": v + 1})
        assert train.load_checkpoint(path)["v"] == v + 1
    else:
        v = topograd.load(path)["v"]
        topograd.save({"v": v + 1}, path)
    assert temporaries(tmp_path, path.name) == []


@pytest.mark.skipif(sys.platform == "win32", reason="the cleanup is POSIX only")
def test_cleanup_spares_live_writers_and_other_files(tmp_path):
    path = tmp_path / "m.safetensors"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        keep = [f".m.safetensors.{sleeper.pid}.0123abcd.tmp",  # a live process writes it
                f".m.safetensors.{os.getpid()}.89abcdef.tmp",  # this process: another thread
                f".m.safetensors.{dead.pid}.notours.tmp",  # not our naming scheme
                f".other.safetensors.{dead.pid}.0123abcd.tmp",  # another target's
                "m.safetensors.backup"]
        stale = [f".m.safetensors.{dead.pid}.0123abcd.tmp",
                 f".m.safetensors.tmp-{dead.pid}"]  # the naming of earlier checkpoints
        for name in keep + stale:
            (tmp_path / name).write_bytes(b"partial")
        topograd.save({"w": np.ones(2)}, path)
        left = sorted(os.listdir(tmp_path))
        assert left == sorted(keep + ["m.safetensors"])
    finally:
        sleeper.kill()
        sleeper.wait()
