"""Keras's optimizers (names, defaults and update rules) on topograd's Optimizer machinery.

A Keras optimizer is created without variables (``RMSprop(learning_rate=1e-3)``) and is
attached to the model's weights by ``compile``/``fit`` (:meth:`Optimizer.build`). After
that it is a :class:`topograd.optim.Optimizer`: ``param_groups``, ``state``,
``state_dict()``. The rules are Keras 3's, which differ from PyTorch's in places:
RMSprop divides by ``sqrt(v + epsilon)``; Adam puts epsilon outside the square root and
folds both bias corrections into the step size (``lr * sqrt(1 - b2^t) / (1 - b1^t)``);
the default epsilon is 1e-7; weight decay is decoupled (``w -= w * weight_decay * lr``).

>>> from topograd.keras import optimizers
>>> opt = optimizers.get("rmsprop")
>>> type(opt).__name__, opt.learning_rate, opt.rho, opt.epsilon
('RMSprop', 0.001, 0.9, 1e-07)
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from topograd._registry import from_registry
from topograd.optim.optimizer import Optimizer as _TorchOptimizer

from . import schedules
from .schedules import LearningRateSchedule

__all__ = ["Optimizer", "SGD", "RMSprop", "Adagrad", "Adam", "AdamW", "get", "schedules",
           "OPTIMIZERS"]


class Optimizer(_TorchOptimizer):
    """Base class of the Keras optimizers: hyperparameters now, variables at ``build``.

    Args:
        learning_rate: a float, or a schedule / callable ``step -> rate``.
        weight_decay: decoupled weight decay (``w -= w * weight_decay * lr`` each step).
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue].
        global_clipnorm: clip all gradients together to this global L2 norm.
        name: the optimizer's name.

    Attributes:
        iterations: the number of steps taken.

    >>> import topograd
    >>> opt = SGD(learning_rate=0.5)
    >>> w = topograd.tensor([1.0], requires_grad=True)
    >>> opt.build([w]); (w * w).sum().backward(); opt.step()
    >>> w.tolist(), opt.iterations
    ([0.0], 1)
    """

    _hyper: tuple = ()
    _elementwise = True  # every Keras rule here (see topograd.optim.Optimizer)

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **hyper) -> None:
        if sum(v is not None for v in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("only one of clipnorm, clipvalue and global_clipnorm can be set")
        self.name = name or type(self).__name__.lower()
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self._schedule = None
        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            self._schedule = learning_rate
            lr = float(learning_rate(0))
        else:
            lr = _check_float(learning_rate, "learning_rate", type(self).__name__)
        self.defaults = {"lr": lr, **hyper}
        self.param_groups = []
        self.state = defaultdict(dict)
        self._scratch = {}
        self._max_numel = 0
        self.iterations = 0
        self.built = False

    def __getattr__(self, name):
        # Keras exposes hyperparameters as attributes (opt.rho, opt.beta_1, ...)
        if name in type(self)._hyper:
            groups = self.__dict__.get("param_groups")
            return groups[0][name] if groups else self.__dict__["defaults"][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def build(self, variables) -> None:
        """Attach the variables (the model's trainable weights) to optimize."""
        if self.built:
            return
        variables = list(variables)
        if variables:
            _TorchOptimizer.__init__(self, variables, self.defaults)
        # else: a model without trainable weights (Keras allows it); steps do nothing
        self.built = True

    @property
    def learning_rate(self) -> float:
        """The current learning rate; assign a float to change it."""
        if self.param_groups:
            return self.param_groups[0]["lr"]
        return self.defaults["lr"]

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if isinstance(value, LearningRateSchedule) or callable(value):
            self._schedule = value
            value = value(self.iterations)
        else:
            self._schedule = None
        value = float(value)
        self.defaults["lr"] = value
        for g in self.param_groups:
            g["lr"] = value

    @property
    def lr(self) -> float:
        """Alias of :attr:`learning_rate`."""
        return self.learning_rate

    @lr.setter
    def lr(self, value) -> None:
        self.learning_rate = value

    def step(self, closure=None):
        """Clip the gradients, apply weight decay and the update rule; count the step."""
        if not self.built:
            raise RuntimeError(f"{type(self).__name__} is not built: call build(variables) "
                               "(compile/fit do it) before step()")
        if self._schedule is not None:
            lr = float(self._schedule(self.iterations))
            for g in self.param_groups:
                g["lr"] = lr
        grads = [p.grad._data for g in self.param_groups for p in g["params"]
                 if p.grad is not None]
        if self.global_clipnorm is not None:
            total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
            if total > self.global_clipnorm:
                for g in grads:
                    g *= self.global_clipnorm / total
        elif self.clipnorm is not None:
            for g in grads:
                n = math.sqrt(float(np.vdot(g, g)))
                if n > self.clipnorm:
                    g *= self.clipnorm / n
        elif self.clipvalue is not None:
            for g in grads:
                np.clip(g, -self.clipvalue, self.clipvalue, out=g)
        if self.weight_decay:
            for group in self.param_groups:
                factor = 1 - self.weight_decay * group["lr"]
                for p in group["params"]:
                    if p.grad is not None:
                        p._data *= factor
        out = super().step(closure)
        self.iterations += 1
        return out

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
        state_dict = dict(state_dict)
        self.iterations = int(state_dict.pop("iterations", 0))
        super().load_state_dict(state_dict)

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


def _check_float(v, name, owner) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
        raise TypeError(f"{owner}: {name} expected a number, found {v!r}")
    v = float(v)
    if not v >= 0 or math.isinf(v):
        raise ValueError(f"{owner}: {name} expected a finite number >= 0, found {v}")
    return v


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, Keras's rule.

    ``m = momentum * m - lr * g``; ``w += m`` (Nesterov: ``w += momentum * m - lr * g``);
    without momentum ``w -= lr * g``.

    Args:
        learning_rate: the step size (Keras's default 0.01).
        momentum: in [0, 1].
        nesterov: use Nesterov momentum.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.

    >>> SGD(learning_rate=0.1, momentum=0.9).momentum
    0.9
    """

    _hyper = ("momentum", "nesterov")

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs) -> None:
        momentum = _check_float(momentum, "momentum", "SGD")
        if momentum > 1:
            raise ValueError(f"SGD: momentum expected a number in [0, 1], found {momentum}")
        super().__init__(learning_rate, momentum=momentum, nesterov=bool(nesterov), **kwargs)

    def _init_state(self, p, state, group):
        if group["momentum"]:
            state["momentum"] = np.zeros_like(p)

    def _update(self, p, g, state, group):
        lr, mu = group["lr"], group["momentum"]
        t = self._buffer(p, 0)
        np.multiply(g, lr, out=t)
        if not mu:
            p -= t
            return
        m = state["momentum"]
        m *= mu
        m -= t
        if group["nesterov"]:
            np.multiply(m, mu, out=self._buffer(p, 1))
            p += self._buffer(p, 1)
            p -= t
        else:
            p += m


class RMSprop(Optimizer):
    """RMSprop, Keras 3's rule (Hinton, 2012, lecture 6e).

    ``v = rho * v + (1 - rho) * g**2``; ``w -= lr * g / sqrt(v + epsilon)`` (centered:
    ``sqrt(v - a**2 + epsilon)`` with ``a`` the running mean of g; with momentum the
    increments accumulate in ``m = momentum * m + increment``).

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

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs) -> None:
        super().__init__(learning_rate, rho=_check_float(rho, "rho", "RMSprop"),
                         momentum=_check_float(momentum, "momentum", "RMSprop"),
                         epsilon=_check_float(epsilon, "epsilon", "RMSprop"),
                         centered=bool(centered), **kwargs)

    def _init_state(self, p, state, group):
        state["velocity"] = np.zeros_like(p)
        if group["momentum"]:
            state["momentum"] = np.zeros_like(p)
        if group["centered"]:
            state["average_gradient"] = np.zeros_like(p)

    def _update(self, p, g, state, group):
        rho = group["rho"]
        v = state["velocity"]
        t = self._buffer(p, 0)
        v *= rho
        np.multiply(g, g, out=t)
        t *= 1 - rho
        v += t
        if group["centered"]:
            a = state["average_gradient"]
            a *= rho
            np.multiply(g, 1 - rho, out=t)
            a += t
            np.multiply(a, a, out=t)
            np.subtract(v, t, out=t)
            t += group["epsilon"]
        else:
            np.add(v, group["epsilon"], out=t)
        np.sqrt(t, out=t)
        np.divide(g, t, out=t)
        t *= group["lr"]
        if group["momentum"]:
            m = state["momentum"]
            m *= group["momentum"]
            m += t
            p -= m
        else:
            p -= t


class Adagrad(Optimizer):
    """Adagrad, Keras's rule (Duchi et al., 2011).

    ``acc += g**2``; ``w -= lr * g / sqrt(acc + epsilon)``, the accumulator starting at
    ``initial_accumulator_value``.

    Args:
        learning_rate: default 0.001.
        initial_accumulator_value: default 0.1.
        epsilon: default 1e-7.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.

    >>> Adagrad().initial_accumulator_value
    0.1
    """

    _hyper = ("initial_accumulator_value", "epsilon")

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs) -> None:
        super().__init__(learning_rate, initial_accumulator_value=_check_float(
            initial_accumulator_value, "initial_accumulator_value", "Adagrad"),
            epsilon=_check_float(epsilon, "epsilon", "Adagrad"), **kwargs)

    def _init_state(self, p, state, group):
        state["accumulator"] = np.full_like(p, group["initial_accumulator_value"])

    def _update(self, p, g, state, group):
        acc = state["accumulator"]
        t = self._buffer(p, 0)
        np.multiply(g, g, out=t)
        acc += t
        np.add(acc, group["epsilon"], out=t)
        np.sqrt(t, out=t)
        np.divide(g, t, out=t)
        t *= group["lr"]
        p -= t


