"""More ``nn`` layers and losses, built from the ops (so each backward is the ops' closed forms).

``nn`` re-exports everything here: ``nn.Dropout``, ``nn.LayerNorm``, ``nn.BatchNorm1d``,
``nn.Embedding``, ``nn.Identity``, ``nn.Flatten``, a module per activation, ``nn.clip_grad_norm_``
and the losses ``binary_cross_entropy``, ``binary_cross_entropy_with_logits``, ``nll_loss``,
``huber_loss`` and ``smooth_l1_loss``.
"""

import numpy as np

from .autograd import where
from .autograd import no_grad
from .nn import Module, _positive_int, _reduce
from .autograd import DEFAULT_DTYPE, Tensor


def _as_tensor(x, owner):
    if not isinstance(x, Tensor):
        raise TypeError(f"{owner}: expected a Tensor, got {type(x).__name__}")
    return x


# ---------------------------------------------------------------- layers

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


class Dropout(Module):
    """Zero each element with probability p while training, and scale the rest by 1/(1 - p)
    (so the expected value is unchanged); the identity in ``eval()``. ``rng``: a numpy
    Generator or a seed, for reproducible masks (set ``layer.rng`` again to re-seed)."""

    def __init__(self, p=0.5, rng=None):
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be a number in [0, 1), got {p!r}")
        self.p, self.rng = float(p), np.random.default_rng(rng)

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = self.rng.random(x.shape) >= self.p
        dtype = x.dtype if x.dtype.kind == "f" else DEFAULT_DTYPE
        return x * (keep * np.asarray(1 / (1 - self.p), dtype=dtype)).astype(dtype, copy=False)

    def extra_repr(self):
        return f"p={self.p}"


class LayerNorm(Module):
    """(x - mean) / √(var + ε) over the last axes (``normalized_shape``), then ⊙ weight + bias.

    The variance is the biased one (correction 0), as PyTorch's LayerNorm.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, dtype=np.float32):
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        self.normalized_shape = tuple(_positive_int("LayerNorm", "normalized_shape", n) for n in shape)
        self.eps = float(eps)
        self.weight = Tensor(np.ones(self.normalized_shape, dtype), requires_grad=True, name="γ") \
            if elementwise_affine else None
        self.bias = Tensor(np.zeros(self.normalized_shape, dtype), requires_grad=True, name="β") \
            if elementwise_affine else None

    def forward(self, x):
        n = len(self.normalized_shape)
        if x.shape[x.ndim - n:] != self.normalized_shape:
            raise ValueError(f"LayerNorm: input of shape {x.shape} does not end in {self.normalized_shape}")
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
        self.num_features = _positive_int("BatchNorm1d", "num_features", num_features)
        if not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"BatchNorm1d: momentum must be in [0, 1], got {momentum!r}")
        self.eps, self.momentum = float(eps), float(momentum)
        self.weight = Tensor(np.ones(self.num_features, dtype), requires_grad=True, name="γ")
        self.bias = Tensor(np.zeros(self.num_features, dtype), requires_grad=True, name="β")
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype))
        self.register_buffer("running_var", np.ones(self.num_features, dtype))

    def forward(self, x):
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d: expected input (n, {self.num_features}) or (n, {self.num_features}, L), "
                             f"got shape {x.shape}")
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


class Embedding(Module):
    """Row ``i`` of ``weight`` (num_embeddings × embedding_dim, N(0, 1) at the start) for each int index i."""

    def __init__(self, num_embeddings, embedding_dim, rng=None, dtype=np.float32):
        self.num_embeddings = _positive_int("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = _positive_int("Embedding", "embedding_dim", embedding_dim)
        weight = np.random.default_rng(rng).standard_normal((self.num_embeddings, self.embedding_dim))
        self.weight = Tensor(weight.astype(dtype), requires_grad=True, name="E")

    def forward(self, indices):
        indices = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
        if indices.size and indices.dtype.kind not in "iu":
            raise TypeError(f"Embedding: indices must be ints, got dtype {indices.dtype}")
        if indices.size and (indices.min() < 0 or indices.max() >= self.num_embeddings):
            raise IndexError(f"Embedding: indices must be in 0..{self.num_embeddings - 1}, got values from "
                             f"{indices.min()} to {indices.max()}")
        return self.weight[indices.astype(np.intp)]

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"


class LeakyReLU(Module):
    """z for z > 0, slope·z otherwise."""

    def __init__(self, negative_slope=0.01):
        self.negative_slope = negative_slope

    def forward(self, x):
        return x.leaky_relu(self.negative_slope)


class ELU(Module):
    """z for z > 0, α(e^z - 1) otherwise."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        return x.elu(self.alpha)


class GELU(Module):
    """z Φ(z) in its tanh form (PyTorch's ``GELU(approximate="tanh")``)."""

    def forward(self, x):
        return x.gelu()


class Softplus(Module):
    """log(1 + e^z)."""

    def forward(self, x):
        return x.softplus()


class Softmax(Module):
    """softmax along ``axis``."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        return x.softmax(self.axis)


class LogSoftmax(Module):
    """log softmax along ``axis``."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        return x.log_softmax(self.axis)


# ---------------------------------------------------------------- gradients

