"""Hand-written numpy: the notes' closed-form gradients, written out by hand.

Softmax regression (the notes "Softmax regression", CS 453X class 8): Ŷ = softmax(X W + b),
    ∇_W f_CE = (1/n) Xᵀ(Ŷ - Y), ∇_b = (1/n) Σ_rows (Ŷ - Y).
Two-layer relu net (the notes "Classification", CS 577 lecture 04): h = X W1 + b1, a = relu(h), z = a W2 + b2,
    dz = (softmax(z) - onehot(y)) / n, dW2 = aᵀ dz, da = dz W2ᵀ, dh = da ⊙ 1[h > 0], dW1 = Xᵀ dh.
Rows of X are examples, so the notes' X (d × n) appears here as Xᵀ.
"""

import numpy as np

NAME = "numpy"


def _log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _loss_and_dz(z, y, Y):
    """Mean cross-entropy and its gradient (Ŷ - Y) / n with respect to the logits z."""
    n = len(y)
    log_probs = _log_softmax(z)
    loss = -log_probs[np.arange(n), y].mean()
    dz = (np.exp(log_probs) - Y) / n
    return loss, dz


def softmax_regression_step(p, X, y, Y, lr):
    z = X @ p["W"] + p["b"]
    loss, dz = _loss_and_dz(z, y, Y)
    dW = X.T @ dz
    db = dz.sum(axis=0)
    p["W"] -= lr * dW
    p["b"] -= lr * db
    return loss


def mlp_step(p, X, y, Y, lr):
    h = X @ p["W1"] + p["b1"]
    a = np.maximum(h, 0)
    z = a @ p["W2"] + p["b2"]
    loss, dz = _loss_and_dz(z, y, Y)
    dW2 = a.T @ dz
    db2 = dz.sum(axis=0)
    dh = (dz @ p["W2"].T) * (h > 0)
    dW1 = X.T @ dh
    db1 = dh.sum(axis=0)
    for name, grad in (("W1", dW1), ("b1", db1), ("W2", dW2), ("b2", db2)):
        p[name] -= lr * grad
    return loss


STEPS = {"softmax": softmax_regression_step, "mlp": mlp_step}


def make_step(model, params, X, y, Y, batch, lr):
    """One training step on the first ``batch`` rows (for the memory row)."""
    p = {k: v.copy() for k, v in params.items()}
    step = STEPS[model]
    return lambda: step(p, X[:batch], y[:batch], Y[:batch], lr)


def make_epoch(model, params, X, y, Y, batch, lr):
    """One epoch of minibatch SGD over all rows of X."""
    p = {k: v.copy() for k, v in params.items()}
    step = STEPS[model]

    def epoch():
        for i in range(0, len(X), batch):
            step(p, X[i:i + batch], y[i:i + batch], Y[i:i + batch], lr)
    return epoch


def chain_forward(x, n_ops):
    """The benchmark chain, in cycles of four ops: y*0.9, y+0.1, tanh(y), y*x. Keeps what backward needs."""
    saved, y = [], x
    for i in range(n_ops):
        kind = i % 4
        if kind == 0:
            y = y * 0.9
        elif kind == 1:
            y = y + 0.1
        elif kind == 2:
            y = np.tanh(y)
            saved.append(y)
        else:
            saved.append(y)
            y = y * x
    return y, saved


def chain_backward(x, n_ops, saved):
    """Reverse of chain_forward by hand: d(y*c) = c, d(y+c) = 1, d tanh = 1 - tanh², d(y*x) = x (and y into x)."""
    g, dx = np.ones_like(x), np.zeros_like(x)
    for i in reversed(range(n_ops)):
        kind = i % 4
        if kind == 0:
            g = g * 0.9
        elif kind == 2:
            t = saved.pop()
            g = g * (1 - t * t)
        elif kind == 3:
            dx += g * saved.pop()
            g = g * x
    return dx + g


def make_op_chain(x, n_ops):
    """Forward and backward of an n-op elementwise chain, both timed."""
    def run():
        _, saved = chain_forward(x, n_ops)
        return chain_backward(x, n_ops, saved)
    return run


def make_long_chain(x, n_ops):
    """Build the chain (untimed); the returned callable runs the backward pass only."""
    def build():
        _, saved = chain_forward(x, n_ops)
        return lambda: chain_backward(x, n_ops, saved)
    return build
