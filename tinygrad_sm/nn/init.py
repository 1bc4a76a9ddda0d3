"""``nn.init``: fill a parameter in place with seeded random or constant values.

Fans follow PyTorch's layout, ``Linear.weight`` of shape (out_features, in_features):
fan_in = shape[1], fan_out = shape[0]. For more than two axes (a conv kernel (out, in, kh, kw))
the trailing axes count into both fans, as PyTorch's receptive field. ``rng``: a numpy Generator, an int seed >= 0
or None, checked by the engine's one rng check (a bad seed raises as ``tg.rand(2, rng=-1)`` does).
Each function returns the tensor and bumps its version (an in-place change).
"""

import math

import numpy as np

from ..autograd import checks, no_grad

GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0), "leaky_relu": None, "selu": 0.75}


def calculate_gain(nonlinearity, param=None):
    """The gain that keeps activations' variance steady through ``nonlinearity`` (PyTorch's values)."""
    if nonlinearity not in GAINS:
        raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; use one of {sorted(GAINS)}")
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    return GAINS[nonlinearity]


def fans(tensor):
    """(fan_in, fan_out) of a weight of shape (out, in, *receptive field), as PyTorch reads it."""
    if tensor.ndim < 2:
        raise ValueError(f"init: fans need a tensor with at least 2 axes, got shape {tensor.shape}")
    receptive = int(np.prod(tensor.shape[2:]))
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fill(tensor, values):
    with no_grad():
        tensor.copy_(values.astype(tensor.dtype, copy=False))
    return tensor


def uniform_(tensor, a=0.0, b=1.0, rng=None):
    """U[a, b)."""
    return _fill(tensor, checks.make_rng(rng, "uniform_").uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, rng=None):
    """N(mean, std²)."""
    return _fill(tensor, checks.make_rng(rng, "normal_").normal(mean, std, tensor.shape))


def constant_(tensor, value):
    """Every entry ``value``."""
    return _fill(tensor, np.full(tensor.shape, value))


def zeros_(tensor):
    """Every entry 0."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Every entry 1."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0, rng=None):
    """U[-a, a] with a = gain √(6 / (fan_in + fan_out)) (Glorot & Bengio)."""
    fan_in, fan_out = fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, checks.make_rng(rng, "xavier_uniform_"))


def xavier_normal_(tensor, gain=1.0, rng=None):
    """N(0, σ²) with σ = gain √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, checks.make_rng(rng, "xavier_normal_"))


def _kaiming_std(tensor, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fans(tensor)[0 if mode == "fan_in" else 1]
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    """U[-b, b] with b = gain √(3 / fan) (He et al.); gain from ``nonlinearity`` (slope ``a`` for leaky_relu)."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, checks.make_rng(rng, "kaiming_uniform_"))


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    """N(0, σ²) with σ = gain / √fan."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    return normal_(tensor, 0.0, std, checks.make_rng(rng, "kaiming_normal_"))
