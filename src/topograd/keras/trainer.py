"""The Keras face's trainer: Keras's data checks and the fused softmax/sigmoid + loss step.

When the last layer's activation is a softmax (sigmoid) and the loss a categorical (binary)
cross-entropy, the step computes the loss from the pre-activation logits with the fused
primitive of :mod:`topograd.nn.functional`, as Keras does internally; the metrics get
probabilities only when they need them.

What the step does depends on the built model (the fused path, the layers' penalties, the
weights the optimizer updates), so :meth:`KerasTrainer.configure` runs when both exist:
at ``compile`` for a built model, else when the model gets built (``Sequential.build``,
which the first data, ``model(x)``, ``add`` and ``pop`` go through). ``fit`` and
``train_on_batch`` check that the optimizer still holds the model's trainable weights:
adding, removing or freezing layers after ``compile`` needs a new ``compile``.

Sample weights (``fit(sample_weight=..., class_weight=...)``, ``evaluate(sample_weight=...)``)
reach the steps as a third argument; both loss paths then weight the per-sample losses and
reduce them as Keras's ``"sum_over_batch_size"``. Unweighted batches run the steps exactly
as before (no weight arrays, no extra operations).
"""

from __future__ import annotations

import warnings

import numpy as np

from topograd.autograd.grad_mode import is_grad_enabled, no_grad
from topograd.primitives.softmax import softmax_array
from topograd.tensor import Tensor
from topograd.train import data as data_mod
from topograd.train.data import check_finite
from topograd.train.loop import Trainer

from . import optimizers as optimizers_mod
from .layers import format_shape

__all__ = ["KerasTrainer"]


