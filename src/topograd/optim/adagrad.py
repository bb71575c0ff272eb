"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_nonnegative


class Adagrad(Optimizer):
    r"""Adagrad: divide each coordinate's step by the root of its summed squared gradients.

    Each step does (PyTorch's rule, in this order; ``t`` counts this parameter's steps
    from 1)::

        g = g + weight_decay * p                  if weight_decay != 0
        clr = lr / (1 + (t - 1) * lr_decay)
        sum = sum + g * g                         (sum starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(sum) + eps)

    A group whose ``convention`` is ``'keras'`` (the Keras face's ``Adagrad``) puts
    epsilon inside the root: ``p = p - clr * g / sqrt(sum + eps)``.

    J. Duchi, E. Hazan, Y. Singer, "Adaptive subgradient methods for online learning and
    stochastic optimization", JMLR 12, 2011.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate (default 0.01).
        lr_decay: learning-rate decay per step (default 0).
        weight_decay: L2 penalty folded into the gradient (default 0).
        initial_accumulator_value: starting value of ``sum`` (default 0). A group may set
            its own (PyTorch reads only the constructor's value here).
        eps: added to the denominator (default 1e-10).

    State per parameter: ``step`` (a float) and ``sum``.

    >>> import topograd
    >>> from topograd.optim import Adagrad
    >>> w = topograd.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.5)
    >>> (w ** 2).sum().backward(); opt.step()   # each coordinate moves by lr
    >>> w
    tensor([ 0.5, -0.5], dtype=float32, requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10) -> None:
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value}
        self._check_options(defaults)
        super().__init__(params, defaults)

    @classmethod
    def _check_options(cls, o: dict) -> None:
        _check_nonnegative(o, "lr", "lr_decay", "weight_decay", "initial_accumulator_value",
                           "eps")

    def _init_state(self, p: np.ndarray, state: dict, group: dict) -> None:
        state["step"] = 0.0
        state["sum"] = np.full_like(p, group["initial_accumulator_value"])

    _elementwise = True

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        step = state["step"]  # counted by _begin
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        acc, tmp = state["sum"], self._buffer(p, 0)
        np.multiply(g, g, out=tmp)
        acc += tmp
        if group.get("convention") == "keras":  # epsilon inside the root
            std = np.add(acc, group["eps"], out=tmp)
            np.sqrt(std, out=std)
        else:
            std = np.sqrt(acc, out=tmp)
            std += group["eps"]
        np.divide(g, std, out=tmp)  # one scratch array: clr * (g / std), not (clr * g) / std
        tmp *= clr
        p -= tmp
