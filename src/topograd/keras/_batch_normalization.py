"""BatchNormalization, a layer of :mod:`topograd.keras.layers`; import it from there."""

from __future__ import annotations

from . import _ops, regularizers
from .layers import Layer


class BatchNormalization(Layer):
    """Normalizes each feature by the batch's statistics (training) or moving averages.

    Keras's rule: ``moving = moving * momentum + batch * (1 - momentum)``, with the batch's
    biased variance; output ``gamma * (x - mean) / sqrt(var + epsilon) + beta``. The last
    axis holds the features.

    Args:
        axis: the feature axis (only -1 is supported).
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
        if axis not in (-1,):
            raise NotImplementedError("BatchNormalization: only axis=-1 (features last) is "
                                      "supported")
        self.axis = axis
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
        c = input_shape[-1]
        beta_i, gamma_i, mean_i, var_i = self.inits
        if self.scale:
            self.add_weight("gamma", (c,), gamma_i)
        if self.center:
            self.add_weight("beta", (c,), beta_i)
        self.add_weight("moving_mean", (c,), mean_i, trainable=False)
        self.add_weight("moving_variance", (c,), var_i, trainable=False)

    def call(self, x):
        params = self._parameters
        args = [x, params.get("gamma"), params.get("beta")]
        while args and args[-1] is None:
            args.pop()
        return _ops.BatchNorm.apply(*args, moving_mean=self.moving_mean._data,
                                    moving_variance=self.moving_variance._data,
                                    training=self.training, momentum=self.momentum,
                                    epsilon=self.epsilon)

    def _infer(self, x):
        params = self._parameters
        gamma, beta = params.get("gamma"), params.get("beta")
        out = _ops.batch_norm_inference(
            x.reshape(-1, x.shape[-1]), None if gamma is None else gamma._data,
            None if beta is None else beta._data, self.moving_mean._data,
            self.moving_variance._data, self.epsilon)[2]
        return out.reshape(x.shape)

    def regularization_terms(self):
        terms = []
        if self.gamma_regularizer is not None and self.scale:
            terms.append((self.gamma_regularizer, self.gamma))
        if self.beta_regularizer is not None and self.center:
            terms.append((self.beta_regularizer, self.beta))
        return terms
