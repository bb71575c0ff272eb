"""Adam: bias-corrected running averages of the gradient and its square."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer, _check_nonnegative, _lerp_


class Adam(Optimizer):
    r"""Adam: steps from bias-corrected moving averages of the gradient and its square.

    Each step does (PyTorch's rule, in this order; ``t`` counts this parameter's steps
    from 1)::

        p = p * (1 - lr * weight_decay)          if weight_decay != 0 and decoupled
        g = g + weight_decay * p                 if weight_decay != 0 and not decoupled
        m = m + (1 - beta1) * (g - m)
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v);  v_hat = v_max    if amsgrad, else v_hat = v
        denom = sqrt(v_hat) / sqrt(1 - beta2 ** t) + eps
        p = p - (lr / (1 - beta1 ** t)) * m / denom

    A group whose ``convention`` is ``'keras'`` (the Keras face's ``Adam``) adds epsilon
    before ``v``'s bias correction, Kingma and Ba's "epsilon hat" (section 2 of the
    paper): ``p = p - lr * sqrt(1 - beta2 ** t) / (1 - beta1 ** t) * m / (sqrt(v_hat) +
    eps)``.

    D. P. Kingma, J. Ba, "Adam: a method for stochastic optimization", ICLR 2015.
    AMSGrad: S. J. Reddi, S. Kale, S. Kumar, "On the convergence of Adam and beyond",
    ICLR 2018. Decoupled weight decay: I. Loshchilov, F. Hutter, "Decoupled weight decay
    regularization", ICLR 2019 (that is ``AdamW``).

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate (default 1e-3).
        betas: decay rates of the two moving averages (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: weight decay (default 0): an L2 penalty folded into the gradient,
            or, with ``decoupled_weight_decay``, a shrinking of the weights.
        amsgrad: normalize by the running maximum of ``v`` (default False).
        decoupled_weight_decay: decay the weights directly, as AdamW (default False).

    State per parameter: ``step`` (a float), ``exp_avg``, ``exp_avg_sq`` and
    ``max_exp_avg_sq`` (with amsgrad).

    >>> import topograd
    >>> from topograd.optim import Adam
    >>> w = topograd.tensor([1.0, -3.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w ** 2).sum().backward(); opt.step()   # the first step moves each by lr
    >>> w
    tensor([ 0.9, -2.9], dtype=float32, requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 decoupled_weight_decay: bool = False) -> None:
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "decoupled_weight_decay": decoupled_weight_decay}
        self._check_options(defaults)
        super().__init__(params, defaults)

    @classmethod
    def _check_options(cls, o: dict) -> None:
        _check_nonnegative(o, "lr", "eps")
        betas = o["betas"]
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        _check_nonnegative(o, "weight_decay")

    def _init_state(self, p: np.ndarray, state: dict, group: dict) -> None:
        state["step"] = 0.0
        state["exp_avg"] = np.zeros_like(p)
        state["exp_avg_sq"] = np.zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(p)

    _elementwise = True

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        step = state["step"]  # counted by _begin
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        tmp = self._buffer(p, 0)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        _lerp_(exp_avg, g, 1 - beta1, tmp)
        np.multiply(g, g, out=tmp)  # v += (1 - beta2) * (g * g - v)
        tmp -= exp_avg_sq
        tmp *= 1 - beta2
        exp_avg_sq += tmp

        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"]
            np.maximum(v, exp_avg_sq, out=v)
        else:
            v = exp_avg_sq
        denom = np.sqrt(v, out=tmp)
        if group.get("convention") == "keras":  # epsilon before v's bias correction
            step_size = lr * math.sqrt(bias_correction2) / bias_correction1
        else:
            step_size = lr / bias_correction1
            denom /= bias_correction2**0.5
        denom += group["eps"]
        np.divide(exp_avg, denom, out=tmp)  # one scratch array: step_size * (m / denom)
        tmp *= step_size
        p -= tmp
