"""Stochastic gradient descent, as in the lecture notes "Classification" (CS 577, lecture 04, SGD):

    for t = 1, 2, ...:   g ← ∇_θ (1/m) Σ_i L(f(x^(i); θ), y^(i));   θ ← θ - η_t g

with two common additions: weight decay λ (g ← g + λθ, the gradient of (λ/2)‖θ‖²) and
momentum μ (v ← μv + g; θ ← θ - η_t v, PyTorch's convention), optionally Nesterov's
(θ ← θ - η_t (g + μv)).
"""

import numpy as np

from .optimizer import Optimizer, check_number


class SGD(Optimizer):
    """``SGD(params, lr, momentum=0.0, weight_decay=0.0, nesterov=False)``.

    ``lr``: a positive number η, or a schedule ``lr(t) -> η_t`` called with t = 1, 2, ...
    """

    state_names = ("momentum_buffer",)

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay,
                                  "nesterov": nesterov})

    def _check_options(self, group, owner):
        group["momentum"] = check_number(owner, "momentum", group["momentum"], 0, 1)
        group["weight_decay"] = check_number(owner, "weight_decay", group["weight_decay"], 0)
        if not isinstance(group["nesterov"], (bool, np.bool_)):
            raise ValueError(f"{owner}: nesterov must be True or False, got {group['nesterov']!r}")
        if group["nesterov"] and not group["momentum"]:
            raise ValueError(f"{owner}: nesterov needs momentum > 0")
        group["nesterov"] = bool(group["nesterov"])

    def _update(self, p, g, state, group, eta):
        """θ ← θ - η_t (g + λθ); with momentum v ← μv + (g + λθ), θ ← θ - η_t v (Nesterov: η_t (g + μv))."""
        g = self._with_weight_decay(p, g, group)
        mu = group["momentum"]
        if mu:
            v = state.get("momentum_buffer")
            if v is None:  # the first step: v = g
                v = state["momentum_buffer"] = np.array(g, dtype=p.data.dtype)
            else:
                v *= mu
                v += g
            g = g + mu * v if group["nesterov"] else v
        p.data -= eta * g
