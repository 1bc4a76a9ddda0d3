"""tinygrad_sm: a small reverse-mode autodiff engine on numpy, written to be read beside the lecture notes.

The public face only. The engine is ``tinygrad_sm.autograd`` (read ``ops.py``, ``tensor.py`` and
``backward.py`` there first); layers are in ``nn``, optimizers in ``optim``, pictures in ``viz``.
"""

import importlib

from . import nn, optim
from .autograd import (Op, Tensor, arange, cat, concatenate, enable_grad, eye, full, full_like, gradcheck,
                       is_grad_enabled, jacobian, more_ops, no_grad, one_hot, ones_like, ops, rand, randint,
                       set_grad_enabled, stack, uniform, value_and_grad, where, zeros_like)
from .autograd import empty, from_numpy, manual_seed, ones, parity_ops, randn, tensor, zeros
from .autograd import functional, gradgradcheck, hessian, hvp, jvp, vjp
from .checkpoint import load, save

__all__ = ["Tensor", "Op", "ops", "more_ops", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "gradcheck", "nn", "optim", "viz", "save", "load",
           "where", "cat", "concatenate", "stack", "one_hot", "arange", "eye", "full", "full_like", "zeros_like",
           "ones_like", "rand", "uniform", "randint", "grad", "value_and_grad", "jacobian",
           "parity_ops", "manual_seed", "tensor", "from_numpy", "zeros", "ones", "empty", "randn",
           "gradgradcheck", "hessian", "hvp", "vjp", "jvp"]
__version__ = "0.1.0"
grad = functional.grad  # grad(f); tinygrad_sm.autograd.grad is torch.autograd.grad's grad(outputs, inputs)


LAZY_BRIDGES = {"to_torch": ".torch_bridge", "from_torch": ".torch_bridge", "onnx": ".onnx"}  # torch, onnx: extras


def __getattr__(name):
    """``tg.viz`` loads the picture package (and graphviz) on first use, so ``import tinygrad_sm`` stays light;
    ``tg.to_torch``, ``tg.from_torch`` and ``tg.onnx`` likewise load torch or onnx only when first used."""
    if name == "viz":
        return importlib.import_module(".viz", __name__)
    if name in LAZY_BRIDGES:
        module = importlib.import_module(LAZY_BRIDGES[name], __name__)
        return module if name == "onnx" else getattr(module, name)
    raise AttributeError(f"module 'tinygrad_sm' has no attribute {name!r}")