def clip_grad_norm_(parameters, max_norm, norm_type=2.0):
    """Scale every gradient by max_norm / ‖g‖ when the total norm ‖g‖ of all of them is larger.

    Returns the total norm before clipping (as PyTorch; ``norm_type`` may be ``float("inf")``).
    """
    if not np.isfinite(max_norm) or max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be a finite number >= 0, got {max_norm!r}")
    params = [p for p in ([parameters] if isinstance(parameters, Tensor) else parameters) if p.grad is not None]
    grads = [p.grad for p in params]
    if not grads:
        return 0.0
    if norm_type == float("inf"):
        total = max(float(np.abs(g).max()) if g.size else 0.0 for g in grads)
    else:
        total = float(sum(float((np.abs(g) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type))
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        for p in params:
            p.grad = p.grad * np.asarray(scale, dtype=p.grad.dtype)
    return total


# ---------------------------------------------------------------- losses

def _same_shape_target(target, pred, loss):
    target = np.asarray(target.data if isinstance(target, Tensor) else target)
    if target.shape != pred.shape:
        raise ValueError(f"{loss}: prediction of shape {pred.shape} and target of shape {target.shape} differ")
    return target.astype(pred.dtype if pred.dtype.kind == "f" else DEFAULT_DTYPE, copy=False)


def _probability_targets(target, pred, loss):
    target = _same_shape_target(target, pred, loss)
    if target.size and (np.isnan(target).any() or target.min() < 0 or target.max() > 1):
        raise ValueError(f"{loss}: targets must be in [0, 1], got values from {target.min()} to {target.max()}")
    return target


def binary_cross_entropy_with_logits(z, target, reduction="mean"):
    """-[t log σ(z) + (1 - t) log(1 - σ(z))] = softplus(z) - t z, stable for any z; t ∈ [0, 1]."""
    t = _probability_targets(target, _as_tensor(z, "binary_cross_entropy_with_logits"),
                             "binary_cross_entropy_with_logits")
    return _reduce(z.softplus() - z * t, reduction, "binary_cross_entropy_with_logits")


LOG_FLOOR = -100.0  # PyTorch's binary_cross_entropy clamps log p and log(1 - p) at -100


def binary_cross_entropy(p, target, reduction="mean"):
    """-[t log p + (1 - t) log(1 - p)] for probabilities p ∈ [0, 1]; each log is clamped at -100 (as PyTorch)."""
    t = _probability_targets(target, _as_tensor(p, "binary_cross_entropy"), "binary_cross_entropy")
    if p.size and (np.isnan(p.data).any() or p.data.min() < 0 or p.data.max() > 1):
        raise ValueError(f"binary_cross_entropy: probabilities must be in [0, 1], got values from "
                         f"{p.data.min()} to {p.data.max()} (use binary_cross_entropy_with_logits for scores)")
    floor = float(np.exp(LOG_FLOOR))
    log_p, log_q = p.clip(min=floor).log(), (1 - p).clip(min=floor).log()
    return _reduce(-(log_p * t + log_q * (1 - t)), reduction, "binary_cross_entropy")


def nll_loss(log_probs, labels, reduction="mean"):
    """-log p_y per row of log-probabilities (n, K) and int labels (n,): with log_softmax, the cross-entropy."""
    _as_tensor(log_probs, "nll_loss")
    labels = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if log_probs.ndim != 2 or labels.shape != log_probs.shape[:1]:
        raise ValueError(f"nll_loss: need log-probabilities (n, K) and n labels, got shapes {log_probs.shape} "
                         f"and {labels.shape}")
    if labels.size and labels.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: labels must be ints, got dtype {labels.dtype}")
    num_classes = log_probs.shape[1]
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)].flat[0]
        raise ValueError(f"nll_loss: label {bad} is out of range for {num_classes} classes")
    return _reduce(-log_probs[np.arange(len(labels)), labels], reduction, "nll_loss")


def huber_loss(pred, target, reduction="mean", delta=1.0):
    """½ d² where |d| ≤ δ, δ(|d| - ½δ) beyond (d = pred - target): quadratic near 0, linear in the tails."""
    t = _same_shape_target(target, _as_tensor(pred, "huber_loss"), "huber_loss")
    if not np.isfinite(delta) or delta <= 0:
        raise ValueError(f"huber_loss: delta must be a finite number > 0, got {delta!r}")
    d = pred - t
    small = np.abs(d.data) <= delta
    return _reduce(where(small, 0.5 * d.square(), delta * (d.abs() - 0.5 * delta)), reduction, "huber_loss")


def smooth_l1_loss(pred, target, reduction="mean", beta=1.0):
    """½ d²/β where |d| < β, |d| - ½β beyond: Huber divided by β (the two agree at β = δ = 1)."""
    t = _same_shape_target(target, _as_tensor(pred, "smooth_l1_loss"), "smooth_l1_loss")
    if not np.isfinite(beta) or beta <= 0:
        raise ValueError(f"smooth_l1_loss: beta must be a finite number > 0, got {beta!r}")
    d = pred - t
    small = np.abs(d.data) < beta
    return _reduce(where(small, d.square() * (0.5 / beta), d.abs() - 0.5 * beta), reduction, "smooth_l1_loss")
