"""Keras's callbacks, from :mod:`topograd.train` (the loop both faces share).

>>> from topograd.keras import callbacks
>>> callbacks.EarlyStopping(monitor="val_loss", patience=3).patience
3
"""

from topograd.train.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    History,
    LambdaCallback,
    ProgbarLogger,
    TerminateOnNaN,
)
from topograd.train.monitor import EarlyStopping, LearningRateScheduler, ReduceLROnPlateau
from topograd.train.saving import BackupAndRestore, ModelCheckpoint

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping",
           "ModelCheckpoint", "LearningRateScheduler", "ReduceLROnPlateau", "CSVLogger",
           "TerminateOnNaN", "BackupAndRestore", "LambdaCallback"]
