"""Fuzzing every file topograd writes through every reader (issue 11).

From valid files of each kind (a state dict from ``topograd.save``, a whole Keras model
with its optimizer state from ``model.save``, a training checkpoint from
``topograd.train.save_checkpoint``, a ``BackupAndRestore`` backup), seeded mutations
(byte flips, truncations, and edits of the header's JSON, the JSON inside its metadata
included: numbers replaced by huge numbers, strings, lists, nulls; keys deleted) are loaded
through every reader (``topograd.load``, ``topograd.io.load_weights``,
``topograd.io.load_model``, ``keras.models.load_model``, ``load_checkpoint``, the backup's
restore), and a sample through the CLI (``topograd summary`` and ``topograd evaluate
--limit 10``) in subprocesses. Every outcome must be a successful load or one of the
project's named errors (:class:`~topograd.io.FormatError`, :class:`~topograd.io.MismatchError`)
whose message names the file; the in-process part runs in a subprocess limited to
1.5 GB of address space and a timeout, so a load that allocates without bound or never
ends fails the test. The counts are printed (``pytest -s`` shows them).

The default run makes 2,000 mutations in-process and 20 through the CLI; the long run
(50,000; ``TOPOGRAD_FUZZ=1``, or ``TOPOGRAD_SLOW=1``, or ``-m long``) more.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import time

import pytest

MEMORY_LIMIT = 1536 * 2 ** 20  # the worker's address space
_REPLACEMENTS = [10 ** 9, 2 ** 31, 2 ** 63, 10 ** 18, 10 ** 30, -1, 0, 1.5, 1e308, -1e308,
                 "x", "", "nan", [], [1, 2], [10 ** 9], {}, {"a": 1}, None, True, False]
_HERE = os.path.abspath(__file__)


# -- the seed files -------------------------------------------------------------------------

def make_seeds(folder: str) -> dict:
    """One valid file of each kind topograd writes, in ``folder``: ``{kind: path}``."""
    import numpy as np

    import topograd
    from topograd import keras, nn, optim
    from topograd.keras.saving import save_model
    from topograd.train import BackupAndRestore, save_checkpoint

    topograd.manual_seed(0)
    rng = np.random.default_rng(0)
    paths = {k: os.path.join(folder, f"{k}.safetensors")
             for k in ("weights", "keras", "checkpoint", "backup")}
    net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3))
    topograd.save(net.state_dict(), paths["weights"])

    opt = optim.Adam(net.parameters(), lr=0.01)
    net(topograd.tensor(rng.random((4, 2), dtype=np.float32))).sum().backward()
    opt.step()
    save_checkpoint(paths["checkpoint"], net, opt, extra={"epoch": 3, "note": "seed"})

    x = rng.random((16, 2), dtype=np.float32)
    y = (x[:, 0] * 3).astype(np.int64) % 3
    model = keras_model()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    save_model(model, paths["keras"], extra={"cli": {"dataset": "spiral", "limit": 10,
                                                     "batch_size": 8, "epoch": 1},
                                             "rng_state": topograd.get_rng_state()})

    class Stop(Exception):
        pass

    def stop(epoch, logs):
        if epoch == 1:
            raise Stop

    backup_dir = os.path.join(folder, "backup_run")
    model = keras_model()
    try:  # a run stopped in its third epoch leaves the backup of its second
        model.fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[
            keras.callbacks.LambdaCallback(on_epoch_end=stop), BackupAndRestore(backup_dir)])
    except Stop:
        pass
    os.replace(os.path.join(backup_dir, "backup.safetensors"), paths["backup"])
    return paths


def keras_model():
    from topograd import keras

    model = keras.Sequential([
        keras.Input((2,)),
        keras.layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.l2(1e-3)),
        keras.layers.BatchNormalization(), keras.layers.Dropout(0.1),
        keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


# -- mutations ------------------------------------------------------------------------------

def _split(raw: bytes):
    """``(header dict, the bytes after it)`` of a safetensors file, or None."""
    if len(raw) < 8:
        return None
    (n,) = struct.unpack("<Q", raw[:8])
    try:
        return json.loads(raw[8:8 + n]), raw[8 + n:]
    except ValueError:
        return None


def _nodes(obj, out: list) -> list:
    """Every (container, key) of a JSON value, depth first."""
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(
        obj, list) else ()
    for k, v in items:
        out.append((obj, k))
        _nodes(v, out)
    return out


def _edit_json(header: dict, rng) -> str:
    """Edit one node of the header's JSON (the JSON inside its metadata strings included)
    in place; return what was done."""
    meta = header.get("__metadata__") if isinstance(header.get("__metadata__"), dict) else {}
    inner = {}
    for key, text in meta.items():
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            continue
        if isinstance(value, (dict, list)):
            inner[key] = value
    # the structure inside the metadata is where most fields are: pick it most of the time
    if inner and rng.random() < 0.8:
        where = sorted(inner)[int(rng.integers(len(inner)))]
        root = inner[where]
    else:
        where, root = "header", header
    nodes = _nodes(root, [])
    if not nodes:
        return "nothing to edit"
    parent, key = nodes[int(rng.integers(len(nodes)))]
    roll = rng.random()
    if roll < 0.15:
        del parent[key]
        what = f"{where}: deleted {key!r}"
    elif roll < 0.25 and isinstance(parent, list):
        parent.insert(key, json.loads(json.dumps(parent[key])))
        what = f"{where}: duplicated item {key}"
    elif roll < 0.3:
        parent[key] = list(range(10_000))
        what = f"{where}: {key!r} = a list of 10,000 numbers"
    else:
        new = _REPLACEMENTS[int(rng.integers(len(_REPLACEMENTS)))]
        old = parent[key]
        if isinstance(old, (int, float)) and not isinstance(old, bool) and rng.random() < 0.5:
            new = [old * 10 ** 6, -old, old + 1, 10 ** 12][int(rng.integers(4))]
        parent[key] = json.loads(json.dumps(new))
        what = f"{where}: {key!r} = {new!r}"[:120]
    if where != "header":
        meta[where] = json.dumps(inner[where])
    return what


def mutate(raw: bytes, rng) -> tuple[bytes, str]:
    """One seeded mutation of a file's bytes: ``(new bytes, what was done)``."""
    kind = rng.random()
    parts = _split(raw)
    if kind < 0.55 and parts is not None:
        header, body = parts
        what = _edit_json(header, rng)
        text = json.dumps(header, separators=(",", ":")).encode()
        return struct.pack("<Q", len(text)) + text + body, what
    if kind < 0.8:
        out = bytearray(raw)
        n_header = 8 + struct.unpack("<Q", raw[:8])[0] if len(raw) >= 8 else len(raw)
        n = int(rng.integers(1, 9))
        for _ in range(n):
            # mostly in the length prefix and the header, where a flip means something
            end = min(n_header, len(out)) if rng.random() < 0.8 else len(out)
            i = int(rng.integers(end))
            out[i] ^= 1 << int(rng.integers(8))
        return bytes(out), f"{n} bit flips"
    cut = int(rng.integers(len(raw)))
    return raw[:cut], f"truncated to {cut} of {len(raw)} bytes"


