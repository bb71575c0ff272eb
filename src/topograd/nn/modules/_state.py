"""Module's checkpoint half: ``state_dict`` and ``load_state_dict``, as a mixin of
:class:`~topograd.nn.Module`."""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

from ...tensor import Size, Tensor

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class _StateMixin:
    """``state_dict`` / ``load_state_dict`` and their helpers; mixed into Module."""

    # -- state dict ------------------------------------------------------------------------
    def _local_state(self):
        for name, p in self._parameters.items():
            if p is not None:
                yield name, p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                yield name, b

    def state_dict(self, *, destination=None, prefix: str = "", keep_vars: bool = False):
        """An ordered dict from dotted names to parameter and persistent buffer tensors.

        The tensors share memory with the module (``keep_vars=False`` detaches them).

        >>> from topograd import nn
        >>> list(nn.BatchNorm1d(3).state_dict())
        ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
        """
        if destination is None:
            destination = OrderedDict()
        for name, t in self._local_state():
            destination[prefix + name] = t if keep_vars else t.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state, prefix, missing, errors, assign) -> None:
        for name, t in self._local_state():
            key = prefix + name
            if key not in state:
                missing.append(key)
                continue
            value = state[key]
            arr = value._data if isinstance(value, Tensor) else np.asarray(value)
            if arr.shape != t._data.shape:
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {Size(arr.shape)} "
                    f"from checkpoint, the shape in current model is {Size(t._data.shape)}."
                )
                continue
            if assign or not t._data.flags.writeable:
                t._data = arr.astype(t._data.dtype, copy=True)
            else:
                t._data[...] = arr
            t._bump_version()

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values from ``state_dict`` into this module's parameters and buffers.

        Args:
            state_dict: a mapping from dotted names to tensors or arrays.
            strict: raise when a key is missing or unexpected (shape mismatches always raise).
            assign: replace each tensor's array instead of copying into it.

        Returns:
            ``(missing_keys, unexpected_keys)``, a named tuple.

        >>> from topograd import nn
        >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
        >>> b.load_state_dict(a.state_dict())
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        """
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        state = dict(state_dict)
        missing: list = []
        errors: list = []
        expected: set = set()
        for prefix, module in self._prefixed_modules():
            module._load_from_state_dict(state, prefix, missing, errors, assign)
            expected.update(prefix + name for name, _ in module._local_state())
        unexpected = [k for k in state if k not in expected]
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {self._get_name()}:\n\t" + "\n\t".join(errors)
            )
        return _IncompatibleKeys(missing, unexpected)

    def _prefixed_modules(self):
        for name, m in self.named_modules(remove_duplicate=False):
            yield (name + "." if name else ""), m
