"""The losses: each takes scores or predictions (a Tensor) and targets (arrays, lists or Tensors) and
returns a scalar Tensor built from the engine's ops, so its gradient is the ops' closed forms.

``reduction="mean"`` by default, the notes' J(θ) = (1/N) Σ_i J_i(θ); ``"sum"`` and ``"none"``
(one loss per example) are also accepted.
"""

import numpy as np

from ..autograd import DEFAULT_DTYPE, Tensor, checks, where
from .module import real_number

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

def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """f_CE = -(1/n) Σ_i Σ_k y_k^(i) log softmax(z^(i))_k (notes: Softmax regression; Multi-class
    classification with Softmax function), with PyTorch's options and meanings.

    ``input``: logits (n, C), (C,) or (n, C, d1, ...). ``target``: int class indices (n,) (or
    (n, d1, ...)), or float probabilities of ``input``'s shape. ``weight``: C class weights; with
    "mean" the sum is divided by the summed weights of the counted targets. ``ignore_index``: a
    class index whose targets add nothing. ``label_smoothing`` ε mixes the target with the uniform
    distribution: (1 - ε) y + ε / C. Without any option the fused op is used: its gradient is
    (Ŷ - Y)/n; with one, the loss is composed of log_softmax and products, so the gradient is theirs.
    """
    if weight is None and label_smoothing == 0 and _plain_class_rows(input, target, ignore_index):
        return input.softmax_cross_entropy(target, reduction)  # the fused op, at its own speed: it checks the rest
    logits = _as_tensor(input, "cross_entropy")
    reduction = checks.reduction(reduction, "cross_entropy")
    smoothing = fraction("cross_entropy", "label_smoothing", label_smoothing)
    scores, target, batch_shape = _class_rows(logits, target, "cross_entropy")
    weight = _class_weights(weight, scores.shape[1], scores.dtype, "cross_entropy")
    if target.dtype.kind == "f" and target.shape == scores.shape:
        loss = _soft_target_loss(scores, target, weight, smoothing, reduction)
    else:
        labels = _labels(target, scores.shape[1], ignore_index, "cross_entropy")
        if weight is None and smoothing == 0 and not (labels == ignore_index).any():
            loss = scores.softmax_cross_entropy(labels, reduction)  # the fused op: (Ŷ - Y)/n
        else:
            loss = _weighted_nll(scores.log_softmax(axis=1), labels, weight, ignore_index, reduction, smoothing)
    return loss.reshape(batch_shape) if reduction == "none" else loss


def _plain_class_rows(logits, target, ignore_index):
    """True for the common case the fused op takes as it is: (n, C) logits and n int labels, none of them ignored."""
    return (isinstance(logits, Tensor) and logits.ndim == 2 and logits.shape[1] > 0 and isinstance(target, np.ndarray)
            and target.dtype.kind in "iu" and target.shape == logits.shape[:1] and type(ignore_index) is int
            and ignore_index < 0 and (target.size == 0 or target.min() >= 0))


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """-w_y log p_y per row of log-probabilities (n, C) (or (C,), (n, C, d1, ...)) and int class indices:
    with log_softmax, the cross-entropy. ``weight`` and ``ignore_index`` mean what they mean in
    ``cross_entropy``."""
    log_probs = _as_tensor(input, "nll_loss")
    reduction = checks.reduction(reduction, "nll_loss")
    scores, rows_target, batch_shape = _class_rows(log_probs, target, "nll_loss")
    if rows_target.ndim == 2:
        raise ValueError(f"nll_loss: target of shape {log_probs.shape} holds probabilities; nll_loss takes class "
                         f"indices of shape {batch_shape} (cross_entropy takes probabilities)")
    target = rows_target
    weight = _class_weights(weight, scores.shape[1], scores.dtype, "nll_loss")
    labels = _labels(target, scores.shape[1], ignore_index, "nll_loss")
    loss = _weighted_nll(scores, labels, weight, ignore_index, reduction, 0.0)
    return loss.reshape(batch_shape) if reduction == "none" else loss


def fraction(owner, name, value):
    """``value`` as a float in [0, 1], or a ValueError naming ``owner`` and ``name``."""
    return real_number(owner, name, value, lambda v: 0 <= v <= 1, "a number in [0, 1]")


def huber_delta(owner, delta):
    return real_number(owner, "delta", delta, lambda v: 0 < v < np.inf, "a finite number > 0")


def smooth_l1_beta(owner, beta):
    return real_number(owner, "beta", beta, lambda v: 0 <= v < np.inf, "a finite number >= 0")


