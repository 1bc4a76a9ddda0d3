"""Optimizers with per-parameter step sizes: Adam, AdamW, RMSprop, Adagrad (PyTorch's update rules).

Each ``_update`` is the textbook update of one parameter θ with gradient g, written in place;
the defaults are PyTorch's.
"""

import numpy as np

from .optimizer import Optimizer, check_number


def _check_betas(owner, betas):
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{owner}: betas must be a pair (β1, β2), got {betas!r}")
    return tuple(check_number(owner, f"betas[{i}]", b, 0, 1) for i, b in enumerate(betas))


def _zeros_state(p, state, *names):
    for name in names:
        if name not in state:
            state[name] = np.zeros_like(p.data)


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, eps_before_bias_correction=False)``.

    Kingma & Ba: m ← β1 m + (1 - β1) g,  v ← β2 v + (1 - β2) g²,  θ ← θ - η m̂ / (√v̂ + ε) with the
    bias corrections m̂ = m / (1 - β1^t), v̂ = v / (1 - β2^t), as PyTorch computes it; ``weight_decay``
    adds λθ to g (L2, as PyTorch's Adam; AdamW decays θ directly).

    ``eps_before_bias_correction=True`` takes the paper's "more efficient" form instead, as
    scikit-learn's MLP (and Keras) compute it: θ ← θ - η_t m / (√v + ε) with
    η_t = η √(1 - β2^t) / (1 - β1^t). ε is then added to √v before the bias correction, which
    is the first form with ε / √(1 - β2^t) in place of ε: a shorter step where √v̂ is near ε.
    The option belongs to the optimizer, not to a parameter group, so ``state_dict()`` does not
    record it: create the optimizer with the same option before loading a checkpoint.
    """

    state_names = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 eps_before_bias_correction=False):
        if not isinstance(eps_before_bias_correction, (bool, np.bool_)):
            raise ValueError(f"{type(self).__name__}: eps_before_bias_correction must be True or False, "
                             f"got {eps_before_bias_correction!r}")
        self.eps_before_bias_correction = bool(eps_before_bias_correction)
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    def _check_options(self, group, owner):
        group["betas"] = _check_betas(owner, group["betas"])
        group["eps"] = check_number(owner, "eps", group["eps"], 0)
        group["weight_decay"] = check_number(owner, "weight_decay", group["weight_decay"], 0)

    def _update(self, p, g, state, group, eta):
        """θ ← θ - η (m / (1 - β1^t)) / (√(v / (1 - β2^t)) + ε)."""
        g = self._with_weight_decay(p, g, group)
        self._adam_step(p, g, state, group, eta)

    def _adam_step(self, p, g, state, group, eta):
        """m ← β1 m + (1 - β1) g,  v ← β2 v + (1 - β2) g², then θ's step in the form chosen."""
        if not state:  # the first step (a loaded state always holds all three)
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        t = state["step"] = state["step"] + 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        if self.eps_before_bias_correction:
            self._scikit_learn_step(p, g, m, v, t, group, eta)
            return
        beta1, beta2 = group["betas"]
        m += (1 - beta1) * (g - m)  # β1 m + (1 - β1) g
        v *= beta2
        v += (1 - beta2) * g * g
        denominator = np.sqrt(v) / np.sqrt(1 - beta2 ** t)
        denominator += group["eps"]
        p.data -= (eta / (1 - beta1 ** t)) * m / denominator

    @staticmethod
    def _scikit_learn_step(p, g, m, v, t, group, eta):
        """θ ← θ - η_t m / (√v + ε), η_t = η √(1 - β2^t) / (1 - β1^t), in scikit-learn's arithmetic.

        Each moment is updated as scikit-learn writes it (β1 m + (1 - β1) g, not the lerp above),
        so the estimators' fits are the same, bit for bit, as with their former own optimizer.
        """
        beta1, beta2 = group["betas"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        eta_t = eta * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        p.data -= eta_t * m / (np.sqrt(v) + group["eps"])


class AdamW(Adam):
    """``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)`` (Loshchilov & Hutter).

    Decoupled weight decay: θ ← θ (1 - η λ) first, then the Adam step on g alone.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def _update(self, p, g, state, group, eta):
        """θ ← θ (1 - ηλ), then θ ← θ - η m̂ / (√v̂ + ε)."""
        if group["weight_decay"]:
            p.data *= 1 - eta * group["weight_decay"]
        self._adam_step(p, g, state, group, eta)


class RMSprop(Optimizer):
    """``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0)`` (Hinton).

    v ← α v + (1 - α) g²,  θ ← θ - η g / (√v + ε); with momentum b ← μ b + g / (√v + ε), θ ← θ - η b.
    """

    state_names = ("square_avg", "momentum_buffer")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0):
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                                  "momentum": momentum})

    def _check_options(self, group, owner):
        group["alpha"] = check_number(owner, "alpha", group["alpha"], 0, 1, high_inclusive=True)
        group["eps"] = check_number(owner, "eps", group["eps"], 0)
        group["weight_decay"] = check_number(owner, "weight_decay", group["weight_decay"], 0)
        group["momentum"] = check_number(owner, "momentum", group["momentum"], 0, 1)

    def _update(self, p, g, state, group, eta):
        """θ ← θ - η g / (√v + ε), v the running mean of g²."""
        g = self._with_weight_decay(p, g, group)
        _zeros_state(p, state, "square_avg", "momentum_buffer")
        v = state["square_avg"]
        v *= group["alpha"]
        v += (1 - group["alpha"]) * g * g
        scaled = g / (np.sqrt(v) + group["eps"])
        if group["momentum"]:
            b = state["momentum_buffer"]
            b *= group["momentum"]
            b += scaled
            scaled = b
        p.data -= eta * scaled


class Adagrad(Optimizer):
    """``Adagrad(params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, eps=1e-10)`` (Duchi et al.).

    s ← s + g²,  θ ← θ - η_t g / (√s + ε) with η_t = η / (1 + (t - 1) lr_decay).
    """

    state_names = ("step", "sum")

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, eps=1e-10):
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay, "eps": eps})

    def _check_options(self, group, owner):
        group["lr_decay"] = check_number(owner, "lr_decay", group["lr_decay"], 0)
        group["weight_decay"] = check_number(owner, "weight_decay", group["weight_decay"], 0)
        group["eps"] = check_number(owner, "eps", group["eps"], 0)

    def _update(self, p, g, state, group, eta):
        """θ ← θ - η_t g / (√s + ε), s the sum of every g² so far."""
        g = self._with_weight_decay(p, g, group)
        _zeros_state(p, state, "sum")
        t = state["step"] = state.get("step", 0) + 1
        s = state["sum"]
        s += g * g
        p.data -= (eta / (1 + (t - 1) * group["lr_decay"])) * g / (np.sqrt(s) + group["eps"])
