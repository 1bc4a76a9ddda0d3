"""tinygrad_sm: a small reverse-mode autodiff engine on numpy, written to be read beside the lecture notes."""

from .gradcheck import gradcheck
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor
from . import nn, optim
from .serialization import load, save

__all__ = ["Tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "gradcheck", "nn", "optim", "save", "load"]
__version__ = "0.1.0"
