"""Stochastic gradient descent, with (Nesterov) momentum and weight decay."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_nonnegative


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (heavy ball or Nesterov).

    With gradient :math:`g_t`, weight decay :math:`\lambda`, momentum :math:`\mu`,
    dampening :math:`\tau` and learning rate :math:`\gamma`, each step does (PyTorch's
    rule, in this order)::

        g = g + weight_decay * p                      if weight_decay != 0
        b = g  (first step, a copy)                   if momentum != 0
        b = momentum * b + (1 - dampening) * g        (later steps)
        g = g + momentum * b   if nesterov   else   g = b
        p = p - lr * g

    A group whose ``convention`` is ``'keras'`` (the Keras face's ``SGD``) keeps steps in
    the buffer instead of gradients, ``b = momentum * b + lr * g; p = p - b`` (Nesterov:
    ``p = p - (momentum * b + lr * g)``): the same walk while the learning rate is constant.

    Polyak's heavy ball: B. T. Polyak, "Some methods of speeding up the convergence of
    iteration methods", USSR Comput. Math. and Math. Phys. 4(5), 1964. Nesterov's form as
    in I. Sutskever, J. Martens, G. Dahl, G. Hinton, "On the importance of initialization
    and momentum in deep learning", ICML 2013.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate (default 1e-3, as in PyTorch).
        momentum: momentum factor (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty folded into the gradient (default 0).
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).

    State per parameter: ``momentum_buffer`` (only with momentum).

    >>> import topograd
    >>> from topograd.optim import SGD
    >>> w = topograd.tensor([1.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w ** 2).sum().backward(); opt.step()
    >>> round(w.item(), 4)   # 1 - 0.2 = 0.8, then 0.8 - 0.1 * (0.9 * 2 + 1.6)
    0.46
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False) -> None:
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov}
        self._check_options(defaults)
        super().__init__(params, defaults)

    @classmethod
    def _check_options(cls, o: dict) -> None:
        _check_nonnegative(o, "lr", "momentum", "weight_decay")
        if o["nesterov"] and (o["momentum"] <= 0 or o["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    _elementwise = True

    def _blockable(self, state: dict, group: dict) -> bool:
        # the first momentum step creates the buffer from the whole gradient
        return group["momentum"] == 0 or "momentum_buffer" in state

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        lr, momentum = group["lr"], group["momentum"]
        tmp = self._buffer(p, 0)
        if momentum == 0:
            np.multiply(g, lr, out=tmp)
            p -= tmp
            return
        # Keras's convention: the buffer accumulates steps (lr * g), not gradients
        steps = group.get("convention") == "keras"
        if steps:
            g = np.multiply(g, lr, out=self._buffer(p, 1))
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = np.array(g, dtype=p.dtype, copy=True)
        else:
            buf *= momentum
            dampening = group["dampening"]
            if dampening == 0:
                buf += g
            else:  # then nesterov is off
                np.multiply(g, 1 - dampening, out=tmp)
                buf += tmp
        if group["nesterov"]:
            np.multiply(buf, momentum, out=tmp)
            tmp += g
            d = tmp
        else:
            d = buf
        if not steps:
            d = np.multiply(d, lr, out=tmp)
        p -= d
