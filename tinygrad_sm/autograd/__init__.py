"""The engine: Tensor, its ops with their closed-form backward rules, and the backward walk.

Read ``ops.py``, then ``tensor.py``, then ``backward.py``; everything else here can wait.
This package imports numpy and itself, nothing above it.
"""

from . import checks, conv_checks, conv_ops, functional, higher_order, more_ops, ops, parity_ops, trace
from .checks import DEFAULT_DTYPE, manual_seed
from .conv_functions import (adaptive_avg_pool2d, avg_pool2d, conv1d, conv2d, conv_transpose2d, fold, max_pool2d,
                             unfold)
from .backward import GraphFreed, run_backward
from .freeing import FreedTensor
from .functional import hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .functions import (arange, cat, concatenate, empty, eye, from_numpy, full, full_like, one_hot, ones,
                        ones_like, rand, randint, randn, stack, tensor, uniform, where, zeros, zeros_like)
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck, gradgradcheck
from .gradients import grad  # torch.autograd.grad's meaning; tinygrad_sm.grad is functional.grad, grad(f)
from .higher_order import NotTwiceDifferentiable
from .ops import Op, unbroadcast
from .tensor import Tensor

__all__ = ["Tensor", "Op", "unbroadcast", "DEFAULT_DTYPE", "ops", "more_ops", "checks", "trace", "functional",
           "higher_order", "NotTwiceDifferentiable", "gradgradcheck", "hessian", "hvp", "vjp", "jvp",
           "run_backward", "GraphFreed", "FreedTensor",
           "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "gradcheck",
           "grad", "value_and_grad", "jacobian",
           "where", "cat", "concatenate", "stack", "one_hot", "arange", "eye", "full", "full_like", "zeros_like",
           "ones_like", "rand", "uniform", "randint",
           "parity_ops", "manual_seed", "tensor", "from_numpy", "zeros", "ones", "empty", "randn",
           "conv1d", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "unfold", "fold",
           "conv_ops", "conv_checks"]