def _class_rows(scores, target, loss):
    """The scores as rows (m, C) with the class axis last, the target to match, and the shape of one loss each."""
    target = np.asarray(target.data if isinstance(target, Tensor) else target)
    if scores.ndim == 0 or scores.shape[scores.ndim > 1] == 0:
        raise ValueError(f"{loss}: input of shape {scores.shape} has no class axis (expected (n, C), (C,) "
                         "or (n, C, d1, ...))")
    if target.dtype.kind in "iub" and target.shape == scores.shape and scores.ndim >= 2:
        raise ValueError(f"{loss}: target looks like one-hot rows (int, shape {target.shape}); pass class indices "
                         "y.argmax(1) or float probabilities")
    soft = target.dtype.kind == "f" and target.shape == scores.shape
    batch_shape = scores.shape[:1] + scores.shape[2:] if scores.ndim > 1 else ()
    if not soft and target.shape != batch_shape:
        raise ValueError(f"{loss}: target of shape {target.shape} for input of shape {scores.shape}; expected "
                         f"class indices of shape {batch_shape} or probabilities of shape {scores.shape}")
    num_classes = scores.shape[scores.ndim > 1]
    if scores.ndim > 2:  # (n, C, d1, ...): the class axis goes last, then every position is a row
        order = (0,) + tuple(range(2, scores.ndim)) + (1,)
        scores = scores.permute(*order)
        target = target.transpose(order) if soft else target
    if scores.ndim == 2:  # already rows: no reshape node in the graph (the pictures show the notes' ops only)
        return scores, target, batch_shape
    rows = scores.reshape(-1, num_classes)
    return rows, (target.reshape(-1, num_classes) if soft else target.reshape(-1)), batch_shape


def _class_weights(weight, num_classes, dtype, loss):
    if weight is None:
        return None
    weight = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if weight.dtype.kind not in "iuf" or weight.shape != (num_classes,):
        raise ValueError(f"{loss}: weight must be {num_classes} numbers, one per class, got "
                         f"{checks.short(weight)} (reduction goes by keyword: reduction='sum')")
    return weight.astype(dtype)


def _labels(target, num_classes, ignore_index, loss):
    """Int64 class indices; every one not equal to ``ignore_index`` must be in 0..C-1."""
    fractional = target.dtype.kind == "f" and (not np.isfinite(target).all() or (target != np.round(target)).any())
    if target.size and fractional:
        raise TypeError(f"{loss}: class indices must be ints, got dtype {target.dtype} with fractions "
                        f"(probability targets need the input's shape)")
    if target.size and target.dtype.kind not in "iuf":
        raise TypeError(f"{loss}: class indices must be ints, got dtype {target.dtype}")
    counted = target[target != ignore_index]  # checked before the cast, so a label of 1e20 is named as given
    if counted.size and (counted.min() < 0 or counted.max() >= num_classes):
        checks.label_out_of_range(counted, num_classes, loss)
    return target.astype(np.int64)


def _weighted_nll(log_probs, labels, weight, ignore_index, reduction, smoothing):
    """(1 - ε) Σ -w_y log p_y + (ε / C) Σ_k -w_k log p_k over the counted rows, as PyTorch reduces it:
    "mean" divides by the summed w_y of the counted rows (NaN when none is counted)."""
    num_classes = log_probs.shape[1]
    counted = labels != ignore_index
    safe = np.where(counted, labels, 0)
    class_weight = np.ones(num_classes, log_probs.dtype) if weight is None else weight
    picked = np.zeros(log_probs.shape, log_probs.dtype)
    picked[np.arange(len(safe)), safe] = class_weight[safe] * counted  # w_y at the target, 0 if ignored
    coefficients = (1 - smoothing) * picked
    if smoothing:
        coefficients += (smoothing / num_classes) * class_weight * counted[:, None].astype(log_probs.dtype)
    per_row = -(log_probs * coefficients).sum(axis=1)
    if reduction == "none":
        return per_row
    if reduction == "sum":
        return per_row.sum()
    return _divide_or_nan(per_row.sum(), picked.sum())


def _divide_or_nan(total, count):
    """total / count; when count is 0, NaN with zero gradients (PyTorch's mean over no counted target)."""
    if count == 0:
        return total * 0 + np.asarray(np.nan, total.dtype)
    return total / np.asarray(count, total.dtype)


def _soft_target_loss(scores, target, weight, smoothing, reduction):
    """-Σ_k w_k t_k log softmax(z)_k per row, t smoothed to (1 - ε) t + ε / C; "mean" divides by the rows."""
    num_classes = scores.shape[1]
    if smoothing:
        target = target * (1 - smoothing) + smoothing / num_classes
    if weight is None and not smoothing:
        return scores.softmax_cross_entropy(target, reduction)  # the fused op: (Ŷ Σ_k t_k - T)/n
    coefficients = (target * (1 if weight is None else weight)).astype(scores.dtype)
    per_row = -(scores.log_softmax(axis=1) * coefficients).sum(axis=1)
    if reduction == "none":
        return per_row
    return per_row.sum() if reduction == "sum" else _divide_or_nan(per_row.sum(), len(per_row))


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

