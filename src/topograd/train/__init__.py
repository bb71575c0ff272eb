"""topograd.train: the one training loop behind both faces, with callbacks and progress.

PyTorch style: ``topograd.train.fit(model, loss_fn, optimizer, x, y, epochs=..., metrics=[...],
callbacks=[...], validation_data=...)`` returns a :class:`History`; the Keras face
(``topograd.keras``) is a thin layer over the same :class:`Trainer`.

>>> import numpy as np, topograd
>>> from topograd import nn, optim, train
>>> _ = topograd.manual_seed(0)
>>> model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
>>> x = np.random.default_rng(0).normal(size=(256, 2)).astype(np.float32)
>>> y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
>>> history = train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05),
...                     x, y, epochs=30, batch_size=32, metrics=["accuracy"], verbose=0)
>>> history.history["accuracy"][-1] > 0.9
True
"""

from . import metrics
from .callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    History,
    LambdaCallback,
    ProgbarLogger,
    TerminateOnNaN,
)
from .checkpoint import load_checkpoint, load_model_state, model_state, save_checkpoint
from .functional import evaluate, fit, predict
from .interrupt import SigintGuard
from .loop import Trainer
from .monitor import EarlyStopping, LearningRateScheduler, ReduceLROnPlateau, get_lr, set_lr
from .progress import Progress
from .saving import BackupAndRestore, ModelCheckpoint

__all__ = [
    "Trainer", "fit", "evaluate", "predict", "metrics", "Progress", "SigintGuard",
    "Callback", "CallbackList", "History", "ProgbarLogger", "LambdaCallback",
    "TerminateOnNaN", "EarlyStopping", "LearningRateScheduler", "ReduceLROnPlateau",
    "CSVLogger", "ModelCheckpoint",
    "BackupAndRestore", "save_checkpoint", "load_checkpoint", "model_state",
    "load_model_state", "get_lr", "set_lr",
]
