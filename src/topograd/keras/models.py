"""Keras models: ``Sequential`` with compile / fit / evaluate / predict / summary.

``fit``/``evaluate``/``predict`` run :class:`topograd.keras.trainer.KerasTrainer` (the
one loop of :mod:`topograd.train`, with Keras's data checks and the fused softmax +
cross-entropy step); ``predict`` calls the layers under ``no_grad``, so their primitives
run on arrays and record nothing. The sections: ``Model`` (compile, fit, evaluate,
predict, saving, summary), ``Sequential``, helpers, ``load_model``.

>>> import numpy as np, topograd
>>> from topograd.keras import models, layers
>>> _ = topograd.manual_seed(0)
>>> model = models.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
...                            layers.Dense(3, activation="softmax")])
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
...               metrics=["accuracy"])
>>> x = np.random.default_rng(0).random((64, 4), dtype=np.float32)
>>> h = model.fit(x, (x[:, 0] * 3).astype(int), epochs=2, verbose=0)
>>> sorted(h.history)
['accuracy', 'loss']
>>> model.predict(x[:2], verbose=0).shape
(2, 3)
"""

from __future__ import annotations

import numpy as np

from topograd.tensor import Tensor

from . import losses as losses_mod
from . import metrics as metrics_mod
from . import optimizers as optimizers_mod
from .layers import InputLayer, KerasTensor, Layer, format_shape
from .trainer import KerasTrainer as _KerasTrainer

__all__ = ["Model", "Sequential", "load_model"]

_COMPILE_IGNORED = ("run_eagerly", "jit_compile", "steps_per_execution", "auto_scale_loss")


