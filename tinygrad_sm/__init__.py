"""tinygrad_sm: a small reverse-mode autodiff engine on numpy, written to be read beside the lecture notes."""

from .gradcheck import gradcheck
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor
from .functions import (arange, cat, concatenate, eye, full, full_like, one_hot, ones_like, rand, randint,
                        stack, uniform, where, zeros_like)
from .functional import grad, jacobian, value_and_grad
from . import nn, optim
from .serialization import load, save

__all__ = ["Tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "gradcheck", "nn", "optim",
           "save", "load",
           "where", "cat", "concatenate", "stack", "one_hot", "arange", "eye", "full", "full_like", "zeros_like",
           "ones_like", "rand", "uniform", "randint", "grad", "value_and_grad", "jacobian"]
__version__ = "0.1.0"
