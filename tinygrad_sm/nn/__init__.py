"""PyTorch-like building blocks on the Tensor: Module and Sequential, layers, activations, the notes' losses,
``nn.init`` and ``clip_grad_norm_``.

``Linear`` stores its weight as PyTorch does, (out, in): the notes' Wᵀ, where W = [w_1 ... w_K] ∈ R^{d×K}
(notes: Softmax regression), so a batch of rows goes through one matmul, Z = X weightᵀ + b = X W + b. ``one_hot`` is the engine's own (``tg.one_hot``).
``nn.functional`` (``import tinygrad_sm.nn.functional as F``) has PyTorch's stateless spellings; the loss
modules (``nn.CrossEntropyLoss()``, ...) call the losses of ``loss.py``.
Every module in this package imports the engine through its facade and its siblings below it, never this file.
"""

from ..autograd import Tensor, one_hot
from . import functional, init
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, ConvTranspose2d, MaxPool2d
from .layers import BatchNorm1d, BatchNorm2d, Dropout, Embedding, Flatten, Identity, LayerNorm, Linear, Unflatten
from .loss import (REDUCTIONS, binary_cross_entropy, binary_cross_entropy_with_logits, binary_logistic,
                   cross_entropy, huber_loss, kl_div, l1_loss, mse, mse_loss, multiclass_perceptron_loss, nll_loss,
                   perceptron_loss, smooth_l1_loss)
from .loss_modules import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss,
                           NLLLoss, SmoothL1Loss)
from .containers import ModuleDict, ModuleList, Parameter
from .module import Module, Sequential
from .utils import clip_grad_norm_

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "Parameter",
           "Linear", "Identity", "Flatten", "Dropout", "LayerNorm", "BatchNorm1d", "BatchNorm2d", "Embedding",
           "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "ELU", "GELU", "Softplus", "Softmax", "LogSoftmax",
           "cross_entropy", "mse", "binary_logistic", "perceptron_loss", "multiclass_perceptron_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss", "huber_loss", "smooth_l1_loss",
           "REDUCTIONS", "one_hot", "clip_grad_norm_", "init", "Tensor",
           "mse_loss", "l1_loss", "kl_div", "functional",
           "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "HuberLoss",
           "SmoothL1Loss", "KLDivLoss",
           "Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
           "Unflatten"]
