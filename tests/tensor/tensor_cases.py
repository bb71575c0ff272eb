"""The table of differentiable operations the tensor tests sweep.

Each case runs one lambda on both libraries: ``fn(m, *xs)`` where ``m`` is a namespace
holding the library's spellings (``m.cat``, ``m.pad``, ...), so one line serves topograd
and PyTorch alike (tinygrad's ``helper_test_op`` idea).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

import topograd

TG = SimpleNamespace(
    lib=topograd, cat=topograd.cat, stack=topograd.stack, where=topograd.where,
    pad=topograd.pad, tensor=topograd.tensor,
)


def torch_namespace(torch):
    """The same spellings for PyTorch."""
    import torch.nn.functional as F

    return SimpleNamespace(lib=torch, cat=torch.cat, stack=torch.stack, where=torch.where,
                           pad=F.pad, tensor=torch.tensor)


def sample(shape, domain: str, rng: np.random.Generator) -> np.ndarray:
    """Float64 values of ``shape`` from a domain where the op is smooth.

    any: standard normal; pos: [0.5, 2); away: |x| in [0.2, 2) (kinks at 0 avoided);
    distinct: a permutation of spread values (no ties for max/min); unit: (-0.9, 0.9);
    frac: x / 0.7 far from integers (remainder is smooth there).
    """
    n = int(np.prod(shape, dtype=np.int64))
    if domain == "any":
        a = rng.standard_normal(n)
    elif domain == "pos":
        a = rng.uniform(0.5, 2.0, n)
    elif domain == "away":
        a = rng.uniform(0.2, 2.0, n) * rng.choice([-1.0, 1.0], n)
    elif domain == "distinct":
        a = rng.permutation(n) * 0.37 - 0.2 * n + rng.uniform(-0.05, 0.05, n)
    elif domain == "unit":
        a = rng.uniform(-0.9, 0.9, n)
    elif domain == "frac":
        a = (rng.integers(-3, 4, n) + rng.uniform(0.2, 0.8, n)) * 0.7
    else:
        raise ValueError(domain)
    return a.reshape(shape)


@dataclass
class Case:
    """One differentiable operation on inputs of given shapes and domains."""

    name: str
    fn: object  # fn(m, *tensors)
    shapes: list  # one shape per input
    domains: list = field(default_factory=lambda: ["any"])
    smooth: bool = True  # second derivatives are checked too

    def arrays(self, seed: int = 0) -> list:
        rng = np.random.default_rng(seed)
        doms = self.domains * len(self.shapes) if len(self.domains) == 1 else self.domains
        return [sample(s, d, rng) for s, d in zip(self.shapes, doms)]

    @property
    def id(self) -> str:
        return f"{self.name}-" + "-".join("x".join(map(str, s)) or "scalar" for s in self.shapes)


def _unary(name, fn, shapes, domain="any", smooth=True):
    return [Case(name, fn, [s], [domain], smooth) for s in shapes]


ELEMENTWISE_SHAPES = [(), (1,), (4,), (2, 1, 3), (3, 4)]

CASES: list[Case] = []
CASES += _unary("neg", lambda m, x: -x, ELEMENTWISE_SHAPES)
CASES += _unary("exp", lambda m, x: x.exp(), ELEMENTWISE_SHAPES)
CASES += _unary("log", lambda m, x: x.log(), ELEMENTWISE_SHAPES, "pos")
CASES += _unary("sqrt", lambda m, x: x.sqrt(), ELEMENTWISE_SHAPES, "pos")
CASES += _unary("abs", lambda m, x: x.abs(), ELEMENTWISE_SHAPES, "away")
CASES += _unary("sin", lambda m, x: x.sin(), ELEMENTWISE_SHAPES)
CASES += _unary("cos", lambda m, x: x.cos(), ELEMENTWISE_SHAPES)
CASES += _unary("tanh", lambda m, x: x.tanh(), ELEMENTWISE_SHAPES)
CASES += _unary("sigmoid", lambda m, x: x.sigmoid(), ELEMENTWISE_SHAPES)
CASES += _unary("relu", lambda m, x: x.relu(), ELEMENTWISE_SHAPES, "away")
CASES += _unary("square", lambda m, x: x.square(), [(), (3, 4)])
CASES += _unary("reciprocal", lambda m, x: x.reciprocal(), [(), (3, 4)], "away")
CASES += _unary("pow3", lambda m, x: x**3, ELEMENTWISE_SHAPES)
CASES += _unary("pow2", lambda m, x: x**2, [(), (3, 4)])
CASES += _unary("pow0", lambda m, x: x**0, [(), (3, 4)])
CASES += _unary("pow_half", lambda m, x: x**0.5, [(), (3, 4)], "pos")
CASES += _unary("pow_neg", lambda m, x: x**-1.5, [(), (3, 4)], "pos")
CASES += _unary("rpow", lambda m, x: 2.0**x, [(), (3, 4)])
CASES += _unary("radd", lambda m, x: 2.5 + x, [(), (3, 4)])
CASES += _unary("rsub", lambda m, x: 2.5 - x, [(), (3, 4)])
CASES += _unary("rmul", lambda m, x: -3.0 * x, [(), (3, 4)])
CASES += _unary("rdiv", lambda m, x: 1.5 / x, [(), (3, 4)], "away")
CASES += _unary("div_scalar", lambda m, x: x / 4.0, [(), (3, 4)])
CASES += _unary("sub_scalar", lambda m, x: x - 1, [(), (3, 4)])
CASES += _unary("remainder", lambda m, x: x % 0.7, [(), (3, 4)], "frac")
CASES += _unary("clamp", lambda m, x: x.clamp(-0.5, 0.5), [(), (3, 4)], "away")
CASES += _unary("clamp_min", lambda m, x: x.clamp(min=0.1), [(3, 4)], "away")
CASES += _unary("clip", lambda m, x: x.clip(max=0.3), [(3, 4)], "away")
CASES += _unary("softmax", lambda m, x: x.softmax(-1), [(4,), (3, 4), (2, 3, 4)])
CASES += _unary("softmax0", lambda m, x: x.softmax(0), [(3, 4), (2, 1, 3)])
CASES += _unary("log_softmax", lambda m, x: x.log_softmax(1), [(3, 4), (2, 3, 4)])
CASES += _unary("log_softmax_neg", lambda m, x: x.log_softmax(-1), [(1,), (3, 4)])
# reductions
CASES += _unary("sum", lambda m, x: x.sum(), [(), (1,), (3, 4), (2, 1, 3)])
CASES += _unary("sum_dim", lambda m, x: x.sum(1), [(3, 4), (2, 1, 3)])
CASES += _unary("sum_neg_keep", lambda m, x: x.sum(-1, keepdim=True), [(3, 4), (2, 1, 3)])
CASES += _unary("sum_tuple", lambda m, x: x.sum((0, 2)), [(2, 1, 3), (2, 3, 4)])
CASES += _unary("mean", lambda m, x: x.mean(), [(), (3, 4), (2, 1, 3)])
CASES += _unary("mean_dim", lambda m, x: x.mean(0, keepdim=True), [(3, 4), (1, 3)])
CASES += _unary("mean_tuple", lambda m, x: x.mean((-1, -2)), [(2, 3, 4)])
CASES += _unary("var", lambda m, x: x.var(), [(3, 4), (5,)])
CASES += _unary("var_dim", lambda m, x: x.var(1), [(3, 4), (2, 3, 4)])
CASES += _unary("var_c0", lambda m, x: x.var(0, correction=0, keepdim=True), [(3, 4)])
CASES += _unary("std", lambda m, x: x.std(), [(3, 4)])
CASES += _unary("std_dim", lambda m, x: x.std(-1, keepdim=True), [(3, 4), (2, 3, 4)])
CASES += _unary("logsumexp", lambda m, x: x.logsumexp(1), [(3, 4), (2, 3, 4)])
CASES += _unary("logsumexp_keep", lambda m, x: x.logsumexp((0, 1), keepdim=True),
                [(3, 4), (2, 1, 3)])
CASES += _unary("max", lambda m, x: x.max(), [(), (3, 4), (2, 1, 3)], "distinct", False)
CASES += _unary("min", lambda m, x: x.min(), [(3, 4)], "distinct", False)
CASES += _unary("max_dim", lambda m, x: x.max(1)[0], [(3, 4), (2, 3, 4)], "distinct", False)
CASES += _unary("max_dim_keep", lambda m, x: x.max(-1, keepdim=True).values, [(3, 4)],
                "distinct", False)
CASES += _unary("min_dim", lambda m, x: x.min(0).values, [(3, 4), (1, 3)], "distinct", False)
CASES += _unary("amax", lambda m, x: x.amax(1), [(3, 4)], "distinct", False)
CASES += _unary("amin", lambda m, x: x.amin((0, 1)), [(2, 3, 4)], "distinct", False)
# movement
CASES += _unary("reshape", lambda m, x: x.reshape(4, 3), [(3, 4), (12,)])
CASES += _unary("view_neg", lambda m, x: x.view(-1), [(3, 4), (2, 1, 3)])
CASES += _unary("reshape_scalar", lambda m, x: x.reshape(1, 1), [()])
CASES += _unary("flatten", lambda m, x: x.flatten(), [(), (3, 4), (2, 1, 3)])
CASES += _unary("flatten1", lambda m, x: x.flatten(1), [(2, 3, 4)])
CASES += _unary("transpose", lambda m, x: x.transpose(0, 1), [(3, 4), (2, 3, 4)])
CASES += _unary("transpose_neg", lambda m, x: x.transpose(-1, -3), [(2, 3, 4)])
CASES += _unary("permute", lambda m, x: x.permute(2, 0, 1), [(2, 3, 4), (2, 1, 3)])
CASES += _unary("T", lambda m, x: x.T, [(3, 4)])
CASES += _unary("mT", lambda m, x: x.mT, [(2, 3, 4)])
CASES += _unary("squeeze", lambda m, x: x.squeeze(), [(1,), (2, 1, 3), (1, 3, 1)])
CASES += _unary("squeeze_dim", lambda m, x: x.squeeze(1), [(2, 1, 3)])
CASES += _unary("unsqueeze", lambda m, x: x.unsqueeze(0), [(), (3, 4)])
CASES += _unary("unsqueeze_neg", lambda m, x: x.unsqueeze(-1), [(3, 4)])
CASES += _unary("expand", lambda m, x: x.expand(2, 3, 4), [(1,), (3, 1), (1, 4), (3, 4)])
CASES += _unary("expand_neg1", lambda m, x: x.expand(2, -1, 4), [(3, 1)])
CASES += _unary("expand_scalar", lambda m, x: x.expand(3), [()])
CASES += _unary("repeat", lambda m, x: x.repeat(2, 3), [(3,), (2, 2)])
CASES += _unary("repeat_new_dims", lambda m, x: x.repeat(2, 1, 2), [(2, 3)])
CASES += _unary("index_int", lambda m, x: x[1], [(3, 4)])
CASES += _unary("index_neg", lambda m, x: x[-1, -2], [(3, 4)])
CASES += _unary("slice", lambda m, x: x[1:, ::2], [(3, 4)])
CASES += _unary("slice_neg_step_free", lambda m, x: x[..., 1:3], [(2, 3, 4)])
CASES += _unary("index_none", lambda m, x: x[:, None, 1], [(3, 4)])
CASES += _unary("fancy_repeat", lambda m, x: x[[0, 0, 2, 1, 0]], [(3, 4)])
CASES += _unary("fancy_2d", lambda m, x: x[[0, 2, 2], [1, 1, 3]], [(3, 4)])
CASES += _unary("fancy_mixed", lambda m, x: x[[0, 2], 1:3], [(3, 4)])
CASES += _unary("bool_mask", lambda m, x: x[x > 0], [(3, 4)])
CASES += _unary("split", lambda m, x: x.split(2, 1)[1], [(3, 4), (3, 5)])
CASES += _unary("split_sizes", lambda m, x: x.split([1, 3], -1)[1] * 2, [(3, 4)])
CASES += _unary("split_sum", lambda m, x: sum(p.sum() * (i + 1) for i, p in enumerate(x.split(2))),
                [(5,)])
CASES += _unary("chunk", lambda m, x: x.chunk(3)[1], [(7,), (5, 2)])
CASES += _unary("unbind", lambda m, x: x.unbind(1)[2], [(3, 4)])
CASES += _unary("pad", lambda m, x: m.pad(x, (1, 2)), [(4,), (3, 4)])
CASES += _unary("pad_2d", lambda m, x: m.pad(x, (1, 0, 0, 2), value=0.5), [(3, 4), (2, 3, 4)])
CASES += _unary("pad_negative", lambda m, x: m.pad(x, (-1, 2)), [(5,), (3, 4)])
CASES += _unary("pad_crop_2d", lambda m, x: m.pad(x, (1, -1, -1, 2)), [(3, 4)])
CASES += _unary("cat_self", lambda m, x: m.cat([x, x * 2], 0), [(3, 4), (1,)])
CASES += _unary("stack_self", lambda m, x: m.stack([x, x.exp()], -1), [(), (3, 4)])
CASES += _unary("where_self", lambda m, x: m.where(x > 0, x, x * x), [(3, 4)], "away")
CASES += _unary("clone", lambda m, x: x.clone() * 2, [(), (3, 4)])
CASES += _unary("x_used_thrice", lambda m, x: x * x.exp() + x.sin(), [(3, 4)])

BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), (3,)),
                 ((2, 1, 3), (4, 1)), ((1,), ())]


def _binary(name, fn, domains=("any", "any"), smooth=True, shapes=BINARY_SHAPES):
    return [Case(name, fn, list(s), list(domains), smooth) for s in shapes]


CASES += _binary("add", lambda m, x, y: x + y)
CASES += _binary("sub", lambda m, x, y: x - y)
CASES += _binary("mul", lambda m, x, y: x * y)
CASES += _binary("div", lambda m, x, y: x / y, ("any", "away"))
CASES += _binary("pow_tensor", lambda m, x, y: x**y, ("pos", "any"))
CASES += _binary("maximum", lambda m, x, y: x.maximum(y), ("distinct", "any"), False)
CASES += _binary("minimum", lambda m, x, y: x.minimum(y), ("distinct", "any"), False)
CASES += _binary("remainder_tensor", lambda m, x, y: x % y, ("frac", "pos"), True,
                 [((3, 4), ())])
CASES += _binary("where", lambda m, x, y: m.where(x > 0, x, y), ("away", "any"))
CASES += _binary("clamp_tensor", lambda m, x, y: x.clamp(min=y), ("distinct", "any"), False,
                 [((3, 4), (4,))])
CASES += [
    Case("matmul", lambda m, a, b: a @ b, [(3, 4), (4, 5)]),
    Case("matmul", lambda m, a, b: a @ b, [(1, 4), (4, 1)]),
    Case("matmul_mv", lambda m, a, b: a @ b, [(3, 4), (4,)]),
    Case("matmul_vm", lambda m, a, b: a @ b, [(4,), (4, 5)]),
    Case("matmul_vv", lambda m, a, b: a @ b, [(4,), (4,)]),
    Case("matmul_bmm", lambda m, a, b: a @ b, [(2, 3, 4), (2, 4, 5)]),
    Case("matmul_bcast", lambda m, a, b: a @ b, [(2, 3, 4), (4, 5)]),
    Case("matmul_bcast2", lambda m, a, b: a @ b, [(2, 1, 3, 4), (5, 4, 2)]),
    Case("matmul_bv", lambda m, a, b: a @ b, [(2, 3, 4), (4,)]),
    Case("matmul_vb", lambda m, a, b: a @ b, [(3,), (2, 3, 4)]),
    Case("matmul_method", lambda m, a, b: a.matmul(b).sum(0), [(3, 4), (4, 2)]),
    Case("cat", lambda m, a, b: m.cat([a, b], 1), [(3, 2), (3, 4)]),
    Case("cat_neg", lambda m, a, b: m.cat([a, b, a], -1), [(2, 1), (2, 3)]),
    Case("stack", lambda m, a, b: m.stack([a, b], 1), [(3, 4), (3, 4)]),
    Case("diamond", lambda m, a, b: (a * b + a.exp()) * (a - b), [(3,), (3,)]),
]
