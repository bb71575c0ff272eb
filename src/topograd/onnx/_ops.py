"""ONNX translations of activations and layers, shared by the nn and Keras front ends."""

from __future__ import annotations

import math

import numpy as np

from ._graph import Graph


def activation(g: Graph, name: str, x: str, rank: int, **opts) -> str:
    """Emit the nodes of a named activation (``relu``, ``softmax``, ...); returns the output.

    Args:
        g: the graph.
        name: the activation's name, as Keras spells it (``relu``, ``leaky_relu``, ...).
        x: the input's name.
        rank: the input's rank (for the softmax axis).
        opts: ``axis`` (softmax), ``alpha`` (leaky_relu, elu), ``approximate`` (gelu).

    Returns:
        The output's name.

    Raises:
        NotImplementedError: an activation with no translation.
    """
    name = (name or "linear").lower()
    if name in ("linear", "identity", "none"):
        return x
    simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus",
              "softsign": "Softsign", "exponential": "Exp", "exp": "Exp", "selu": "Selu",
              "abs": "Abs"}
    if name in simple:
        return g.node(simple[name], [x], hint=name)
    if name in ("softmax", "log_softmax"):
        axis = opts.get("axis", -1)
        axis = axis + rank if axis < 0 else axis
        return g.node("Softmax" if name == "softmax" else "LogSoftmax", [x], hint=name, axis=axis)
    if name == "leaky_relu":
        return g.node("LeakyRelu", [x], hint=name, alpha=float(opts.get("alpha", 0.01)))
    if name == "elu":
        return g.node("Elu", [x], hint=name, alpha=float(opts.get("alpha", 1.0)))
    if name == "celu":
        return g.node("Celu", [x], hint=name, alpha=float(opts.get("alpha", 1.0)))
    if name in ("silu", "swish"):
        return g.node("Mul", [x, g.node("Sigmoid", [x])], hint=name)
    if name == "relu6":
        return _clip(g, x, 0.0, 6.0, name)
    if name == "hardtanh":
        return _clip(g, x, float(opts.get("min_val", -1.0)), float(opts.get("max_val", 1.0)), name)
    if name == "hard_sigmoid":
        return g.node("HardSigmoid", [x], hint=name, alpha=1.0 / 6.0, beta=0.5)
    if name == "log_sigmoid":
        neg = g.node("Neg", [x])
        return g.node("Neg", [g.node("Softplus", [neg])], hint=name)
    if name == "mish":
        return g.node("Mul", [x, g.node("Tanh", [g.node("Softplus", [x])])], hint=name)
    if name == "gelu":
        return _gelu(g, x, opts.get("approximate", "none"))
    raise NotImplementedError(f"activation {name!r} has no ONNX translation")


def _clip(g: Graph, x: str, lo: float, hi: float, hint: str) -> str:
    return g.node("Clip", [x, g.scalar(f"{hint}_min", lo), g.scalar(f"{hint}_max", hi)],
                  hint=hint)


def _gelu(g: Graph, x: str, approximate) -> str:
    tanh = approximate in (True, "tanh")
    if g.opset >= 20:
        return g.node("Gelu", [x], hint="gelu", approximate="tanh" if tanh else "none")
    half = g.node("Mul", [x, g.scalar("half", 0.5)])
    if tanh:  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.node("Mul", [g.node("Mul", [x, x]), x])
        inner = g.node("Add", [x, g.node("Mul", [cube, g.scalar("c", 0.044715)])])
        t = g.node("Tanh", [g.node("Mul", [inner, g.scalar("k", math.sqrt(2 / math.pi))])])
    else:  # 0.5 x (1 + erf(x / sqrt 2))
        t = g.node("Erf", [g.node("Div", [x, g.scalar("sqrt2", math.sqrt(2.0))])])
    return g.node("Mul", [half, g.node("Add", [t, g.scalar("one", 1.0)])], hint="gelu")


def dense(g: Graph, x: str, rank: int, w_out_in: np.ndarray, bias, hint: str) -> str:
    """``x @ W.T + b`` with ``W`` shaped (out, in): a Gemm for 2-D input, else MatMul+Add."""
    if rank == 2:
        inputs = [x, g.const(f"{hint}.weight", w_out_in)]
        if bias is not None:
            inputs.append(g.const(f"{hint}.bias", bias))
        return g.node("Gemm", inputs, hint=hint, transB=1)
    y = g.node("MatMul", [x, g.const(f"{hint}.weight_t", np.asarray(w_out_in).T)], hint=hint)
    if bias is not None:
        y = g.node("Add", [y, g.const(f"{hint}.bias", bias)], hint=hint)
    return y


def batch_norm(g: Graph, x: str, rank: int, channel_axis: int, mean, var, scale, shift,
               eps: float, hint: str) -> str:
    """Inference-mode batch normalization over ``channel_axis`` (1 for nn, -1 for Keras)."""
    c = len(mean)
    scale = np.ones(c) if scale is None else scale
    shift = np.zeros(c) if shift is None else shift
    axis = channel_axis + rank if channel_axis < 0 else channel_axis
    if axis == 1 and rank >= 2:
        return g.node("BatchNormalization",
                      [x, g.const(f"{hint}.weight", scale), g.const(f"{hint}.bias", shift),
                       g.const(f"{hint}.running_mean", mean),
                       g.const(f"{hint}.running_var", var)],
                      hint=hint, epsilon=float(eps))
    # another axis: fold into y = x * a + b, broadcast along that axis
    a = np.asarray(scale, np.float64) / np.sqrt(np.asarray(var, np.float64) + eps)
    b = np.asarray(shift, np.float64) - np.asarray(mean, np.float64) * a
    shape = [1] * rank
    shape[axis] = c
    y = g.node("Mul", [x, g.const(f"{hint}.a", a.reshape(shape))], hint=hint)
    return g.node("Add", [y, g.const(f"{hint}.b", b.reshape(shape))], hint=hint)


def flatten(g: Graph, x: str, shape: tuple, start: int, end: int, hint: str) -> str:
    """Merge dims ``start..end`` (inclusive; negative counts from the end)."""
    rank = len(shape)
    start, end = start % rank, end % rank
    if start == 1 and end == rank - 1:
        return g.node("Flatten", [x], hint=hint, axis=1)
    if start == 0 and end == rank - 1:
        return g.node("Reshape", [x, g.const(f"{hint}.shape", [-1], np.int64)], hint=hint)
    # keep the batch dim symbolic (0 copies the input's dim); merged dims become -1
    new = [0 if i == 0 else shape[i] for i in range(start)] + [-1] + list(shape[end + 1:])
    return g.node("Reshape", [x, g.const(f"{hint}.shape", new, np.int64)], hint=hint)
