"""topograd.save / topograd.load on state dicts and nested checkpoints; no pickle anywhere."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

import topograd
from topograd.io import FormatError, read_header, read_tensors, write_tensors
from topograd.io.api import TREE_KEY

pytest.importorskip("safetensors")


def test_flat_state_dict_keeps_names_and_order(tmp_path):
    sd = {"0.weight": topograd.randn(5, 10), "0.bias": topograd.zeros(5),
          "2.weight": topograd.randn(8, 5), "2.bias": topograd.ones(8)}
    p = tmp_path / "sd.safetensors"
    topograd.save(sd, p)
    tensors, _ = read_tensors(p)
    assert set(tensors) == set(sd)  # stored under exactly these names
    back = topograd.load(p)
    assert list(back) == list(sd)
    for k, v in sd.items():
        assert isinstance(back[k], topograd.Tensor)
        np.testing.assert_array_equal(back[k].numpy(), v.numpy())


def test_nested_checkpoint_round_trip(tmp_path):
    ck = {
        "model": {"fc.weight": topograd.randn(3, 2)},
        "optimizer": {"state": {0: {"step": 7, "exp_avg": np.ones((3, 2), np.float32)}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0],
                                        "nesterov": False, "weight_decay": 0}]},
        "epoch": 4, "best": float("inf"), "nan": float("nan"), "name": "run-1", "none": None,
        "np_scalar": np.float32(2.5), "rng": {"state": {"state": 2**100, "inc": 3}},
        1.5: "float key", None: "none key", True: "bool key",
    }
    p = tmp_path / "ck.safetensors"
    topograd.save(ck, p)
    back = topograd.load(p)
    assert back["epoch"] == 4 and back["name"] == "run-1" and back["none"] is None
    assert back["best"] == float("inf") and math.isnan(back["nan"])
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["optimizer"]["state"][0]["step"] == 7  # int keys survive
    assert isinstance(back["optimizer"]["state"][0]["exp_avg"], np.ndarray)
    assert isinstance(back["model"]["fc.weight"], topograd.Tensor)
    assert back["np_scalar"] == np.float32(2.5) and back["np_scalar"].dtype == np.float32
    assert back["rng"]["state"]["state"] == 2**100
    assert back[1.5] == "float key" and back[None] == "none key" and back[True] == "bool key"
    assert set(read_tensors(p)[0]) == {"model.fc.weight", "optimizer.state.0.exp_avg",
                                       "np_scalar"}


def test_as_numpy(tmp_path):
    p = tmp_path / "n.safetensors"
    topograd.save({"w": topograd.ones(2)}, p)
    assert isinstance(topograd.load(p, as_numpy=True)["w"], np.ndarray)


def test_colliding_dotted_names_stay_apart(tmp_path):
    ck = {"a.b": np.zeros(1), "a": {"b": np.ones(1)}}
    p = tmp_path / "c.safetensors"
    topograd.save(ck, p)
    back = topograd.load(p)
    assert back["a.b"].tolist() == [0] and back["a"]["b"].tolist() == [1]


def test_user_metadata(tmp_path):
    p = tmp_path / "m.safetensors"
    topograd.save({"w": topograd.zeros(1)}, p, metadata={"author": "me"})
    assert read_header(p)[1]["author"] == "me"
    with pytest.raises(ValueError, match="reserved"):
        topograd.save({}, p, metadata={"topograd.tree": "x"})
    with pytest.raises(TypeError, match="str"):
        topograd.save({}, p, metadata={"epoch": 3})


@pytest.mark.parametrize("bad", [lambda: 0, object(), {"f": print}, [set()], {(1, 2): 3},
                                 np.array([object()])])
def test_unsaveable_objects_are_refused(tmp_path, bad):
    p = tmp_path / "u.safetensors"
    with pytest.raises(TypeError, match="cannot save"):
        topograd.save(bad, p)
    assert not p.exists()


def test_saving_a_module_suggests_its_state_dict(tmp_path):
    from topograd import nn

    with pytest.raises(TypeError, match=r"a Linear .* save its state_dict\(\) instead"):
        topograd.save(nn.Linear(2, 2), tmp_path / "m.safetensors")


def test_plain_safetensors_file_loads_as_flat_dict(tmp_path):
    p = tmp_path / "plain.safetensors"
    write_tensors(p, {"w": np.eye(2, dtype=np.float32)})
    assert set(topograd.load(p)) == {"w"}


def _rewrite_tree(path, tree):
    tensors, meta = read_tensors(path)
    meta[TREE_KEY] = tree
    write_tensors(path, tensors, meta)


def test_tampered_structure_is_refused(tmp_path):
    p = tmp_path / "t.safetensors"
    topograd.save({"w": topograd.zeros(2), "epoch": 1}, p)
    tree = json.loads(read_header(p)[1][TREE_KEY])
    tree["d"][0][1] = {"T": "ghost"}
    _rewrite_tree(p, json.dumps(tree))
    with pytest.raises(FormatError, match=r"t\.safetensors.*'ghost'.*missing"):
        topograd.load(p)
    topograd.save({"w": topograd.zeros(2)}, p)
    _rewrite_tree(p, json.dumps({"d": []}))
    with pytest.raises(FormatError, match=r"'w' is in the file but not in its structure"):
        topograd.load(p)
    for bad in ["{not json", '{"x": 1}', '{"v": [1]}', '{"d": [[1]]}', '{"f": "1e999"}',
                '{"d": [["__import__", {"call": "os.system"}]]}']:
        topograd.save({}, p)
        _rewrite_tree(p, bad)
        with pytest.raises(FormatError, match=r"t\.safetensors"):
            topograd.load(p)


def test_no_pickle_in_topograd():
    src = Path(topograd.__file__).parent
    offenders = []
    for f in src.rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        if re.search(r"^\s*(import|from)\s+(c?pickle|dill|joblib|marshal|shelve)\b", text, re.M) \
                or re.search(r"allow_pickle\s*=\s*True", text) or "torch.load(" in text:
            offenders.append(str(f.relative_to(src)))
    assert offenders == []
