"""Training checkpoints are topograd.io files: one reader, one set of header checks, one
naming rule; a damaged checkpoint or backup gives io's named error, never a raw one."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import topograd
from topograd import io, nn, optim, train
from topograd.io import FormatError, MismatchError
from topograd.train import BackupAndRestore, LambdaCallback, ModelCheckpoint

pytest.importorskip("safetensors")


def _trained(make_model, blobs, momentum=0.9):
    x, y = blobs
    model, loss, _ = make_model()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=momentum)
    train.fit(model, loss, opt, x, y, epochs=1, verbose=0)
    return model, loss, opt


def test_a_checkpoint_is_an_io_file(tmp_path, blobs, make_model):
    model, _, opt = _trained(make_model, blobs)
    path = tmp_path / "c.safetensors"
    train.save_checkpoint(path, model, opt, extra={"epoch": 3, "best": float("inf")})
    assert io.read_header(path)[1]["topograd.format"] == "checkpoint"
    ck = topograd.load(path)  # the PyTorch-style reader reads it too
    assert sorted(ck) == ["extra", "model", "optimizer"]
    assert ck["extra"] == {"epoch": 3, "best": float("inf")}
    np.testing.assert_array_equal(ck["model"]["0.weight"], model[0].weight.numpy())
    assert ck["optimizer"]["param_groups"][0]["momentum"] == 0.9
    # the same file name rule as topograd.save
    with pytest.raises(ValueError, match=r"safetensors format.*'c\.pt'.*PyTorch") as a:
        train.save_checkpoint(tmp_path / "c.pt", model)
    with pytest.raises(ValueError) as b:
        topograd.save({}, tmp_path / "c.pt")
    assert str(a.value) == str(b.value)
    assert not (tmp_path / "c.pt").exists()
    with pytest.raises(ValueError, match=r"'checkpoint\.h5': HDF5"):
        ModelCheckpoint(tmp_path / "ckpt-{epoch:02d}.h5")  # refused before training
    ModelCheckpoint(tmp_path / "ckpt-{val_loss:.3f}")  # no extension: fine


def test_extra_may_hold_arrays_and_int_keys(tmp_path):
    path = tmp_path / "e.safetensors"
    extra = {"epoch": 1, "table": {0: "a", 1: "b"}, "mask": np.array([True, False])}
    train.save_checkpoint(path, extra=extra)
    back = train.load_checkpoint(path)
    assert back["table"] == {0: "a", 1: "b"}
    np.testing.assert_array_equal(back["mask"], [True, False])


# -- the same damaged file through topograd.load and train.load_checkpoint ------------------

def _split(path):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def _write(path, header, data, length=None):
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + data)


def _first_tensor(header):
    return next(k for k in header if k != "__metadata__")


def _set_field(field, value):
    def damage(path):
        header, data = _split(path)
        header[_first_tensor(header)][field] = value
        _write(path, header, data)
    return damage


def _set_tree(text):
    def damage(path):
        header, data = _split(path)
        header["__metadata__"]["topograd.tree"] = text
        _write(path, header, data)
    return damage


def _truncate(path):
    path.write_bytes(path.read_bytes()[:-7])


def _lying_length(path):
    header, data = _split(path)
    _write(path, header, data, length=2 ** 40)


def _not_json(path):
    header, data = _split(path)
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + b"{" + text[1:-1] + b"," + b" " * 1 + data)


def _too_many(path):
    entry = '"t%d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}'
    text = ("{" + ",".join(entry % i for i in range(100_001)) + "}").encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text)


def _hdf5(path):
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)


DAMAGES = {
    "truncated": _truncate,
    "header length lies": _lying_length,
    "header not JSON": _not_json,
    "dtype as a list": _set_field("dtype", ["F32"]),
    "65 dimensions": _set_field("shape", [1] * 65),
    "offsets not ints": _set_field("data_offsets", ["0", "4"]),
    "too many tensors": _too_many,
    "structure not JSON": _set_tree("{not json"),
    "structure too deep": _set_tree('{"l":[' * 70 + '{"v":1}' + "]}" * 70),
    "structure nested past recursion": _set_tree('{"l":[' * 50_000),
    "structure names a missing tensor": _set_tree('{"d":[["model",{"d":[["w",{"a":"ghost"}]]}]]}'),
    "structure of the wrong shape": _set_tree('{"d":[["model",{"d":[[["k"],{"v":1}]]}]]}'),
    "an HDF5 file": _hdf5,
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_same_damaged_file_same_error(tmp_path, blobs, make_model, damage):
    model, _, opt = _trained(make_model, blobs)
    path = tmp_path / "damaged.safetensors"
    train.save_checkpoint(path, model, opt, extra={"epoch": 0})
    DAMAGES[damage](path)
    with pytest.raises(FormatError) as by_load:
        topograd.load(path)
    with pytest.raises(FormatError) as by_checkpoint:
        train.load_checkpoint(path, model, opt)
    assert str(by_checkpoint.value) == str(by_load.value)
    assert str(path) in str(by_load.value)


# -- a damaged backup: BackupAndRestore gives io's named error --------------------------------

def _interrupted_backup(tmp_path, blobs, make_model):
    x, y = blobs
    model, loss, opt = _trained(make_model, blobs)

    def stop(epoch, logs):
        if epoch == 1:
            raise KeyboardInterrupt

    train.fit(model, loss, opt, x, y, epochs=3, verbose=0,
              callbacks=[LambdaCallback(on_epoch_end=stop), BackupAndRestore(tmp_path)])
    path = tmp_path / "backup.safetensors"
    assert path.exists()
    return path


def _resume(tmp_path, blobs, make_model):
    x, y = blobs
    model, loss, _ = make_model()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = [p.numpy().copy() for p in model.parameters()]
    try:
        train.fit(model, loss, opt, x, y, epochs=3, verbose=0,
                  callbacks=[LambdaCallback(), BackupAndRestore(tmp_path)])
    finally:
        after = [p.numpy() for p in model.parameters()]
    return before, after


def _rewrite_backup(path, change):
    ck = topograd.load(path)
    change(ck)
    io.save_tree(path, ck, format="checkpoint")


@pytest.mark.parametrize("change,fragment", [
    (lambda ck: ck["extra"].pop("epoch"), "field 'extra.epoch' must be a non-negative integer"),
    (lambda ck: ck["extra"].update(epoch="1"), "field 'extra.epoch' must be a non-negative"),
    (lambda ck: ck["extra"].update(epoch=True), "field 'extra.epoch' must be a non-negative"),
    (lambda ck: ck["extra"].pop("rng"), "field 'extra.rng'"),
    (lambda ck: ck["extra"].update(rng={"bit_generator": "nope"}), "field 'extra.rng'"),
    (lambda ck: ck["extra"].update(rng=[1, 2]), "field 'extra.rng'"),
    (lambda ck: ck["extra"].update(callbacks=[1]), "field 'extra.callbacks' must be a dict"),
    (lambda ck: ck["extra"]["callbacks"].update({k: {"epoch": 5} for k in
                                                ck["extra"]["callbacks"]}),
     "field 'extra.callbacks."),
    (lambda ck: ck.update(extra=[1, 2]), "field 'extra' must be a dict"),
    (lambda ck: ck.update(model=[1]), "field 'model' must map names to tensors"),
    (lambda ck: ck.update(optimizer="sgd"), "field 'optimizer' must be a state dict"),
    (lambda ck: ck.update(surprise=1), "a checkpoint holds a dict of model, optimizer, extra"),
])
def test_damaged_backup_fields_are_named(tmp_path, blobs, make_model, change, fragment):
    path = _interrupted_backup(tmp_path, blobs, make_model)
    _rewrite_backup(path, change)
    with pytest.raises(FormatError, match="backup.safetensors") as info:
        _resume(tmp_path, blobs, make_model)
    assert fragment in str(info.value)


@pytest.mark.parametrize("damage", ["truncated", "header length lies", "dtype as a list",
                                    "65 dimensions", "structure too deep",
                                    "structure nested past recursion"])
def test_damaged_backup_file_gives_the_loaders_error(tmp_path, blobs, make_model, damage):
    path = _interrupted_backup(tmp_path, blobs, make_model)
    DAMAGES[damage](path)
    with pytest.raises(FormatError) as by_load:
        topograd.load(path)
    with pytest.raises(FormatError) as by_backup:
        _resume(tmp_path, blobs, make_model)
    assert str(by_backup.value) == str(by_load.value)


def test_optimizer_that_does_not_fit_leaves_the_model_untouched(tmp_path, blobs, make_model):
    path = _interrupted_backup(tmp_path, blobs, make_model)
    _rewrite_backup(path, lambda ck: ck["optimizer"].pop("param_groups"))
    x, y = blobs
    model, loss, _ = make_model(seed=5)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = [p.numpy().copy() for p in model.parameters()]
    with pytest.raises(MismatchError, match=r"backup\.safetensors: the optimizer state does "
                                            r"not fit SGD \(ValueError: .*param_groups"):
        train.fit(model, loss, opt, x, y, epochs=3, verbose=0,
                  callbacks=[BackupAndRestore(tmp_path)])
    for a, b in zip(before, model.parameters()):
        np.testing.assert_array_equal(a, b.numpy())


def test_weights_that_do_not_fit_name_the_file(tmp_path):
    path = tmp_path / "c.safetensors"
    train.save_checkpoint(path, nn.Linear(3, 2))
    with pytest.raises(MismatchError, match=r"c\.safetensors: the weights do not fit Linear: "
                                            r"shape mismatch"):
        train.load_checkpoint(path, nn.Linear(4, 2))
    with pytest.raises(FormatError, match=r"c\.safetensors: holds no optimizer state"):
        train.load_checkpoint(path, optimizer=optim.SGD(nn.Linear(3, 2).parameters(), lr=1))
    with pytest.raises(FormatError, match=r"c\.safetensors: not a topograd checkpoint "
                                          r"\(it records topograd\.format 'keras-model'"):
        from topograd import keras

        keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save(path)
        train.load_checkpoint(path)


# -- checkpoints written before they were io files ---------------------------------------------

def _legacy_encode(obj, arrays):
    """How train.save_checkpoint encoded the optimizer's state before (kept to make files)."""
    if isinstance(obj, topograd.Tensor):
        key = f"optimizer.{len(arrays)}"
        arrays[key] = obj.numpy().copy()
        return {"__tensor__": key}
    if isinstance(obj, np.ndarray):
        key = f"optimizer.{len(arrays)}"
        arrays[key] = obj.copy()
        return {"__array__": key}
    if isinstance(obj, np.generic):
        key = f"optimizer.{len(arrays)}"
        arrays[key] = np.asarray(obj)
        return {"__scalar__": key}
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _legacy_encode(v, arrays) for k, v in obj.items()}
        return {"__dict__": [[_legacy_encode(k, arrays), _legacy_encode(v, arrays)]
                             for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_legacy_encode(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [_legacy_encode(v, arrays) for v in obj]
    return obj


def _legacy_file(path, model, opt, extra, meta_change=None):
    import safetensors.numpy

    arrays = {f"model.{k}": v.numpy().copy() for k, v in model.state_dict().items()}
    meta = {"format": 1, "extra": extra, "model_keys": list(model.state_dict()),
            "optimizer": _legacy_encode(opt.state_dict(), arrays)}
    if meta_change:
        meta_change(meta)
    safetensors.numpy.save_file(arrays, str(path),
                                metadata={"topograd.checkpoint": json.dumps(meta)})


def test_legacy_checkpoint_still_loads(tmp_path, blobs, make_model):
    x, y = blobs
    model, loss, opt = _trained(make_model, blobs)
    path = tmp_path / "old.safetensors"
    _legacy_file(path, model, opt, {"epoch": 4})
    m2, _, _ = make_model(seed=3)
    o2 = optim.SGD(m2.parameters(), lr=0.5, momentum=0.9)
    assert train.load_checkpoint(path, m2, o2) == {"epoch": 4}
    assert o2.param_groups[0]["lr"] == 0.1
    train.fit(model, loss, opt, x, y, epochs=1, shuffle=False, verbose=0)
    train.fit(m2, loss, o2, x, y, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.parameters(), m2.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def _deep(meta):
    node = 1
    for _ in range(500):  # json.loads reads it; the decoder must stop at 64
        node = [node]
    meta["optimizer"]["deep"] = node


@pytest.mark.parametrize("change,fragment", [
    (_deep, "nested deeper than 64"),
    (lambda m: m.update(model_keys="weight"), "field 'model_keys' must be a list"),
    (lambda m: m.update(model_keys=["ghost"]), "tensor 'model.ghost' is missing"),
    (lambda m: m["optimizer"].update(x={"__tensor__": ["a"]}), "names tensor ['a']"),
    (lambda m: m["optimizer"].update(x={"__dict__": [[[1], 2]]}), "a dict key must be"),
    (lambda m: m["optimizer"].update(x={"__dict__": 3}), "__dict__ must hold"),
    (lambda m: m.update(extra=[1]), "field 'extra' must be a dict"),
])
def test_damaged_legacy_checkpoint_is_named(tmp_path, blobs, make_model, change, fragment):
    model, _, opt = _trained(make_model, blobs)
    path = tmp_path / "old.safetensors"
    _legacy_file(path, model, opt, {"epoch": 4}, change)
    with pytest.raises(FormatError, match=r"old\.safetensors") as info:
        train.load_checkpoint(path, model, opt)
    assert fragment in str(info.value)
