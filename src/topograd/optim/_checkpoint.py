"""The Optimizer's checkpoint half: ``state_dict`` / ``load_state_dict`` in PyTorch's
format, pickling and the printed form, as a mixin of :class:`~topograd.optim.Optimizer`."""

from __future__ import annotations

import copy
from collections import defaultdict

import numpy as np

from ..tensor import Tensor


def _typename(obj) -> str:
    cls = type(obj)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


class _CheckpointMixin:
    """Checkpoints, pickling and ``repr`` of an optimizer; mixed into Optimizer."""

    # -- checkpoints -----------------------------------------------------------------
    def state_dict(self) -> dict:
        """The optimizer's state as a dict, in PyTorch's format; arrays are copies.

        Returns:
            ``{'state': {index: {name: value}}, 'param_groups': [{option: value, ...,
            'params': [index, ...]}]}``, where parameters are numbered in group order.

        >>> import topograd
        >>> from topograd.optim import SGD
        >>> w = topograd.ones(2, requires_grad=True)
        >>> opt = SGD([w], lr=0.1, momentum=0.9)
        >>> w.sum().backward(); opt.step()
        >>> sd = opt.state_dict()
        >>> sd["state"][0]["momentum_buffer"], sd["param_groups"][0]["params"]
        (array([1., 1.], dtype=float32), [0])
        """
        index: dict = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            if s and id(p) in index:
                state[index[id(p)]] = {
                    k: (v.copy() if isinstance(v, np.ndarray) else copy.deepcopy(v))
                    for k, v in s.items()
                }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the state saved by ``state_dict`` (this optimizer's or PyTorch's).

        The optimizer must have been built with the same groups of same-shaped
        parameters in the same order. Arrays are copied (and cast to each parameter's
        dtype); tensors, ``torch`` tensors and string keys (as after JSON) are accepted.

        Args:
            state_dict: a dict returned by ``state_dict()``.

        >>> import topograd
        >>> from topograd.optim import Adam
        >>> w = topograd.ones(2, requires_grad=True)
        >>> opt = Adam([w], lr=0.1)
        >>> w.sum().backward(); opt.step()
        >>> opt2 = Adam([w], lr=0.5)
        >>> opt2.load_state_dict(opt.state_dict())
        >>> opt2.param_groups[0]["lr"], opt2.state[w]["step"]
        (0.1, 1.0)
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            got = sorted(state_dict) if isinstance(state_dict, dict) else _typename(state_dict)
            raise ValueError(
                f"expected a dict with 'state' and 'param_groups' (from state_dict()), got {got}"
            )
        groups, saved_groups = self.param_groups, state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError(
                "loaded state dict has a different number of parameter groups: it has "
                f"{len(saved_groups)}, the optimizer has {len(groups)}"
            )
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the "
                    f"size of optimizer's group: group {i} has {len(s['params'])} parameters "
                    f"in the state dict and {len(g['params'])} in the optimizer"
                )
        id_map = {}
        for g, s in zip(groups, saved_groups):
            for idx, p in zip(s["params"], g["params"]):
                id_map[int(idx)] = p
        state: defaultdict = defaultdict(dict)
        for key, values in state_dict["state"].items():
            try:
                p = id_map[int(key)]
            except (KeyError, ValueError, TypeError):
                raise ValueError(
                    f"loaded state dict has state for parameter {key!r}, which is in none of "
                    f"its parameter groups (indices {sorted(id_map)})"
                ) from None
            state[p] = {name: _load_value(p, key, name, v) for name, v in values.items()}
        new_groups = []
        for g, s in zip(groups, saved_groups):
            ng = {k: copy.deepcopy(v) for k, v in s.items() if k != "params"}
            if ng.get("maximize"):
                raise ValueError("maximize=True is not supported by topograd optimizers")
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
            new_groups.append(ng)
        self.param_groups = new_groups
        self.state = state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"

    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._scratch = {}
        self._max_numel = max(
            (p._data.size for g in self.param_groups for p in g["params"]), default=0
        )


def _load_value(p: Tensor, key, name: str, value):
    """A private copy of one saved state value, as the optimizer keeps it."""
    if name == "step":
        return float(np.asarray(value))
    if isinstance(value, Tensor):
        value = value._data
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):  # also torch tensors
        arr = np.asarray(value)
        if arr.dtype.kind == "f" and p._data.dtype.kind == "f":
            arr = arr.astype(p._data.dtype)  # a copy, even when the dtype is the same
        else:
            arr = arr.copy()
        if arr.shape != p._data.shape:
            raise ValueError(
                f"loaded state {name!r} of parameter {key} has shape {arr.shape}, but the "
                f"parameter has shape {p._data.shape}"
            )
        return arr
    return copy.deepcopy(value)
