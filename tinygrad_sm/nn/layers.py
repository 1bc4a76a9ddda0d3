"""Layers with parameters or state: Linear, Embedding, LayerNorm, BatchNorm1d, BatchNorm2d, Dropout, and the
shape layers Identity, Flatten and Unflatten. Each is built from the engine's ops, so each backward is the ops' closed forms.

``rng`` (Linear, Embedding, Dropout) is a numpy Generator, an int seed >= 0 or None, checked by the
engine's one rng check.
"""

import math
import numpy as np

from ..autograd import DEFAULT_DTYPE, Tensor, checks, no_grad
from .module import Module, positive_int, real_number, same_dtype


def _eps(owner, eps):
    return real_number(owner, "eps", eps, lambda v: 0 <= v < math.inf, "a finite number >= 0")


class Linear(Module):
    """z = x weightᵀ + b, the notes' z = Wᵀx + b for a batch of rows x (notes: Softmax regression).

    ``weight`` has PyTorch's shape (out_features, in_features): it is the notes' Wᵀ, so row k is
    the class-k weight vector w_k of W = [w_1 ... w_K] ∈ R^{d×K}, and ``weight.T`` is the notes' W
    (the pictures show that transpose as its own node); ``bias`` has shape (out_features,).
    Initialisation (LeCun): W_ij ~ N(0, 1 / in_features), b = 0, so each z_k starts with about
    the variance of one input feature. (He's 2 / in_features trained the digits network of
    issue 3 slightly worse with the default lr = 0.1 and momentum 0.9.)
    ``rng`` is a numpy Generator or a seed, for reproducible weights.
    """

    def __init__(self, in_features, out_features, bias=True, rng=None, dtype=np.float32):
        self.in_features = positive_int("Linear", "in_features", in_features)
        self.out_features = positive_int("Linear", "out_features", out_features)
        scale = np.sqrt(1.0 / self.in_features)
        W = checks.make_rng(rng, "Linear").standard_normal((self.in_features, self.out_features)) * scale
        self.weight = Tensor(np.ascontiguousarray(W.T, dtype=dtype), requires_grad=True, name="Wᵀ")
        self.bias = Tensor(np.zeros(self.out_features, dtype=dtype), requires_grad=True, name="b") if bias else None

    def forward(self, x):
        same_dtype(self, x, self.weight)
        z = x @ self.weight.T  # the notes' X W
        return z + self.bias if self.bias is not None else z

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input."""

    def forward(self, x):
        return x


class Flatten(Module):
    """``x.flatten(start, end)``: by default every axis after the batch axis, (n, ...) → (n, d)."""

    def __init__(self, start=1, end=-1):
        self.start, self.end = start, end

    def forward(self, x):
        return x.flatten(self.start, self.end)

    def extra_repr(self):
        return f"start={self.start}, end={self.end}"


class Unflatten(Module):
    """The inverse of Flatten: axis ``dim`` of x, of size Π unflattened_size, becomes the axes ``unflattened_size``.

    (n, 784) → (n, 1, 28, 28) with ``Unflatten(1, (1, 28, 28))``, as PyTorch's; one size may be -1 (inferred).
    """

    def __init__(self, dim, unflattened_size):
        if not checks.is_int(dim):
            raise TypeError(f"Unflatten: dim must be an int, got {dim!r}")
        size = tuple(unflattened_size) if isinstance(unflattened_size, (tuple, list)) else (unflattened_size,)
        if not size or not all(checks.is_int(n) and (n >= 1 or n == -1) for n in size) or size.count(-1) > 1:
            raise ValueError(f"Unflatten: unflattened_size must be ints >= 1 (one may be -1), got {unflattened_size!r}")
        self.dim, self.unflattened_size = int(dim), tuple(int(n) for n in size)

    def forward(self, x):
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"Unflatten: dim {self.dim} is out of range for an input of shape {x.shape}")
        dim = self.dim % x.ndim
        known = math.prod(n for n in self.unflattened_size if n != -1)
        fits = x.shape[dim] % known == 0 if -1 in self.unflattened_size else x.shape[dim] == known
        if not fits:
            raise ValueError(f"Unflatten: axis {dim} of shape {x.shape} (size {x.shape[dim]}) cannot become "
                             f"{self.unflattened_size}")
        return x.reshape(x.shape[:dim] + self.unflattened_size + x.shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Dropout(Module):
    """Zero each element with probability p while training, and scale the rest by 1/(1 - p)
    (so the expected value is unchanged); the identity in ``eval()``. ``rng``: a numpy
    Generator or a seed, for reproducible masks (set ``layer.rng`` again to re-seed)."""

    def __init__(self, p=0.5, rng=None):
        self.p = real_number("Dropout", "p", p, lambda v: 0 <= v <= 1, "a number in [0, 1]")
        self.rng = checks.make_rng(rng, "Dropout")

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        if self.p == 1:  # every element dropped: zeros, as PyTorch (no 1/(1 - p))
            return x * np.zeros((), x.dtype if x.dtype.kind == "f" else DEFAULT_DTYPE)
        keep = self.rng.random(x.shape) >= self.p
        dtype = x.dtype if x.dtype.kind == "f" else DEFAULT_DTYPE
        with np.errstate(over="ignore"):  # 1/(1 - p) past float16's range is inf, as in PyTorch ...
            scale = np.asarray(1 / (1 - self.p), dtype=dtype)
        return x * np.where(keep, scale, np.zeros((), dtype))  # ... and a dropped element stays 0, never 0 · inf

    def extra_repr(self):
        return f"p={self.p}"


class LayerNorm(Module):
    """(x - mean) / √(var + ε) over the last axes (``normalized_shape``), then ⊙ weight + bias.

    The variance is the biased one (correction 0), as PyTorch's LayerNorm.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, dtype=np.float32):
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        self.normalized_shape = tuple(positive_int("LayerNorm", "normalized_shape", n) for n in shape)
        self.eps = _eps("LayerNorm", eps)
        self.weight = Tensor(np.ones(self.normalized_shape, dtype), requires_grad=True, name="γ") \
            if elementwise_affine else None
        self.bias = Tensor(np.zeros(self.normalized_shape, dtype), requires_grad=True, name="β") \
            if elementwise_affine else None

    def forward(self, x):
        n = len(self.normalized_shape)
        if x.shape[x.ndim - n:] != self.normalized_shape:
            raise ValueError(f"LayerNorm: input of shape {x.shape} does not end in {self.normalized_shape}")
        if self.weight is not None:
            same_dtype(self, x, self.weight)
        axes = tuple(range(-n, 0))
        centered = x - x.mean(axis=axes, keepdims=True)
        out = centered / (centered.square().mean(axis=axes, keepdims=True) + self.eps).sqrt()
        return out * self.weight + self.bias if self.weight is not None else out

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}"


