"""Optimizers and learning-rate schedulers, following ``torch.optim``.

Every optimizer updates its parameters' arrays in place, reads ``group['lr']`` at every
step (so schedulers and ``optimizer.lr = ...`` take effect at once), creates its
per-parameter state on the first step and checkpoints in PyTorch's ``state_dict`` format.

>>> import topograd
>>> from topograd import optim
>>> w = topograd.tensor([4.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.25)
>>> sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
>>> for _ in range(3):
...     opt.zero_grad(); (w ** 2).sum().backward(); opt.step(); sched.step()
>>> w.item(), sched.get_last_lr()
(1.3125, [0.03125])
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]
