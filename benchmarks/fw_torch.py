"""PyTorch CPU eager (optional): the same loops with torch tensors, autograd and in-place SGD.

Parameters and data are float32 tensors sharing memory with the numpy arrays' copies
(``torch.from_numpy``), and the update is the same ``p -= lr * p.grad`` as everywhere else.
"""

import torch
import torch.nn.functional as F

from chain import chain_forward

NAME = "torch"


def _params(params):
    return {k: torch.from_numpy(v.copy()).requires_grad_(True) for k, v in params.items()}


def _sgd(p, lr):
    with torch.no_grad():
        for t in p.values():
            t -= lr * t.grad
            t.grad = None


def softmax_regression_step(p, X, y, lr):
    loss = F.cross_entropy(X @ p["W"] + p["b"], y)
    loss.backward()
    _sgd(p, lr)
    return loss


def mlp_step(p, X, y, lr):
    hidden = torch.relu(X @ p["W1"] + p["b1"])
    loss = F.cross_entropy(hidden @ p["W2"] + p["b2"], y)
    loss.backward()
    _sgd(p, lr)
    return loss


STEPS = {"softmax": softmax_regression_step, "mlp": mlp_step}


def make_step(model, params, X, y, Y, batch, lr):
    p, Xt, yt = _params(params), torch.from_numpy(X), torch.from_numpy(y)
    step = STEPS[model]
    return lambda: step(p, Xt[:batch], yt[:batch], lr)


def make_epoch(model, params, X, y, Y, batch, lr):
    p, Xt, yt = _params(params), torch.from_numpy(X), torch.from_numpy(y)
    step = STEPS[model]

    def epoch():
        for i in range(0, len(X), batch):
            step(p, Xt[i:i + batch], yt[i:i + batch], lr)
    return epoch


def make_op_chain(x, n_ops):
    def run():
        t = torch.from_numpy(x).requires_grad_(True)
        chain_forward(t, n_ops, torch.tanh).backward(torch.ones_like(t))
        return t.grad
    return run


def make_long_chain(x, n_ops):
    def build():
        t = torch.from_numpy(x).requires_grad_(True)
        y = chain_forward(t, n_ops, torch.tanh)
        seed = torch.ones_like(t)
        return lambda: y.backward(seed)
    return build


# ---------------------------------------------------------------- the framework row: LayerNorm and Adam

def make_layernorm_adam(params, X, y, batch, lr):
    """One epoch of a 784-128-10 net with LayerNorm, trained with torch.optim.Adam (its default, foreach)."""
    p, Xt, yt = _params(params), torch.from_numpy(X), torch.from_numpy(y)
    opt = torch.optim.Adam(list(p.values()), lr=lr)

    def step(xb, yb):
        hidden = torch.relu(F.layer_norm(xb @ p["W1"] + p["b1"], (128,), p["gamma"], p["beta"], eps=1e-5))
        loss = F.cross_entropy(hidden @ p["W2"] + p["b2"], yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    def epoch():
        for i in range(0, len(X), batch):
            step(Xt[i:i + batch], yt[i:i + batch])
    return epoch, lambda: step(Xt[:batch], yt[:batch])
