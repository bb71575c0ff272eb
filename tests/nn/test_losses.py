"""Every loss against PyTorch: values and gradients, float32 and float64, reductions,
weights, ignore_index, label smoothing, probability targets; plus target errors and the
softmax-before-cross-entropy warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import topograd
from topograd import nn

F = nn.functional
DTYPES = [np.float32, np.float64]
REDUCTIONS = ["mean", "sum", "none"]


@pytest.fixture(autouse=True)
def _fresh_probability_warning(monkeypatch):
    monkeypatch.setattr(F, "_warned_probabilities", False)


def _tt(torch, a):
    return None if a is None else torch.from_numpy(np.asarray(a))


def _tg(a):
    return None if a is None else topograd.tensor(a)


# -- cross-entropy -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_class_indices(dtype, reduction, weighted, ignore, smoothing, both, rng):
    torch = both.torch
    x = (rng.standard_normal((6, 5)) * 3).astype(dtype)
    y = rng.integers(0, 5, 6)
    ignore_index = -100
    if ignore:
        ignore_index = 2
        y[:2] = 2
    w = rng.uniform(0.2, 2.0, 5).astype(dtype) if weighted else None
    kw = dict(reduction=reduction, ignore_index=ignore_index, label_smoothing=smoothing)
    both(lambda a, t: nn.CrossEntropyLoss(weight=_tg(w), **kw)(a, t),
         lambda a, t: torch.nn.CrossEntropyLoss(weight=_tt(torch, w), **kw)(a, t),
         [x, y], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_probability_targets(dtype, reduction, weighted, smoothing, both, rng):
    torch = both.torch
    x = rng.standard_normal((4, 6)).astype(dtype)
    p = rng.uniform(size=(4, 6)).astype(dtype)
    p /= p.sum(1, keepdims=True)
    w = rng.uniform(0.2, 2.0, 6).astype(dtype) if weighted else None
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    both(lambda a, t: F.cross_entropy(a, t, weight=_tg(w), **kw),
         lambda a, t: torch.nn.functional.cross_entropy(a, t, weight=_tt(torch, w), **kw),
         [x, p], dtype=dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_spatial_and_unbatched(reduction, both, rng):
    torch = both.torch
    x = rng.standard_normal((2, 4, 3, 2))
    y = rng.integers(0, 4, (2, 3, 2))
    y[0, 0, 0] = -100
    w = rng.uniform(0.5, 1.5, 4)
    for smoothing in (0.0, 0.1):
        kw = dict(reduction=reduction, label_smoothing=smoothing)
        both(lambda a, t, kw=kw: F.cross_entropy(a, t, weight=topograd.tensor(w), **kw),
             lambda a, t, kw=kw: torch.nn.functional.cross_entropy(
                 a, t, weight=torch.from_numpy(w), **kw),
             [x, y])
    p = rng.uniform(size=(2, 4, 3))
    p /= p.sum(1, keepdims=True)
    both(lambda a, t: F.cross_entropy(a, t, reduction=reduction),
         lambda a, t: torch.nn.functional.cross_entropy(a, t, reduction=reduction),
         [rng.standard_normal((2, 4, 3)), p])
    both(lambda a, t: F.cross_entropy(a, t, reduction=reduction),
         lambda a, t: torch.nn.functional.cross_entropy(a, t, reduction=reduction),
         [rng.standard_normal(5), np.array(3)])


def test_cross_entropy_large_logits_and_float32_path(rng):
    x = topograd.tensor([[1000.0, -1000.0, 0.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(x, topograd.tensor([1]))
        loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32
    np.testing.assert_allclose(loss.item(), 2000.0)
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, -1.0, 0.0]], atol=1e-7)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n(rng):
    x = topograd.tensor(rng.standard_normal((8, 10)), requires_grad=True)
    y = rng.integers(0, 10, 8)
    F.cross_entropy(x, topograd.tensor(y)).backward()
    p = np.exp(x.numpy())
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), (p - np.eye(10)[y]) / 8, rtol=1e-10)


def test_cross_entropy_all_targets_ignored_is_nan_as_pytorch(both):
    torch = both.torch
    x = np.zeros((2, 3))
    y = np.array([-100, -100])
    ours = F.cross_entropy(topograd.tensor(x), topograd.tensor(y))
    ref = torch.nn.functional.cross_entropy(torch.from_numpy(x), torch.from_numpy(y))
    assert np.isnan(ours.item()) and np.isnan(ref.item())
    assert F.cross_entropy(topograd.tensor(x), topograd.tensor(y), reduction="sum").item() == 0


def test_cross_entropy_target_errors():
    x = topograd.randn(4, 8)
    with pytest.raises(IndexError, match=r"Target 10 is out of bounds: expected class indices "
                                         r"in \[0, 8\)"):
        F.cross_entropy(x, topograd.tensor([1, 2, 10, 3]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        nn.CrossEntropyLoss()(x, topograd.tensor([1, -1, 0, 3]))
    with pytest.raises(RuntimeError, match="integer dtype.*found float32.*class probabilities"):
        F.cross_entropy(x, topograd.tensor([1.0, 2.0, 1.0, 3.0]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(4\) to match target "
                                         r"batch_size \(3\)"):
        F.cross_entropy(x, topograd.tensor([1, 2, 1]))
    with pytest.raises(RuntimeError, match="expected target size"):
        F.cross_entropy(topograd.randn(2, 3, 4), topograd.tensor([[0, 1], [1, 2]]))
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point"):
        F.cross_entropy(x, topograd.rand(4, 8), ignore_index=3)
    with pytest.raises(RuntimeError, match="weight should be a 1D tensor"):
        F.cross_entropy(x, topograd.tensor([0, 1, 2, 3]), weight=topograd.ones(3))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)


def test_cross_entropy_warns_once_on_probabilities(both):
    torch = both.torch
    probs = topograd.tensor([[0.2, 0.8], [0.5, 0.5]], requires_grad=True)
    target = topograd.tensor([1, 0])
    with pytest.warns(UserWarning, match="expects raw, unnormalized scores \\(logits\\) and "
                                         "applies log-softmax itself") as rec:
        loss = nn.CrossEntropyLoss()(probs, target)
    assert len(rec) == 1 and rec[0].filename == __file__
    ref = torch.nn.CrossEntropyLoss()(torch.tensor([[0.2, 0.8], [0.5, 0.5]]),
                                      torch.tensor([1, 0]))
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-6)  # still PyTorch's value
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process: no second warning
        nn.CrossEntropyLoss()(probs, target)


def test_cross_entropy_accepts_plain_targets_and_weights():
    x = topograd.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    ref = F.cross_entropy(x, topograd.tensor([0, 2]), weight=topograd.tensor([1.0, 2.0, 3.0]))
    assert F.cross_entropy(x, [0, 2], weight=[1.0, 2.0, 3.0]).item() == pytest.approx(ref.item())
    probs = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    assert F.cross_entropy(x, probs).item() == pytest.approx(
        F.cross_entropy(x, topograd.tensor([0, 2])).item(), rel=1e-6)
    assert nn.CrossEntropyLoss(weight=[1.0, 2.0, 3.0])(x, [0, 2]).item() == pytest.approx(
        ref.item())


def test_cross_entropy_logits_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.cross_entropy(topograd.tensor([[2.0, -1.0], [0.3, 0.1]]), topograd.tensor([0, 1]))
        F.cross_entropy(topograd.tensor([[0.2, 0.3], [0.1, 0.1]]), topograd.tensor([0, 1]))


# -- nll ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(dtype, reduction, weighted, both, rng):
    torch = both.torch
    x = rng.standard_normal((5, 4)).astype(dtype)
    y = rng.integers(0, 4, 5)
    y[1] = -100
    w = rng.uniform(0.5, 2, 4).astype(dtype) if weighted else None
    both(lambda a, t: nn.NLLLoss(weight=_tg(w), reduction=reduction)(a, t),
         lambda a, t: torch.nn.NLLLoss(weight=_tt(torch, w), reduction=reduction)(a, t),
         [x, y], dtype=dtype)
    both(lambda a, t: F.nll_loss(a, t, reduction=reduction),
         lambda a, t: torch.nn.functional.nll_loss(a, t, reduction=reduction),
         [rng.standard_normal((2, 4, 3)).astype(dtype), rng.integers(0, 4, (2, 3))],
         dtype=dtype)


def test_nll_of_log_softmax_is_cross_entropy(rng):
    x = topograd.tensor(rng.standard_normal((4, 5)))
    y = topograd.tensor(rng.integers(0, 5, 4))
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(x, 1), y).item(),
                               F.cross_entropy(x, y).item(), rtol=1e-12)


# -- regression ------------------------------------------------------------------------------


REGRESSION = [
    ("MSELoss", {}, lambda **k: nn.MSELoss(**k)),
    ("L1Loss", {}, lambda **k: nn.L1Loss(**k)),
    ("HuberLoss", {}, lambda **k: nn.HuberLoss(**k)),
    ("HuberLoss", {"delta": 0.5}, lambda **k: nn.HuberLoss(**k)),
    ("SmoothL1Loss", {}, lambda **k: nn.SmoothL1Loss(**k)),
    ("SmoothL1Loss", {"beta": 0.3}, lambda **k: nn.SmoothL1Loss(**k)),
    ("SmoothL1Loss", {"beta": 0.0}, lambda **k: nn.SmoothL1Loss(**k)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kw,make", REGRESSION, ids=[f"{n}{k}" for n, k, _ in REGRESSION])
def test_regression_losses(name, kw, make, reduction, dtype, both, rng):
    torch = both.torch
    x = (rng.standard_normal((4, 3)) * 2).astype(dtype)
    y = rng.standard_normal((4, 3)).astype(dtype)
    both(make(reduction=reduction, **kw),
         getattr(torch.nn, name)(reduction=reduction, **kw), [x, y], dtype=dtype)


@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_weight(fn, reduction, both, rng):
    torch = both.torch
    x, y = rng.standard_normal((3, 4)) * 2, rng.standard_normal((3, 4))
    w = rng.uniform(0.1, 2, (3, 4))
    both(lambda a, b: getattr(F, fn)(a, b, reduction=reduction, weight=topograd.tensor(w)),
         lambda a, b: getattr(torch.nn.functional, fn)(a, b, reduction=reduction,
                                                       weight=torch.from_numpy(w)),
         [x, y])


def test_regression_target_size_warning():
    with pytest.warns(UserWarning, match="Using a target size .* different to the input size"):
        F.mse_loss(topograd.zeros(4, 1), topograd.zeros(4))


# -- binary --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce(dtype, reduction, weighted, both, rng):
    torch = both.torch
    p = rng.uniform(0.02, 0.98, (4, 3)).astype(dtype)
    p[0, 0], p[0, 1] = 0.0, 1.0  # logs floored at -100, as PyTorch
    y = (rng.uniform(size=(4, 3)) > 0.5).astype(dtype)
    y[0, 0], y[0, 1] = 1.0, 1.0
    w = rng.uniform(0.5, 2, 3).astype(dtype) if weighted else None
    both(lambda a, t: nn.BCELoss(weight=_tg(w), reduction=reduction)(a, t),
         lambda a, t: torch.nn.BCELoss(weight=_tt(torch, w), reduction=reduction)(a, t),
         [p, y], grads=[True, False], dtype=dtype, tol=dict(rtol=2e-5, atol=1e-5))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos_weighted", [False, True])
def test_bce_with_logits(dtype, reduction, weighted, pos_weighted, both, rng):
    torch = both.torch
    x = (rng.standard_normal((4, 3)) * 5).astype(dtype)
    x[0] = [1000.0, -1000.0, 30.0]
    y = rng.uniform(size=(4, 3)).astype(dtype)
    w = rng.uniform(0.5, 2, 3).astype(dtype) if weighted else None
    pw = rng.uniform(0.5, 3, 3).astype(dtype) if pos_weighted else None
    both(lambda a, t: nn.BCEWithLogitsLoss(weight=_tg(w), reduction=reduction,
                                           pos_weight=_tg(pw))(a, t),
         lambda a, t: torch.nn.BCEWithLogitsLoss(weight=_tt(torch, w), reduction=reduction,
                                                 pos_weight=_tt(torch, pw))(a, t),
         [x, y], dtype=dtype)


def test_binary_errors():
    with pytest.raises(RuntimeError, match="between 0 and 1.*with_logits"):
        F.binary_cross_entropy(topograd.tensor([1.5]), topograd.tensor([1.0]))
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(topograd.zeros(4, 1), topograd.zeros(4))


# -- KL divergence and multi-margin ------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(dtype, reduction, log_target, both, rng):
    torch = both.torch
    x = np.log(rng.dirichlet(np.ones(5), 3)).astype(dtype)
    t = rng.dirichlet(np.ones(5), 3).astype(dtype)
    t[0, 0] = 0.0
    if log_target:
        t = np.log(t + 0.1).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reduction='mean' warns in both libraries
        both(nn.KLDivLoss(reduction=reduction, log_target=log_target),
             torch.nn.KLDivLoss(reduction=reduction, log_target=log_target),
             [x, t], grads=[True, log_target], dtype=dtype)


def test_kl_div_mean_warns():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(topograd.zeros(2, 2), topograd.ones(2, 2) / 2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,margin,weighted", [(1, 1.0, False), (1, 0.5, True),
                                               (2, 1.0, False), (2, 2.0, True)])
def test_multi_margin(dtype, reduction, p, margin, weighted, both, rng):
    torch = both.torch
    x = rng.standard_normal((6, 4)).astype(dtype)
    y = rng.integers(0, 4, 6)
    w = rng.uniform(0.5, 2, 4).astype(dtype) if weighted else None
    kw = dict(p=p, margin=margin, reduction=reduction)
    both(lambda a, t: nn.MultiMarginLoss(weight=_tg(w), **kw)(a, t),
         lambda a, t: torch.nn.MultiMarginLoss(weight=_tt(torch, w), **kw)(a, t),
         [x, y], dtype=dtype)
    both(lambda a, t: F.multi_margin_loss(a, t, **kw),
         lambda a, t: torch.nn.functional.multi_margin_loss(a, t, **kw),
         [x[0], np.array(y[0])], dtype=dtype)


def test_multi_margin_errors():
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        F.multi_margin_loss(topograd.zeros(2, 4), topograd.tensor([0, 4]))


# -- shared behaviour -------------------------------------------------------------------------


def test_losses_are_modules_with_buffers():
    w = topograd.ones(3)
    ce = nn.CrossEntropyLoss(weight=w)
    assert list(ce.state_dict()) == ["weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=w).state_dict()) == ["pos_weight"]
    assert repr(ce) == "CrossEntropyLoss()"


def test_legacy_size_average_and_reduce(both, rng):
    torch = both.torch
    x, y = rng.standard_normal(4), rng.standard_normal(4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        both(lambda a, b: F.mse_loss(a, b, size_average=False),
             lambda a, b: torch.nn.functional.mse_loss(a, b, size_average=False), [x, y])
        both(lambda a, b: F.l1_loss(a, b, reduce=False),
             lambda a, b: torch.nn.functional.l1_loss(a, b, reduce=False), [x, y])


def test_one_hot_and_pad(both):
    torch = both.torch
    y = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(F.one_hot(topograd.tensor(y)).numpy(),
                                  torch.nn.functional.one_hot(torch.from_numpy(y)).numpy())
    assert F.one_hot(topograd.tensor([1]), 5).shape == (1, 5)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(topograd.tensor([3]), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(topograd.tensor([-1]), 3)
    both(lambda a: F.pad(a, (1, 2)), lambda a: torch.nn.functional.pad(a, (1, 2)),
         [np.ones((2, 3))])
