"""Keras's optimizers: Keras's names, defaults and hyperparameters over topograd.optim's rules.

A Keras optimizer is created without variables (``RMSprop(learning_rate=1e-3)``) and is
attached to the model's weights by ``compile``/``fit`` (:meth:`Optimizer.build`). Each
class is the :mod:`topograd.optim` optimizer of the same name, with one parameter group
whose ``convention`` is ``'keras'`` where Keras 3's math differs from PyTorch's: RMSprop
and Adagrad divide by ``sqrt(v + epsilon)``; Adam adds epsilon before the bias correction
of ``v`` (``lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon)``, ``t`` counted
once for the optimizer); SGD's and RMSprop's momentum accumulate steps (``lr`` inside).
The default epsilon is 1e-7 and weight decay is decoupled (``w -= w * weight_decay * lr``,
the hook every rule shares); ``clipnorm``, ``clipvalue`` and ``global_clipnorm`` clip
with :mod:`topograd.nn.utils.clip_grad`, as ``clip_grad_norm_`` does.

>>> from topograd.keras import optimizers
>>> opt = optimizers.get("rmsprop")
>>> type(opt).__name__, opt.learning_rate, opt.rho, opt.epsilon
('RMSprop', 0.001, 0.9, 1e-07)
"""

from __future__ import annotations

import math

import numpy as np

from topograd import optim as _optim
from topograd._registry import from_registry
from topograd.nn.utils.clip_grad import clip_by_norm_, clip_by_value_
from topograd.optim.optimizer import Optimizer as _TorchOptimizer

from . import schedules
from .schedules import LearningRateSchedule

__all__ = ["Optimizer", "SGD", "RMSprop", "Adagrad", "Adam", "AdamW", "get", "schedules",
           "OPTIMIZERS"]


class _Option:
    """A Keras hyperparameter as an attribute: the rule's option ``key`` (item ``index`` of
    it) in the optimizer's group."""

    def __init__(self, key: str, index: int | None = None) -> None:
        self.key, self.index = key, index

    def __get__(self, opt, owner=None):
        if opt is None:
            return self
        value = opt.param_groups[0][self.key]
        return value if self.index is None else value[self.index]

    def __set__(self, opt, value) -> None:
        for group in opt.param_groups:
            if self.index is None:
                group[self.key] = value
            else:
                items = list(group[self.key])
                items[self.index] = value
                group[self.key] = tuple(items)


