"""The PyTorch-style one-call forms of the loop: ``fit``, ``evaluate``, ``predict``.

>>> import numpy as np
>>> from topograd import nn, train
>>> train.predict(nn.Linear(2, 1), np.zeros((3, 2), np.float32)).shape
(3, 1)
"""

from __future__ import annotations

import numpy as np

from .callbacks import History
from .loop import Trainer

__all__ = ["fit", "evaluate", "predict"]


def fit(model, loss_fn, optimizer, x, y=None, *, metrics=None, **kwargs) -> History:
    """Train ``model`` with ``loss_fn`` and ``optimizer``: the PyTorch-style one-call loop.

    Args:
        model: an ``nn.Module`` (or any callable with ``train()``/``parameters()``).
        loss_fn: ``loss_fn(output, target)`` -> scalar Tensor, e.g. ``nn.CrossEntropyLoss()``.
        optimizer: e.g. ``optim.Adam(model.parameters())``.
        x, y: arrays/Tensors, or a DataLoader of ``(x, y)`` batches as ``x``.
        metrics: names (``"accuracy"``, ...), Metric objects or functions.
        **kwargs: :meth:`Trainer.fit`'s options (``epochs``, ``batch_size``,
            ``callbacks``, ``validation_data``, ``verbose``, ...).

    Returns:
        The :class:`History`.

    >>> import numpy as np, topograd
    >>> from topograd import nn, optim, train
    >>> model = nn.Linear(4, 3)
    >>> x, y = np.ones((8, 4), np.float32), np.zeros(8, np.int64)
    >>> h = train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
    ...               x, y, epochs=2, verbose=0)
    >>> len(h.history["loss"])
    2
    """
    return Trainer(model, loss_fn, optimizer, metrics).fit(x, y, **kwargs)


def evaluate(model, loss_fn, x, y=None, *, metrics=None, **kwargs) -> dict:
    """The mean loss and metrics of ``model`` over the data (inference mode, no gradients).

    Args:
        model, loss_fn, x, y, metrics: as for :func:`fit`.
        **kwargs: ``batch_size``, ``verbose``, ``callbacks``, ``steps``.

    Returns:
        ``{"loss": ..., metric: ...}``.

    >>> import numpy as np
    >>> from topograd import nn, train
    >>> train.evaluate(nn.Linear(4, 3), nn.CrossEntropyLoss(), np.ones((8, 4), np.float32),
    ...                np.zeros(8, np.int64), verbose=0)["loss"] > 0
    True
    """
    return Trainer(model, loss_fn, None, metrics).evaluate(x, y, **kwargs)


def predict(model, x, **kwargs) -> np.ndarray:
    """``model``'s outputs for all of ``x`` as one array (batched, inference mode).

    Args:
        model: the model.
        x: inputs or a DataLoader.
        **kwargs: ``batch_size``, ``verbose``, ``callbacks``, ``steps``.

    Returns:
        A NumPy array.

    >>> import numpy as np
    >>> from topograd import nn, train
    >>> train.predict(nn.Linear(4, 3), np.ones((5, 4), np.float32)).shape
    (5, 3)
    """
    return Trainer(model).predict(x, **kwargs)
