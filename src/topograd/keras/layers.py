"""Keras layers: Dense, Activation, Dropout, Flatten, BatchNormalization, Input.

Layers are ``topograd.nn.Module`` objects whose weights are created when the input size
is known: from ``input_shape=`` or on the first call. They keep Keras's names, defaults
and weight layouts and have no math of their own: a Dense kernel is (in, out), as in
Keras, and ``Dense`` runs :class:`topograd.primitives.nn.Linear` on it with its
relu/sigmoid/tanh activation fused into the same node; ``BatchNormalization`` runs
:class:`topograd.primitives.nn.BatchNorm` with Keras's axis and momentum convention; the
activations are :mod:`topograd.keras.activations`. The same primitives serve
``topograd.nn``; with no gradient to record (``predict``) they run on arrays alone.

Sections: the ``Layer`` base; the core layers (``Dense``, ``Activation``, ``Dropout``,
``Flatten``); normalization (``BatchNormalization``); the symbolic input (``Input``,
``InputLayer``, ``KerasTensor``).

>>> from topograd.keras import layers
>>> d = layers.Dense(3, activation="relu", input_shape=(4,))
>>> d.kernel.shape, d.bias.shape
(topograd.Size([4, 3]), topograd.Size([3]))
"""

from __future__ import annotations

import math

import numpy as np

import topograd.nn.functional as F
from topograd.nn.modules.module import Module
from topograd.primitives.nn import FUSED_ACTIVATIONS, BatchNorm, Linear
from topograd.tensor import Parameter, Tensor

from . import activations as activations_mod
from . import initializers, regularizers
from .backend import snake_case, unique_name

__all__ = ["Layer", "Dense", "Activation", "Dropout", "BatchNormalization", "Flatten",
           "InputLayer", "Input", "KerasTensor"]


# -- the Layer base ---------------------------------------------------------------------


_FLOAT32 = np.dtype(np.float32)


def _as_tensor(x) -> Tensor:
    """``x`` as a float32 Tensor: the Keras face computes in float32, as Keras casts a
    layer's floating inputs to its dtype."""
    if isinstance(x, Tensor):
        if x._data.dtype != np.float32 and x._data.dtype.kind == "f":
            return x.float()
        return x
    arr = np.asarray(x)
    if arr.dtype != np.float32 and arr.dtype.kind in "fiub":
        arr = arr.astype(np.float32)
    return Tensor._from_array(arr)


def format_shape(shape) -> str:
    """``(None, 784)`` the way Keras prints shapes."""
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _shape_arg(input_shape, batch_input_shape, input_dim, owner):
    if input_dim is not None:
        return (None, int(input_dim))
    if batch_input_shape is not None:
        return tuple(batch_input_shape)
    if input_shape is not None:
        if isinstance(input_shape, int):
            input_shape = (input_shape,)
        return (None, *tuple(input_shape))
    return None