class Optimizer(_TorchOptimizer):
    """Base class of the Keras optimizers: hyperparameters now, variables at ``build``.

    Args:
        learning_rate: a float, or a schedule / callable ``step -> rate``.
        weight_decay: decoupled weight decay (``w -= w * weight_decay * lr`` each step).
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue].
        global_clipnorm: clip all gradients together to this global L2 norm.
        name: the optimizer's name.
        **options: the rule's options, by :mod:`topograd.optim`'s names.

    Attributes:
        iterations: the number of steps taken.

    >>> import topograd
    >>> opt = SGD(learning_rate=0.5)
    >>> w = topograd.tensor([1.0], requires_grad=True)
    >>> opt.build([w]); (w * w).sum().backward(); opt.step()
    >>> w.tolist(), opt.iterations
    ([0.0], 1)
    """

    _hyper: tuple = ()  # Keras's names of the rule's options, in get_config's order

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **options) -> None:
        owner = type(self).__name__
        if sum(v is not None for v in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("only one of clipnorm, clipvalue and global_clipnorm can be set")
        self.name = name or owner.lower()
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self._schedule = None
        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            self._schedule = learning_rate
            lr = float(learning_rate(0))
        else:
            lr = _check_float(learning_rate, "learning_rate", owner)
        decay = 0.0 if weight_decay is None else _check_float(weight_decay, "weight_decay",
                                                                owner)
        self.iterations = 0
        self.built = False
        # the rule's constructor, with one group whose variables build() gives
        super().__init__([{"params": [], "convention": "keras", "decoupled_weight_decay": True}],
                         lr=lr, weight_decay=decay, **options)

    def build(self, variables) -> None:
        """Attach the variables (the model's trainable weights) to optimize."""
        if self.built:
            return
        group = {**self.param_groups[0], "params": list(variables)}
        self.param_groups = []
        self.add_param_group(group)  # no variables (a model without weights): steps do nothing
        self.built = True

    @property
    def learning_rate(self) -> float:
        """The current learning rate; assign a float or a schedule to change it."""
        return self.param_groups[0]["lr"]

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if isinstance(value, LearningRateSchedule) or callable(value):
            self._schedule = value
            value = value(self.iterations)
        else:
            self._schedule = None
        self.set_lr(float(value))

    @property
    def lr(self) -> float:
        """Alias of :attr:`learning_rate`."""
        return self.learning_rate

    @lr.setter
    def lr(self, value) -> None:
        self.learning_rate = value

    @property
    def weight_decay(self):
        """The decoupled weight decay, or None when there is none."""
        return self.param_groups[0]["weight_decay"] or None

    @weight_decay.setter
    def weight_decay(self, value) -> None:
        value = 0.0 if value is None else _check_float(value, "weight_decay",
                                                       type(self).__name__)
        for group in self.param_groups:
            group["weight_decay"] = value

    def step(self, closure=None):
        """Set the scheduled learning rate, clip the gradients, apply the rule; count the step."""
        if not self.built:
            raise RuntimeError(f"{type(self).__name__} is not built: call build(variables) "
                               "(compile/fit do it) before step()")
        if self._schedule is not None:
            self.set_lr(float(self._schedule(self.iterations)))
        grads = [p.grad._data for g in self.param_groups for p in g["params"]
                 if p.grad is not None]
        if self.global_clipnorm is not None:
            clip_by_norm_(grads, self.global_clipnorm, eps=0.0)
        elif self.clipnorm is not None:
            for g in grads:
                clip_by_norm_([g], self.clipnorm, eps=0.0)
        elif self.clipvalue is not None:
            clip_by_value_(grads, self.clipvalue)
        out = super().step(closure)
        self.iterations += 1
        return out

    def _begin(self, state: dict, group: dict) -> None:
        # Keras counts the steps (Adam's bias correction) once for the optimizer
        if "step" in state:
            state["step"] = float(self.iterations + 1)

    def state_dict(self) -> dict:
        """PyTorch's format plus ``iterations``."""
        sd = super().state_dict()
        sd["iterations"] = self.iterations
        return sd

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` returned (the optimizer must be built)."""
        if not self.built:
            raise RuntimeError("build the optimizer (compile/fit the model) before loading its "
                               "state")
        iterations = state_dict.get("iterations", 0) if isinstance(state_dict, dict) else 0
        if not _is_count(iterations):
            raise ValueError(f"loaded state dict's 'iterations' must be an integer >= 0, found "
                             f"{str(iterations)[:60]!r}")
        state_dict = _from_legacy_names(self, state_dict)
        state_dict.pop("iterations", None)
        super().load_state_dict(state_dict)
        self.iterations = int(iterations)

    def get_config(self) -> dict:
        """The hyperparameters, with Keras's names."""
        cfg = {"name": self.name, "learning_rate": self.learning_rate,
               "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
               "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm}
        cfg.update({k: getattr(self, k) for k in self._hyper})
        return cfg

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if v is not None)
        return f"{type(self).__name__}({args})"


def _is_count(v) -> bool:
    """A step count: an integer >= 0 (a float with no fraction, as JSON may give it)."""
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (float, np.floating)):
        return math.isfinite(v) and v >= 0 and float(v).is_integer() and v < 2 ** 63
    return isinstance(v, (int, np.integer)) and 0 <= v < 2 ** 63


def _check_float(v, name, owner) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
        raise TypeError(f"{owner}: {name} expected a number, found {v!r}")
    v = float(v)
    if not v >= 0 or math.isinf(v):
        raise ValueError(f"{owner}: {name} expected a finite number >= 0, found {v}")
    return v


class SGD(Optimizer, _optim.SGD):
    """Gradient descent with optional (Nesterov) momentum, with Keras's names and defaults.

    ``m = momentum * m - lr * g``; ``w += m`` (Nesterov: ``w += momentum * m - lr * g``);
    without momentum ``w -= lr * g``: :class:`topograd.optim.SGD`'s rule with the buffer
    holding steps.

    Args:
        learning_rate: the step size (Keras's default 0.01).
        momentum: in [0, 1].
        nesterov: use Nesterov momentum.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.

    >>> SGD(learning_rate=0.1, momentum=0.9).momentum
    0.9
    """

    _hyper = ("momentum", "nesterov")
    momentum = _Option("momentum")
    nesterov = _Option("nesterov")

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs) -> None:
        momentum = _check_float(momentum, "momentum", "SGD")
        if momentum > 1:
            raise ValueError(f"SGD: momentum expected a number in [0, 1], found {momentum}")
        # without momentum Nesterov changes nothing (the rule refuses the combination)
        super().__init__(learning_rate, momentum=momentum,
                         nesterov=bool(nesterov) and momentum > 0, **kwargs)


class RMSprop(Optimizer, _optim.RMSprop):
    """RMSprop with Keras's names and defaults (Hinton, 2012, lecture 6e).

    ``v = rho * v + (1 - rho) * g**2``; ``w -= lr * g / sqrt(v + epsilon)`` (centered:
    ``sqrt(v - a**2 + epsilon)`` with ``a`` the running mean of g; with momentum the
    increments accumulate in ``m = momentum * m + increment``): :class:`topograd.optim.RMSprop`'s
    rule with Keras's epsilon and momentum.

    Args:
        learning_rate: default 0.001.
        rho: the discount of the running average (default 0.9).
        momentum: default 0.
        epsilon: default 1e-7.
        centered: normalize by the estimated variance of the gradient.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.

    >>> RMSprop(learning_rate=1e-3).rho
    0.9
    """

    _hyper = ("rho", "momentum", "epsilon", "centered")
    rho = _Option("alpha")
    momentum = _Option("momentum")
    epsilon = _Option("eps")
    centered = _Option("centered")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs) -> None:
        super().__init__(learning_rate, alpha=_check_float(rho, "rho", "RMSprop"),
                         momentum=_check_float(momentum, "momentum", "RMSprop"),
                         eps=_check_float(epsilon, "epsilon", "RMSprop"),
                         centered=bool(centered), **kwargs)


class Adagrad(Optimizer, _optim.Adagrad):
    """Adagrad with Keras's names and defaults (Duchi et al., 2011).

    ``acc += g**2``; ``w -= lr * g / sqrt(acc + epsilon)``, the accumulator starting at
    ``initial_accumulator_value``: :class:`topograd.optim.Adagrad`'s rule with Keras's
    epsilon.

    Args:
        learning_rate: default 0.001.
        initial_accumulator_value: default 0.1.
        epsilon: default 1e-7.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.

    >>> Adagrad().initial_accumulator_value
    0.1
    """

    _hyper = ("initial_accumulator_value", "epsilon")
    initial_accumulator_value = _Option("initial_accumulator_value")
    epsilon = _Option("eps")

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs) -> None:
        super().__init__(learning_rate, initial_accumulator_value=_check_float(
            initial_accumulator_value, "initial_accumulator_value", "Adagrad"),
            eps=_check_float(epsilon, "epsilon", "Adagrad"), **kwargs)


class Adam(Optimizer, _optim.Adam):
    """Adam with Keras's names and defaults (Kingma and Ba, 2014, with the "epsilon hat").

    ``m += (g - m) * (1 - beta_1)``; ``v += (g**2 - v) * (1 - beta_2)``;
    ``w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)``:
    :class:`topograd.optim.Adam`'s rule with Keras's epsilon.

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-7.
        amsgrad: use the running maximum of ``v`` (Reddi et al., 2018).
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.

    >>> Adam().beta_2
    0.999
    """

    _hyper = ("beta_1", "beta_2", "epsilon", "amsgrad")
    beta_1 = _Option("betas", 0)
    beta_2 = _Option("betas", 1)
    epsilon = _Option("eps")
    amsgrad = _Option("amsgrad")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs) -> None:
        owner = type(self).__name__
        for name, b in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0 <= _check_float(b, name, owner) < 1:
                raise ValueError(f"{owner}: {name} expected a number in [0, 1), found {b}")
        super().__init__(learning_rate, betas=(float(beta_1), float(beta_2)),
                         eps=_check_float(epsilon, "epsilon", owner), amsgrad=bool(amsgrad),
                         **kwargs)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019), Keras's defaults.

    Args:
        learning_rate: default 0.001.
        weight_decay: default 0.004 (``w -= w * weight_decay * lr`` before each step).
        beta_1, beta_2, epsilon, amsgrad: as :class:`Adam`.
        **kwargs: ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.

    >>> AdamW().weight_decay
    0.004
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, **kwargs)


#: The per-parameter state of the Keras optimizers before they became topograd.optim's rules
#: (in files from ``model.save``, ``ModelCheckpoint`` and ``BackupAndRestore`` of topograd
#: before 2943c74): old name -> new name, ``-`` before the new name where the old buffer
#: held the negated value (SGD's ``m = momentum * m - lr * g; w += m``).
_LEGACY_STATE = {
    SGD: {"momentum": "-momentum_buffer"},
    RMSprop: {"velocity": "square_avg", "momentum": "momentum_buffer",
              "average_gradient": "grad_avg"},
    Adagrad: {"accumulator": "sum"},
    Adam: {"momentum": "exp_avg", "velocity": "exp_avg_sq", "velocity_hat": "max_exp_avg_sq"},
}


def _from_legacy_names(opt: Optimizer, state_dict) -> dict:
    """A copy of ``state_dict`` whose old names (Keras's hyperparameter names in the groups,
    the old per-parameter state names) are the rule's; a state saved under the current
    names comes back as it is, and anything malformed is left to ``load_state_dict``'s
    checks. The rules that count steps start at the optimizer's ``iterations``, which the
    old state counted for every parameter."""
    if not isinstance(state_dict, dict):
        return state_dict
    state_dict = dict(state_dict)
    groups, state = state_dict.get("param_groups"), state_dict.get("state")
    options = {name: getattr(type(opt), name) for name in opt._hyper}
    if isinstance(groups, (list, tuple)):
        renamed = []
        for saved in groups:
            if isinstance(saved, dict):
                saved = dict(saved)
                for name, option in options.items():
                    if name != option.key and name in saved:
                        value = saved.pop(name)
                        if option.index is not None:  # (beta_1, beta_2) -> betas
                            items = list(saved.get(option.key, opt.defaults[option.key]))
                            items[option.index] = value
                            value = tuple(items)
                        saved[option.key] = value
            renamed.append(saved)
        state_dict["param_groups"] = renamed
    names = next((v for k, v in _LEGACY_STATE.items() if isinstance(opt, k)), {})
    if isinstance(state, dict) and names:
        counts_steps = not isinstance(opt, SGD)
        steps = float(state_dict.get("iterations", 0))
        state_dict["state"] = {key: _renamed(values, names, counts_steps, steps)
                               for key, values in state.items()}
    return state_dict


def _renamed(values, names: dict, counts_steps: bool, steps: float):
    """One parameter's state with its old names replaced (see :data:`_LEGACY_STATE`)."""
    if not isinstance(values, dict) or not any(k in names for k in values):
        return values
    out = {}
    for k, v in values.items():
        new = names.get(k, k)
        if new.startswith("-"):
            new, v = new[1:], np.negative(np.asarray(v)) if hasattr(v, "__array__") else v
        out[new] = v
    if counts_steps:
        out.setdefault("step", steps)
    return out


#: Keras names -> classes.
OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad, "adam": Adam,
              "adamw": AdamW}


def get(identifier):
    """An optimizer from a Keras name (with Keras's defaults) or an optimizer object.

    Args:
        identifier: ``"sgd"``, ``"rmsprop"``, ``"adagrad"``, ``"adam"``, ``"adamw"``; a Keras
            optimizer; or a ``topograd.optim`` optimizer already built on the model's
            parameters.

    Returns:
        The optimizer.

    Raises:
        ValueError: an unknown name; the message lists the valid ones.

    >>> get("adam").learning_rate
    0.001
    """
    found = from_registry(identifier, _TorchOptimizer, OPTIMIZERS, "optimizer",
                          cls_base=Optimizer)
    if found is not None:
        return found
    raise TypeError(f"optimizer expected a name or an optimizer object, found "
                    f"{type(identifier).__name__}")
