"""tinygrad_sm: a small reverse-mode autodiff engine on numpy, written to be read beside the lecture notes."""

from .autograd import (Op, Tensor, arange, cat, concatenate, enable_grad, eye, full, full_like, grad, gradcheck,
                       is_grad_enabled, jacobian, more_ops, no_grad, one_hot, ones_like, ops, rand, randint,
                       set_grad_enabled, stack, uniform, value_and_grad, where, zeros_like)
from . import nn, optim
from .serialization import load, save

__all__ = ["Tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "gradcheck", "nn", "optim",
           "save", "load",
           "where", "cat", "concatenate", "stack", "one_hot", "arange", "eye", "full", "full_like", "zeros_like",
           "ones_like", "rand", "uniform", "randint", "grad", "value_and_grad", "jacobian"]
__version__ = "0.1.0"
