"""The multiclass perceptron of 003_c7770d845551d3f5.txt, with optional averaging."""

import numpy as np

from tinygrad_sm import nn

from ._base import LinearCoefficientsMixin, LinearScoresClassifier, check_int, make_rng


def perceptron_epoch(W, X, y, order, step, total=None):
    """One pass of the notes' rule over rows ``order`` of X (a column of ones already appended).

    For each x with label y: unless y is the only argmax of z = Wᵀx, take ŷ = the first wrong
    class among the argmax and update w_ŷ ← w_ŷ - x, w_y ← w_y + x. This is SGD with m = 1,
    η = 1 on L(z, y) = max_k z_k - z_y. ``total`` (when given) accumulates Σ_t t·Δ_t for the
    average (see ``averaged_weights``). Returns (step count, summed loss, mistakes).
    """
    loss, mistakes = 0.0, 0
    for i in order:
        x, label = X[i], y[i]
        step += 1
        z = x @ W
        z_true = z[label]
        z[label] = -np.inf
        rival = z.argmax()
        if z[rival] >= z_true:
            loss += z[rival] - z_true
            mistakes += 1
            W[:, rival] -= x
            W[:, label] += x
            if total is not None:
                total[:, rival] -= step * x
                total[:, label] += step * x
    return step, loss, mistakes


def averaged_weights(W, total, steps):
    """(1/T) Σ_{t=1..T} W_t, computed as ((T + 1) W_T - Σ_t t·Δ_t) / T without storing every W_t."""
    return ((steps + 1) * W - total) / steps


class MulticlassPerceptron(LinearCoefficientsMixin, LinearScoresClassifier):
    """f(x; W) = argmax_ŷ w_ŷᵀx with the perceptron update (003_c7770d845551d3f5.txt).

    Start from W = 0; for each sample in turn, on a mistake (y not the only argmax) move the
    wrong winner away, w_ŷ -= x, and the true class closer, w_y += x. A bias per class is
    learned as the weight of a constant feature 1. The notes warn that the multiclass
    perceptron "suffers from instability": ``averaged=True`` (default) returns the mean of
    W over all steps, which steadies it; ``averaged=False`` keeps the plain rule's last W.

    Parameters: epochs (passes over the data), shuffle (a new order each epoch drawn from
    random_state), averaged, random_state.

    Attributes: coef_ (K × D), intercept_ (K,), classes_, n_features_in_, history_
    ({"loss": mean perceptron loss, "accuracy": fraction of samples with no update} per
    epoch, measured while passing over the data), module_ (an nn.Linear holding W and b).
    """

    def __init__(self, epochs=10, shuffle=True, averaged=True, random_state=None):
        self.epochs = epochs
        self.shuffle = shuffle
        self.averaged = averaged
        self.random_state = random_state

    def _fit(self, X, y):
        epochs = check_int(self, "epochs")
        X, classes, y_index = self._validate_training_data(X, y)
        rng = make_rng(self.random_state)
        X1 = np.hstack([X, np.ones((len(X), 1))])  # bias as the weight of a constant feature
        W = np.zeros((X1.shape[1], len(classes)))
        total = np.zeros_like(W) if self.averaged else None
        history, step = {"loss": [], "accuracy": []}, 0
        for _ in range(epochs):
            order = rng.permutation(len(X1)) if self.shuffle else np.arange(len(X1))
            step, loss, mistakes = perceptron_epoch(W, X1, y_index, order, step, total)
            history["loss"].append(loss / len(X1))
            history["accuracy"].append(1 - mistakes / len(X1))
        if self.averaged:
            W = averaged_weights(W, total, step)
        linear = nn.Linear(X.shape[1], len(classes), dtype=np.float64)
        linear.weight.data[...] = W[:-1]
        linear.bias.data[...] = W[-1]
        self.module_, self.classes_, self.history_ = linear, classes, history
        return self
