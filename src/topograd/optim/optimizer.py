"""The Optimizer base: parameter groups, lazy per-parameter state, the learning rate, the
step loop with its shared weight-decay hook, and checkpoints.

An optimizer is a loop over parameter groups plus a per-parameter rule: subclasses
write ``_init_state`` (the state a parameter gets on its first step) and ``_update``
(one step on the raw arrays, in place). Everything a user touches follows
``torch.optim.Optimizer``: ``param_groups``, ``state``, ``zero_grad``, ``step(closure)``,
``add_param_group``, ``state_dict`` / ``load_state_dict`` in PyTorch's format.
"""

from __future__ import annotations

import copy
from collections import defaultdict

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor

#: Bytes of one array per block of an elementwise update: with the three to five arrays
#: a rule touches, a block stays in a core's L2 cache across the rule's passes.
BLOCK_BYTES = 1 << 18


_SET_MESSAGE = (
    "optimizer parameters need to be organized in ordered collections, but the ordering of "
    "tensors in sets will change between runs. Please use a list instead."
)


class Optimizer:
    """Base class of all optimizers: parameter groups, per-parameter state, checkpoints.

    Args:
        params: an iterable of tensors, or of dicts each holding ``'params'`` (the
            group's tensors) and any per-group options that override ``defaults``.
        defaults: the options every group starts from (``lr``, ...).

    Attributes:
        param_groups: list of dicts, one per group: ``'params'`` and the options.
        state: per-parameter state (dict of dicts, keyed by the parameter), created
            lazily on the parameter's first step; the values are NumPy arrays and floats.

    A subclass passes its ``defaults`` here and defines the rule on raw arrays:
    ``_init_state(p, state, group)`` fills a parameter's state before its first update,
    ``_update(p, g, state, group)`` updates ``p`` in place from its gradient ``g`` (reading
    ``group['lr']`` afresh), ``_buffer(like, k)`` lends reusable scratch arrays, and the
    classmethod ``_check_options(group)`` raises ValueError for bad hyperparameters.
    ``step`` calls ``_begin(state, group)`` (which counts ``state['step']``), then, for
    every parameter whose ``.grad`` is not None, the weight-decay hook every rule shares
    (``group['weight_decay']``: L2 folded into the gradient, or with
    ``group['decoupled_weight_decay']`` the weights shrunk) and then the rule.

    A rule that is elementwise (each element of ``p`` depends only on the same element of
    ``g`` and of the state arrays) sets ``_elementwise = True``: a large parameter is then
    updated in cache-sized blocks, ``_update`` being called on matching flat slices of
    ``p``, ``g`` and the state arrays (scalars in the state are read-only there), so that
    the rule's many passes run over data in the CPU cache instead of streaming the whole
    arrays through memory once per pass. ``_blockable(state, group)`` may veto this for
    one step. The results are the same as one call on the whole arrays.

    >>> import topograd
    >>> from topograd.optim import SGD
    >>> w = topograd.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.8, 1.6], dtype=float32, requires_grad=True)
    """

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = dict(defaults)
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        self._scratch: dict = {}
        self._max_numel = 0
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors "
                f"or dicts, but got {_typename(params)}"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        groups = [params] if isinstance(params, dict) else list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- options ---------------------------------------------------------------------
    @classmethod
    def _check_options(cls, options: dict) -> None:
        """Raise ValueError for a bad hyperparameter (subclasses override)."""

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters, with its own options, to ``param_groups``.

        Args:
            param_group: a dict with ``'params'`` (a tensor or an iterable of tensors,
                or of ``(name, tensor)`` pairs) and options overriding the defaults.

        >>> import topograd
        >>> from topograd.optim import SGD
        >>> a, b = topograd.zeros(2, requires_grad=True), topograd.zeros(3, requires_grad=True)
        >>> opt = SGD([a], lr=0.1)
        >>> opt.add_param_group({"params": [b], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_typename(param_group)}")
        if "params" not in param_group:
            raise ValueError(
                f"a parameter group needs a 'params' entry; got keys {sorted(param_group)}"
            )
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            params = [p[1] for p in params]
            group["param_names"] = names
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params "
                    f"(index {i}) is {_typename(p)}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_options(group)

        seen = set()
        for i, p in enumerate(params):
            if id(p) in seen:
                raise ValueError(
                    f"parameter {i} (shape {tuple(p.shape)}) appears twice in the same "
                    "parameter group"
                )
            seen.add(id(p))
        for k, other in enumerate(self.param_groups):
            if ("param_names" in group) != ("param_names" in other):
                raise ValueError(
                    "all optimizer param groups should be with/without names. cannot add "
                    f"param group {'with' if 'param_names' in group else 'without'} names "
                    "to the optimizer"
                )
            if any(id(p) in seen for p in other["params"]):
                raise ValueError(
                    f"some parameters appear in more than one parameter group (group {k} "
                    f"and the new group {len(self.param_groups)})"
                )
        self.param_groups.append(group)
        for p in params:
            self._max_numel = max(self._max_numel, p._data.size)

    # -- the learning rate: one place writes it ----------------------------------------
    @property
    def lr(self) -> float:
        """The learning rate shared by all groups; setting it sets every group's.

        Raises ValueError on reading when the groups' learning rates differ (read
        ``param_groups[i]['lr']`` then). Assign a list to give each group its own.

        >>> import topograd
        >>> from topograd.optim import Adam
        >>> opt = Adam([topograd.zeros(2, requires_grad=True)])
        >>> opt.lr = 0.01
        >>> opt.lr, opt.param_groups[0]["lr"]
        (0.01, 0.01)
        """
        lrs = [g["lr"] for g in self.param_groups]
        if any(lr != lrs[0] for lr in lrs[1:]):
            raise ValueError(
                f"the parameter groups have different learning rates {lrs}; read "
                "optimizer.param_groups[i]['lr'] instead"
            )
        return lrs[0]

    @lr.setter
    def lr(self, value) -> None:
        self.set_lr(value)

    def set_lr(self, value) -> None:
        """Set the learning rate of every parameter group, or of each from a list.

        The one place learning rates are written: the ``lr`` property, the schedulers of
        ``topograd.optim.lr_scheduler``, the training callbacks (``ReduceLROnPlateau``,
        ``LearningRateScheduler``) and the Keras face's ``learning_rate`` and schedules
        all come here. Each step reads ``group['lr']`` afresh.

        Args:
            value: a number for every group, or a list with one number per group.

        Raises:
            ValueError: a negative (or NaN) rate, or a list of the wrong length.

        >>> import topograd
        >>> from topograd.optim import SGD
        >>> a, b = topograd.zeros(2, requires_grad=True), topograd.zeros(2, requires_grad=True)
        >>> opt = SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
        >>> opt.set_lr([0.5, 0.25])
        >>> [g["lr"] for g in opt.param_groups]
        [0.5, 0.25]
        """
        values = list(value) if isinstance(value, (list, tuple)) else [value] * len(
            self.param_groups
        )
        if len(values) != len(self.param_groups):
            raise ValueError(
                f"expected {len(self.param_groups)} learning rates (one per parameter group), "
                f"got {len(values)}"
            )
        for v in values:
            if not 0.0 <= v:
                raise ValueError(f"Invalid learning rate: {v}")
        for group, v in zip(self.param_groups, values):
            group["lr"] = float(v)

    # -- stepping --------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors.

        Args:
            set_to_none: set ``.grad`` to None (default) instead of filling it with zeros.
                With None, the next ``step`` skips parameters that get no gradient.

        >>> import topograd
        >>> from topograd.optim import SGD
        >>> w = topograd.ones(2, requires_grad=True)
        >>> opt = SGD([w], lr=0.1)
        >>> w.sum().backward()
        >>> opt.zero_grad()
        >>> w.grad is None
        True
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g._ctx is not None or g.requires_grad:
                        g.detach_()
                    g._data[...] = 0

    def step(self, closure=None):
        """Perform one optimization step on every parameter that has a gradient.

        Args:
            closure: optional callable that re-evaluates the model (zero_grad, forward,
                backward) and returns the loss; it runs with gradients enabled.

        Returns:
            The closure's loss, or None without a closure.

        >>> import topograd
        >>> from topograd.optim import SGD
        >>> w = topograd.tensor([3.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.25)
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = (w ** 2).sum()
        ...     loss.backward()
        ...     return loss
        >>> opt.step(closure).item(), w.item()
        (9.0, 1.5)
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        state = self.state
        init, begin, update = self._init_state, self._begin, self._decay_and_update
        split = self._elementwise
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                s = state.get(p)
                if not s:  # first step (or state emptied): lazy initialization
                    if s is None:
                        s = state[p] = {}
                    init(p._data, s, group)
                begin(s, group)
                a = p._data
                if split and a.size * a.itemsize > 2 * BLOCK_BYTES:
                    self._update_blocks(a, g._data, s, group)
                else:
                    update(a, g._data, s, group)
                p._bump_version()
        return loss

    _elementwise = False

    def _begin(self, state: dict, group: dict) -> None:
        """Per-parameter bookkeeping once per step, before the update: counts the step."""
        if "step" in state:
            state["step"] += 1

    def _weight_decay(self, p: np.ndarray, g: np.ndarray, group: dict) -> np.ndarray:
        """The weight-decay hook every rule shares; returns the gradient the rule sees.

        ``g + weight_decay * p`` (an L2 penalty folded into the gradient, in scratch), or
        with ``group['decoupled_weight_decay']`` the weights shrunk in place,
        ``p *= 1 - lr * weight_decay``, and ``g`` as it is.
        """
        weight_decay = group.get("weight_decay", 0)
        if not weight_decay:
            return g
        if group.get("decoupled_weight_decay"):
            p *= 1 - group["lr"] * weight_decay
            return g
        out = self._buffer(p, -1)
        np.multiply(p, weight_decay, out=out)
        out += g
        return out

    def _decay_and_update(self, p: np.ndarray, g: np.ndarray, state: dict,
                          group: dict) -> None:
        """One update of ``p`` (a whole array or a block): weight decay, then the rule."""
        self._update(p, self._weight_decay(p, g, group), state, group)

    def _blockable(self, state: dict, group: dict) -> bool:
        """Whether this step's update may run block by block (see the class docstring)."""
        return True

    def _update_blocks(self, p: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        """The update on cache-sized flat slices of every array, one block after another."""
        order = _layout(p)
        arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
        if order is None or _layout(g) != order or g.shape != p.shape or \
                any(v.shape != p.shape or _layout(v) != order for v in arrays.values()) or \
                not self._blockable(state, group):
            self._decay_and_update(p, g, state, group)
            return
        fp, fg = p.reshape(-1, order=order), g.reshape(-1, order=order)
        flat = {k: v.reshape(-1, order=order) for k, v in arrays.items()}
        scalars = {k: v for k, v in state.items() if k not in arrays}
        update = self._decay_and_update
        n = p.size
        block = max(1, BLOCK_BYTES // p.itemsize)
        for lo in range(0, n, block):
            hi = min(lo + block, n)
            part = dict(scalars)
            for k, v in flat.items():
                part[k] = v[lo:hi]
            update(fp[lo:hi], fg[lo:hi], part, group)

    def _init_state(self, p: np.ndarray, state: dict, group: dict) -> None:
        """Fill ``state`` for parameter array ``p`` before its first update."""

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        """Update the array ``p`` in place from its gradient ``g``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    def _buffer(self, like: np.ndarray, k: int = 0) -> np.ndarray:
        """Scratch array ``k`` shaped like ``like``: reused by every step and parameter.

        Intermediate results of a rule go here, so a step allocates nothing once the
        first step has sized these buffers to the largest parameter. (``k = -1`` is the
        weight-decay hook's.)
        """
        key = (like.dtype, k)
        buf = self._scratch.get(key)
        n = like.size
        if buf is None or buf.size < n:
            # large parameters are updated in blocks (see _update_blocks): no need to
            # size scratch for all of them
            cap = 2 * BLOCK_BYTES // like.itemsize if self._elementwise else self._max_numel
            buf = np.empty(max(n, min(self._max_numel, cap)), dtype=like.dtype)
            self._scratch[key] = buf
        return buf[:n].reshape(like.shape)

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
        A group option the saved state lacks keeps its current value.

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
        _check_saved_layout(saved_groups, state_dict["state"])
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
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            for k, v in s.items():
                if k != "params" and k in g:
                    _check_option(i, k, v, g[k])
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
            ng = {k: v for k, v in g.items() if k != "params"}
            ng.update((k, copy.deepcopy(v)) for k, v in s.items() if k != "params")
            if ng.get("maximize"):
                raise ValueError("maximize=True is not supported by topograd optimizers")
            try:  # the ranges the constructor checks (betas below 1, lr >= 0, ...)
                self._check_options(ng)
            except (ValueError, TypeError, KeyError) as e:
                raise ValueError(f"loaded state dict's parameter group {len(new_groups)}: "
                                 f"{e}") from None
            ng["params"] = g["params"]
            new_groups.append(ng)
        keys = {id(p): k for k, p in id_map.items()}
        for ng in new_groups:
            for p in ng["params"]:
                if state.get(p):
                    self._check_loaded_state(p, keys[id(p)], state[p], ng)
        self.param_groups = new_groups
        self.state = state

    def _check_loaded_state(self, p: Tensor, key, loaded: dict, group: dict) -> None:
        """A parameter's loaded state holds every value the rule keeps for it (as
        ``_init_state`` creates them, asked on a 0-d stand-in), of the same kind: a state
        missing one would fail in the first step instead of here."""
        need: dict = {}
        self._init_state(np.zeros((), dtype=p._data.dtype), need, group)
        missing = [name for name in need if name not in loaded]
        if missing:
            raise ValueError(f"loaded state of parameter {key} lacks {', '.join(missing)} "
                             f"(it holds {', '.join(map(str, loaded)) or 'nothing'})")
        for name, value in need.items():
            if isinstance(value, np.ndarray) and not isinstance(loaded[name], np.ndarray):
                raise ValueError(f"loaded state {name!r} of parameter {key} must be an array, "
                                 f"found {_short(loaded[name])}")

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("_scratch", "_max_numel")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._scratch = {}
        self._max_numel = max(
            (p._data.size for g in self.param_groups for p in g["params"]), default=0
        )


# -- helpers the rules share --------------------------------------------------------------
_OPTION_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def _check_nonnegative(options: dict, *names: str) -> None:
    """Raise PyTorch's ``ValueError("Invalid learning rate: -1")`` for the first of
    ``names`` whose option is negative (or NaN)."""
    for name in names:
        value = options[name]
        if not 0.0 <= value:
            raise ValueError(f"Invalid {_OPTION_LABELS.get(name, name + ' value')}: {value}")


def _lerp_(a: np.ndarray, b: np.ndarray, weight, tmp: np.ndarray) -> None:
    """``a += weight * (b - a)`` in place, with ``torch.lerp``'s two-sided formula."""
    w = a.dtype.type(weight)
    np.subtract(b, a, out=tmp)
    if abs(w) < 0.5:
        tmp *= w
        a += tmp
    else:
        tmp *= 1 - w
        np.subtract(b, tmp, out=a)


def _layout(a: np.ndarray):
    """'C' or 'F' when ``a`` is contiguous in that order (a flat view exists), else None."""
    flags = a.flags
    if flags.c_contiguous:
        return "C"
    if flags.f_contiguous:
        return "F"
    return None


def _typename(obj) -> str:
    cls = type(obj)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _number(value) -> bool:
    """A finite real number: a Python or NumPy number, or a 0-d numeric array or tensor."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, Tensor):
        value = value._data
    if not isinstance(value, (int, float, np.number, np.ndarray)) and not hasattr(
            value, "__array__"):
        return False
    try:
        arr = np.asarray(value)
        return arr.shape == () and arr.dtype.kind in "iuf" and bool(np.isfinite(arr))
    except (TypeError, ValueError, OverflowError):
        return False


def _is_index(value) -> bool:
    return (isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
            and value >= 0)


def _check_saved_layout(saved_groups, saved_state) -> None:
    """The containers of a saved state dict: a list of groups, each with a list of
    parameter indices, and a dict of per-parameter dicts (raises ValueError naming the
    field)."""
    if not isinstance(saved_groups, (list, tuple)):
        raise ValueError(f"loaded state dict's 'param_groups' must be a list of dicts, found "
                         f"{_short(saved_groups)}")
    for i, s in enumerate(saved_groups):
        if not isinstance(s, dict) or not isinstance(s.get("params"), (list, tuple)):
            raise ValueError(f"loaded state dict's parameter group {i} must be a dict with a "
                             f"list 'params', found {_short(s)}")
        bad = next((idx for idx in s["params"] if not _is_index(idx)), None)
        if bad is not None:
            raise ValueError(f"loaded state dict's parameter group {i} lists {_short(bad)} "
                             f"in 'params'; expected parameter indices (integers >= 0)")
    if not isinstance(saved_state, dict):
        raise ValueError(f"loaded state dict's 'state' must map parameter indices to dicts, "
                         f"found {_short(saved_state)}")
    for key, values in saved_state.items():
        if not isinstance(values, dict):
            raise ValueError(f"loaded state dict's state of parameter {_short(key)} must be a "
                             f"dict of values, found {_short(values)}")


def _check_option(i: int, name: str, saved, current) -> None:
    """A saved group option has the kind of value the optimizer's own has (a flag, a
    finite number, a tuple of numbers, a string); options the optimizer lacks are kept as
    PyTorch keeps them."""
    if isinstance(current, (bool, np.bool_)):
        ok, want = isinstance(saved, (bool, np.bool_)), "true or false"
    elif isinstance(current, (int, float, np.number)):
        ok, want = _number(saved), "a finite number"
    elif isinstance(current, (tuple, list)):
        ok = (isinstance(saved, (tuple, list)) and len(saved) == len(current)
              and all(_number(v) for v in saved))
        want = f"{len(current)} finite numbers"
    elif isinstance(current, str):
        ok, want = isinstance(saved, str), "a string"
    else:
        return
    if not ok:
        raise ValueError(f"loaded state dict's parameter group {i}: option {name!r} must be "
                         f"{want}, found {_short(saved)}")


def _load_value(p: Tensor, key, name: str, value):
    """A private copy of one saved state value, as the optimizer keeps it."""
    if name == "step":
        if not _number(value) or not np.asarray(getattr(value, "_data", value)) >= 0:
            raise ValueError(f"loaded state 'step' of parameter {key} must be a finite "
                             f"number >= 0, found {_short(value)}")
        return float(np.asarray(value._data if isinstance(value, Tensor) else value))
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