# -- the readers ----------------------------------------------------------------------------

def readers(folder: str) -> dict:
    """``{name: function(path)}``: every way topograd reads one of its files."""
    import numpy as np

    import topograd
    from topograd import io, keras, nn, optim
    from topograd.train import BackupAndRestore, load_checkpoint

    def weights(path):
        io.load_weights(nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3)), path)

    def checkpoint(path):
        """Restored, then one training step (the optimizer's state must be usable)."""
        net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3))
        opt = optim.Adam(net.parameters(), lr=0.01)
        load_checkpoint(path, net, opt)
        net(topograd.ones(2, 2)).sum().backward()
        opt.step()

    x = np.zeros((8, 2), np.float32)
    y = np.zeros(8, np.int64)
    backup_dir = os.path.join(folder, "restore")
    os.makedirs(backup_dir, exist_ok=True)

    backup_file = os.path.join(backup_dir, BackupAndRestore.filename)

    def backup(path):
        """A run restarted with the file as its backup (saved after epoch 2 of 5: a run to
        epoch 2 restores it and trains no further; a mutated epoch may train one)."""
        shutil.copyfile(path, backup_file)
        model = keras_model()
        cb = BackupAndRestore(backup_dir, delete_checkpoint=False)
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[cb])

    def keras_model_used(path):
        """What a loaded model must then do: predict on inputs of the shape it declares,
        and train a step (on targets its loss takes) when compiled."""
        model = keras.models.load_model(path)
        if model.input_shape is None:  # loaded unbuilt: nothing to run yet
            return
        inputs = np.zeros((4, *model.input_shape[1:]), np.float32)
        out = model.predict(inputs, verbose=0)
        # a step on (batch, classes) outputs (the cross-entropies take no more dimensions)
        if model.optimizer is not None and out.ndim == 2:
            sparse = "sparse" in type(model.loss).__name__.lower()
            model.train_on_batch(inputs, out.argmax(-1) if sparse else out)

    # name -> (reader, the file it reads, which its errors must name: None for the path)
    return {"topograd.load": (topograd.load, None), "io.load_weights": (weights, None),
            "io.load_model": (io.load_model, None),
            "keras.load_model": (keras_model_used, None),
            "load_checkpoint": (checkpoint, None), "BackupAndRestore": (backup, backup_file)}


