"""PyTorch's device code runs: ``topograd.device``, ``device=`` on the factories,
``Tensor.to``/``cpu``/``cuda``, ``Module.to``/``cpu``/``cuda``, the default device,
``topograd.cuda``/``backends``/``accelerator``; compared with the installed PyTorch CPU build
(the same results for the CPU, the same exception type and message for the rest)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import topograd

torch = pytest.importorskip("torch")


def outcome(fn, *args):
    """What ``fn(*args)`` gives: ("ok", value) or (exception type name, message)."""
    try:
        return "ok", fn(*args)
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return type(e).__name__, str(e)


def same_error(ours, theirs, first_line_only=False):
    assert ours[0] == theirs[0] != "ok", (ours, theirs)
    if first_line_only:
        assert ours[1].splitlines()[0] == theirs[1].splitlines()[0], (ours, theirs)
    else:
        assert ours[1] == theirs[1], (ours, theirs)


def dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "")


# -- topograd.device -------------------------------------------------------------------------
DEVICE_CALLS = [
    (("cpu",), {}), (("cpu", 0), {}), (("cpu:0",), {}), (("cuda",), {}), (("cuda:0",), {}),
    (("cuda", 1), {}), ((), {"type": "cpu"}), ((), {"type": "cuda", "index": 2}),
    (("cuda",), {"index": 3}), (("cpu", None), {}), (("mps",), {}), (("meta",), {}),
    (("xla",), {}),
    # errors
    (("foo",), {}), (("CPU",), {}), (("a_b",), {}), (("cuda:x",), {}), (("cuda:-1",), {}),
    (("cpu ",), {}), (("cuda:0:1",), {}), (("cuda:01",), {}), (("",), {}),
    (("cuda", -1), {}), (("cuda:1", 0), {}), ((), {"type": "cuda:1", "index": 0}),
    (("cpu", "0"), {}), (("cuda", 0.0), {}), (("cpu", True), {}), ((0,), {}),
]


@pytest.mark.parametrize("args,kwargs", DEVICE_CALLS, ids=[repr(c) for c in DEVICE_CALLS])
def test_device_as_torch(args, kwargs):
    ours = outcome(lambda: topograd.device(*args, **kwargs))
    theirs = outcome(lambda: torch.device(*args, **kwargs))
    if theirs[0] == "ok":
        assert ours[0] == "ok", ours
        d, t = ours[1], theirs[1]
        assert (repr(d), str(d), d.type, d.index) == (repr(t), str(t), t.type, t.index)
    else:
        same_error(ours, theirs)


@pytest.mark.parametrize("bad", [1.5, None])
def test_device_type_errors_as_torch(bad):
    same_error(outcome(topograd.device, bad), outcome(torch.device, bad), first_line_only=True)
    same_error(outcome(topograd.device), outcome(torch.device), first_line_only=True)


def test_device_eq_hash_pickle_as_torch():
    pairs = [("cpu", "cpu"), ("cpu", ("cpu", 0)), ("cpu:0", ("cpu", 0)), ("cpu", "cuda"),
             ("cuda:0", "cuda:1"), ("cuda", "cuda")]
    for a, b in pairs:
        def make(mod, spec):
            return mod.device(*spec) if isinstance(spec, tuple) else mod.device(spec)
        ours, theirs = (make(topograd, a), make(topograd, b)), (make(torch, a), make(torch, b))
        assert (ours[0] == ours[1]) == (theirs[0] == theirs[1])
        assert (ours[0] != ours[1]) == (theirs[0] != theirs[1])
        assert (hash(ours[0]) == hash(ours[1])) == (hash(theirs[0]) == hash(theirs[1]))
    # a device never equals its string, in PyTorch too
    assert (topograd.device("cpu") == "cpu") == (torch.device("cpu") == "cpu") is False
    assert {topograd.device("cpu"): 1}[topograd.device("cpu")] == 1
    for spec in ("cpu", "cuda:1"):
        d = topograd.device(spec)
        assert pickle.loads(pickle.dumps(d)) == d
    assert topograd.device(topograd.device("cuda:1")) == topograd.device("cuda", 1)
    with pytest.raises(AttributeError):
        topograd.device("cpu").type = "cuda"
    assert f"{topograd.device('cuda:1')}" == f"{torch.device('cuda:1')}" == "cuda:1"
    with pytest.raises(TypeError):
        _ = topograd.device("cpu") < topograd.device("cpu")


# -- factories -------------------------------------------------------------------------------
FACTORIES = {
    "tensor": lambda m, d: m.tensor([1.0, 2.0], device=d),
    "as_tensor": lambda m, d: m.as_tensor([1.0, 2.0], device=d),
    "zeros": lambda m, d: m.zeros(2, 3, device=d),
    "ones": lambda m, d: m.ones((2,), device=d),
    "empty": lambda m, d: m.empty(2, device=d).zero_() if m is torch else m.empty(2, device=d),
    "full": lambda m, d: m.full((2,), 1.5, device=d),
    "arange": lambda m, d: m.arange(0, 5, 2, device=d),
    "linspace": lambda m, d: m.linspace(0, 1, 5, device=d),
    "logspace": lambda m, d: m.logspace(0, 2, 3, device=d),
    "eye": lambda m, d: m.eye(2, 3, device=d),
    "zeros_like": lambda m, d: m.zeros_like(m.ones(2), device=d),
    "ones_like": lambda m, d: m.ones_like(m.ones(2), device=d),
    "full_like": lambda m, d: m.full_like(m.ones(2), 7.0, device=d),
    "empty_like": lambda m, d: (m.empty_like(m.ones(2), device=d) * 0),
    "rand": lambda m, d: m.rand(2, device=d).shape,
    "randn": lambda m, d: m.randn(2, 3, device=d).shape,
    "randint": lambda m, d: m.randint(0, 3, (4,), device=d).shape,
    "randperm": lambda m, d: m.randperm(4, device=d).sort().values
    if m is torch else m.tensor(sorted(m.randperm(4, device=d).tolist())),
    "rand_like": lambda m, d: m.rand_like(m.ones(2), device=d).shape,
    "randn_like": lambda m, d: m.randn_like(m.ones(2), device=d).shape,
}


def _values(x):
    if isinstance(x, (tuple, torch.Size)):
        return tuple(x)
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("dev", ["cpu", "cpu:0", "device(cpu)", None])
def test_factories_on_cpu_as_torch(name, dev):
    make = FACTORIES[name]
    ours = make(topograd, topograd.device("cpu") if dev == "device(cpu)" else dev)
    theirs = make(torch, torch.device("cpu") if dev == "device(cpu)" else dev)
    if isinstance(theirs, torch.Tensor):
        assert repr(ours.device) == repr(theirs.device) == "device(type='cpu')"
        assert ours.is_cuda is theirs.is_cuda is False
        assert dtype_name(ours.dtype) == dtype_name(theirs.dtype)
        np.testing.assert_allclose(_values(ours), _values(theirs), rtol=1e-6)
    else:
        assert tuple(ours) == tuple(theirs)


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("dev", ["cuda", "cuda:1", "device(cuda)", "xpu", "foo", "cuda:x", 0,
                                 1.5])
def test_factories_refuse_other_devices_as_torch(name, dev):
    make = FACTORIES[name]
    ours = outcome(make, topograd, topograd.device("cuda") if dev == "device(cuda)" else dev)
    theirs = outcome(make, torch, torch.device("cuda") if dev == "device(cuda)" else dev)
    if dev == 1.5 and "received an invalid combination" in theirs[1]:
        # PyTorch's overloaded factories list their signatures; the type is what matters
        assert ours[0] == theirs[0] == "TypeError" and f"{name}()" in ours[1], ours
        return
    same_error(ours, theirs)


@pytest.mark.parametrize("name", ["zeros", "full", "arange", "randn", "eye"])
@pytest.mark.parametrize("dev", ["mps", "xla"])
def test_factories_refuse_other_backends_like_torch(name, dev):
    ours = outcome(FACTORIES[name], topograd, dev)
    theirs = outcome(FACTORIES[name], torch, dev)
    assert ours[0] == theirs[0] == "NotImplementedError"
    first_sentence = theirs[1].split(" backend.")[0] + " backend."
    assert ours[1].startswith(first_sentence), (ours, first_sentence)


@pytest.mark.parametrize("name", ["tensor", "as_tensor"])
@pytest.mark.parametrize("dev", ["mps", "xla"])
def test_tensor_from_data_on_other_backends_as_torch(name, dev):
    # the data is copied there, so PyTorch fails as a move does
    same_error(outcome(FACTORIES[name], topograd, dev), outcome(FACTORIES[name], torch, dev))


# -- Tensor.to / cpu / cuda ------------------------------------------------------------------
TO_CALLS = {
    "to(cpu)": lambda m, t: t.to("cpu"),
    "to(device(cpu))": lambda m, t: t.to(m.device("cpu")),
    "to(cpu, float64)": lambda m, t: t.to("cpu", m.float64),
    "to(float64)": lambda m, t: t.to(m.float64),
    "to(dtype=float16)": lambda m, t: t.to(dtype=m.float16),
    "to(device=cpu, dtype=float16)": lambda m, t: t.to(device="cpu", dtype=m.float16),
    "to(other int64)": lambda m, t: t.to(m.zeros(1, dtype=m.int64)),
    "to(other float64)": lambda m, t: t.to(m.zeros(1, dtype=m.float64)),
    "to(cpu, non_blocking)": lambda m, t: t.to("cpu", non_blocking=True),
    "to(float64, True, True)": lambda m, t: t.to(m.float64, True, True),
    "to(cpu, float64, False, True)": lambda m, t: t.to("cpu", m.float64, False, True),
    "to(cpu, copy)": lambda m, t: t.to("cpu", copy=True),
    "to(None)": lambda m, t: t.to(None),
    "to()": lambda m, t: t.to(),
    "cpu()": lambda m, t: t.cpu(),
    "to(cuda)": lambda m, t: t.to("cuda"),
    "to(cuda:0)": lambda m, t: t.to("cuda:0"),
    "to(device(cuda))": lambda m, t: t.to(m.device("cuda")),
    "to(device=cuda)": lambda m, t: t.to(device="cuda"),
    "to(cuda, float64)": lambda m, t: t.to("cuda", m.float64),
    "to(xpu)": lambda m, t: t.to("xpu"),
    "to(mps)": lambda m, t: t.to("mps"),
    "to(xla)": lambda m, t: t.to("xla"),
    "to(foo)": lambda m, t: t.to("foo"),
    "to(0)": lambda m, t: t.to(0),
    "cuda()": lambda m, t: t.cuda(),
    "cuda(0)": lambda m, t: t.cuda(0),
    "cuda(device=cpu)": lambda m, t: t.cuda(device="cpu"),
}


@pytest.mark.parametrize("name", TO_CALLS)
def test_tensor_to_as_torch(name):
    ours_t = topograd.tensor([1.0, 2.0], requires_grad=True)
    theirs_t = torch.tensor([1.0, 2.0], requires_grad=True)
    ours = outcome(TO_CALLS[name], topograd, ours_t)
    theirs = outcome(TO_CALLS[name], torch, theirs_t)
    if theirs[0] != "ok":
        same_error(ours, theirs)
        return
    assert ours[0] == "ok", ours
    a, b = ours[1], theirs[1]
    assert dtype_name(a.dtype) == dtype_name(b.dtype)
    assert repr(a.device) == repr(b.device)
    assert a.requires_grad == b.requires_grad
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    if name in ("to(cpu)", "cpu()", "to(None)", "to()", "to(cpu, non_blocking)"):
        assert (a is ours_t) == (b is theirs_t) is True  # nothing to do: self


def test_to_copy_is_a_new_tensor_and_differentiable():
    t = topograd.tensor([1.0, 2.0], requires_grad=True)
    c = t.to("cpu", copy=True)
    assert c is not t and not np.shares_memory(c.numpy(), t.numpy())
    (c * 3).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [3.0, 3.0])


def test_tensor_device_attributes_as_torch():
    ours, theirs = topograd.zeros(2), torch.zeros(2)
    assert repr(ours.device) == repr(theirs.device) == "device(type='cpu')"
    assert str(ours.device) == str(theirs.device) == "cpu"
    assert ours.device == topograd.device("cpu") and ours.device.type == "cpu"
    for attr in ("is_cuda", "is_cpu", "is_mps", "is_meta"):
        assert getattr(ours, attr) is getattr(theirs, attr), attr
    assert ours.get_device() == theirs.get_device() == -1
    # the device is one constant, not per-tensor state
    assert topograd.ones(3).device is (topograd.ones(1) + 1).device
    assert topograd.from_numpy(np.zeros(2)).device == topograd.device("cpu")


# -- Module.to / cpu / cuda ------------------------------------------------------------------
MODULE_CALLS = {
    "to(cpu)": lambda m, net: net.to("cpu"),
    "to(device(cpu))": lambda m, net: net.to(m.device("cpu")),
    "cpu()": lambda m, net: net.cpu(),
    "to(float64)": lambda m, net: net.to(m.float64),
    "to(cpu, float64)": lambda m, net: net.to("cpu", m.float64),
    "to(device=cpu, dtype=float64)": lambda m, net: net.to(device="cpu", dtype=m.float64),
    "to(float64, True)": lambda m, net: net.to(m.float64, True),
    "to(other float16)": lambda m, net: net.to(m.zeros(1, dtype=m.float16)),
    "to(cpu, non_blocking)": lambda m, net: net.to("cpu", non_blocking=True),
    "to(cuda)": lambda m, net: net.to("cuda"),
    "to(device(cuda))": lambda m, net: net.to(m.device("cuda")),
    "to(device=cuda)": lambda m, net: net.to(device="cuda"),
    "to(mps)": lambda m, net: net.to("mps"),
    "to(foo)": lambda m, net: net.to("foo"),
    "cuda()": lambda m, net: net.cuda(),
    "cuda(0)": lambda m, net: net.cuda(0),
    "to(int64)": lambda m, net: net.to(m.int64),
    "to(cuda, int64)": lambda m, net: net.to("cuda", m.int64),
    "to(other int64)": lambda m, net: net.to(m.zeros(1, dtype=m.int64)),
}


def _net(m):
    return m.nn.Sequential(m.nn.Linear(2, 3), m.nn.ReLU(), m.nn.BatchNorm1d(3))


@pytest.mark.parametrize("name", MODULE_CALLS)
def test_module_to_as_torch(name):
    ours_net, theirs_net = _net(topograd), _net(torch)
    ours = outcome(MODULE_CALLS[name], topograd, ours_net)
    theirs = outcome(MODULE_CALLS[name], torch, theirs_net)
    if theirs[0] != "ok":
        assert ours[0] == theirs[0], (ours, theirs)
        assert ours[1] == theirs[1].replace("torch.", "topograd."), (ours, theirs)
        return
    assert ours[1] is ours_net and theirs[1] is theirs_net  # returns self
    got = {n: dtype_name(t.dtype) for n, t in ours_net.state_dict().items()}
    want = {n: dtype_name(t.dtype) for n, t in theirs_net.state_dict().items()}
    assert got == want


@pytest.mark.parametrize("name", ["to(cuda)", "cuda()", "to(mps)", "to(device(cuda))"])
def test_module_without_tensors_moves_anywhere_as_torch(name):
    # PyTorch only fails on a tensor it has to move; a module holding none returns self
    ours = outcome(MODULE_CALLS[name], topograd, topograd.nn.ReLU())
    theirs = outcome(MODULE_CALLS[name], torch, torch.nn.ReLU())
    assert ours[0] == theirs[0] == "ok"


@pytest.mark.parametrize("dev", ["cuda", "foo"])
def test_layer_device_argument_as_torch(dev):
    for make in (lambda m: m.nn.Linear(2, 2, device=dev),
                 lambda m: m.nn.BatchNorm1d(2, device=dev)):
        same_error(outcome(make, topograd), outcome(make, torch))
    for make in (lambda m: m.nn.Linear(2, 2, device="cpu"),
                 lambda m: m.nn.BatchNorm1d(2, device=m.device("cpu"))):
        assert outcome(make, topograd)[0] == "ok"


# -- the default device ----------------------------------------------------------------------
@pytest.fixture
def restore_default_device():
    yield
    topograd.set_default_device(None)
    torch.set_default_device(None)


DEFAULT_CALLS = {
    "get_default_device": lambda m: m.get_default_device(),
    "zeros": lambda m: m.zeros(2),
    "tensor": lambda m: m.tensor([1.0]),
    "as_tensor": lambda m: m.as_tensor([1.0]),
    "randn": lambda m: m.randn(2),
    "arange": lambda m: m.arange(3),
    "zeros(device=cpu)": lambda m: m.zeros(2, device="cpu"),
    "zeros_like": lambda m: m.zeros_like(m.from_numpy(np.zeros(2))),
    "from_numpy": lambda m: m.from_numpy(np.zeros(2)),
    "Linear": lambda m: m.nn.Linear(2, 2).weight.shape,
}


@pytest.mark.parametrize("default", ["cpu", "cpu:0", None, "cuda", "cuda:1", "mps"])
@pytest.mark.parametrize("name", DEFAULT_CALLS)
def test_default_device_as_torch(default, name, restore_default_device):
    topograd.set_default_device(default)
    torch.set_default_device(default)
    ours = outcome(DEFAULT_CALLS[name], topograd)
    theirs = outcome(DEFAULT_CALLS[name], torch)
    if theirs[0] == "ok":
        assert ours[0] == "ok", ours
        a, b = ours[1], theirs[1]
        if isinstance(b, torch.device):
            assert repr(a) == repr(b)
        elif isinstance(b, torch.Tensor):
            assert repr(a.device) == repr(b.device)
        else:
            assert tuple(a) == tuple(b)
    elif theirs[0] == "NotImplementedError":  # mps: PyTorch's message names its dispatcher
        assert ours[0] == theirs[0]
    else:
        same_error(ours, theirs)


@pytest.mark.parametrize("bad", ["foo", 0, 1.5])
def test_set_default_device_refuses_as_torch(bad, restore_default_device):
    same_error(outcome(topograd.set_default_device, bad), outcome(torch.set_default_device, bad),
               first_line_only=True)
    assert topograd.get_default_device() == topograd.device("cpu")


# -- topograd.cuda, backends, accelerator ----------------------------------------------------
QUERIES = {
    "cuda.is_available": lambda m: m.cuda.is_available(),
    "cuda.device_count": lambda m: m.cuda.device_count(),
    "cuda.is_initialized": lambda m: m.cuda.is_initialized(),
    "cuda.manual_seed": lambda m: m.cuda.manual_seed(0),
    "cuda.manual_seed_all": lambda m: m.cuda.manual_seed_all(0),
    "cuda.empty_cache": lambda m: m.cuda.empty_cache(),
    "cuda.memory_allocated": lambda m: m.cuda.memory_allocated(),
    "cuda.max_memory_allocated": lambda m: m.cuda.max_memory_allocated(),
    "cuda.current_device": lambda m: m.cuda.current_device(),
    "cuda.synchronize": lambda m: m.cuda.synchronize(),
    "cuda.get_device_name": lambda m: m.cuda.get_device_name(0),
    "backends.mps.is_available": lambda m: m.backends.mps.is_available(),
    "backends.mps.is_built": lambda m: m.backends.mps.is_built(),
    "backends.cudnn.is_available": lambda m: m.backends.cudnn.is_available(),
    "backends.cudnn.version": lambda m: m.backends.cudnn.version(),
    "backends.cudnn flags": lambda m: (m.backends.cudnn.enabled, m.backends.cudnn.benchmark,
                                       m.backends.cudnn.deterministic),
    "accelerator.is_available": lambda m: m.accelerator.is_available(),
    "accelerator.device_count": lambda m: m.accelerator.device_count(),
    "accelerator.current_accelerator": lambda m: m.accelerator.current_accelerator(),
    "tutorial device line": lambda m: str(m.device("cuda" if m.cuda.is_available() else "cpu")),
    "mps device line": lambda m: "mps" if m.backends.mps.is_available() else "cpu",
}


@pytest.mark.parametrize("name", QUERIES)
def test_device_queries_as_torch(name):
    ours, theirs = outcome(QUERIES[name], topograd), outcome(QUERIES[name], torch)
    if theirs[0] == "ok":
        assert ours == theirs
    else:
        same_error(ours, theirs)


def test_device_names_are_exported():
    import topograd as t

    for name in ("device", "set_default_device", "get_default_device", "logspace",
                 "empty_like"):
        assert name in t.__all__ and callable(getattr(t, name))
    assert t.cuda is __import__("topograd.cuda").cuda


DOC_MODULES = ["topograd._device", "topograd.cuda", "topograd.accelerator", "topograd.backends",
               "topograd.backends.mps", "topograd.backends.cudnn", "topograd.utils",
               "topograd.utils.data", "topograd.keras.utils.np_utils"]


@pytest.mark.parametrize("module", DOC_MODULES)
def test_doctests_pass(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("name", ["device", "set_default_device", "get_default_device",
                                  "logspace", "empty_like"])
def test_new_public_callables_documented(name):
    import inspect

    doc = inspect.getdoc(getattr(topograd, name))
    assert doc.splitlines()[0].strip().endswith(".") and ">>>" in doc
    obj = getattr(topograd, name)
    if isinstance(obj, type) or inspect.signature(obj).parameters:
        assert "Args:" in doc
