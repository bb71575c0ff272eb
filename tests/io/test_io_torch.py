"""State dicts cross between topograd and PyTorch through safetensors, both ways."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd import nn
from topograd.io import MismatchError, load_weights, save_weights

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")


def tg_net(dtype=None):
    net = nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2),
                        nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 4), nn.Softmax(dim=1))
    return net.double() if dtype == "float64" else net


def torch_net(dtype=None):
    tn = torch.nn
    net = tn.Sequential(tn.Linear(10, 16), tn.BatchNorm1d(16), tn.ReLU(), tn.Dropout(0.2),
                        tn.Linear(16, 8), tn.Tanh(), tn.Linear(8, 4), tn.Softmax(dim=1))
    return net.double() if dtype == "float64" else net


def warm_up(net, x):
    """A few training-mode passes so BatchNorm's running statistics are not the defaults."""
    net.train()
    for i in range(3):
        net(x[i::3])
    net.eval()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_topograd_to_pytorch(tmp_path, dtype):
    topograd.manual_seed(0)
    x = np.random.default_rng(0).normal(size=(30, 10)).astype(dtype)
    net = tg_net(dtype)
    with topograd.no_grad():
        warm_up(net, topograd.tensor(x))
    path = tmp_path / "tg.safetensors"
    topograd.save(net.state_dict(), path)

    tnet = torch_net(dtype)
    result = tnet.load_state_dict(st_torch.load_file(str(path)), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    tnet.eval()
    with torch.no_grad():
        expected = tnet(torch.from_numpy(x)).numpy()
    got = net(topograd.tensor(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert int(tnet[1].num_batches_tracked) == 3


def test_pytorch_to_topograd(tmp_path):
    torch.manual_seed(0)
    tnet = torch_net()
    x = torch.randn(30, 10)
    with torch.no_grad():
        warm_up(tnet, x)
        expected = tnet(x).numpy()
    path = tmp_path / "pt.safetensors"
    st_torch.save_file(tnet.state_dict(), str(path))

    net = tg_net()
    assert list(net.state_dict()) == list(tnet.state_dict())  # PyTorch's names, in order
    load_weights(net, path)  # checked against the model before copying
    net.eval()
    np.testing.assert_allclose(net(topograd.tensor(x.numpy())).numpy(), expected,
                               rtol=1e-5, atol=1e-6)
    net2 = tg_net()
    net2.load_state_dict(topograd.load(path))  # the plain PyTorch-style face works too
    net2.eval()
    np.testing.assert_allclose(net2(topograd.tensor(x.numpy())).numpy(), expected,
                               rtol=1e-5, atol=1e-6)


def test_save_weights_load_weights_round_trip(tmp_path):
    topograd.manual_seed(1)
    a, b = tg_net(), tg_net()
    with topograd.no_grad():
        warm_up(a, topograd.randn(30, 10))
    save_weights(a, tmp_path / "w.safetensors")
    load_weights(b, tmp_path / "w.safetensors")
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        np.testing.assert_array_equal(va.numpy(), vb.numpy())


def test_mismatches_name_file_and_tensor(tmp_path):
    path = tmp_path / "m.safetensors"
    save_weights(tg_net(), path)
    small = nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(16, 8))
    with pytest.raises(MismatchError, match=r"m\.safetensors.*'6\.weight' is not part of"):
        load_weights(small, path)
    big = nn.Sequential(*tg_net(), nn.Linear(4, 2))
    with pytest.raises(MismatchError, match=r"m\.safetensors.*'8\.weight' is missing"):
        load_weights(big, path)
    wide = nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(16, 9), nn.Tanh(), nn.Linear(8, 4), nn.Softmax(dim=1))
    before = wide[4].weight.numpy().copy()
    with pytest.raises(MismatchError, match=r"m\.safetensors.*'4\.weight' has shape \(8, 16\) "
                                            r"but the model expects \(9, 16\)"):
        load_weights(wide, path)
    np.testing.assert_array_equal(wide[4].weight.numpy(), before)  # nothing was copied
    with pytest.raises(MismatchError, match=r"'0\.weight' has dtype float32 but the model "
                                            r"expects float64"):
        load_weights(tg_net("float64"), path)
    # non-strict: loads what is there, still refuses a wrong shape
    load_weights(small, path, strict=False)


def test_integer_tensor_where_floats_expected(tmp_path):
    path = tmp_path / "int.safetensors"
    sd = {k: v.numpy().astype(np.int64) if k == "0.bias" else v
          for k, v in tg_net().state_dict().items()}
    topograd.save(sd, path)
    with pytest.raises(MismatchError, match=r"int\.safetensors.*'0\.bias' has dtype int64"):
        load_weights(tg_net(), path)


def test_checkpoint_is_not_a_state_dict(tmp_path):
    path = tmp_path / "ck.safetensors"
    topograd.save({"model": tg_net().state_dict(), "epoch": 2}, path)
    with pytest.raises(MismatchError, match="not a state dict"):
        load_weights(tg_net(), path)