def _named(error: BaseException, path: str) -> bool:
    from topograd.io import FormatError, MismatchError

    return isinstance(error, (FormatError, MismatchError)) and path in str(error)


def run_in_process(n: int, seed: int, folder: str) -> dict:
    """The worker: ``n`` mutations through every reader; the counts, and examples of what
    went wrong."""
    import warnings

    import numpy as np

    warnings.simplefilter("ignore")
    seeds = make_seeds(folder)
    raws = {k: open(p, "rb").read() for k, p in seeds.items()}
    funcs = readers(folder)
    rng = np.random.default_rng(seed)
    kinds = sorted(raws)
    path = os.path.join(folder, "mutant.safetensors")
    counts = {"mutations": 0, "files_loaded_by_some_reader": 0, "loads": 0, "ok": 0,
              "named_errors": 0, "raw_errors": 0, "slowest_load_s": 0.0}
    by_reader = {name: {"ok": 0, "named": 0, "raw": 0} for name in funcs}
    errors_seen: dict[str, int] = {}
    examples = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        raw, what = mutate(raws[kind], rng)
        with open(path, "wb") as f:
            f.write(raw)
        counts["mutations"] += 1
        any_ok = False
        for name, (read, reads) in funcs.items():
            start = time.perf_counter()
            try:
                read(path)
            except Exception as e:  # noqa: BLE001 - what the fuzzing is for
                if _named(e, reads or path):
                    outcome = "named"
                    label = (f"{type(e).__name__}: "
                             + str(e).replace(reads or path, "<file>")[:50])
                    errors_seen[label] = errors_seen.get(label, 0) + 1
                else:
                    outcome = "raw"
                    if len(examples) < 20:
                        examples.append({"seed": kind, "mutation": what, "reader": name,
                                         "error": f"{type(e).__name__}: {str(e)[:300]}"})
            else:
                outcome, any_ok = "ok", True
            elapsed = time.perf_counter() - start
            counts["slowest_load_s"] = max(counts["slowest_load_s"], round(elapsed, 3))
            counts["loads"] += 1
            by_reader[name][outcome] += 1
            counts[{"ok": "ok", "named": "named_errors", "raw": "raw_errors"}[outcome]] += 1
        counts["files_loaded_by_some_reader"] += any_ok
    return {"counts": counts, "by_reader": by_reader, "examples": examples,
            "distinct_named_errors": len(errors_seen)}