class KerasTrainer(Trainer):
    """The training loop with Keras's checks and the fused last-activation + loss step.

    ``Model.compile`` creates one; ``fit``/``evaluate``/``predict`` run through it.

    >>> from topograd.keras import models, layers
    >>> m = models.Sequential([layers.Dense(3, activation="softmax", input_shape=(2,))])
    >>> m.compile(optimizer="sgd", loss="categorical_crossentropy")
    >>> type(m._trainer).__name__, m._trainer.fused
    ('KerasTrainer', True)
    """

    supports_sample_weight = True

    def __init__(self, model, loss, optimizer, metrics, weighted_metrics=None) -> None:
        super().__init__(model, loss, optimizer, metrics, weighted_metrics)
        self.fused = False
        self.regularizers = []
        self._warned_untrainable = False
        if model.built:  # compiling a built model; else the model's build configures
            self.configure()
            self.check_optimizer()

    def configure(self) -> None:
        """Fit the step to the built model: decide the fused path, collect the layers'
        penalties, build a new optimizer on the trainable weights.

        ``compile`` (for a built model) and ``Sequential.build`` call it, so it runs
        whenever the model's layers are built anew.
        """
        model, loss = self.model, self.loss_fn
        last = model.layers[-1] if model.layers else None
        act = getattr(last, "activation_name", None)
        self.fused = (loss.fusable_activation is not None and not loss.from_logits
                      and act == loss.fusable_activation)
        self.regularizers = [t for layer in model.layers for t in layer.regularization_terms()]
        opt = self.optimizer
        if isinstance(opt, optimizers_mod.Optimizer) and not opt.built:
            opt.build(model.trainable_weights)

    def check_optimizer(self) -> None:
        """Refuse an optimizer built on other weights than the model's trainable ones
        (another model's, or this model's before layers were added, removed or frozen).

        Raises:
            ValueError: the optimizer holds other weights; compile again with a new one.
        """
        opt, model = self.optimizer, self.model
        if not (isinstance(opt, optimizers_mod.Optimizer) and opt.built):
            return
        held = [id(p) for g in opt.param_groups for p in g["params"]]
        if not model.built or held != [id(w) for w in model.trainable_weights]:
            raise ValueError(
                f"the optimizer {opt.name!r} is attached to other weights (another model, "
                "or this model before layers were added or frozen): compile again with a "
                "new optimizer")

    def on_fit_start(self, source) -> None:
        self.check_optimizer()

    # -- data checks -------------------------------------------------------------------
    def check_x(self, x, purpose):
        """Keras's input check: x's shape against the built model's input shape.

        One sample without its batch axis (``(784,)`` for inputs ``(None, 784)``) is named
        as such; other mismatches show the expected shape and the shape of a batch.
        """
        model = self.model
        if not model.built:
            return
        expected = model.input_shape
        if len(expected) == x.ndim and all(e is None or e == f
                                           for e, f in zip(expected[1:], x.shape[1:])):
            return
        head = (f'Input 0 of layer "{model.name}" is incompatible with the layer: '
                f"expected shape={format_shape(expected)}, found shape=")
        if len(expected) == x.ndim + 1 and all(e is None or e == f
                                               for e, f in zip(expected[1:], x.shape)):
            what = {"fit": "fit on", "validation": "validate on"}.get(purpose, purpose)
            how = "x[None] or x.reshape(1, -1)" if x.ndim == 1 else "x[None]"
            tail = "" if purpose == "predict" else " (and y[None] with it)"
            raise ValueError(f"{head}{format_shape(x.shape)}. A batch axis is missing: pass "
                             f"{how} to {what} one sample{tail}")
        batch = (min(len(x), self.batch_size),)
        raise ValueError(f"{head}{format_shape(batch + x.shape[1:])}")

    def prepare(self, x, y, purpose):
        model = self.model
        if x.dtype != np.float32:
            x = x.astype(np.float32)
        if not model.built:
            model.build((None, *x.shape[1:]))  # the build configures the compiled trainer
        if purpose == "predict":
            return x, None
        where = "validation " if purpose == "validation" else ""
        check_finite(x, f"{where}x")
        if y is None:
            raise ValueError(f"{purpose}: y is missing (the targets for the loss)")
        check_finite(y, f"{where}y")
        return x, _check_targets(self.loss_fn, y, model.output_shape, where)

    # -- steps ---------------------------------------------------------------------------
    def _built_for(self, x) -> Tensor:
        """``x`` as a Tensor, the model built for it first (batches from a DataLoader)."""
        xt = x if isinstance(x, Tensor) else Tensor._from_array(x)
        if not self.model.built:
            self.model.build((None, *xt.shape[1:]))  # which configures the compiled trainer
        return xt

    def compute_loss(self, x, y, y_pred, sample_weight=None):
        """The compiled loss of one batch plus the layers' penalties, as a scalar Tensor.

        On the fused path ``y_pred`` is the last layer's pre-activation output (the
        logits), and the loss is computed from it with the fused primitive.
        """
        loss_fn = self.loss_fn
        fn = loss_fn.from_logits_loss if self.fused else loss_fn
        if sample_weight is None:
            loss = fn(y, y_pred)
        else:
            loss = fn(y, y_pred, sample_weight=sample_weight)
        for reg, w in self.regularizers:
            loss = loss + reg(w)
        return loss

    def _loss_and_pred(self, x, y, sample_weight=None):
        """The forward pass and the loss of one batch: ``(loss Tensor, predictions for the
        metrics as an array)`` (probabilities on the fused path only when a metric needs
        them)."""
        xt = self._built_for(x)
        out = self.model.call(xt, logits=True) if self.fused else self.model.call(xt)
        loss = self.compute_loss(x, y, out, sample_weight)
        pred = out._data
        if self.fused and (any(m.needs_probabilities for m in self.metrics) or
                           any(m.needs_probabilities for m in self.weighted_metrics)):
            pred = _activate(pred.copy(), self.loss_fn.fusable_activation)
        return loss, pred

    def train_step(self, x, y, sample_weight=None):
        loss, pred = self._loss_and_pred(x, y, sample_weight)
        if not loss.requires_grad:  # as Keras: nothing to train is a warning, not an error
            if not self._warned_untrainable:
                self._warned_untrainable = True
                warnings.warn("The model does not have any trainable weights.", stacklevel=2)
            return float(loss._data), pred
        opt = self.optimizer
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss._data), pred

    def test_step(self, x, y, sample_weight=None):
        with no_grad():
            loss, pred = self._loss_and_pred(x, y, sample_weight)
        return float(loss._data), pred

    def on_batch(self, x, y, sample_weight, class_weight, training: bool):
        """``train_on_batch`` / ``test_on_batch``: one step and the metrics of that batch.

        Returns:
            ``(loss, {metric name: value})``.
        """
        purpose = "fit" if training else "evaluate"
        self.batch_size = len(x) if hasattr(x, "__len__") else 1
        x, y = data_mod.as_arrays(x, y, purpose, self.check_x)
        if sample_weight is not None or class_weight is not None:
            sample_weight, class_weight = data_mod.check_fit_weights(x, sample_weight,
                                                                     class_weight)
        x, y = self.prepare(x, y, purpose)
        if training:
            self.check_optimizer()
        if class_weight is not None:
            sample_weight = data_mod.class_weight_to_sample_weights(y, class_weight)
        self.model.train(training)
        self.reset_metrics()
        loss = self._batch(self.train_step if training else self.test_step, x, y,
                           sample_weight)
        return loss, {m.name: m.result() for m in self.metrics + self.weighted_metrics}

    def predict_step(self, x):
        model = self.model
        xt = self._built_for(x)
        if is_grad_enabled():  # predict() switched it off for the whole run already
            with no_grad():
                out = model.call(xt, logits=True)._data if self.fused else model.call(xt)._data
        else:
            out = model.call(xt, logits=True)._data if self.fused else model.call(xt)._data
        if not self.fused:
            return out
        # The activation works in place: never on the caller's data. A fresh array (what
        # every layer with weights returns) cannot alias it; only then is the check skipped.
        if out.base is not None or out is xt._data:
            if np.may_share_memory(out, xt._data):
                out = out.copy()
        return _activate(out, self.loss_fn.fusable_activation)


