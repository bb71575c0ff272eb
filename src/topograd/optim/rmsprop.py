"""RMSprop: steps scaled by a running average of squared gradients."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_nonnegative, _lerp_


class RMSprop(Optimizer):
    r"""RMSprop: divide the gradient by the root of a running mean of its square.

    Each step does (PyTorch's rule, in this order)::

        g = g + weight_decay * p                            if weight_decay != 0
        v = alpha * v + (1 - alpha) * g * g
        if centered:  m = m + (1 - alpha) * (g - m);  s = sqrt(v - m * m) + eps
        else:         s = sqrt(v) + eps
        if momentum > 0:  b = momentum * b + g / s;  p = p - lr * b
        else:             p = p - lr * g / s

    A group whose ``convention`` is ``'keras'`` (the Keras face's ``RMSprop``) puts
    epsilon inside the root, ``s = sqrt(v + eps)`` (centered: ``sqrt(v - m * m + eps)``),
    and with momentum keeps steps in the buffer, ``b = momentum * b + lr * g / s;
    p = p - b``.

    T. Tieleman, G. Hinton, "Lecture 6.5 - RMSProp: divide the gradient by a running
    average of its recent magnitude", COURSERA: Neural Networks for Machine Learning, 2012.
    The centered form follows A. Graves, "Generating sequences with recurrent neural
    networks", 2013.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate (default 0.01).
        alpha: smoothing constant of the running average (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty folded into the gradient (default 0).
        momentum: momentum factor (default 0).
        centered: normalize by an estimate of the gradient's variance (default False).

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (with momentum)
    and ``grad_avg`` (when centered).

    >>> import topograd
    >>> from topograd.optim import RMSprop
    >>> w = topograd.tensor([1.0, -2.0], dtype=topograd.float64, requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01, alpha=0.75)
    >>> (w ** 2).sum().backward(); opt.step()   # v = g*g/4, so each moves by 2 * lr
    >>> w
    tensor([ 0.98, -1.98], dtype=float64, requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False) -> None:
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay}
        self._check_options(defaults)
        super().__init__(params, defaults)

    @classmethod
    def _check_options(cls, o: dict) -> None:
        _check_nonnegative(o, "lr", "eps", "momentum", "weight_decay", "alpha")

    def _init_state(self, p: np.ndarray, state: dict, group: dict) -> None:
        state["step"] = 0.0
        state["square_avg"] = np.zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(p)

    _elementwise = True

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        keras = group.get("convention") == "keras"
        tmp = self._buffer(p, 0)
        square_avg = state["square_avg"]
        square_avg *= alpha
        np.multiply(g, g, out=tmp)
        tmp *= 1 - alpha
        square_avg += tmp
        if group["centered"]:
            grad_avg = state["grad_avg"]
            _lerp_(grad_avg, g, 1 - alpha, tmp)
            np.multiply(grad_avg, grad_avg, out=tmp)
            v = np.subtract(square_avg, tmp, out=tmp)
        else:
            v = square_avg
        if keras:  # epsilon inside the root
            avg = np.add(v, group["eps"], out=tmp)
            np.sqrt(avg, out=avg)
        else:
            avg = np.sqrt(v, out=tmp)
            avg += group["eps"]
        np.divide(g, avg, out=tmp)
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            if keras:  # the buffer accumulates steps, not normalized gradients
                tmp *= group["lr"]
                buf += tmp
                p -= buf
                return
            buf += tmp
            np.multiply(buf, group["lr"], out=tmp)
        else:  # one scratch array: lr * (g / avg), not (lr * g) / avg
            tmp *= group["lr"]
        p -= tmp
