"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from .adam import Adam


class AdamW(Adam):
    r"""AdamW: Adam whose weight decay shrinks the weights instead of entering the gradient.

    Each step first does ``p = p * (1 - lr * weight_decay)``, then Adam's update with
    no L2 term (see ``Adam`` for the rest of the rule, amsgrad included)::

        p = p * (1 - lr * weight_decay)
        m = m + (1 - beta1) * (g - m);   v = beta2 * v + (1 - beta2) * g * g
        p = p - (lr / (1 - beta1 ** t)) * m / (sqrt(v) / sqrt(1 - beta2 ** t) + eps)

    I. Loshchilov, F. Hutter, "Decoupled weight decay regularization", ICLR 2019; Adam:
    D. P. Kingma, J. Ba, ICLR 2015; AMSGrad: S. J. Reddi, S. Kale, S. Kumar, ICLR 2018.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate (default 1e-3).
        betas: decay rates of the two moving averages (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: decoupled weight decay coefficient (default 1e-2).
        amsgrad: normalize by the running maximum of ``v`` (default False).

    >>> import topograd
    >>> from topograd.optim import AdamW
    >>> w = topograd.tensor([2.0], dtype=topograd.float64, requires_grad=True)
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * 0).sum().backward(); opt.step()   # zero gradient: only the decay acts
    >>> w.item()
    1.9
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a saved state (see ``Optimizer.load_state_dict``); decay stays decoupled.

        Args:
            state_dict: a dict returned by ``state_dict()``.

        >>> import topograd
        >>> from topograd.optim import AdamW
        >>> w = topograd.ones(2, requires_grad=True)
        >>> opt = AdamW([w])
        >>> opt.load_state_dict(opt.state_dict())
        >>> opt.param_groups[0]["decoupled_weight_decay"]
        True
        """
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
