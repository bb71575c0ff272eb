"""Module-level helpers of :mod:`topograd.keras.models`: result ordering, the summary's
sizes, the loss-less trainer's loss, and which layers have an array (predict) path."""

from __future__ import annotations

from . import losses as losses_mod
from .layers import Layer


def _ordered(loss, logs: dict, model):
    """Keras's list form of results: the loss alone, or ``[loss, *metrics]``."""
    metrics = model.compiled_metrics + model.compiled_weighted_metrics
    return [loss] + [logs[m.name] for m in metrics] if metrics else loss


def _size(n_params: int) -> str:
    b = n_params * 4
    for unit, scale in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if b >= scale:
            return f"{b / scale:.2f} {unit}"
    return f"{b:.2f} B"


class _NoLoss(losses_mod.Loss):
    name = "none"


def _has_array_path(layer) -> bool:
    """A layer whose ``_infer`` stands for its ``call`` (not overridden below it) and that
    has no forward hooks (which only the Tensor path runs)."""
    if layer._forward_hooks or layer._forward_pre_hooks:
        return False
    cls = type(layer)
    ok = _ARRAY_PATH.get(cls)
    if ok is None:
        mro = cls.__mro__
        infer_owner = next(c for c in mro if "_infer" in c.__dict__)
        call_owner = next(c for c in mro if "call" in c.__dict__)
        forward_owner = next(c for c in mro if "forward" in c.__dict__)
        ok = infer_owner.__dict__["_infer"] is not None and \
            issubclass(infer_owner, call_owner) and forward_owner is Layer
        _ARRAY_PATH[cls] = ok
    return ok


_ARRAY_PATH: dict = {}
