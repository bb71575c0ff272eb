"""ONNX export of nn.Sequential models: onnxruntime agrees with topograd to 1e-5."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from topograd.onnx import export  # noqa: E402


def run_onnx(path, x):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def check(net, x, tmp_path, atol=1e-5, **kw):
    """Export with a batch of 2, run both on ``x`` (another batch size), compare."""
    path = tmp_path / "m.onnx"
    example = topograd.tensor(x[:2])
    export(net, example, path, **kw)
    net.eval()
    with topograd.no_grad():
        want = net(topograd.tensor(x)).numpy()
    got = run_onnx(path, x)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, atol=atol, rtol=1e-5)
    return onnx.load(str(path))


def trained_bn_net():
    topograd.manual_seed(0)
    net = nn.Sequential(nn.Linear(12, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.5),
                        nn.Linear(32, 10), nn.Softmax(dim=1))
    net.train()
    with topograd.no_grad():
        for _ in range(3):
            net(topograd.randn(64, 12) * 3 + 1)
    return net


def test_mlp_with_batchnorm_dropout_softmax(tmp_path):
    net = trained_bn_net()
    x = np.random.default_rng(0).normal(size=(37, 12)).astype(np.float32)
    proto = check(net, x, tmp_path)
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "BatchNormalization", "Relu",
                                                     "Gemm", "Softmax"]
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 12


def test_mode_is_restored(tmp_path):
    net = trained_bn_net()
    net.train()
    export(net, topograd.randn(2, 12), tmp_path / "m.onnx")
    assert net.training and net[1].training


@pytest.mark.parametrize("act", [nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.LeakyReLU(0.2),
                                 nn.ELU(0.7), nn.GELU(), nn.GELU("tanh"), nn.Softplus(),
                                 nn.Softplus(beta=2.0), nn.LogSoftmax(dim=1),
                                 nn.Softmax(dim=-1), nn.Identity()])
def test_activations(tmp_path, act):
    topograd.manual_seed(1)
    net = nn.Sequential(nn.Linear(5, 7), act, nn.Linear(7, 3))
    x = (np.random.default_rng(1).normal(size=(9, 5)) * 3).astype(np.float32)
    check(net, x, tmp_path)


@pytest.mark.parametrize("opset", [13, 17, 20])
def test_opsets(tmp_path, opset):
    topograd.manual_seed(2)
    net = nn.Sequential(nn.Linear(4, 6), nn.GELU(), nn.Linear(6, 2), nn.Softmax(dim=1))
    x = np.random.default_rng(2).normal(size=(5, 4)).astype(np.float32)
    proto = check(net, x, tmp_path, opset_version=opset)
    assert proto.opset_import[0].version == opset


def test_flatten_images(tmp_path):
    topograd.manual_seed(3)
    net = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 16), nn.ReLU(), nn.Linear(16, 10),
                        nn.Softmax(dim=1))
    x = np.random.default_rng(3).random((6, 28, 28), dtype=np.float32)
    proto = check(net, x, tmp_path)
    assert proto.graph.node[0].op_type == "Flatten"


def test_partial_flatten_and_linear_on_3d(tmp_path):
    topograd.manual_seed(4)
    net = nn.Sequential(nn.Flatten(start_dim=2), nn.Linear(6, 4), nn.ReLU(),
                        nn.Flatten(), nn.Linear(12, 2))
    x = np.random.default_rng(4).normal(size=(5, 3, 2, 3)).astype(np.float32)
    check(net, x, tmp_path)


def test_float64_and_nested_sequential(tmp_path):
    topograd.manual_seed(5)
    inner = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    net = nn.Sequential(inner, nn.Linear(4, 2)).double()
    x = np.random.default_rng(5).normal(size=(4, 3))
    proto = check(net, x, tmp_path, atol=1e-12)
    assert proto.graph.initializer[0].data_type == onnx.TensorProto.DOUBLE


def test_batchnorm_without_affine(tmp_path):
    topograd.manual_seed(6)
    net = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5, affine=False, eps=1e-3))
    net.train()
    with topograd.no_grad():
        net(topograd.randn(20, 3))
    check(net, np.random.default_rng(6).normal(size=(4, 3)).astype(np.float32), tmp_path)


def test_unsupported_layer_is_named(tmp_path):
    class Weird(nn.Module):
        def forward(self, x):
            return x * 2

    net = nn.Sequential(nn.Linear(3, 3), Weird())
    with pytest.raises(NotImplementedError, match=r"layer '1' \(Weird\)"):
        export(net, topograd.randn(2, 3), tmp_path / "w.onnx")
    assert not (tmp_path / "w.onnx").exists()
    stats = nn.Sequential(nn.BatchNorm1d(3, track_running_stats=False))
    with pytest.raises(NotImplementedError, match="running statistics"):
        export(stats, topograd.randn(2, 3), tmp_path / "w.onnx")


def test_returns_proto_without_path():
    net = nn.Sequential(nn.Linear(3, 2))
    proto = export(net, np.zeros((1, 3), np.float32))
    assert proto.producer_name == "topograd"
    onnx.checker.check_model(proto)
