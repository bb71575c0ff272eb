"""Shape and movement: edge cases, indexing with repeats, and error messages."""

from __future__ import annotations

import numpy as np
import pytest

import topograd


def leaf(v):
    return topograd.tensor(v, dtype=topograd.float64, requires_grad=True)


# -- indexing ---------------------------------------------------------------------------

def test_repeated_indices_accumulate():
    x = leaf(np.arange(6.0))
    x[[0, 0, 2, 5, 5, 5]].backward(topograd.ones(6, dtype=topograd.float64))
    assert x.grad.tolist() == [2.0, 0.0, 1.0, 0.0, 0.0, 3.0]
    y = leaf(np.arange(6.0))
    y[topograd.tensor([1, 1, 4])].sum().backward()
    assert y.grad.tolist() == [0.0, 2.0, 0.0, 0.0, 1.0, 0.0]


def test_repeated_indices_in_two_steps_and_2d():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    x[[0, 0]][:, [1, 1]].sum().backward()
    assert x.grad.tolist() == [[0.0, 4.0], [0.0, 0.0]]
    z = leaf(np.zeros((3, 3)))
    z[[0, 0, 2], [1, 1, 2]].sum().backward()
    assert z.grad.tolist() == [[0.0, 2.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]


def test_boolean_indexing():
    x = leaf([-1.0, 2.0, -3.0, 4.0])
    y = x[x > 0]
    assert y.tolist() == [2.0, 4.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 1.0]
    assert topograd.arange(3.0)[[True, False, True]].tolist() == [0.0, 2.0]


def test_index_forms():
    x = topograd.arange(12.0).reshape(3, 4)
    assert x[-1, -2].item() == 10.0
    assert x[..., None].shape == (3, 4, 1) and x[:, None, 1].shape == (3, 1)
    assert x[1].shape == (4,) and x[1:, ::2].shape == (2, 2)
    assert x[topograd.tensor(1)].tolist() == [4.0, 5.0, 6.0, 7.0]
    assert x[[]].shape == (0, 4)
    assert x[[0, 2], 1:3].tolist() == [[1.0, 2.0], [9.0, 10.0]]
    s = topograd.tensor(2.0)
    assert s[()].item() == 2.0 and s[None].shape == (1,)


def test_index_errors():
    x = topograd.zeros(2, 3)
    with pytest.raises(IndexError, match=r"index 5 is invalid for a tensor of shape \(2, 3\)"):
        x[5]
    with pytest.raises(IndexError, match="integer"):
        x[topograd.tensor([0.0, 1.0])]


# -- reshape, squeeze, permute, expand, repeat ----------------------------------------------

def test_reshape_view_flatten():
    x = topograd.arange(24.0)
    assert x.reshape(2, 3, 4).shape == (2, 3, 4) and x.view(-1, 4).shape == (6, 4)
    assert x.reshape((4, 6)).shape == (4, 6) and x.view([2, 12]).shape == (2, 12)
    assert x.reshape(2, 3, 4).flatten(1).shape == (2, 12)
    assert x.reshape(2, 3, 4).flatten(0, 1).shape == (6, 4)
    assert topograd.tensor(1.0).flatten().shape == (1,)
    assert topograd.zeros(0, 3).reshape(-1, 3).shape == (0, 3)
    assert x.reshape(2, 12).unflatten(1, (3, 4)).shape == (2, 3, 4)
    with pytest.raises(RuntimeError, match=r"shape '\[5, 5\]' is invalid for input of size 24"):
        x.reshape(5, 5)
    with pytest.raises(RuntimeError, match="invalid for input of size 24"):
        x.view(-1, -1)


def test_squeeze_unsqueeze():
    x = topograd.zeros(1, 3, 1)
    assert x.squeeze().shape == (3,) and x.squeeze(0).shape == (3, 1)
    assert x.squeeze(-1).shape == (1, 3) and x.squeeze(1).shape == (1, 3, 1)
    assert x.squeeze((0, 2)).shape == (3,)
    assert x.unsqueeze(-1).shape == (1, 3, 1, 1) and x.unsqueeze(0).shape == (1, 1, 3, 1)
    assert topograd.tensor(1.0).unsqueeze(0).shape == (1,)
    with pytest.raises(IndexError, match=r"range of \[-4, 3\], but got 5"):
        x.unsqueeze(5)


def test_permute_transpose():
    x = topograd.zeros(2, 3, 4)
    assert x.permute(-1, 0, 1).shape == (4, 2, 3) and x.permute([2, 0, 1]).shape == (4, 2, 3)
    assert x.transpose(-1, -3).shape == (4, 3, 2) and x.swapaxes(0, 1).shape == (3, 2, 4)
    assert topograd.zeros(3).transpose(0, -1).shape == (3,)
    with pytest.raises(IndexError, match="Dimension out of range"):
        topograd.zeros(3).transpose(0, 1)
    with pytest.raises(RuntimeError, match="repeated dim"):
        x.permute(0, 0, 1)
    with pytest.raises(RuntimeError, match="number of dimensions"):
        x.permute(0, 1)
    with pytest.raises(RuntimeError, match="<= 2 dimensions"):
        x.t()


def test_expand_and_repeat():
    x = topograd.tensor([[1.0], [2.0]])
    assert x.expand(2, 3).tolist() == [[1.0] * 3, [2.0] * 3]
    assert x.expand(-1, 3).shape == (2, 3) and x.expand(4, -1, 3).shape == (4, 2, 3)
    assert x.expand_as(topograd.zeros(2, 5)).shape == (2, 5)
    with pytest.raises(RuntimeError, match=r"expanded size of the tensor \(4\) must match the "
                                           r"existing size \(2\) at non-singleton dimension 0"):
        x.expand(4, 3)
    with pytest.raises(RuntimeError, match="-1 is not allowed"):
        x.expand(-1, 2, 3)
    np.testing.assert_array_equal(x.repeat(2, 3).numpy(), np.tile(x.numpy(), (2, 3)))
    assert topograd.ones(3).repeat(2).shape == (6,)
    assert topograd.ones(2, 1).repeat(1, 3, 2).shape == (1, 6, 2)


# -- reductions: dims, keepdim, spellings -----------------------------------------------

def test_reduction_dim_spellings():
    x = topograd.arange(24.0).reshape(2, 3, 4)
    a = x.numpy()
    np.testing.assert_array_equal(x.sum(-1).numpy(), a.sum(-1))
    np.testing.assert_array_equal(x.sum(dim=(0, 2)).numpy(), a.sum((0, 2)))
    np.testing.assert_array_equal(x.sum(axis=1, keepdims=True).numpy(), a.sum(1, keepdims=True))
    np.testing.assert_array_equal(x.mean(axis=(0, 1)).numpy(), a.mean((0, 1)))
    assert x.max(axis=0).values.shape == (3, 4)
    assert x.min(dim=2, keepdim=True).indices.shape == (2, 3, 1)
    assert x.sum(1, keepdim=True).shape == (2, 1, 4) and x.sum((-1, -2)).shape == (2,)
    assert topograd.sum(x, dim=1).shape == (2, 4)


def test_max_min_with_dim_return_values_and_indices():
    x = topograd.tensor([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]], requires_grad=True)
    values, indices = x.max(1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert indices.dtype == topograd.int64 and not indices.requires_grad
    values.sum().backward()
    # ties: the whole gradient goes to the returned index, as torch.max(dim) does
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    x.grad = None
    x.max().backward()  # the full reduction shares it among ties (torch.max() does too)
    assert x.grad.tolist() == [[0.0, 0.0, 0.0], [0.5, 0.0, 0.5]]
    r = x.min(dim=0, keepdim=True)
    assert r.values.tolist() == [[1.0, 2.0, 5.0]] and r.indices.tolist() == [[0, 1, 0]]
    assert topograd.max(x, 1).indices.tolist() == [1, 0]
    assert x.max(topograd.tensor([3.0, 3.0, 3.0])).tolist() == [[3.0, 5.0, 5.0],
                                                               [7.0, 3.0, 7.0]]
    with pytest.raises(RuntimeError, match="non-empty"):
        topograd.zeros(0).max()


def test_zero_dim_tensors_accept_dim_0_and_minus_1():
    s = topograd.tensor(2.0, requires_grad=True)
    for out in (s.sum(0), s.sum(-1), s.mean(0), s.logsumexp(0), s.amax(0)):
        assert out.shape == () and out.item() == pytest.approx(2.0)
    v, i = s.max(0)
    assert v.item() == 2.0 and i.item() == 0
    assert s.softmax(0).item() == 1.0
    s.sum(0).backward()
    assert s.grad.item() == 1.0


def test_var_std_correction():
    x = topograd.tensor([1.0, 2.0, 3.0, 4.0])
    assert x.var().item() == pytest.approx(5 / 3)
    assert x.var(correction=0).item() == pytest.approx(1.25)
    assert x.var(unbiased=False).item() == pytest.approx(1.25)
    assert x.std(correction=0).item() == pytest.approx(1.25**0.5)
    m = topograd.tensor([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(m.var(0).numpy(), [2.0, 4.5])
    np.testing.assert_allclose(m.std(1, keepdim=True).numpy(), [[0.5**0.5], [2.0**0.5]],
                               rtol=1e-6)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):  # as torch
        assert np.isnan(topograd.tensor([1.0]).std().item())  # n - 1 = 0, as torch


def test_logsumexp_with_minus_inf_rows():
    x = topograd.tensor([[-np.inf, -np.inf], [0.0, 1.0], [-np.inf, 0.0]])
    out = x.logsumexp(1)
    assert out[0].item() == -np.inf
    np.testing.assert_allclose(out[1:].numpy(), [np.log(1 + np.e), 0.0], rtol=1e-6)
    big = topograd.tensor([1000.0, 1000.0])
    assert big.logsumexp(0).item() == pytest.approx(1000 + np.log(2))


def test_softmax_is_stable():
    x = topograd.tensor([1000.0, 0.0, -1000.0])
    np.testing.assert_allclose(x.softmax(0).numpy(), [1.0, 0.0, 0.0])
    assert np.isfinite(x.log_softmax(0).numpy()).all()


def test_empty_tensors():
    e = topograd.zeros(0, 3, requires_grad=True)
    assert e.sum().item() == 0.0 and e.sum(0).tolist() == [0.0, 0.0, 0.0]
    e.sum().backward()
    assert e.grad.shape == (0, 3)
    assert (e * 2).shape == (0, 3) and topograd.cat([e, topograd.ones(1, 3)]).shape == (1, 3)


# -- cat, stack, split, chunk, pad -----------------------------------------------------------

def test_cat_stack():
    a, b = topograd.ones(2, 2), topograd.zeros(2, 1)
    assert topograd.cat([a, b], -1).shape == (2, 3) and topograd.cat((a, a)).shape == (4, 2)
    assert topograd.cat([a, b], axis=1).shape == (2, 3)
    assert topograd.stack([a, a], -1).shape == (2, 2, 2)
    assert topograd.stack([a[:, 0], b[:, 0]], 1).shape == (2, 2)
    with pytest.raises(RuntimeError, match=r"Sizes of tensors must match except in dimension "
                                           r"0: expected \(2, 2\) \(tensor 0\) but found "
                                           r"\(2, 1\) \(tensor 1\)"):
        topograd.cat([a, b])
    with pytest.raises(RuntimeError, match="zero-dimensional tensor"):
        topograd.cat([topograd.tensor(1.0), topograd.tensor(2.0)])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        topograd.stack([a, b])
    with pytest.raises(ValueError, match="non-empty"):
        topograd.cat([])


def test_stack_same_tensor_sums_gradients():
    a = topograd.ones(2, requires_grad=True)
    topograd.stack([a, a, a * 2]).sum().backward()
    assert a.grad.tolist() == [4.0, 4.0]


def test_split_and_chunk():
    x = topograd.arange(7.0)
    assert [p.shape[0] for p in x.split(3)] == [3, 3, 1]
    assert [p.shape[0] for p in x.split([2, 5])] == [2, 5]
    assert [p.shape for p in topograd.ones(2, 5).split(2, -1)] == [(2, 2), (2, 2), (2, 1)]
    assert [p.shape[0] for p in topograd.ones(5).chunk(3)] == [2, 2, 1]
    assert [p.shape[0] for p in topograd.ones(6).chunk(4)] == [2, 2, 2]  # as torch
    assert [p.shape[0] for p in topograd.zeros(0).chunk(2)] == [0, 0]
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum "
                                           "exactly to 5"):
        topograd.ones(5).split([2, 2])
    with pytest.raises(RuntimeError, match="chunk expects"):
        topograd.ones(5).chunk(0)


def test_pad_negative_widths_crop():
    x = topograd.arange(5.0)
    assert topograd.pad(x, (-1, 2)).tolist() == [1.0, 2.0, 3.0, 4.0, 0.0, 0.0]
    assert topograd.pad(x, (1, -3), value=9.0).tolist() == [9.0, 0.0, 1.0]
    with pytest.raises(RuntimeError, match="negative size"):
        topograd.pad(x, (-3, -3))
    with pytest.raises(RuntimeError, match="divisible by 2"):
        topograd.pad(x, (1,))
    with pytest.raises(NotImplementedError, match="constant"):
        topograd.pad(x, (1, 1), mode="reflect")


# -- error messages in PyTorch's words ----------------------------------------------------

def test_matmul_shape_errors():
    with pytest.raises(RuntimeError, match=r"^mat1 and mat2 shapes cannot be multiplied "
                                           r"\(4x10 and 8x5\)$"):
        topograd.ones(4, 10) @ topograd.ones(8, 5)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(1x4 and 8x5\)"):
        topograd.ones(4) @ topograd.ones(8, 5)
    with pytest.raises(RuntimeError, match=r"size mismatch, got input \(4\), mat \(4x10\), "
                                           r"vec \(8\)"):
        topograd.ones(4, 10) @ topograd.ones(8)
    with pytest.raises(RuntimeError, match=r"inconsistent tensor size, expected tensor \[4\] "
                                           r"and src \[8\]"):
        topograd.ones(4) @ topograd.ones(8)
    with pytest.raises(RuntimeError, match=r"\(2, 4, 10\) and \(2, 8, 5\)"):
        topograd.ones(2, 4, 10) @ topograd.ones(2, 8, 5)
    with pytest.raises(RuntimeError, match=r"batch dimensions of \(2, 4, 10\) and \(3, 10, 5\)"):
        topograd.ones(2, 4, 10) @ topograd.ones(3, 10, 5)
    with pytest.raises(RuntimeError, match="at least 1D"):
        topograd.tensor(1.0) @ topograd.ones(2)


def test_matmul_error_matches_torch_text():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as ours:
        topograd.ones(4, 10) @ topograd.ones(8, 5)
    with pytest.raises(RuntimeError) as theirs:
        torch.ones(4, 10) @ torch.ones(8, 5)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                "remainder", "lt", "eq"])
def test_broadcast_error_names_op_and_both_shapes(op):
    a, b = topograd.ones(2, 3, requires_grad=True), topograd.ones(4) + 1
    with pytest.raises(RuntimeError) as err:
        getattr(a, op)(b) if op not in ("remainder",) else a % b
    msg = str(err.value)
    assert "(2, 3)" in msg and "(4,)" in msg
    assert "The size of tensor a (3) must match the size of tensor b (4) at non-singleton " \
           "dimension 1" in msg


def test_broadcast_error_in_where_and_in_place():
    with pytest.raises(RuntimeError, match=r"condition \(2, 3\), x \(4,\) and y \(\)"):
        topograd.where(topograd.ones(2, 3) > 0, topograd.ones(4), 0.0)
    with pytest.raises(RuntimeError, match=r"\(2, 3\) and \(4,\)"):
        topograd.ones(2, 3).add_(topograd.ones(4))


def test_dim_out_of_range_message():
    with pytest.raises(IndexError, match=r"^Dimension out of range \(expected to be in range "
                                         r"of \[-2, 1\], but got 2\)$"):
        topograd.ones(2, 3).sum(2)