class BatchNorm1d(Module):
    """Normalise each feature over the batch: (x - μ_B) / √(σ²_B + ε) ⊙ weight + bias, for (n, C) or (n, C, L).

    Training uses the batch's mean and biased variance and updates the buffers
    ``running_mean``/``running_var`` (r ← (1 - momentum) r + momentum · batch value, the unbiased
    variance, as PyTorch); ``eval()`` uses the running statistics. The buffers are in
    ``state_dict()``.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, dtype=np.float32):
        self.num_features = positive_int("BatchNorm1d", "num_features", num_features)
        self.momentum = real_number("BatchNorm1d", "momentum", momentum, lambda v: 0 <= v <= 1, "in [0, 1]")
        self.eps = _eps("BatchNorm1d", eps)
        self.weight = Tensor(np.ones(self.num_features, dtype), requires_grad=True, name="γ")
        self.bias = Tensor(np.zeros(self.num_features, dtype), requires_grad=True, name="β")
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype))
        self.register_buffer("running_var", np.ones(self.num_features, dtype))

    def forward(self, x):
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d: expected input (n, {self.num_features}) or (n, {self.num_features}, L), "
                             f"got shape {x.shape}")
        same_dtype(self, x, self.weight)
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        if self.training:
            count = x.size // self.num_features
            if count < 2:
                raise ValueError(f"BatchNorm1d: training needs more than one value per feature, got shape {x.shape}")
            mean = x.mean(axis=axes, keepdims=True)
            var = (x - mean).square().mean(axis=axes, keepdims=True)
            self._update_running_stats(mean.data.reshape(-1), var.data.reshape(-1) * (count / (count - 1)))
        else:
            mean = self.running_mean.reshape(shape)
            var = self.running_var.reshape(shape)
        out = (x - mean) / (var + self.eps).sqrt()
        return out * self.weight.reshape(shape) + self.bias.reshape(shape)

    def _update_running_stats(self, mean, unbiased_var):
        with no_grad():
            for buffer, value in ((self.running_mean, mean), (self.running_var, unbiased_var)):
                buffer.mul_(1 - self.momentum)
                buffer.add_(value * self.momentum)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm2d(Module):
    """Normalise each channel over (N, H, W): (x - μ_c) / √(σ²_c + ε) · weight_c + bias_c, for (N, C, H, W).

    As PyTorch's BatchNorm2d: training uses the batch's mean and biased variance per channel and
    updates ``running_mean``/``running_var`` (r ← (1 - momentum) r + momentum · batch value, the
    unbiased variance; ``momentum=None`` is the cumulative average, momentum = 1 / num_batches_tracked);
    ``eval()`` uses the running statistics. ``affine=False`` has no weight and bias;
    ``track_running_stats=False`` keeps no buffers and always uses the batch's statistics. The buffers
    ``running_mean``, ``running_var`` and ``num_batches_tracked`` are in ``state_dict()`` under PyTorch's keys.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=np.float32):
        self.num_features = positive_int("BatchNorm2d", "num_features", num_features)
        self.eps = _eps("BatchNorm2d", eps)
        self.momentum = None if momentum is None else real_number("BatchNorm2d", "momentum", momentum,
                                                                  lambda v: 0 <= v <= 1, "in [0, 1] or None")
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        self.weight = Tensor(np.ones(self.num_features, dtype), requires_grad=True, name="γ") if affine else None
        self.bias = Tensor(np.zeros(self.num_features, dtype), requires_grad=True, name="β") if affine else None
        self.running_mean = self.running_var = self.num_batches_tracked = None
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype))
            self.register_buffer("num_batches_tracked", np.array(0, np.int64))

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm2d: expected input (N, {self.num_features}, H, W), got shape {x.shape}")
        if self.affine or self.track_running_stats:
            same_dtype(self, x, self.weight if self.affine else self.running_mean)
        shape = (1, self.num_features, 1, 1)
        if self.training or not self.track_running_stats:
            mean, var = self._batch_statistics(x)
        else:
            mean, var = self.running_mean.reshape(shape), self.running_var.reshape(shape)
        out = (x - mean) / (var + self.eps).sqrt()
        if self.affine:
            out = out * self.weight.reshape(shape) + self.bias.reshape(shape)
        return out

    def _batch_statistics(self, x):
        """μ_c and the biased σ²_c over (N, H, W), kept 4-D; in training, the running statistics updated."""
        count = x.size // self.num_features
        if self.training and count == 1:
            raise ValueError(f"BatchNorm2d: training needs more than one value per channel, got shape {x.shape}")
        if count == 0:  # as PyTorch: an empty batch goes through, counted but leaving the statistics as they are
            if self.training and self.track_running_stats:
                with no_grad():
                    self.num_batches_tracked.add_(1)
            shape = (1, self.num_features, 1, 1)
            return Tensor(np.zeros(shape, x.dtype)), Tensor(np.ones(shape, x.dtype))
        mean = x.mean(axis=(0, 2, 3), keepdims=True)
        var = (x - mean).square().mean(axis=(0, 2, 3), keepdims=True)
        if self.training and self.track_running_stats:
            self._update_running_stats(mean.data.reshape(-1), var.data.reshape(-1) * (count / (count - 1)))
        return mean, var

    def _update_running_stats(self, mean, unbiased_var):
        with no_grad():
            self.num_batches_tracked.add_(1)
            momentum = 1 / int(self.num_batches_tracked.item()) if self.momentum is None else self.momentum
            for buffer, value in ((self.running_mean, mean), (self.running_var, unbiased_var)):
                buffer.mul_(1 - momentum)
                buffer.add_((value * momentum).astype(buffer.dtype))

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class Embedding(Module):
    """Row ``i`` of ``weight`` (num_embeddings × embedding_dim, N(0, 1) at the start) for each int index i."""

    def __init__(self, num_embeddings, embedding_dim, rng=None, dtype=np.float32):
        self.num_embeddings = positive_int("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = positive_int("Embedding", "embedding_dim", embedding_dim)
        weight = checks.make_rng(rng, "Embedding").standard_normal((self.num_embeddings, self.embedding_dim))
        self.weight = Tensor(weight.astype(dtype), requires_grad=True, name="E")

    def forward(self, indices):
        try:
            indices = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
        except ValueError:  # numpy refuses a ragged list: [[1, 2], [3]]
            raise ValueError(f"Embedding: indices must be a rectangular array of ints, got the ragged "
                             f"{checks.short(indices)}") from None
        if indices.size and indices.dtype.kind not in "iu":
            raise TypeError(f"Embedding: indices must be ints, got dtype {indices.dtype}")
        if indices.size and (indices.min() < 0 or indices.max() >= self.num_embeddings):
            raise IndexError(f"Embedding: indices must be in 0..{self.num_embeddings - 1}, got values from "
                             f"{indices.min()} to {indices.max()}")
        return self.weight[indices.astype(np.intp)]

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"
