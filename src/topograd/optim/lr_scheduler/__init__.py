"""Learning-rate schedulers, following ``torch.optim.lr_scheduler``.

A scheduler sets the learning rates of its optimizer's groups (``optimizer.set_lr``) each
time ``step()`` is called (once per epoch, or per batch, after ``optimizer.step()``). The
formulas are PyTorch's recursive ("chainable") ones, so learning-rate sequences match
PyTorch's to the last bit, and schedulers can be stacked on one optimizer.
"""

from .base import LambdaLR, LRScheduler
from .decay import CosineAnnealingLR, ExponentialLR, LinearLR, MultiStepLR, StepLR
from .plateau import ReduceLROnPlateau

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR",
           "CosineAnnealingLR", "LinearLR", "ReduceLROnPlateau"]
