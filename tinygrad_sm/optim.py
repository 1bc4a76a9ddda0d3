"""Stochastic gradient descent, as in the notes (003_c7770d845551d3f5.txt):

    for t = 1, 2, ...:   g ← ∇_θ (1/m) Σ_i L(f(x^(i); θ), y^(i));   θ ← θ - η_t g

with two common additions: weight decay λ (g ← g + λθ, the gradient of (λ/2)‖θ‖²) and
momentum μ (v ← μv + g; θ ← θ - η_t v, PyTorch's convention). Updates are in place
(``param.data -= ...``), so tensors held elsewhere see the new values.
"""

import numbers

import numpy as np

from .tensor import Tensor


def _check_number(name, value, low, high=None, low_inclusive=True):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    ok = ok and (value >= low if low_inclusive else value > low) and (high is None or value < high)
    if not ok:
        bound = f"{'>=' if low_inclusive else '>'} {low}" + (f" and < {high}" if high is not None else "")
        raise ValueError(f"SGD: {name} must be a finite number {bound}, got {value!r}")
    return float(value)


class SGD:
    """``SGD(params, lr, momentum=0.0, weight_decay=0.0)``.

    ``params``: Tensors that require grad (e.g. ``model.parameters()``), or groups
    ``[{"params": [...], "weight_decay": 0.0}, ...]`` whose keys override the defaults.
    ``lr``: a positive number η, or a schedule ``lr(t) -> η_t`` called with t = 1, 2, ...
    """

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        if not callable(lr):
            _check_number("lr", lr, 0, low_inclusive=False)
        defaults = {"lr": lr, "momentum": _check_number("momentum", momentum, 0, 1),
                    "weight_decay": _check_number("weight_decay", weight_decay, 0)}
        self.groups = [self._make_group(group, defaults) for group in self._as_groups(params)]
        self.params = [p for group in self.groups for p in group["params"]]
        if not self.params:
            raise ValueError("SGD: got an empty parameter list")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError("SGD: a parameter appears more than once")
        self.velocity = {}
        self.t = 0

    @staticmethod
    def _as_groups(params):
        if isinstance(params, Tensor):
            raise TypeError("SGD: params must be an iterable of Tensors (e.g. model.parameters()), not one Tensor")
        params = list(params)
        if params and all(isinstance(p, dict) for p in params):
            return params
        return [{"params": params}]

    @staticmethod
    def _make_group(group, defaults):
        unknown = set(group) - set(defaults) - {"params"}
        if unknown:
            raise ValueError(f"SGD: unknown option(s) {sorted(unknown)} in a parameter group")
        merged = {**defaults, **group, "params": list(group["params"])}
        if not callable(merged["lr"]):
            _check_number("lr", merged["lr"], 0, low_inclusive=False)
        _check_number("momentum", merged["momentum"], 0, 1)
        _check_number("weight_decay", merged["weight_decay"], 0)
        for p in merged["params"]:
            if not isinstance(p, Tensor) or not p.requires_grad or not p.is_leaf:
                raise ValueError(f"SGD: every parameter must be a leaf Tensor with requires_grad=True, got {p!r:.60}")
        return merged

    def learning_rate(self, group=None, t=None):
        """η_t for step t (by default the current one, after ``step()`` has counted it)."""
        lr = (group or self.groups[0])["lr"]
        if not callable(lr):
            return lr
        t = self.t if t is None else t
        return _check_number(f"lr({t}) from the schedule", lr(t), 0, low_inclusive=False)

    def step(self):
        """θ ← θ - η_t (g + λθ), or with momentum v ← μv + (g + λθ), θ ← θ - η_t v; skips params with no grad.

        All or nothing: every rate and gradient is checked before any parameter changes.
        """
        t = self.t + 1
        etas = [self.learning_rate(group, t) for group in self.groups]
        for p in self.params:
            if p.grad is not None and np.shape(p.grad) != p.data.shape:
                raise ValueError(f"SGD: a gradient of shape {np.shape(p.grad)} for a parameter of shape {p.data.shape}")
        self.t = t
        for group, eta in zip(self.groups, etas):
            for p in group["params"]:
                if p.grad is not None:
                    p.data -= eta * self._direction(p, group["momentum"], group["weight_decay"])
                    p._bump_version()  # backward through a graph built before this step now raises

    def _direction(self, p, mu, decay):
        """g + λθ, or with momentum the velocity v ← μv + (g + λθ)."""
        g = p.grad
        if decay:
            g = g + decay * p.data
        if not mu:
            return g
        v = self.velocity.get(id(p))
        if v is None:
            v = self.velocity[id(p)] = np.array(g, dtype=p.data.dtype)
        else:
            v *= mu
            v += g
        return v

    def zero_grad(self):
        """Forget the gradients (``p.grad = None``) before the next backward."""
        for p in self.params:
            p.grad = None
