"""Small helpers of the training loop (:mod:`topograd.train.loop`): array/Tensor
conversion, batch sizes, the logs of a step, and unpacking ``validation_data``."""

from __future__ import annotations

import numpy as np


def _tensor(a):
    from topograd.tensor import Tensor

    if isinstance(a, Tensor):
        return a
    return Tensor._from_array(a if isinstance(a, np.ndarray) else np.asarray(a))


def _array(a):
    return a._data if hasattr(a, "_data") else a


def _batch_len(x) -> int:
    return len(x) if not isinstance(x, (tuple, list)) else len(x[0])


def _update_weighted(metrics, y, pred, sample_weight) -> None:
    if sample_weight is None:  # as Keras: unweighted batches update them unweighted
        for m in metrics:
            m.update_state(y, pred)
    else:
        for m in metrics:
            m.update_state(y, pred, sample_weight=sample_weight)


def _logs(loss_sum: float, seen: int, metrics) -> dict:
    logs = {m.name: m.result() for m in metrics}
    logs["loss"] = loss_sum / seen if seen else float("nan")
    return dict(sorted(logs.items()))


def _set_stop(model, value: bool) -> None:
    try:
        model.stop_training = value
    except AttributeError as e:
        raise TypeError(f"cannot set stop_training on {type(model).__name__}: {e}") from None


def _unpack_validation(data):
    if isinstance(data, (tuple, list)):
        if len(data) in (2, 3):
            return data[0], data[1], (data[2] if len(data) == 3 else None)
        raise ValueError(f"validation_data expected (x_val, y_val) or (x_val, y_val, "
                         f"val_sample_weight), found a {type(data).__name__} of {len(data)} "
                         "items")
    return data, None, None
