"""Utilities on the parameters' gradients: ``clip_grad_norm_``."""

import numpy as np

from ..autograd import Tensor


def clip_grad_norm_(parameters, max_norm, norm_type=2.0):
    """Scale every gradient by max_norm / ‖g‖ when the total norm ‖g‖ of all of them is larger.

    Returns the total norm before clipping (as PyTorch; ``norm_type`` may be ``float("inf")``).
    """
    if not np.isfinite(max_norm) or max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be a finite number >= 0, got {max_norm!r}")
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