class Model(Layer):
    """Base class of Keras models: compile, fit, evaluate, predict, summary, weights.

    Attributes:
        optimizer: the compiled optimizer.
        history: the History of the last ``fit``.
        stop_training: set True (e.g. from a callback) to end ``fit`` after this batch.

    >>> from topograd.keras import models, layers
    >>> isinstance(models.Sequential([layers.Dense(1, input_shape=(2,))]), Model)
    True
    """

    def __init__(self, name=None, **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.optimizer = None
        self.loss = None
        self.compiled_metrics = []
        self.compiled_weighted_metrics = []
        self.history = None
        self.stop_training = False
        self._trainer = None

    @property
    def layers(self) -> list:
        """The model's layers, in order."""
        raise NotImplementedError

    # -- compile -------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, **kwargs) -> None:
        """Choose the optimizer, the loss and the metrics.

        Args:
            optimizer: a name (``"rmsprop"``, ``"adam"``, ``"sgd"``, ``"adagrad"``,
                ``"adamw"``, with Keras's defaults) or an optimizer object.
            loss: a name (``"categorical_crossentropy"``, ``"mse"``, ...), a Loss object or
                a function ``(y_true, y_pred) -> per-sample losses``.
            metrics: names (``"accuracy"``, ``"precision"``, ...) or Metric objects; as in
                Keras, they ignore ``sample_weight``/``class_weight``.
            weighted_metrics: metrics weighted by ``sample_weight``/``class_weight``
                (``sum(w * value) / sum(w)``); a name already in ``metrics`` is logged as
                ``weighted_<name>``.

        >>> from topograd.keras import models, layers
        >>> m = models.Sequential([layers.Dense(2, input_shape=(3,))])
        >>> m.compile(optimizer="sgd", loss="mse")
        >>> type(m.optimizer).__name__
        'SGD'
        """
        unknown = sorted(set(kwargs) - set(_COMPILE_IGNORED))
        if unknown:
            raise TypeError(f"compile() got unexpected keyword argument(s) {unknown}")
        if loss is None:
            raise ValueError("compile() needs a loss, e.g. loss='categorical_crossentropy'")
        if loss_weights is not None:
            raise NotImplementedError("loss_weights is not supported (single-output models)")
        self.optimizer = optimizers_mod.get(optimizer)
        self.loss = losses_mod.get(loss)
        self.compiled_metrics = [metrics_mod.get(m) for m in (metrics or [])]
        self.compiled_weighted_metrics = [metrics_mod.get(m) for m in (weighted_metrics or [])]
        self._trainer = _KerasTrainer(self, self.loss, self.optimizer, self.compiled_metrics,
                                      self.compiled_weighted_metrics)

    def _require_compiled(self, what: str) -> _KerasTrainer:
        if self._trainer is None:
            raise RuntimeError(f"You must call compile() before {what} the model: "
                               "model.compile(optimizer=..., loss=..., metrics=[...])")
        return self._trainer

    @property
    def metrics_names(self) -> list:
        """``["loss", *metric names, *weighted metric names]``."""
        return ["loss"] + [m.name for m in self.compiled_metrics + self.compiled_weighted_metrics]

    # -- fit / evaluate / predict --------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs: int = 1, verbose="auto",
            callbacks=None, validation_split: float = 0.0, validation_data=None,
            shuffle: bool = True, class_weight=None, sample_weight=None,
            initial_epoch: int = 0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq: int = 1):
        """Train the model; return the History (also kept as ``model.history``).

        Args:
            x, y: inputs and targets (arrays), or a DataLoader of ``(x, y)`` or ``(x, y,
                sample_weight)`` batches as x.
            batch_size: samples per batch (default 32).
            epochs: train until this epoch.
            verbose: 0 silent, 1 live bar, 2 one line per epoch, ``"auto"``.
            callbacks: e.g. ``[EarlyStopping(...), ModelCheckpoint(...)]``.
            validation_split: the last fraction of x/y (and of ``sample_weight``) held out
                for validation.
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, val_sample_weight)``;
                its loss and metrics are logged with ``val_``.
            shuffle: reshuffle every epoch.
            class_weight: ``{class index: weight}`` (arrays only): each training sample's
                loss is weighted by its class's weight (the label, the arg-max of a one-hot
                row, or the rounded 0/1 target of a single sigmoid unit); classes not in the
                dict weigh 1. Not applied to validation data, as in Keras.
            sample_weight: one weight per training sample (arrays only), shape ``(n,)`` or
                ``(n, 1)``, finite (negative allowed, as in Keras); not with
                ``class_weight``. Shuffled and batched with x and y.
            initial_epoch: the epoch to start from.

        Weighted batches weight each sample's loss and reduce as Keras's
        ``"sum_over_batch_size"``: ``sum(w * loss) / batch size``; the logged ``loss`` is
        that weighted loss. Only ``weighted_metrics`` (see :meth:`compile`) are weighted.

        Returns:
            A :class:`topograd.train.History`.

        Raises:
            ValueError: weights of the wrong shape or length, NaN or infinite weights, a
                ``class_weight`` that is not a dict of int-like keys to numbers, both
                weightings at once, or weights with a DataLoader; ``batch_size``,
                ``epochs``, ``steps_per_epoch`` or ``validation_*`` out of range; ragged x
                or y; x of the wrong shape (a missing batch axis is named as such).
            TypeError: non-numeric ``sample_weight``, x or y (complex, strings, objects);
                a float, string or bool where an int is expected.
        """
        trainer = self._require_compiled("training")
        if validation_steps is not None:
            raise NotImplementedError("validation_steps is not supported yet")
        if x is None:
            raise ValueError("fit() needs x")
        history = trainer.fit(x, y, batch_size=batch_size, epochs=epochs,
                              verbose=verbose, callbacks=callbacks,
                              validation_split=validation_split,
                              validation_data=validation_data, shuffle=shuffle,
                              initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch,
                              validation_batch_size=validation_batch_size,
                              validation_freq=validation_freq, sample_weight=sample_weight,
                              class_weight=class_weight)
        self.history = history
        return history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict: bool = False):
        """The loss and metrics on the data, in inference mode.

        Args:
            x, y: inputs and targets (arrays), or a DataLoader of ``(x, y)`` or ``(x, y,
                sample_weight)`` batches as x.
            batch_size: samples per batch (default 32).
            verbose: 0, 1, 2 or ``"auto"``.
            sample_weight: one weight per sample (arrays only), shape ``(n,)`` or
                ``(n, 1)``: the loss is ``sum(w * loss) / n`` and ``weighted_metrics`` are
                weighted, as in Keras.
            steps: evaluate only this many batches.
            callbacks: callbacks (their ``on_test_*`` hooks run).
            return_dict: return ``{name: value}``.

        Returns:
            The loss when no metrics were compiled, else ``[loss, *metrics,
            *weighted_metrics]`` (compile's order), or a dict with ``return_dict=True``.
        """
        trainer = self._require_compiled("evaluating")
        logs = trainer.evaluate(x, y, batch_size=batch_size, verbose=verbose,
                                callbacks=callbacks, steps=steps, sample_weight=sample_weight)
        if return_dict:
            return logs
        return _ordered(logs["loss"], logs, self)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x``, batch by batch, as one NumPy array."""
        trainer = self._trainer or _KerasTrainer(self, _NoLoss(), None, [])
        return trainer.predict(x, batch_size=batch_size, verbose=verbose, steps=steps,
                               callbacks=callbacks)

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None,
                       return_dict: bool = False):
        """One training step on one batch (optionally weighted, as :meth:`fit`); returns
        the loss, ``[loss, *metrics]``, or a dict with ``return_dict=True``."""
        trainer = self._require_compiled("training")
        loss, logs = trainer.on_batch(x, y, sample_weight, class_weight, training=True)
        return {"loss": loss, **logs} if return_dict else _ordered(loss, logs, self)

    def test_on_batch(self, x, y, sample_weight=None, return_dict: bool = False):
        """The loss (and metrics) on one batch, in inference mode, optionally weighted."""
        trainer = self._require_compiled("evaluating")
        loss, logs = trainer.on_batch(x, y, sample_weight, None, training=False)
        return {"loss": loss, **logs} if return_dict else _ordered(loss, logs, self)

    def predict_on_batch(self, x):
        """The outputs for one batch, as an array."""
        n = len(x) if hasattr(x, "__len__") and not isinstance(x, (str, bytes, dict)) else 0
        return self.predict(x, batch_size=n or None, verbose=0)

    # -- saving (keras.saving: the schema; topograd.io: safetensors + JSON, atomic) --------
    def save(self, filepath, include_optimizer: bool = True) -> None:
        """Save the architecture, compile settings, weights and optimizer state to one file.

        The file is safetensors (JSON header, no pickle), so ``filepath`` must end in
        ``.safetensors`` (a name without an extension is accepted as well); ``.keras``,
        ``.h5`` and any other extension raise a ValueError, as Keras 3 refuses a name whose
        format it does not write. Reload with :func:`load_model`; see
        :func:`topograd.keras.saving.save_model`.
        """
        self._save_model(filepath, include_optimizer=include_optimizer)

    def _save_model(self, filepath, *, include_optimizer: bool = True, extra=None) -> None:
        # how a model says it can be saved whole: topograd.io.save_model and
        # ModelCheckpoint call this, without knowing the face
        from .saving import save_model

        save_model(self, filepath, include_optimizer=include_optimizer, extra=extra)

    def _saved_weight_names(self) -> dict:
        """``{name in a file: name in state_dict()}``: files name weights by layer position
        (``"0.kernel"``), as Keras matches weights by layer order (the auto-generated layer
        names differ between two models built in one process)."""
        return {f"{i}.{k}": f"{layer.name}.{k}" for i, layer in enumerate(self.layers)
                for k in layer.state_dict()}

    def save_weights(self, filepath) -> None:
        """Write the weights to a safetensors file (matched by layer order on load).

        ``filepath`` must end in ``.safetensors`` (or have no extension); ``.weights.h5``
        and other extensions raise a ValueError.
        """
        from topograd.io import save_weights

        save_weights(self, filepath)

    def load_weights(self, filepath) -> None:
        """Read weights written by :meth:`save_weights` (the model must be built)."""
        if not self.built:
            raise ValueError("build the model (give input_shape or call it) before "
                             "load_weights")
        from topograd.io import load_weights

        load_weights(self, filepath)

    # -- summary ---------------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None) -> None:
        """Print a table of the layers, their output shapes and parameter counts."""
        if not self.built:
            raise ValueError(f'Model "{self.name}" has not yet been built. Build it by giving '
                             "the first layer an input_shape (or an Input), by calling "
                             "build(input_shape), or by fitting it on data.")
        rows = [(f"{layer.name} ({type(layer).__name__})", format_shape(layer.output_shape),
                 f"{layer.count_params():,}") for layer in self.layers]
        widths = [max(31, *(len(r[0]) for r in rows)), max(22, *(len(r[1]) for r in rows)),
                  max(13, *(len(r[2]) for r in rows))]
        head = ("Layer (type)", "Output Shape", "Param #")

        def line(cells, left, mid, right, right_align_last=True):
            parts = [f" {cells[0]:<{widths[0]}} ", f" {cells[1]:<{widths[1]}} ",
                     f" {cells[2]:>{widths[2]}} " if right_align_last
                     else f" {cells[2]:<{widths[2]}} "]
            return left + mid.join(parts) + right

        def rule(left, mid, right, ch):
            return left + mid.join(ch * (w + 2) for w in widths) + right

        out = [f'Model: "{self.name}"', rule("┏", "┳", "┓", "━"), line(head, "┃", "┃", "┃"),
               rule("┡", "╇", "┩", "━")]
        for i, r in enumerate(rows):
            out.append(line(r, "│", "│", "│"))
            if i < len(rows) - 1:
                out.append(rule("├", "┼", "┤", "─"))
        out.append(rule("└", "┴", "┘", "─"))
        total = self.count_params()
        trainable = int(sum(p._data.size for p in self.trainable_weights))
        out += [f" Total params: {total:,} ({_size(total)})",
                f" Trainable params: {trainable:,} ({_size(trainable)})",
                f" Non-trainable params: {total - trainable:,} ({_size(total - trainable)})"]
        (print_fn or print)("\n".join(out))


class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: layers to add (an ``Input(shape=...)`` first declares the input shape).
        name: the model's name.

    >>> from topograd.keras import models, layers
    >>> network = models.Sequential()
    >>> network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
    >>> network.add(layers.Dense(10, activation="softmax"))
    >>> network.count_params()
    407050
    """

    def __init__(self, layers=None, name=None, **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self._layers = []
        self.declared_input_shape = None
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list:
        return list(self._layers)

    def add(self, layer) -> None:
        """Append a layer (or declare the input with ``Input``/``InputLayer`` first).

        Raises:
            TypeError: not a layer; ValueError: a layer name already in the model.
        """
        if isinstance(layer, (KerasTensor, InputLayer)):
            if self._layers:
                raise ValueError("an Input can only come first in a Sequential model")
            self.declared_input_shape = (layer.shape if isinstance(layer, KerasTensor)
                                         else layer.input_shape_declared)
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expected a Keras layer, found "
                            f"{type(layer).__name__}")
        if layer.name in self._modules:
            raise ValueError(f"All layers added to a Sequential model should have unique "
                             f'names. Name "{layer.name}" is already the name of a layer in '
                             "this model. Pass a unique name= to the layer.")
        if not self._layers and self.declared_input_shape is None:
            self.declared_input_shape = layer.input_shape_declared
        self.add_module(layer.name, layer)
        self._layers.append(layer)
        declared = self.declared_input_shape
        if self.built and declared is not None and self.build_shape == tuple(declared):
            # built for the declared input: build the new layer alone on the last output
            # (rebuilding every layer on each add made n adds quadratic)
            self.output_shape_ = layer.build_for(self.output_shape_)
            if self._trainer is not None:
                self._trainer.configure()
            return
        self.built = False
        if declared is not None:
            self.build(declared)

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._layers:
            raise TypeError("there are no layers in the model")
        layer = self._layers.pop()
        del self._modules[layer.name]
        if self.built:
            self.build(self.build_shape)  # as Keras's pop(rebuild=True)
        return layer

    def build(self, input_shape=None) -> None:
        """Build every layer for inputs of ``input_shape`` (batch axis included)."""
        if input_shape is None:
            input_shape = self.declared_input_shape
        if input_shape is None:
            raise ValueError("build() needs an input shape, e.g. build((None, 784))")
        shape = tuple(input_shape)
        self.build_shape = shape
        for layer in self._layers:
            shape = layer.build_for(shape)
        self.output_shape_ = shape
        self.built = bool(self._layers)
        if self.built and self._trainer is not None:
            self._trainer.configure()  # the step follows the layers (fused path, penalties)

    def call(self, x, logits: bool = False):
        layers = self._layers
        if not layers:
            raise ValueError("the model has no layers")
        for layer in layers[:-1]:
            x = layer(x)
        last = layers[-1]
        return last(x, logits=True) if logits else last(x)

    def forward(self, x, **kwargs):
        x = x if isinstance(x, Tensor) else Tensor._from_array(
            np.asarray(x, dtype=np.float32))
        if not self.built:
            self.build((None, *x.shape[1:]))
        return self.call(x, **kwargs)


# -- helpers ----------------------------------------------------------------------------


def _ordered(loss, logs: dict, model):
    """Keras's list form of results: the loss alone, or ``[loss, *metrics]``."""
    metrics = model.compiled_metrics + model.compiled_weighted_metrics
    return [loss] + [logs[m.name] for m in metrics] if metrics else loss


def _size(n_params: int) -> str:
    """The summary's size of ``n_params`` float32 values: ``"1.55 MB"``."""
    b = n_params * 4
    for unit, scale in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if b >= scale:
            return f"{b / scale:.2f} {unit}"
    return f"{b:.2f} B"


class _NoLoss(losses_mod.Loss):
    """The loss of the trainer an uncompiled model predicts with (never computed)."""

    name = "none"


# -- loading ----------------------------------------------------------------------------


def load_model(filepath, compile: bool = True):
    """Rebuild a model saved by :meth:`Model.save` (architecture, weights, compile state).

    >>> import os, tempfile
    >>> from topograd.keras import layers
    >>> m = Sequential([layers.Dense(2, input_shape=(3,))])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
    >>> m.save(path)
    >>> load_model(path).count_params()
    8
    """
    from .saving import load_model as _load

    return _load(filepath, compile=compile)
