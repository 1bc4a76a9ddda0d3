"""Utilities on the parameters' gradients: ``clip_grad_norm_``."""

import numpy as np

from ..autograd import Tensor


def clip_grad_norm_(parameters, max_norm, norm_type=2.0):
    """Scale every gradient by max_norm / ‖g‖ when the total norm ‖g‖ of all of them is larger.

    Returns the total norm before clipping (as PyTorch; ``norm_type`` may be ``float("inf")`` or ``"inf"``).
    """
    max_norm, norm_type = _checked_max_norm(max_norm), _checked_norm_type(norm_type)
    params = [p for p in ([parameters] if isinstance(parameters, Tensor) else parameters) if p.grad is not None]
    if not params:
        return 0.0
    total = _total_norm([p.grad for p in params], norm_type)
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        for p in params:
            p.grad = p.grad * np.asarray(scale, dtype=p.grad.dtype)
    return total


def _total_norm(grads, norm_type):
    """The norm of all gradients taken as one long vector (the largest |g| for ``norm_type=inf``)."""
    if norm_type == float("inf"):
        return max(float(np.abs(g).max()) if g.size else 0.0 for g in grads)
    return float(sum(float((np.abs(g) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type))


def _is_real(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _checked_max_norm(max_norm):
    if not _is_real(max_norm):
        raise TypeError(f"clip_grad_norm_: max_norm must be a number, got {max_norm!r}")
    if not np.isfinite(max_norm) or max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be a finite number >= 0, got {max_norm!r}")
    return float(max_norm)


def _checked_norm_type(norm_type):
    """p of the p-norm: a number > 0, or infinity (``float("inf")`` or, as PyTorch allows, ``"inf"``)."""
    if isinstance(norm_type, str) and norm_type == "inf":
        return float("inf")
    if not _is_real(norm_type):
        raise TypeError(f"clip_grad_norm_: norm_type must be a number > 0 or 'inf', got {norm_type!r}")
    if not norm_type > 0:  # 0 and negative "norms" are not norms (PyTorch returns counts or 0 for them)
        raise ValueError(f"clip_grad_norm_: norm_type must be a number > 0 or 'inf', got {norm_type!r}")
    return float(norm_type)
