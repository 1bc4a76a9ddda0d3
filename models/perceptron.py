"""The multiclass perceptron of the notes "Classification" (CS 577, lecture 04), with optional averaging."""

import copy

import numpy as np

from tinygrad_sm import nn

from ._base import (LinearCoefficientsMixin, LinearScoresClassifier, Progress, check_common_controls, check_int,
                    feature_scaling, make_rng, to_raw, validation_split)


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
    """f(x; W) = argmax_ŷ w_ŷᵀx with the perceptron update
    (the notes "Classification" (CS 577, lecture 04)).

    Start from W = 0; for each sample in turn, on a mistake (y not the only argmax) move the
    wrong winner away, w_ŷ -= x, and the true class closer, w_y += x. A bias per class is
    learned as the weight of a constant feature 1. The notes warn that the multiclass
    perceptron "suffers from instability": ``averaged=True`` (default) returns the mean of
    W over all steps, which steadies it; ``averaged=False`` keeps the plain rule's last W.
    ``standardize=True`` (default) runs the rule on features standardised with the training
    set's statistics and folds the scaling into coef_ and intercept_ afterwards; without it a
    feature in the thousands (raw wine) swamps the constant 1 that carries the bias.

    Parameters: epochs (at most this many passes), shuffle (a new order each epoch drawn from
    random_state), averaged, standardize, and scikit-learn's Perceptron controls with their
    meanings: early_stopping with validation_fraction, n_iter_no_change and tol (stop once the
    loss, or the validation accuracy, has not improved by tol for more than n_iter_no_change
    epochs; None never stops early), warm_start, partial_fit (one pass per call), random_state.

    Attributes: coef_ (K × D), intercept_ (K,), classes_, n_features_in_, n_iter_, t_ (updates
    counted), loss_curve_ (mean perceptron loss per epoch), validation_scores_, history_
    ({"loss", "accuracy": fraction of samples with no update} per epoch, measured while passing
    over the data), x_mean_, x_scale_, module_ (an nn.Linear holding W and b on raw features).
    """

    def __init__(self, epochs=10, shuffle=True, averaged=True, standardize=True, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, tol=None, warm_start=False, random_state=None):
        self.epochs = epochs
        self.shuffle = shuffle
        self.averaged = averaged
        self.standardize = standardize
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state

    def _check_params(self):
        check_common_controls(self)
        return check_int(self, "epochs")

    def _fit(self, X, y):
        epochs = self._check_params()
        warm = bool(self.warm_start) and hasattr(self, "module_")
        X, classes, y_index = self._validate_training_data(X, y, reset=not warm, warm=warm)
        rng = make_rng(self.random_state)
        scaling = (self.x_mean_, self.x_scale_) if warm else feature_scaling(X, self.standardize)
        state = copy.deepcopy(self._state) if warm else self._new_state(X.shape[1], len(classes))
        X1, validation = self._with_constant(X, scaling), None
        if self.early_stopping:
            X1, X1_val, y_index, y_val = validation_split(self, X1, y_index, rng, stratify=True)
            validation = (X1_val, y_val)
        progress = Progress(self, self.early_stopping)
        history = {"loss": [], "accuracy": []}
        for _ in range(epochs):
            loss = self._epoch(state, X1, y_index, rng, history)
            score = self._accuracy(state, *validation) if validation else None
            if progress.record(loss, score, state=lambda: copy.deepcopy(state)):
                break
        self._store(progress.best_state or state, classes, scaling, rng, progress, history, keep=warm)
        return self

    def partial_fit(self, X, y, classes=None):
        """One pass of the rule over (X, y), continuing from the current W; ``classes`` needed on the first call."""
        return self._atomically(self._partial_fit, X, y, classes)

    def _partial_fit(self, X, y, classes=None):
        self._check_params()
        first = not hasattr(self, "module_")
        X, classes, y_index = self._validate_training_data(X, y, reset=first, classes=classes, partial=True)
        if first:
            rng, scaling = make_rng(self.random_state), feature_scaling(X, self.standardize)
            state = self._new_state(X.shape[1], len(classes))
        else:
            rng, state, scaling = copy.deepcopy(self._rng), copy.deepcopy(self._state), (self.x_mean_, self.x_scale_)
        progress, history = Progress(self, False), {"loss": [], "accuracy": []}
        progress.record(self._epoch(state, self._with_constant(X, scaling), y_index, rng, history))
        self._store(state, classes, scaling, rng, progress, history, keep=not first)
        return self

    @staticmethod
    def _new_state(n_features, n_classes):
        """The plain rule's W (bias as the last row), Σ_t t·Δ_t for the average, and the step count T."""
        W = np.zeros((n_features + 1, n_classes))
        return {"W": W, "total": np.zeros_like(W), "steps": 0}

    @staticmethod
    def _with_constant(X, scaling):
        mean, scale = scaling
        return np.hstack([(X - mean) / scale, np.ones((len(X), 1))])  # bias as the weight of a constant feature

    def _epoch(self, state, X1, y_index, rng, history):
        order = rng.permutation(len(X1)) if self.shuffle else np.arange(len(X1))
        total = state["total"] if self.averaged else None
        state["steps"], loss, mistakes = perceptron_epoch(state["W"], X1, y_index, order, state["steps"], total)
        history["loss"].append(loss / len(X1))
        history["accuracy"].append(1 - mistakes / len(X1))
        return loss / len(X1)

    def _weights(self, state):
        if self.averaged and state["steps"]:
            return averaged_weights(state["W"], state["total"], state["steps"])
        return state["W"]

    def _accuracy(self, state, X1, y_index):
        return float(np.mean((X1 @ self._weights(state)).argmax(axis=1) == y_index))

    def _store(self, state, classes, scaling, rng, progress, history, keep):
        mean, scale = scaling
        W = self._weights(state)
        linear = nn.Linear(len(mean), len(classes), dtype=np.float64)
        linear.weight.data[...] = W[:-1].T  # nn.Linear keeps the notes' W transposed
        linear.bias.data[...] = W[-1]
        to_raw(linear, mean, scale)  # folds the scaling: z = Wᵀ((x - mean)/scale) + b
        self.module_, self.classes_, self._state, self._rng = linear, classes, state, rng
        self.x_mean_, self.x_scale_, self.t_ = mean, scale, state["steps"]
        self.n_iter_ = (self.n_iter_ if keep else 0) + len(progress.loss_curve)
        self.loss_curve_ = (self.loss_curve_ if keep else []) + progress.loss_curve
        self.validation_scores_ = progress.validation_scores
        self.history_ = {key: (self.history_[key] if keep else []) + values for key, values in history.items()}
