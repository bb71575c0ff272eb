"""Which layers a model is made of, and the ONNX nodes each one becomes."""

from __future__ import annotations

import numpy as np

from . import _ops
from ._graph import Graph


def _arr(t):
    if t is None:
        return None
    return t._data if hasattr(t, "_data") else np.asarray(t)


def _face(obj) -> str:
    # a layer says which face it belongs to (keras.layers.Layer._face = "keras"); anything
    # else is taken as a PyTorch-style module
    return getattr(type(obj), "_face", "nn")


def _names(obj):
    for cls in type(obj).__mro__:
        yield cls.__name__


def chain(model) -> list[tuple[str, object]]:
    """The layers of ``model`` in order, as ``(name, layer)`` pairs (nested chains flattened).

    Args:
        model: an ``nn.Sequential``, a Keras ``Sequential`` or a single layer.

    Returns:
        A list of ``(dotted name, layer)``.
    """
    out: list = []
    _collect(model, "", out)
    return out


def _collect(m, prefix: str, out: list) -> None:
    names = set(_names(m))
    if _face(m) == "keras" and ("Sequential" in names or "Model" in names):
        children = [(getattr(lay, "name", None) or str(i), lay) for i, lay in enumerate(m.layers)]
    elif "Sequential" in names:
        children = list(m.named_children())
    else:
        out.append((prefix or type(m).__name__.lower(), m))
        return
    for name, child in children:
        _collect(child, f"{prefix}.{name}" if prefix else name, out)


def emit(g: Graph, layer, x: str, shape: tuple, hint: str) -> str:
    """Add the nodes for one layer; returns the name of its output.

    Raises:
        NotImplementedError: naming the layer when it has no translation.
    """
    table = _KERAS if _face(layer) == "keras" else _NN
    for name in _names(layer):
        fn = table.get(name)
        if fn is not None:
            return fn(g, layer, x, shape, hint)
    supported = ", ".join(sorted(table))
    raise NotImplementedError(f"onnx.export: layer {hint!r} ({type(layer).__name__}) has no "
                              f"ONNX translation; supported: {supported}")


# -- nn (PyTorch-style) modules -------------------------------------------------------------

def _nn_linear(g, m, x, shape, hint):
    return _ops.dense(g, x, len(shape), _arr(m.weight), _arr(m.bias), hint)


def _simple(act):
    return lambda g, m, x, shape, hint: _ops.activation(g, act, x, len(shape))


def _softmax_dim(m, rank):
    dim = getattr(m, "dim", None)
    if dim is None:  # PyTorch's legacy implicit dim
        dim = 0 if rank in (0, 1, 3) else 1
    return dim


def _nn_softmax(kind):
    def fn(g, m, x, shape, hint):
        return _ops.activation(g, kind, x, len(shape), axis=_softmax_dim(m, len(shape)))
    return fn


def _nn_softplus(g, m, x, shape, hint):
    beta = float(getattr(m, "beta", 1.0))
    if beta == 1.0:
        return _ops.activation(g, "softplus", x, len(shape))
    y = g.node("Softplus", [g.node("Mul", [x, g.scalar(f"{hint}.beta", beta)])])
    return g.node("Div", [y, g.scalar(f"{hint}.beta", beta)], hint=hint)


def _nn_batchnorm(g, m, x, shape, hint):
    mean, var = _arr(getattr(m, "running_mean", None)), _arr(getattr(m, "running_var", None))
    if mean is None or var is None:
        raise NotImplementedError(f"onnx.export: layer {hint!r} ({type(m).__name__}) keeps no "
                                  f"running statistics (track_running_stats=False)")
    return _ops.batch_norm(g, x, len(shape), 1, mean, var, _arr(m.weight), _arr(m.bias),
                           m.eps, hint)


def _nn_flatten(g, m, x, shape, hint):
    return _ops.flatten(g, x, shape, getattr(m, "start_dim", 1), getattr(m, "end_dim", -1), hint)


def _identity(g, m, x, shape, hint):
    return x


def _nn_hardswish(g, m, x, shape, hint):
    return g.node("HardSwish", [x], hint=hint)


_NN = {
    "Linear": _nn_linear,
    "ReLU": _simple("relu"), "Sigmoid": _simple("sigmoid"), "Tanh": _simple("tanh"),
    "Softsign": _simple("softsign"), "SELU": _simple("selu"), "SiLU": _simple("silu"),
    "Mish": _simple("mish"), "Hardsigmoid": _simple("hard_sigmoid"),
    "ReLU6": _simple("relu6"), "LogSigmoid": _simple("log_sigmoid"),
    "Hardswish": _nn_hardswish, "Softplus": _nn_softplus,
    "LeakyReLU": lambda g, m, x, s, h: _ops.activation(
        g, "leaky_relu", x, len(s), alpha=getattr(m, "negative_slope", 0.01)),
    "ELU": lambda g, m, x, s, h: _ops.activation(g, "elu", x, len(s),
                                                 alpha=getattr(m, "alpha", 1.0)),
    "CELU": lambda g, m, x, s, h: _ops.activation(g, "celu", x, len(s),
                                                  alpha=getattr(m, "alpha", 1.0)),
    "GELU": lambda g, m, x, s, h: _ops.activation(
        g, "gelu", x, len(s), approximate=getattr(m, "approximate", "none")),
    "Hardtanh": lambda g, m, x, s, h: _ops.activation(
        g, "hardtanh", x, len(s), min_val=m.min_val, max_val=m.max_val),
    "Softmax": _nn_softmax("softmax"), "LogSoftmax": _nn_softmax("log_softmax"),
    "BatchNorm1d": _nn_batchnorm, "BatchNorm2d": _nn_batchnorm, "_BatchNorm": _nn_batchnorm,
    "Flatten": _nn_flatten,
    "Dropout": _identity, "AlphaDropout": _identity, "Identity": _identity,
}

# -- Keras-style layers ---------------------------------------------------------------------

# Keras's defaults differ from PyTorch's for two activations
_KERAS_ACT_OPTS = {"gelu": {"approximate": "tanh"}, "leaky_relu": {"alpha": 0.2}}


def _keras_activation(g, name, x, rank):
    return _ops.activation(g, name, x, rank, **_KERAS_ACT_OPTS.get(name, {}))


def _keras_dense(g, layer, x, shape, hint):
    kernel = _arr(layer.kernel)
    bias = _arr(layer._parameters.get("bias")) if layer.use_bias else None
    y = _ops.dense(g, x, len(shape), kernel.T, bias, hint)
    return _keras_activation(g, layer.activation_name, y, len(shape))


def _keras_act(g, layer, x, shape, hint):
    return _keras_activation(g, layer.activation_name, x, len(shape))


def _keras_batchnorm(g, layer, x, shape, hint):
    params = layer._parameters
    return _ops.batch_norm(g, x, len(shape), layer.axis, _arr(layer.moving_mean),
                           _arr(layer.moving_variance), _arr(params.get("gamma")),
                           _arr(params.get("beta")), layer.epsilon, hint)


def _keras_flatten(g, layer, x, shape, hint):
    return _ops.flatten(g, x, shape, 1, -1, hint)


_KERAS = {
    "Dense": _keras_dense, "Activation": _keras_act, "BatchNormalization": _keras_batchnorm,
    "Flatten": _keras_flatten, "Dropout": _identity, "InputLayer": _identity,
}
