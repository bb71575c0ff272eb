"""Module: the base class of every layer, loss and model, as ``torch.nn.Module``.

Assigning a :class:`~topograd.nn.Parameter` or a Module to an attribute registers it;
``parameters()``, ``state_dict()``, ``train()``/``eval()``, ``float()``/``double()``
and the printed tree then walk the registered tree.

The class is one concept in banner sections: calling and forward hooks, registration,
walking the tree, modes and in-place changes, dtype casts, the state dict, printing.

>>> from topograd import nn
>>> class TwoLayer(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.hidden = nn.Linear(3, 4)
...         self.out = nn.Linear(4, 2)
...     def forward(self, x):
...         return self.out(self.hidden(x).relu())
>>> model = TwoLayer()
>>> [name for name, _ in model.named_parameters()]
['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
>>> model
TwoLayer(
  (hidden): Linear(in_features=3, out_features=4, bias=True)
  (out): Linear(in_features=4, out_features=2, bias=True)
)
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

from ..._device import check_move
from ...autograd.hooks import RemovableHandle
from ...dtypes import as_dtype as _as_dtype
from ...tensor import Parameter, Size, Tensor
from ...tensor import parse_to as _parse_to

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _check_name(kind: str, name) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, found {type(name).__name__}")
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", found {name!r}')


def _addindent(s: str, spaces: int) -> str:
    """Indent every line of ``s`` but the first by ``spaces`` (a child in a printed tree)."""
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    pad = " " * spaces
    return lines[0] + "\n" + "\n".join(pad + line for line in lines[1:])


class Module:
    """Base class for all neural-network modules; subclass it and write ``forward``.

    Attributes:
        training: True in training mode (the default), False after ``eval()``.

    >>> from topograd import nn
    >>> nn.Sequential(nn.Linear(2, 2), nn.ReLU()).eval().training
    False
    """

    training: bool
    #: Which face the class belongs to: ``"nn"`` here, ``"keras"`` for the layers and models
    #: of ``topograd.keras``; saving, ONNX export and the CLI ask it, not module names.
    _face = "nn"

    # -- calling and forward hooks ---------------------------------------------------------
    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments: Module takes "
                "none (pass them to your subclass's __init__ before calling super().__init__())"
            )
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers"] = set()
        d["_modules"] = {}
        d["_forward_hooks"] = {}
        d["_forward_pre_hooks"] = {}

    def forward(self, *args, **kwargs):
        """The computation; subclasses define it and callers use ``module(x)``."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if not d["_forward_pre_hooks"] and not d["_forward_hooks"]:
            return self.forward(*args, **kwargs)
        for hook in list(d["_forward_pre_hooks"].values()):
            new = hook(self, args)
            if new is not None:
                args = new if isinstance(new, tuple) else (new,)
        out = self.forward(*args, **kwargs)
        for hook in list(d["_forward_hooks"].values()):
            new = hook(self, args, out)
            if new is not None:
                out = new
        return out

    def register_forward_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every forward; a non-None return
        replaces the output.

        >>> import topograd
        >>> from topograd import nn
        >>> seen = []
        >>> h = nn.ReLU().register_forward_hook(lambda m, a, out: seen.append(out.shape))
        >>> h.remove()
        """
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_forward_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, args)`` before every forward; a non-None return replaces
        the positional arguments."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    # -- registration ----------------------------------------------------------------------
    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a declared but absent one) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(topograd.nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: state that is not a parameter (BatchNorm's running mean, say).

        Persistent buffers are part of ``state_dict()``.

        >>> import topograd
        >>> from topograd import nn
        >>> m = nn.Module()
        >>> m.register_buffer("steps", topograd.tensor(0))
        >>> list(m.state_dict())
        ['steps']
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(topograd.Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name("module", name)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(topograd.nn.Parameter or None expected)"
                )
            params[name] = None
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(topograd.nn.Module or None expected)"
                )
            modules[name] = None
            return
        buffers = d.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(topograd.Tensor or None expected)"
                )
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        d = self.__dict__
        d.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            d[key].pop(name, None)
        d["_non_persistent_buffers"].discard(name)

    def __getattr__(self, name: str):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if name in d[key]:
                del d[key][name]
                d["_non_persistent_buffers"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = set(super().__dir__())
        keys.update(self._parameters, self._buffers, self._modules)
        return sorted(k for k in keys if not k[0].isdigit())

    # -- walking the tree ------------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True):
        """Yield ``(name, module)`` for this module and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self):
        """Yield this module and every descendant."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """Yield ``(name, module)`` for the direct children."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        """Yield the direct children."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, store: str, prefix: str, recurse: bool, remove_duplicate: bool):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in mods:
            for name, value in module.__dict__[store].items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield mod_prefix + ("." if mod_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True):
        """Yield ``(dotted_name, parameter)``; a parameter shared by two modules once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        """Yield the parameters (what an optimizer updates).

        >>> from topograd import nn
        >>> sum(p.numel() for p in nn.Linear(10, 5).parameters())
        55
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True):
        """Yield ``(dotted_name, buffer)``."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        """Yield the buffers."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The descendant at dotted path ``target`` ("" is self)."""
        mod = self
        for item in target.split(".") if target else []:
            if item not in mod._modules or mod._modules[item] is None:
                raise AttributeError(f"{mod._get_name()} has no submodule `{item}` "
                                     f"(looking up {target!r})")
            mod = mod._modules[item]
        return mod

    # -- modes and in-place changes --------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout drops, BatchNorm uses batch statistics); returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (same as ``train(False)``); returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter (False freezes them); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the parameters' gradients: to None (default) or to zeros."""
        for p in self.parameters():
            g = p.grad
            if g is None:
                continue
            if set_to_none:
                p.grad = None
                continue
            if g._ctx is not None or g.requires_grad:
                g = p.grad = g.detach()
            if g._data.flags.writeable:
                g._data.fill(0)
            else:
                g._data = np.zeros_like(g._data)

    def apply(self, fn) -> Module:
        """Call ``fn`` on every descendant and then on self (e.g. to initialize weights).

        >>> from topograd import nn
        >>> def init(m):
        ...     if isinstance(m, nn.Linear):
        ...         nn.init.zeros_(m.bias)
        >>> nn.Sequential(nn.Linear(2, 3)).apply(init)[0].bias.tolist()
        [0.0, 0.0, 0.0]
        """
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # -- dtype casts -----------------------------------------------------------------------
    def _cast_floats(self, dtype) -> Module:
        dt = np.dtype(dtype)
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is None or t._data.dtype.kind != "f" or t._data.dtype == dt:
                        continue
                    t._data = t._data.astype(dt)  # same object: optimizers keep their refs
                    t._bump_version()
                    if t.grad is not None:
                        t.grad = Tensor._from_array(t.grad._data.astype(dt))
        return self

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32, in place; returns self."""
        return self._cast_floats(np.float32)

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64, in place; returns self.

        >>> from topograd import nn
        >>> nn.Linear(2, 2).double().weight.dtype
        dtype('float64')
        """
        return self._cast_floats(np.float64)

    def half(self) -> Module:
        """Cast floating-point parameters and buffers to float16, in place; returns self."""
        return self._cast_floats(np.float16)

    def type(self, dst_type) -> Module:
        """Cast floating-point parameters and buffers to ``dst_type``; returns self."""
        return self._cast_floats(dst_type)

    def to(self, *args, **kwargs) -> Module:
        """Move and/or cast the parameters and buffers in place, as ``torch.nn.Module.to``;
        returns self.

        Called as ``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(tensor)``. A
        dtype must be floating and casts the floating parameters and buffers only; the device
        must be the CPU (``"cuda"`` raises PyTorch's CPU-build error once there is a tensor
        to move).

        >>> import topograd
        >>> from topograd import nn
        >>> m = nn.Linear(2, 2)
        >>> m.to("cpu") is m, m.to(topograd.device("cpu"), topograd.float64).weight.dtype
        (True, dtype('float64'))
        """
        device, dtype, _ = _parse_to(args, kwargs)
        if dtype is not None:
            dtype = _as_dtype(dtype)
            if dtype.kind not in "fc":
                raise TypeError("nn.Module.to only accepts floating point or complex dtypes, "
                                f"but got desired dtype=topograd.{dtype}")
        if device is not None and self._first_tensor() is not None:
            check_move(device)
        if dtype is not None:
            self._cast_floats(dtype)
        return self

    def _first_tensor(self):
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is not None:
                        return t
        return None

    def cpu(self) -> Module:
        """Return self: topograd modules live on the CPU."""
        return self

    def cuda(self, device=None) -> Module:
        """Raise what PyTorch's CPU build raises when there is a tensor to move; else self.

        >>> from topograd import nn
        >>> nn.ReLU().cuda()
        ReLU()
        >>> nn.Linear(2, 2).cuda()
        Traceback (most recent call last):
        AssertionError: Torch not compiled with CUDA enabled
        """
        t = self._first_tensor()
        if t is not None:
            t.cuda(device)
        return self

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

    # -- printing --------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text inside this module's parentheses when printed (override it)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): {_addindent(repr(m), 2)}" for key, m in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body = extra_lines[0]
            else:
                body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"