def _activate(z: np.ndarray, name: str) -> np.ndarray:
    if name == "softmax":
        return softmax_array(z, -1, inplace=True)
    from topograd.primitives.elementwise import stable_sigmoid

    return stable_sigmoid(z)


def _check_targets(loss, y: np.ndarray, out_shape, where: str) -> np.ndarray:
    """Check ``y`` against the loss and the model's output shape; return it converted."""
    name = loss.name
    n = len(y)
    classes = out_shape[-1]
    per_out = int(np.prod([d for d in out_shape[1:]]))
    per_y = int(np.prod(y.shape[1:]))
    kind = loss.targets
    if kind == "sparse":
        if y.ndim >= 2 and y.shape[-1] == classes and classes > 1:
            raise ValueError(
                f"{where}y has shape {y.shape}: it looks one-hot, but {name} expects integer "
                f"class labels shaped ({n},); use loss='categorical_crossentropy' or pass "
                f"y.argmax(axis=-1)")
        if per_y * classes != per_out:
            raise ValueError(f"{name} expects {where}labels shaped ({n},) for outputs "
                             f"{format_shape(out_shape)}, found {where}y of shape {y.shape}")
        if y.dtype.kind == "f":
            if not np.array_equal(y, np.floor(y)):
                raise ValueError(f"{name} expects integer class labels; {where}y holds "
                                 f"non-integer values (dtype {y.dtype})")
        elif y.dtype.kind not in "iub":
            raise TypeError(f"{name} expects integer class labels, found dtype {y.dtype}")
        lo, hi = y.min(), y.max()
        if lo < 0 or hi >= classes:
            bad = int(np.flatnonzero((y.reshape(-1) < 0) | (y.reshape(-1) >= classes))[0])
            raise ValueError(
                f"{where}y holds labels outside [0, {classes}) for a model with {classes} "
                f"output units: found {y.reshape(-1)[bad].item()} at index {bad} (labels "
                f"range from {lo.item()} to {hi.item()})")
        return y.reshape((n, *out_shape[1:-1])).astype(np.int64, copy=False)
    if kind == "categorical":
        if (y.ndim == 1 or y.shape[-1] == 1) and classes > 1:
            raise ValueError(
                f"{name} expects one-hot {where}labels shaped ({n}, {classes}), found {where}y "
                f"of shape {y.shape} (integer labels?): use "
                f"topograd.keras.utils.to_categorical(y, {classes}) or "
                f"loss='sparse_categorical_crossentropy'")
        if y.shape[1:] != tuple(out_shape[1:]):
            raise ValueError(f"{name} expects {where}y shaped like the model's outputs "
                             f"{format_shape((n, *out_shape[1:]))}, found {y.shape}")
        return y.astype(np.float32, copy=False)
    if per_y != per_out:
        raise ValueError(f"{where}y has shape {y.shape} but the model's outputs have shape "
                         f"{format_shape((n, *out_shape[1:]))}: {per_y} values per sample "
                         f"against {per_out}")
    if kind == "binary" and y.size and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"{name} expects {where}targets in [0, 1], found values from "
                         f"{y.min().item()} to {y.max().item()}")
    return y.astype(np.float32, copy=False)
