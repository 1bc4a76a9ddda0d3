"""``tinygrad_sm.nn.functional`` (``import tinygrad_sm.nn.functional as F``): PyTorch's stateless spellings.

Each function is one call of a Tensor method or of a loss in ``loss.py``, with PyTorch's name,
argument names and defaults, so ``F.relu(x)``, ``F.softmax(x, dim=1)``, ``F.cross_entropy(z, y,
label_smoothing=0.1)`` read as in PyTorch. The backward of each is that of the ops it calls.
"""

import numpy as np

from ..autograd import (Tensor, adaptive_avg_pool2d, avg_pool2d, conv1d, conv2d, conv_transpose2d, fold, max_pool2d,
                        unfold)
from ..autograd import one_hot as _one_hot_rows
from .layers import Dropout
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, kl_div,
                   l1_loss, mse_loss, nll_loss, smooth_l1_loss)

__all__ = ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "softplus", "softmax", "log_softmax", "linear",
           "dropout", "one_hot", "pad",
           "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "huber_loss", "smooth_l1_loss", "kl_div",
           "conv1d", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "unfold", "fold"]


# ---------------------------------------------------------------- activations

def relu(input):
    """max{0, z} elementwise."""
    return input.relu()


def sigmoid(input):
    """σ(z) = 1 / (1 + e^{-z}) elementwise."""
    return input.sigmoid()


def tanh(input):
    """tanh(z) elementwise."""
    return input.tanh()


def leaky_relu(input, negative_slope=0.01):
    """z for z > 0, negative_slope · z otherwise."""
    return input.leaky_relu(negative_slope)


def elu(input, alpha=1.0):
    """z for z > 0, α(e^z - 1) otherwise."""
    return input.elu(alpha)


def gelu(input, approximate="none"):
    """z Φ(z), exact by default; ``approximate="tanh"`` for the tanh form."""
    return input.gelu(approximate=approximate)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + e^{βz}) / β. (``threshold``, where PyTorch switches to z, is accepted: ours is stable without it.)"""
    if beta == 1:
        return input.softplus()
    return (input * beta).softplus() / beta


def softmax(input, dim=None):
    """softmax along ``dim``, which must be given (PyTorch's implicit choice is deprecated)."""
    return input.softmax(dim=_given_dim(dim, "softmax"))


def log_softmax(input, dim=None):
    """log softmax along ``dim``, which must be given."""
    return input.log_softmax(dim=_given_dim(dim, "log_softmax"))


def _given_dim(dim, name):
    if dim is None:
        raise TypeError(f"F.{name}: pass dim= (the axis to normalise over, e.g. dim=1 for rows of class scores)")
    return dim


# ---------------------------------------------------------------- layers as functions

def linear(input, weight, bias=None):
    """x weightᵀ + bias, with PyTorch's weight shape (out_features, in_features)."""
    if weight.ndim not in (1, 2) or input.shape[-1:] != weight.shape[-1:]:
        raise ValueError(f"F.linear: input of shape {input.shape} and weight of shape {weight.shape} do not fit; "
                         "the weight is (out_features, in_features), as PyTorch's")
    out = input @ weight.T
    return out if bias is None else out + bias


def dropout(input, p=0.5, training=True):
    """Zero each element with probability p and scale the rest by 1/(1 - p) when ``training``; the
    identity otherwise. Draws from the global generator of ``tg.manual_seed``."""
    return Dropout(p).train(training)(input)


def one_hot(tensor, num_classes=-1):
    """int64 rows e_y for int class indices of any shape, (...) → (..., num_classes), as PyTorch's;
    ``num_classes=-1`` is the largest index + 1. (``tg.one_hot`` gives float32 rows.)"""
    labels = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if num_classes == -1:
        if labels.size == 0:
            raise ValueError("F.one_hot: cannot infer num_classes from an empty tensor; pass num_classes")
        num_classes = int(labels.max()) + 1
    return _one_hot_rows(labels, num_classes, dtype=np.int64)


def pad(input, pad, mode="constant", value=0.0):
    """PyTorch's ``F.pad``: ``pad`` lists (before, after) pairs from the LAST axis backwards; negative widths
    crop. Only ``mode="constant"``. (``Tensor.pad`` takes numpy's pairs, first axis first.)"""
    if mode != "constant":
        raise NotImplementedError(f"F.pad: only mode='constant' is implemented, got {mode!r}")
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"F.pad: pad {pad} must hold (before, after) pairs for at most {input.ndim} axes "
                         f"of a tensor of shape {input.shape}")
    pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)][::-1]
    return input.pad([(0, 0)] * (input.ndim - len(pairs)) + pairs, value=value)


# ---------------------------------------------------------------- convolutions
# conv1d, conv2d, conv_transpose2d, max_pool2d, avg_pool2d, adaptive_avg_pool2d, unfold and fold are the
# engine's own functions (autograd/conv_functions.py), imported above: they already take PyTorch's arguments.

