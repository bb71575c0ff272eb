"""Module: registration, traversal, modes, gradients, state dicts, casting, printing."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import topograd
from topograd import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(3, 2, bias=False)
        self.scale = nn.Parameter(topograd.ones(1))
        self.register_buffer("steps", topograd.tensor(0))
        self.register_buffer("scratch", topograd.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.drop(self.bn(self.fc1(x)).relu())) * self.scale


def test_registration_and_traversal_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "fc2.weight"]
    assert net.fc2.bias is None
    assert [n for n, _ in net.named_children()] == ["fc1", "bn", "drop", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "bn", "drop", "fc2"]
    assert list(net.children())[1] is net.bn
    assert len(list(net.modules())) == 5
    assert [n for n, _ in net.named_buffers()] == [
        "steps", "scratch", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert net.get_submodule("bn") is net.bn
    assert "fc1" in dir(net) and "scale" in dir(net)


def test_shared_parameters_are_listed_once():
    a = nn.Linear(2, 2)
    seq = nn.Sequential(a, nn.ReLU(), a)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]


def test_reassigning_and_deleting_attributes():
    net = Net()
    net.fc1 = nn.Linear(4, 3, bias=False)
    assert "fc1.bias" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'scale'"):
        net.scale = topograd.ones(1)
    net.scale = None
    assert "scale" not in dict(net.named_parameters())
    net.plain = 3
    assert net.plain == 3 and "plain" not in dict(net.named_parameters())
    del net.bn
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'bn'"):
        _ = net.bn
    with pytest.raises(TypeError, match="topograd.Tensor or None"):
        net.steps = 5
    with pytest.raises(KeyError, match="already exists"):
        net.register_buffer("plain", topograd.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        net.register_parameter("a.b", None)


def test_assignment_before_init_is_explained():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(topograd.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_missing_forward():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


def test_train_eval_propagate():
    net = Net()
    assert net.training and net.bn.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")


def test_zero_grad_and_requires_grad():
    net = Net()
    net(topograd.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    g = net.fc1.weight.grad
    net.zero_grad(set_to_none=False)
    assert net.fc1.weight.grad is g and not g.numpy().any()
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    out = net(topograd.randn(5, 4))
    assert not out.requires_grad


def test_apply_visits_children_first():
    seen = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "BatchNorm1d", "Dropout", "Linear", "Net"]


def test_float_double_keep_parameter_objects():
    net = Net()
    w = net.fc1.weight
    assert net.double() is net
    assert net.fc1.weight is w and w.dtype == np.float64
    assert net.bn.running_var.dtype == np.float64
    assert net.bn.num_batches_tracked.dtype == np.int64  # integer buffers untouched
    assert net.steps.dtype == np.int64
    out = net(topograd.randn(3, 4).double())
    assert out.dtype == np.float64
    net.float()
    assert w.dtype == np.float32
    assert net.to(topograd.float64).fc2.weight.dtype == np.float64
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        net.to("cuda")  # PyTorch's CPU build's error


def test_state_dict_names_and_round_trip():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["scale", "steps", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias",
                        "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
                        "fc2.weight"]
    assert "scratch" not in sd  # non-persistent
    assert not sd["fc1.weight"].requires_grad
    assert np.shares_memory(sd["fc1.weight"].numpy(), net.fc1.weight.numpy())
    other = Net()
    w_obj = other.fc1.weight
    result = other.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert other.fc1.weight is w_obj  # copied into, not replaced
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy())
    # plain arrays load too
    other.load_state_dict({k: v.numpy() * 0 for k, v in sd.items()})
    assert not other.fc1.weight.numpy().any()


def test_state_dict_order_matches_pytorch():
    torch = pytest.importorskip("torch")

    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(4, 3)
            self.bn = torch.nn.BatchNorm1d(3)
            self.drop = torch.nn.Dropout(0.2)
            self.fc2 = torch.nn.Linear(3, 2, bias=False)
            self.scale = torch.nn.Parameter(torch.ones(1))
            self.register_buffer("steps", torch.tensor(0))
            self.register_buffer("scratch", torch.zeros(2), persistent=False)

    assert list(Net().state_dict()) == list(TNet().state_dict())
    assert [n for n, _ in Net().named_parameters()] == [n for n, _ in TNet().named_parameters()]
    assert [n for n, _ in Net().named_buffers()] == [n for n, _ in TNet().named_buffers()]


def test_load_state_dict_reports_keys_by_name():
    net = nn.Linear(3, 2)
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict({"weight": topograd.zeros(3, 3), "foo": topograd.zeros(1)})
    msg = str(err.value)
    assert msg.startswith("Error(s) in loading state_dict for Linear:")
    assert 'Missing key(s) in state_dict: "bias".' in msg
    assert 'Unexpected key(s) in state_dict: "foo".' in msg
    assert ("size mismatch for weight: copying a param with shape topograd.Size([3, 3]) from "
            "checkpoint, the shape in current model is topograd.Size([2, 3]).") in msg
    res = net.load_state_dict({"weight": topograd.ones(2, 3), "extra": topograd.ones(1)},
                              strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["extra"]
    assert net.weight.numpy().min() == 1
    with pytest.raises(RuntimeError, match="size mismatch for bias"):
        net.load_state_dict({"weight": topograd.ones(2, 3), "bias": topograd.ones(5)},
                            strict=False)


def test_load_nested_missing_key_named_with_prefix():
    seq = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    sd = seq.state_dict()
    del sd["1.running_var"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "1.running_var"'):
        seq.load_state_dict(sd)
    sd = seq.state_dict()
    del sd["1.num_batches_tracked"]  # as PyTorch: an old checkpoint may lack the counter
    assert seq.load_state_dict(sd).missing_keys == []


def test_pytorch_state_dict_loads_into_topograd_and_back():
    torch = pytest.importorskip("torch")
    ref = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU(),
                              torch.nn.Linear(3, 2))
    ref.train()
    ref(torch.randn(8, 4))  # move the running statistics
    ours = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    ours.eval()
    ref.eval()
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(topograd.tensor(x)).numpy(),
                               ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    back = {k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()}
    ref.load_state_dict(back)


def test_repr_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(
        nn.Linear(2, 3), nn.ReLU(), nn.BatchNorm1d(3, affine=False), nn.Dropout(),
        nn.Softmax(), nn.GELU(approximate="tanh"), nn.ELU(alpha=0.5), nn.Softplus(beta=2.0),
        nn.LeakyReLU(0.2), nn.Flatten(), nn.Identity(), nn.Tanh(), nn.Sigmoid(),
        nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 3), nn.ReLU()]), nn.LogSoftmax(dim=1),
        nn.Linear(3, 1, bias=False), nn.CrossEntropyLoss(), nn.MSELoss(), nn.HuberLoss(),
    )
    t = torch.nn
    ref = t.Sequential(
        t.Linear(2, 3), t.ReLU(), t.BatchNorm1d(3, affine=False), t.Dropout(),
        t.Softmax(), t.GELU(approximate="tanh"), t.ELU(alpha=0.5), t.Softplus(beta=2.0),
        t.LeakyReLU(0.2), t.Flatten(), t.Identity(), t.Tanh(), t.Sigmoid(),
        t.ModuleList([t.Linear(3, 3), t.Linear(3, 3), t.ReLU()]), t.LogSoftmax(dim=1),
        t.Linear(3, 1, bias=False), t.CrossEntropyLoss(), t.MSELoss(), t.HuberLoss(),
    )
    assert repr(ours) == repr(ref)


def test_custom_extra_repr_and_nesting():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(2, 2))

        def extra_repr(self):
            return "depth=1"

    assert repr(Block()) == (
        "Block(\n  depth=1\n  (body): Sequential(\n    (0): Linear(in_features=2, "
        "out_features=2, bias=True)\n  )\n)"
    )


def test_forward_hooks():
    layer = nn.Linear(2, 2)
    shapes = []
    h1 = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = layer.register_forward_hook(lambda m, args, out: shapes.append(tuple(out.shape)))
    out = layer(topograd.ones(3, 2))
    np.testing.assert_allclose(out.numpy(), np.broadcast_to(layer.bias.numpy(), (3, 2)))
    assert shapes == [(3, 2)]
    h1.remove()
    h2.remove()
    layer(topograd.ones(3, 2))
    assert shapes == [(3, 2)]


def test_sequential_from_ordered_dict_names():
    seq = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert [n for n, _ in seq.named_parameters()] == ["hidden.weight", "hidden.bias"]
    assert seq.hidden is seq[0]


def test_deepcopy_gives_an_independent_module():
    import copy

    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    clone = copy.deepcopy(model)
    clone[0].weight.numpy()[...] = 0
    assert model[0].weight.numpy().any()
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight.requires_grad
    clone(topograd.randn(4, 2)).sum().backward()
    assert clone[0].weight.grad is not None and model[0].weight.grad is None
