"""The scheduler base class and LambdaLR."""

from __future__ import annotations

import types

from ..optimizer import Optimizer


class LRScheduler:
    """Base class of the schedulers: keeps ``base_lrs``, ``last_epoch`` and the last lrs.

    Builds on ``optimizer.param_groups``: each group gets ``'initial_lr'`` (its current lr)
    unless it has one already; the constructor then takes the first step, which sets the
    learning rates for epoch 0. Subclasses implement ``get_lr()``.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        last_epoch: index of the last epoch; -1 (the default) starts afresh. Another value
            resumes, and needs ``'initial_lr'`` in every group.

    >>> import topograd
    >>> from topograd.optim import SGD
    >>> from topograd.optim.lr_scheduler import ExponentialLR
    >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> sched.step(); sched.step()
    >>> sched.last_epoch, sched.get_last_lr(), opt.param_groups[0]["initial_lr"]
    (2, [0.25], 1.0)
    """

    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        f"resuming scheduler with last_epoch={last_epoch}: load the "
                        "optimizer's state_dict first, or start with last_epoch=-1"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list:
        """The learning rates for ``last_epoch``, one per group (subclasses define it)."""
        raise NotImplementedError

    def _group_lrs(self) -> list:
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self) -> None:
        """Advance one epoch and write the new learning rates into the optimizer.

        >>> import topograd
        >>> from topograd.optim import SGD
        >>> from topograd.optim.lr_scheduler import StepLR
        >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = StepLR(opt, step_size=2)
        >>> for _ in range(4):
        ...     sched.step()
        >>> opt.param_groups[0]["lr"]
        0.010000000000000002
        """
        self._step_count += 1
        self.last_epoch += 1
        lrs = self._group_lrs()
        values = self.get_lr()
        lrs[: len(values)] = values  # as PyTorch's zip: a group added later keeps its rate
        self.optimizer.set_lr(lrs)
        self._last_lr = self._group_lrs()

    def get_last_lr(self) -> list:
        """The learning rates the last ``step`` set, one per parameter group.

        >>> import topograd
        >>> from topograd.optim import SGD
        >>> from topograd.optim.lr_scheduler import StepLR
        >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=0.5)
        >>> StepLR(opt, step_size=10).get_last_lr()
        [0.5]
        """
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """The scheduler's state: every attribute except the optimizer.

        >>> import topograd
        >>> from topograd.optim import SGD
        >>> from topograd.optim.lr_scheduler import StepLR
        >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=0.5)
        >>> sd = StepLR(opt, step_size=10).state_dict()
        >>> sd["step_size"], sd["last_epoch"], sd["base_lrs"]
        (10, 0, [0.5])
        """
        return {k: _copy(v) for k, v in self.__dict__.items()
                if k not in ("optimizer", "_is_initial")}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the state saved by ``state_dict``.

        Args:
            state_dict: a dict returned by ``state_dict()``.

        >>> import topograd
        >>> from topograd.optim import SGD
        >>> from topograd.optim.lr_scheduler import StepLR
        >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=0.5)
        >>> a, b = StepLR(opt, step_size=10), StepLR(opt, step_size=3)
        >>> a.step(); b.load_state_dict(a.state_dict())
        >>> b.step_size, b.last_epoch
        (10, 1)
        """
        self.__dict__.update({k: _copy(v) for k, v in state_dict.items()})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


def _copy(v):
    if isinstance(v, list):
        return [_copy(x) for x in v]
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    return v


class LambdaLR(LRScheduler):
    """Set each group's lr to its initial lr times a function of the epoch.

    ``lr = initial_lr * lr_lambda(last_epoch)``.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        lr_lambda: a function of the epoch (an int) returning a factor, or a list of
            them, one per parameter group.
        last_epoch: index of the last epoch (default -1: start afresh).

    ``state_dict`` keeps the attributes of callable objects, not functions or lambdas.

    >>> import topograd
    >>> from topograd.optim import SGD
    >>> from topograd.optim.lr_scheduler import LambdaLR
    >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=0.5)
    >>> sched = LambdaLR(opt, lambda epoch: 1 / (epoch + 1))
    >>> sched.step()
    >>> sched.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer: Optimizer, lr_lambda, last_epoch: int = -1) -> None:
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if not isinstance(lr_lambda, (list, tuple)):
            self.lr_lambdas = [lr_lambda] * n
        else:
            if len(lr_lambda) != n:
                raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """``initial_lr * lr_lambda(last_epoch)`` for each group."""
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> dict:
        """The state; ``lr_lambdas`` holds each callable object's ``__dict__`` (or None).

        >>> import topograd
        >>> from topograd.optim import SGD
        >>> from topograd.optim.lr_scheduler import LambdaLR
        >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=0.5)
        >>> LambdaLR(opt, lambda e: 0.9 ** e).state_dict()["lr_lambdas"]
        [None]
        """
        sd = {k: _copy(v) for k, v in self.__dict__.items()
              if k not in ("optimizer", "lr_lambdas", "_is_initial")}
        sd["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
                            for fn in self.lr_lambdas]
        return sd

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the state, and the saved attributes of callable-object lambdas.

        Args:
            state_dict: a dict returned by ``state_dict()``.

        >>> import topograd
        >>> from topograd.optim import SGD
        >>> from topograd.optim.lr_scheduler import LambdaLR
        >>> opt = SGD([topograd.zeros(1, requires_grad=True)], lr=0.5)
        >>> sched = LambdaLR(opt, lambda e: 0.9 ** e)
        >>> sched.load_state_dict({**sched.state_dict(), "last_epoch": 7})
        >>> sched.last_epoch
        7
        """
        state_dict = dict(state_dict)
        lambdas = state_dict.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        super().load_state_dict(state_dict)
        for fn, saved in zip(self.lr_lambdas, lambdas):
            if saved is not None:
                fn.__dict__.update(saved)