class Layer(Module):
    """Base class of Keras layers: a Module built lazily from its input shape.

    Subclasses write ``build(input_shape)`` (create weights), ``compute_output_shape`` and
    ``call(x)``. Shapes include the batch axis as None: ``(None, 784)``.

    Args:
        name: the layer's name (default: the class name in snake case, made unique).
        input_shape: the shape of one sample, e.g. ``(784,)``; builds the layer now.
        trainable: whether the optimizer updates its weights.

    >>> import topograd
    >>> class Double(Layer):
    ...     def call(self, x):
    ...         return x * 2
    >>> Double()(topograd.ones(1, 2)).tolist()
    [[2.0, 2.0]]
    """

    #: Which face the layer belongs to (``nn.Module`` says ``"nn"``): what saving, ONNX
    #: export and the CLI ask instead of guessing from module names.
    _face = "keras"

    def __init__(self, *, name=None, input_shape=None, batch_input_shape=None,
                 input_dim=None, trainable: bool = True, dtype=None, **kwargs) -> None:
        super().__init__()
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{', '.join(sorted(kwargs))}")
        if dtype not in (None, "float32", np.float32):
            raise NotImplementedError("the Keras face computes in float32 only")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.built = False
        self._trainable = bool(trainable)
        self.input_shape_declared = _shape_arg(input_shape, batch_input_shape, input_dim,
                                               type(self).__name__)
        self.build_shape = None
        self.output_shape_ = None

    # -- building --------------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis included)."""

    def compute_output_shape(self, input_shape) -> tuple:
        """The output shape for ``input_shape`` (batch axis included)."""
        return tuple(input_shape)

    def build_for(self, input_shape) -> tuple:
        """Build (once) for ``input_shape``; return the output shape."""
        input_shape = tuple(input_shape)
        if not self.built:
            self.build(input_shape)
            self.built = True
            self.build_shape = input_shape
            if not self._trainable:
                self.trainable = False
        self.output_shape_ = tuple(self.compute_output_shape(input_shape))
        return self.output_shape_

    def add_weight(self, name: str, shape, initializer="zeros", trainable: bool = True):
        """Create a weight (a Parameter, or a buffer when not trainable) and register it."""
        value = initializers.get(initializer)(tuple(shape), "float32")
        value = np.asarray(value, dtype=np.float32).reshape(shape)
        if trainable:
            setattr(self, name, Parameter(value))
        else:
            self.register_buffer(name, Tensor._from_array(value))
        return getattr(self, name)

    # -- calling ---------------------------------------------------------------------
    def call(self, x):
        """The layer's computation on a Tensor."""
        raise NotImplementedError(f"{type(self).__name__} must define call(x)")

    def forward(self, x, **kwargs):
        if type(x) is not Tensor or x._data.dtype is not _FLOAT32:
            x = _as_tensor(x)
        if not self.built:
            self.build_for((None, *x.shape[1:]))
        return self.call(x, **kwargs)

    # -- weights ---------------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        """Whether the optimizer updates the weights; set False to freeze them (then compile)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for m in self.modules():
            if isinstance(m, Layer) and m is not self:
                m._trainable = bool(value)
        for p in self.parameters():
            p.requires_grad = bool(value)

    @property
    def weights(self) -> list:
        """All weights (trainable first within each layer, then non-trainable)."""
        return list(self.state_dict(keep_vars=True).values())

    @property
    def trainable_weights(self) -> list:
        """The weights the optimizer updates."""
        return [p for p in self.parameters() if p.requires_grad]

    @property
    def non_trainable_weights(self) -> list:
        """Weights not updated by the optimizer (frozen ones, moving statistics)."""
        ids = {id(p) for p in self.trainable_weights}
        return [w for w in self.weights if id(w) not in ids]

    def get_weights(self) -> list:
        """Copies of the weights as NumPy arrays, in Keras's order.

        >>> from topograd.keras import layers
        >>> [w.shape for w in layers.Dense(2, input_shape=(3,)).get_weights()]
        [(3, 2), (2,)]
        """
        return [w._data.copy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Copy ``weights`` (arrays, in :meth:`get_weights`'s order) into the layer.

        Raises:
            ValueError: the number of arrays or a shape does not match.
        """
        mine = self.weights
        weights = list(weights)
        if len(weights) != len(mine):
            raise ValueError(f'You called set_weights(weights) on layer "{self.name}" with a '
                             f"weight list of length {len(weights)}, but the layer was "
                             f"expecting {len(mine)} weights.")
        names = list(self.state_dict(keep_vars=True))
        for name, w, v in zip(names, mine, weights):
            v = np.asarray(v)
            if v.shape != w._data.shape:
                raise ValueError(f'Layer "{self.name}" weight {name} has shape '
                                 f"{format_shape(w._data.shape)}, which is not compatible "
                                 f"with the provided weight shape {format_shape(v.shape)}.")
        for w, v in zip(mine, weights):
            w._data[...] = v
            w._bump_version()

    def count_params(self) -> int:
        """The number of weight values (trainable and not)."""
        return int(sum(w._data.size for w in self.weights))

    def regularization_terms(self) -> list:
        """``(regularizer, weight)`` pairs whose penalties join the training loss."""
        return []

    @property
    def input_shape(self):
        """The shape the layer was built for (batch axis None)."""
        return self.build_shape or self.input_shape_declared

    @property
    def output_shape(self):
        """The shape of the layer's output (after building)."""
        return self.output_shape_

    def extra_repr(self) -> str:
        return f"name={self.name!r}"


# -- core layers ------------------------------------------------------------------------


class Dense(Layer):
    """A densely connected layer: ``activation(x @ kernel + bias)``, kernel (in, out).

    Args:
        units: output size.
        activation: a name (``"relu"``, ``"softmax"``, ...) or a function; None = linear.
        use_bias: add a bias vector.
        kernel_initializer, bias_initializer: names or initializer objects.
        kernel_regularizer, bias_regularizer: penalties added to the training loss.
        input_shape: the shape of one sample, e.g. ``(784,)`` (or ``input_dim=784``).
        name: the layer's name.

    >>> import numpy as np
    >>> from topograd.keras import layers
    >>> layers.Dense(2, input_dim=3)(np.ones((4, 3), np.float32)).shape
    topograd.Size([4, 2])
    """

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Dense: units expected a positive int, found {units!r}")
        for name, v in (("activity_regularizer", activity_regularizer),
                        ("kernel_constraint", kernel_constraint),
                        ("bias_constraint", bias_constraint)):
            if v is not None:
                raise NotImplementedError(f"Dense: {name} is not supported yet")
        self.units = int(units)
        self.activation = activations_mod.get(activation)
        self.activation_name = activations_mod.serialize(self.activation)
        # the Linear primitive applies a built-in relu/sigmoid/tanh in its own node; any
        # other activation (softmax, gelu, a function of the user's) runs after it
        name = self.activation_name
        self._fused = (name if name in FUSED_ACTIVATIONS
                       and activations_mod.ACTIVATIONS[name] is self.activation else None)
        self._after = self._fused is None and self.activation is not activations_mod.linear
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        if self.input_shape_declared is not None:
            self.build_for(self.input_shape_declared)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(f'Dense layer "{self.name}" needs a known last input dimension, '
                             f"found input shape {format_shape(input_shape)}")
        self.add_weight("kernel", (in_dim, self.units), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def call(self, x, logits: bool = False):
        params = self._parameters
        kernel = params["kernel"]
        shape, n_in = x._data.shape, kernel._data.shape[0]
        if not shape or shape[-1] != n_in:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: '
                             f"expected axis -1 of input shape to have value {n_in}, "
                             f"but received input with shape {format_shape(shape)}")
        out = Linear.apply(x, kernel, params["bias"] if self.use_bias else None,
                           layout="in_out", activation=None if logits else self._fused)
        if self._after and not logits:
            out = self.activation(out)
        return out

    def regularization_terms(self):
        terms = []
        if self.kernel_regularizer is not None:
            terms.append((self.kernel_regularizer, self.kernel))
        if self.bias_regularizer is not None and self.use_bias:
            terms.append((self.bias_regularizer, self.bias))
        return terms

    def extra_repr(self):
        return f"name={self.name!r}, units={self.units}, activation={self.activation_name!r}"


class Activation(Layer):
    """Applies an activation function.

    Args:
        activation: a name (``"relu"``, ``"softmax"``, ...) or a function.

    >>> import topograd
    >>> from topograd.keras import layers
    >>> layers.Activation("relu")(topograd.tensor([[-1.0, 1.0]])).tolist()
    [[0.0, 1.0]]
    """

    def __init__(self, activation, **kwargs) -> None:
        super().__init__(**kwargs)
        self.activation = activations_mod.get(activation)
        self.activation_name = activations_mod.serialize(self.activation)
        if self.input_shape_declared is not None:
            self.build_for(self.input_shape_declared)

    def call(self, x, logits: bool = False):
        return x if logits else self.activation(x)

    def extra_repr(self):
        return f"name={self.name!r}, activation={self.activation_name!r}"


class Dropout(Layer):
    """Zeroes a random fraction ``rate`` of the inputs during training.

    The rest are scaled by 1 / (1 - rate); at inference the layer is the identity.

    Args:
        rate: the fraction to drop, in [0, 1).

    >>> import topograd
    >>> from topograd.keras import layers
    >>> layers.Dropout(0.5).eval()(topograd.ones(1, 2)).tolist()
    [[1.0, 1.0]]
    """

    def __init__(self, rate: float, noise_shape=None, seed=None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout: rate expected a number in [0, 1), found {rate}")
        if noise_shape is not None:
            raise NotImplementedError("Dropout: noise_shape is not supported yet")
        self.rate = float(rate)
        if self.input_shape_declared is not None:
            self.build_for(self.input_shape_declared)

    def call(self, x):
        if self.training and self.rate > 0:
            return F.dropout(x, self.rate, training=True)
        return x

    def extra_repr(self):
        return f"name={self.name!r}, rate={self.rate}"


class Flatten(Layer):
    """Flattens each sample to one dimension: (N, 28, 28) -> (N, 784).

    >>> import topograd
    >>> from topograd.keras import layers
    >>> layers.Flatten()(topograd.zeros(2, 28, 28)).shape
    topograd.Size([2, 784])
    """

    def __init__(self, data_format=None, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.input_shape_declared is not None:
            self.build_for(self.input_shape_declared)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def call(self, x):
        return x.reshape(x.shape[0], -1)


# -- normalization ----------------------------------------------------------------------


class BatchNormalization(Layer):
    """Normalizes each feature by the batch's statistics (training) or moving averages.

    Keras's rule: ``moving = moving * momentum + batch * (1 - momentum)``, with the batch's
    biased variance; output ``gamma * (x - mean) / sqrt(var + epsilon) + beta``. The
    ``axis`` holds the features (the last one by default).

    Args:
        axis: the feature axis (an int, not the batch axis 0; default -1).
        momentum: of the moving averages (default 0.99).
        epsilon: added to the variance (default 1e-3).
        center, scale: learn ``beta`` / ``gamma``.

    >>> from topograd.keras import layers
    >>> [w.shape for w in layers.BatchNormalization(input_shape=(3,)).get_weights()]
    [(3,), (3,), (3,), (3,)]
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or axis == 0:
            raise NotImplementedError(f"BatchNormalization: axis expected one int other than "
                                      f"the batch axis 0, found {axis!r}")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.inits = (beta_initializer, gamma_initializer, moving_mean_initializer,
                      moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        if self.input_shape_declared is not None:
            self.build_for(self.input_shape_declared)

    def build(self, input_shape):
        if not -len(input_shape) < self.axis < len(input_shape):
            raise ValueError(f'BatchNormalization layer "{self.name}": axis {self.axis} is out '
                             f"of range for input shape {format_shape(input_shape)}")
        c = input_shape[self.axis]
        if c is None:
            raise ValueError(f'BatchNormalization layer "{self.name}" needs a known size on '
                             f"axis {self.axis}, found input shape {format_shape(input_shape)}")
        beta_i, gamma_i, mean_i, var_i = self.inits
        if self.scale:
            self.add_weight("gamma", (c,), gamma_i)
        if self.center:
            self.add_weight("beta", (c,), beta_i)
        self.add_weight("moving_mean", (c,), mean_i, trainable=False)
        self.add_weight("moving_variance", (c,), var_i, trainable=False)

    def call(self, x):
        params, buffers = self._parameters, self._buffers
        return BatchNorm.apply(x, params.get("gamma"), params.get("beta"),
                               running_mean=buffers["moving_mean"]._data,
                               running_var=buffers["moving_variance"]._data,
                               training=self.training, momentum=self.momentum,
                               eps=self.epsilon, axis=self.axis, convention="keras")

    def regularization_terms(self):
        terms = []
        if self.gamma_regularizer is not None and self.scale:
            terms.append((self.gamma_regularizer, self.gamma))
        if self.beta_regularizer is not None and self.center:
            terms.append((self.beta_regularizer, self.beta))
        return terms


# -- the symbolic input -----------------------------------------------------------------


class KerasTensor:
    """A symbolic input: what ``Input(shape=...)`` returns, to start a Sequential model.

    Attributes:
        shape: the batch shape, e.g. ``(None, 784)``.

    >>> KerasTensor((None, 784)).shape
    (None, 784)
    """

    def __init__(self, shape, name=None) -> None:
        self.shape = tuple(shape)
        self.name = name

    def __repr__(self) -> str:
        return f"<KerasTensor shape={format_shape(self.shape)}, name={self.name}>"


def Input(shape=None, batch_size=None, name=None, dtype=None, **kwargs) -> KerasTensor:
    """A symbolic input of one sample's ``shape``: ``Sequential([Input((784,)), ...])``.

    >>> Input(shape=(784,)).shape
    (None, 784)
    """
    if shape is None:
        raise ValueError("Input needs a shape, e.g. Input(shape=(784,))")
    if isinstance(shape, int):
        shape = (shape,)
    return KerasTensor((batch_size, *tuple(shape)), name or unique_name("input_layer"))


class InputLayer(Layer):
    """Declares the input shape of a Sequential model (not a computing layer).

    >>> InputLayer(shape=(784,)).input_shape
    (None, 784)
    """

    def __init__(self, shape=None, batch_size=None, input_shape=None, **kwargs) -> None:
        super().__init__(input_shape=shape if shape is not None else input_shape, **kwargs)
        if self.input_shape_declared is None:
            raise ValueError("InputLayer needs a shape, e.g. InputLayer(shape=(784,))")
        self.input_shape_declared = (batch_size, *self.input_shape_declared[1:])

    def call(self, x):
        return x
