"""The losses: each takes scores or predictions (a Tensor) and targets (arrays, lists or Tensors) and
returns a scalar Tensor built from the engine's ops, so its gradient is the ops' closed forms.

``reduction="mean"`` by default, the notes' J(θ) = (1/N) Σ_i J_i(θ); ``"sum"`` and ``"none"``
(one loss per example) are also accepted.
"""

import numpy as np

from ..autograd import DEFAULT_DTYPE, Tensor, checks, where

REDUCTIONS = checks.REDUCTIONS


# ---------------------------------------------------------------- helpers

def _reduce(per_example, reduction, loss):
    """The mean, the sum, or (``"none"``) the per-example losses themselves."""
    reduction = checks.reduction(reduction, loss)
    if reduction == "mean":
        return per_example.mean()
    if reduction == "sum":
        return per_example.sum()
    return per_example


def _as_tensor(x, owner):
    if not isinstance(x, Tensor):
        raise TypeError(f"{owner}: expected a Tensor, got {type(x).__name__}")
    return x


def _signs(y, z, loss):
    """Labels y ∈ {-1, +1} as an array of z's dtype and shape."""
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if y.shape != z.shape:
        raise ValueError(f"{loss}: {y.shape} labels for scores of shape {z.shape}; they must have the same shape")
    if not np.all((y == 1) | (y == -1)):
        raise ValueError(f"{loss}: labels must be -1 or +1, got {np.unique(y)[:5]}")
    return y.astype(z.dtype)


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


# ---------------------------------------------------------------- the notes' losses

def cross_entropy(logits, target, reduction="mean"):
    """f_CE = -(1/n) Σ_i Σ_k y_k^(i) log softmax(z^(i))_k, fused: its gradient is (Ŷ - Y)/n
    (notes: Softmax regression; Multi-class classification with Softmax function).

    ``target``: int labels (n,) or probability rows (n, K).
    """
    return logits.softmax_cross_entropy(target, reduction=reduction)


def mse(pred, target, reduction="mean"):
    """(1/N) Σ_i (y^(i) - z^(i))², the notes' regression loss (notes: Classification); shapes must match exactly."""
    target_shape = target.shape if isinstance(target, Tensor) else np.shape(target)
    if tuple(target_shape) != pred.shape:
        raise ValueError(f"mse: prediction of shape {pred.shape} and target of shape {tuple(target_shape)} "
                         "differ (reshape one of them; broadcasting here is almost always a bug)")
    diff = pred - target
    return _reduce(diff * diff, reduction, "mse")


def binary_logistic(z, y, reduction="mean"):
    """L(z, y) = log(1 + e^{-yz}) for y ∈ {-1, +1} (notes: Classification), as softplus(-yz),
    so it stays finite for large |z|."""
    u = z * -_signs(y, z, "binary_logistic")
    return _reduce(u.softplus(), reduction, "binary_logistic")


def perceptron_loss(z, y, reduction="mean"):
    """L(z, y) = max{0, -yz} for y ∈ {-1, +1} (notes: Classification); SGD with m = 1, η = 1 on it is the perceptron.

    The notes' algorithm counts y wᵀx <= 0 as a mistake, so at yz = 0 (every sample when
    w = 0) the subgradient taken is -y ∂z, not relu's 0: written as -yz · 1[yz <= 0], whose
    value is max{0, -yz} everywhere. With relu, SGD started at w = 0 would never move.
    """
    yz = z * _signs(y, z, "perceptron_loss")
    mistakes = (yz.data <= 0).astype(z.dtype)
    return _reduce(-yz * mistakes, reduction, "perceptron_loss")


def multiclass_perceptron_loss(z, y, reduction="mean"):
    """L(z, y) = max_k z_k - z_y per row of scores z (n, K), labels y ∈ 0..K-1 (notes: Classification).

    It is zero when y scores highest. At a tie the subgradient follows the notes' rule: unless
    y is the *only* argmax, ŷ is the first wrong class among the argmax, so the gradient is
    e_ŷ - e_y, and SGD with m = 1, η = 1 gives w_ŷ -= x, w_y += x exactly as the algorithm does.
    """
    scores = z.data
    if scores.ndim != 2 or scores.shape[1] < 2:
        raise ValueError(f"multiclass_perceptron_loss: scores must be (n, K) with K >= 2, got shape {z.shape}")
    labels = np.asarray(y)
    n, num_classes = scores.shape
    if labels.shape != (n,) or (n and labels.dtype.kind not in "iu"):
        raise ValueError(f"multiclass_perceptron_loss: need {n} int labels, got shape {labels.shape}, "
                         f"dtype {labels.dtype}")
    if n and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"multiclass_perceptron_loss: labels must be in 0..{num_classes - 1}, got values from "
                         f"{labels.min().item()} to {labels.max().item()}")
    rows = np.arange(n)
    rivals = scores.copy()
    rivals[rows, labels] = -np.inf
    best_rival = rivals.argmax(axis=1)
    y_hat = np.where(rivals[rows, best_rival] >= scores[rows, labels], best_rival, labels)
    return _reduce(z[rows, y_hat] - z[rows, labels], reduction, "multiclass_perceptron_loss")


# ---------------------------------------------------------------- more losses

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
