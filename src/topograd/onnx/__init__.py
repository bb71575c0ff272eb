"""Export topograd networks to ONNX (``pip install 'topograd[onnx]'``).

``export(model, example_input, path)`` writes a chain of layers (an ``nn.Sequential`` or a
Keras ``Sequential``) built from Linear/Dense, the activations, BatchNorm (inference
mode), Dropout (identity), Flatten and Softmax. The batch dimension stays symbolic, so
the file takes any number of samples. onnxruntime gives the same outputs as topograd.

>>> import numpy as np, os, tempfile, topograd
>>> from topograd import nn
>>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2), nn.Softmax(dim=1))
>>> path = os.path.join(tempfile.mkdtemp(), "net.onnx")
>>> proto = export(net, topograd.randn(1, 4), path)  # doctest: +SKIP
>>> [n.op_type for n in proto.graph.node]  # doctest: +SKIP
['Gemm', 'Relu', 'Gemm', 'Softmax']
"""

from __future__ import annotations

import os

import numpy as np

from ._graph import Graph, _onnx
from ._layers import chain, emit

DEFAULT_OPSET = 17


def _model_dtype(model):
    params = getattr(model, "parameters", None)
    if callable(params):
        for p in params():
            if p._data.dtype.kind == "f":
                return p._data.dtype
    for w in getattr(model, "weights", None) or []:
        arr = np.asarray(getattr(w, "_data", w))
        if arr.dtype.kind == "f":
            return arr.dtype
    return None


def _as_array(example, dtype) -> np.ndarray:
    from topograd.tensor import Tensor

    arr = example._data if isinstance(example, Tensor) else np.asarray(example)
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    elif arr.dtype.kind not in "f":
        arr = arr.astype(np.float32)
    if arr.ndim == 0:
        raise ValueError("onnx.export: example_input must have a batch dimension, found a "
                         "0-d value")
    return arr


def _run(layer, x):
    from topograd.autograd.grad_mode import no_grad
    from topograd.tensor import Tensor

    with no_grad():
        y = layer(Tensor._from_array(x))
    return y._data if isinstance(y, Tensor) else np.asarray(y)


def export(model, example_input, path=None, *, input_names=("input",),
           output_names=("output",), opset_version: int = DEFAULT_OPSET,
           dynamic_batch: bool = True, check: bool = True):
    """Write an ONNX model computing what ``model`` computes in inference mode.

    The model is put in eval mode while it is traced (BatchNorm uses its running
    statistics, Dropout is the identity) and given back in the mode it was in.

    Args:
        model: an ``nn.Sequential`` (or a single supported layer) or a Keras ``Sequential``.
        example_input: a batch shaped like the real inputs (Tensor or array); it fixes
            every dimension but the first.
        path: the ``.onnx`` file to write (atomically); None to only return the model.
        input_names: a one-element sequence, the graph input's name.
        output_names: a one-element sequence, the graph output's name.
        opset_version: the ONNX opset to target (13 or later).
        dynamic_batch: leave the batch dimension symbolic (``"batch"``).
        check: run ``onnx.checker.check_model`` on the result.

    Returns:
        The ``onnx.ModelProto``.

    Raises:
        NotImplementedError: a layer with no ONNX translation (named with its position).
        ImportError: the onnx package is missing.

    Example:
        >>> import topograd
        >>> from topograd import nn
        >>> proto = export(nn.Sequential(nn.Linear(3, 2), nn.Tanh()), topograd.randn(2, 3))
        >>> [n.op_type for n in proto.graph.node]
        ['Gemm', 'Tanh']
    """
    onnx = _onnx()
    if opset_version < 13:
        raise ValueError(f"onnx.export: opset_version must be 13 or later, found {opset_version}")
    x = _as_array(example_input, _model_dtype(model))
    layers = chain(model)
    g = Graph(x.dtype, opset_version)
    in_name, out_name = list(input_names)[0], list(output_names)[0]
    g.fresh(in_name)
    was_training = getattr(model, "training", None)
    if hasattr(model, "eval"):
        model.eval()
    try:
        name, shape, value = in_name, x.shape, x
        for hint, layer in layers:
            name = emit(g, layer, name, shape, hint)
            value = _run(layer, value)
            shape = value.shape
    finally:
        if was_training and hasattr(model, "train"):
            model.train(True)
    # the last node's output is renamed to the requested output name
    if g.nodes and g.nodes[-1].output[0] == name:
        g.nodes[-1].output[0] = out_name
    else:  # an empty chain, or one ending in an identity
        g.nodes.append(onnx.helper.make_node("Identity", [name], [out_name],
                                             name=g.fresh("output_identity")))
    elem = onnx.helper.np_dtype_to_tensor_dtype(g.dtype)
    batch = "batch" if dynamic_batch else x.shape[0]
    graph = onnx.helper.make_graph(
        g.nodes, f"topograd_{type(model).__name__}",
        [onnx.helper.make_tensor_value_info(in_name, elem, [batch, *x.shape[1:]])],
        [onnx.helper.make_tensor_value_info(out_name, elem, [batch, *shape[1:]])],
        initializer=g.initializers)
    opset = [onnx.helper.make_opsetid("", opset_version)]
    from topograd import __version__

    proto = onnx.helper.make_model(graph, opset_imports=opset, producer_name="topograd",
                                   producer_version=__version__,
                                   ir_version=onnx.helper.find_min_ir_version_for(opset))
    if check:
        onnx.checker.check_model(proto)
    if path is not None:
        from topograd.io import atomic_write

        atomic_write(os.fspath(path), proto.SerializeToString())
    return proto


__all__ = ["export", "DEFAULT_OPSET"]
