"""HIPS autograd (optional): the loss as a numpy function, value_and_grad for loss and gradients, in-place SGD."""

import autograd.numpy as anp
from autograd import make_vjp, value_and_grad
from autograd.scipy.special import logsumexp

from chain import chain_forward

NAME = "autograd"


def _cross_entropy(z, y):
    log_probs = z - logsumexp(z, axis=1, keepdims=True)
    return -anp.mean(log_probs[anp.arange(len(y)), y])


def softmax_regression_loss(p, X, y):
    return _cross_entropy(anp.dot(X, p["W"]) + p["b"], y)


def mlp_loss(p, X, y):
    hidden = anp.maximum(anp.dot(X, p["W1"]) + p["b1"], 0)
    return _cross_entropy(anp.dot(hidden, p["W2"]) + p["b2"], y)


GRADS = {"softmax": value_and_grad(softmax_regression_loss), "mlp": value_and_grad(mlp_loss)}


def _step(gradient, p, X, y, lr):
    loss, grads = gradient(p, X, y)
    for k, g in grads.items():
        p[k] -= lr * g
    return loss


def make_step(model, params, X, y, Y, batch, lr):
    p = {k: v.copy() for k, v in params.items()}
    gradient = GRADS[model]
    return lambda: _step(gradient, p, X[:batch], y[:batch], lr)


def make_epoch(model, params, X, y, Y, batch, lr):
    p = {k: v.copy() for k, v in params.items()}
    gradient = GRADS[model]

    def epoch():
        for i in range(0, len(X), batch):
            _step(gradient, p, X[i:i + batch], y[i:i + batch], lr)
    return epoch


def make_op_chain(x, n_ops):
    vjp_of_chain = make_vjp(lambda t: chain_forward(t, n_ops, anp.tanh))

    def run():
        vjp, out = vjp_of_chain(x)
        return vjp(anp.ones_like(out))
    return run


def make_long_chain(x, n_ops):
    vjp_of_chain = make_vjp(lambda t: chain_forward(t, n_ops, anp.tanh))

    def build():
        vjp, out = vjp_of_chain(x)
        seed = anp.ones_like(out)
        return lambda: vjp(seed)
    return build