class Adam(Optimizer):
    """Adam, Keras's rule (Kingma and Ba, 2014, with the "epsilon hat" of section 2.1).

    ``m += (g - m) * (1 - beta_1)``; ``v += (g**2 - v) * (1 - beta_2)``;
    ``w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)``.

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

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs) -> None:
        owner = type(self).__name__
        for name, b in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0 <= _check_float(b, name, owner) < 1:
                raise ValueError(f"{owner}: {name} expected a number in [0, 1), found {b}")
        super().__init__(learning_rate, beta_1=float(beta_1), beta_2=float(beta_2),
                         epsilon=_check_float(epsilon, "epsilon", owner), amsgrad=bool(amsgrad),
                         **kwargs)

    def _init_state(self, p, state, group):
        state["momentum"] = np.zeros_like(p)
        state["velocity"] = np.zeros_like(p)
        if group["amsgrad"]:
            state["velocity_hat"] = np.zeros_like(p)

    def _update(self, p, g, state, group):
        b1, b2 = group["beta_1"], group["beta_2"]
        step = self.iterations + 1
        alpha = group["lr"] * math.sqrt(1 - b2 ** step) / (1 - b1 ** step)
        m, v = state["momentum"], state["velocity"]
        t = self._buffer(p, 0)
        np.subtract(g, m, out=t)
        t *= 1 - b1
        m += t
        np.multiply(g, g, out=t)
        t -= v
        t *= 1 - b2
        v += t
        if group["amsgrad"]:
            vh = state["velocity_hat"]
            np.maximum(vh, v, out=vh)
            v = vh
        np.sqrt(v, out=t)
        t += group["epsilon"]
        np.divide(m, t, out=t)
        t *= alpha
        p -= t


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
                         weight_decay=_check_float(weight_decay, "weight_decay", "AdamW"),
                         **kwargs)


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
