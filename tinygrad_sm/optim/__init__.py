"""Optimizers and learning-rate schedulers (PyTorch's names and update rules).

``optimizer.py`` holds the base they share; ``sgd.py`` the notes' θ ← θ - η g; ``adaptive.py`` the
optimizers with per-parameter step sizes; ``lr_scheduler.py`` the schedulers.
"""

from .adaptive import Adagrad, Adam, AdamW, RMSprop
from .lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "StepLR", "ExponentialLR", "CosineAnnealingLR"]