# -- the tests ------------------------------------------------------------------------------

def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _fuzz(n: int, seed: int, tmp_path, timeout: int) -> dict:
    out = tmp_path / "result.json"
    folder = tmp_path / "work"
    folder.mkdir()
    proc = subprocess.run([sys.executable, _HERE, str(n), str(seed), str(folder), str(out)],
                          capture_output=True, text=True, timeout=timeout,
                          preexec_fn=_limit_memory)
    assert proc.returncode == 0, f"the fuzzing worker failed:\n{proc.stderr[-5000:]}"
    result = json.loads(out.read_text())
    print(f"\nfuzz ({n} mutations, seed {seed}):", json.dumps(result["counts"]))
    for name, c in result["by_reader"].items():
        print(f"  {name:18s} ok {c['ok']:6d}  named errors {c['named']:6d}  raw {c['raw']}")
    print(f"  {result['distinct_named_errors']} distinct named errors")
    return result


def _check(result: dict) -> None:
    counts = result["counts"]
    assert counts["raw_errors"] == 0, json.dumps(result["examples"], indent=1)
    assert counts["loads"] == counts["ok"] + counts["named_errors"]
    assert counts["ok"] > 0 and counts["named_errors"] > 0  # the mutations do both


def test_fuzzed_files_load_or_fail_by_name(tmp_path):
    result = _fuzz(2000, 0, tmp_path, timeout=600)
    _check(result)


_LONG = [] if os.environ.get("TOPOGRAD_FUZZ") else [pytest.mark.long]


def _marked(fn):
    for mark in _LONG:
        fn = mark(fn)
    return fn


@_marked
def test_fuzzed_files_long_run(tmp_path):
    n = int(os.environ.get("TOPOGRAD_FUZZ_N", "50000"))
    result = _fuzz(n, 1, tmp_path, timeout=6 * 3600)
    _check(result)


def test_fuzzed_model_files_through_the_cli(tmp_path):
    """20 mutations of a CLI-trained model file (and of the other kinds), each through
    ``topograd summary`` and ``topograd evaluate --limit 10`` in a subprocess: exit status
    0, or 2 with one line naming the file (no traceback)."""
    import numpy as np

    seeds = make_seeds(str(tmp_path))
    rng = np.random.default_rng(7)
    outcomes = {"ok": 0, "one-line error": 0, "other": 0}
    bad = []
    kinds = ["keras", "keras", "keras", "checkpoint", "backup"]
    for i in range(20):
        kind = kinds[i % len(kinds)]
        raw, what = mutate(open(seeds[kind], "rb").read(), rng)
        path = tmp_path / f"m{i}.safetensors"
        path.write_bytes(raw)
        for command in (["summary"], ["evaluate", "--limit", "10"]):
            proc = subprocess.run([sys.executable, "-m", "topograd", command[0], str(path),
                                   *command[1:]], capture_output=True, text=True, timeout=120,
                                  preexec_fn=_limit_memory, cwd=tmp_path)
            err = proc.stderr.strip()
            if proc.returncode == 0:
                outcomes["ok"] += 1
            elif (proc.returncode == 2 and len(err.splitlines()) == 1 and str(path) in err
                  and "Traceback" not in err):
                outcomes["one-line error"] += 1
            else:
                outcomes["other"] += 1
                bad.append((kind, what, command[0], proc.returncode, err[-1500:]))
    print(f"\nCLI fuzz (20 mutations x 2 commands): {outcomes}")
    assert not bad, bad


if __name__ == "__main__":  # the worker: N SEED FOLDER OUT
    n_, seed_, folder_, out_ = sys.argv[1:5]
    result_ = run_in_process(int(n_), int(seed_), folder_)
    with open(out_, "w") as f_:
        json.dump(result_, f_)
