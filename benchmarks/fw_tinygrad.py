"""tinygrad_sm, written the way a user writes the training loop: Tensors, backward(), in-place SGD."""

import numpy as np

from tinygrad_sm import Tensor

from chain import chain_forward

NAME = "tinygrad_sm"


def _params(params):
    return {k: Tensor(v.copy(), requires_grad=True) for k, v in params.items()}


def _sgd(p, lr):
    for t in p.values():
        t.data -= lr * t.grad
        t.grad = None


def softmax_regression_step(p, X, y, lr):
    loss = (Tensor(X) @ p["W"] + p["b"]).softmax_cross_entropy(y)
    loss.backward()
    _sgd(p, lr)
    return loss


def mlp_step(p, X, y, lr):
    hidden = (Tensor(X) @ p["W1"] + p["b1"]).relu()
    loss = (hidden @ p["W2"] + p["b2"]).softmax_cross_entropy(y)
    loss.backward()
    _sgd(p, lr)
    return loss


STEPS = {"softmax": softmax_regression_step, "mlp": mlp_step}


def make_step(model, params, X, y, Y, batch, lr):
    p = _params(params)
    step = STEPS[model]
    return lambda: step(p, X[:batch], y[:batch], lr)


def make_epoch(model, params, X, y, Y, batch, lr):
    p = _params(params)
    step = STEPS[model]

    def epoch():
        for i in range(0, len(X), batch):
            step(p, X[i:i + batch], y[i:i + batch], lr)
    return epoch


def make_op_chain(x, n_ops):
    def run():
        t = Tensor(x, requires_grad=True)
        chain_forward(t, n_ops, Tensor.tanh).backward(np.ones_like(x))
        return t.grad
    return run


def make_long_chain(x, n_ops):
    def build():
        t = Tensor(x, requires_grad=True)
        y = chain_forward(t, n_ops, Tensor.tanh)
        seed = np.ones_like(x)
        return lambda: y.backward(seed)
    return build


# ---------------------------------------------------------------- the framework row: LayerNorm and Adam

def make_layernorm_adam(params, X, y, batch, lr):
    """One epoch of a 784-128-10 net with LayerNorm, trained with tinygrad_sm.nn and optim.Adam.

    Returns (epoch, step): ``step()`` trains on the first batch and returns the loss (for the agreement check).
    """
    from tinygrad_sm import nn, optim

    p = _params(params)
    norm = nn.LayerNorm(128)
    norm.weight, norm.bias = p["gamma"], p["beta"]
    opt = optim.Adam(list(p.values()), lr=lr)

    def step(xb, yb):
        hidden = norm(Tensor(xb) @ p["W1"] + p["b1"]).relu()
        loss = nn.cross_entropy(hidden @ p["W2"] + p["b2"], yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    def epoch():
        for i in range(0, len(X), batch):
            step(X[i:i + batch], y[i:i + batch])
    return epoch, lambda: step(X[:batch], y[:batch])