def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """-w [p t log σ(z) + (1 - t) log(1 - σ(z))] = w [p t softplus(-z) + (1 - t) softplus(z)], stable for any z;
    t ∈ [0, 1]; ``weight`` w scales each element, ``pos_weight`` p (per class, the last axis) the positive term."""
    z = _as_tensor(input, "binary_cross_entropy_with_logits")
    t = _probability_targets(target, z, "binary_cross_entropy_with_logits")
    weight = _broadcast_weight(weight, z, "binary_cross_entropy_with_logits", "weight")
    pos_weight = _broadcast_weight(pos_weight, z, "binary_cross_entropy_with_logits", "pos_weight")
    if pos_weight is None:
        per_element = z.softplus() - z * t  # t softplus(-z) + (1 - t) softplus(z), as softplus(-z) = softplus(z) - z
    else:
        per_element = (-z).softplus() * (pos_weight * t) + z.softplus() * (1 - t)
    return _reduce(per_element if weight is None else per_element * weight, reduction,
                   "binary_cross_entropy_with_logits")


LOG_FLOOR = -100.0  # PyTorch's binary_cross_entropy clamps log p and log(1 - p) at -100


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-w [t log p + (1 - t) log(1 - p)] for probabilities p ∈ [0, 1]; each log is clamped at -100 (as PyTorch)."""
    p = _as_tensor(input, "binary_cross_entropy")
    t = _probability_targets(target, p, "binary_cross_entropy")
    weight = _broadcast_weight(weight, p, "binary_cross_entropy", "weight")
    if p.size and (np.isnan(p.data).any() or p.data.min() < 0 or p.data.max() > 1):
        raise ValueError(f"binary_cross_entropy: probabilities must be in [0, 1], got values from "
                         f"{p.data.min()} to {p.data.max()} (use binary_cross_entropy_with_logits for scores)")
    floor = float(np.exp(LOG_FLOOR))
    log_p, log_q = p.clip(min=floor).log(), (1 - p).clip(min=floor).log()
    per_element = -(log_p * t + log_q * (1 - t))
    return _reduce(per_element if weight is None else per_element * weight, reduction, "binary_cross_entropy")


def _broadcast_weight(weight, x, loss, name):
    """``weight`` as an array of x's dtype that broadcasts to x's shape (None stays None)."""
    if weight is None:
        return None
    weight = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if weight.dtype.kind not in "iuf" or np.broadcast_shapes(weight.shape, x.shape) != x.shape:
        raise ValueError(f"{loss}: {name} of shape {weight.shape} does not broadcast to the input's shape {x.shape}")
    return weight.astype(x.dtype)


def l1_loss(input, target, reduction="mean"):
    """|z - y| elementwise, reduced; shapes must match exactly (as mse)."""
    t = _same_shape_target(target, _as_tensor(input, "l1_loss"), "l1_loss")
    return _reduce((input - t).abs(), reduction, "l1_loss")


def mse_loss(input, target, reduction="mean"):
    """PyTorch's name for ``mse``: (z - y)² elementwise, reduced; shapes must match exactly."""
    return mse(_as_tensor(input, "mse_loss"), target, reduction)


def kl_div(input, target, reduction="mean", log_target=False):
    """Σ t (log t - x) for log-probabilities x and probabilities t (log-probabilities if ``log_target``), elementwise
    with 0 where t = 0; "batchmean" divides the sum by the batch size (the KL divergence PyTorch recommends)."""
    x = _as_tensor(input, "kl_div")
    t = _same_shape_target(target, x, "kl_div")
    if log_target:
        per_element = -(x - t) * np.exp(t)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            log_t = np.where(t > 0, np.log(np.where(t > 0, t, 1)), 0)
        per_element = -(x - log_t) * t
    if reduction == "batchmean":
        return per_element.sum() / (x.shape[0] if x.ndim else 1)
    return _reduce(per_element, reduction, "kl_div")


def huber_loss(pred, target, reduction="mean", delta=1.0):
    """½ d² where |d| ≤ δ, δ(|d| - ½δ) beyond (d = pred - target): quadratic near 0, linear in the tails."""
    t = _same_shape_target(target, _as_tensor(pred, "huber_loss"), "huber_loss")
    delta = huber_delta("huber_loss", delta)
    d = pred - t
    small = np.abs(d.data) <= delta
    return _reduce(where(small, 0.5 * d.square(), delta * (d.abs() - 0.5 * delta)), reduction, "huber_loss")


def smooth_l1_loss(pred, target, reduction="mean", beta=1.0):
    """½ d²/β where |d| < β, |d| - ½β beyond: Huber divided by β (the two agree at β = δ = 1);
    β = 0 is l1_loss."""
    t = _same_shape_target(target, _as_tensor(pred, "smooth_l1_loss"), "smooth_l1_loss")
    beta = smooth_l1_beta("smooth_l1_loss", beta)
    if beta == 0:
        return l1_loss(pred, t, reduction)
    d = pred - t
    small = np.abs(d.data) < beta
    return _reduce(where(small, d.square() * (0.5 / beta), d.abs() - 0.5 * beta), reduction, "smooth_l1_loss")
