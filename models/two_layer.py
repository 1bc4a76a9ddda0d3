"""Two-layer networks of the notes "Classification" (CS 577, lecture 04): a classifier and a regressor."""

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from tinygrad_sm import nn, no_grad

from ._base import (ProbabilisticClassifier, SGDTrainedMixin, check_activation, check_int, check_training_params,
                    float64_outputs, module_input)


def two_layer_module(n_in, hidden, n_out, activation, rng):
    """h = W1ᵀx + b1, g(h), z = W2ᵀg(h) + b2 as nn.Sequential(Linear, activation, Linear)."""
    return nn.Sequential(nn.Linear(n_in, hidden, rng=rng), activation(), nn.Linear(hidden, n_out, rng=rng))


class TwoLayerParamsMixin:
    """Shared parameters, their checks, and the MLP-style coefs_ / intercepts_ views."""

    def _check_params(self):
        check_int(self, "hidden")
        check_activation(self)
        check_training_params(self)

    def _new_module(self, n_features, n_outputs, rng):
        return two_layer_module(n_features, self.hidden, n_outputs, check_activation(self), rng)

    @staticmethod
    def _first_linear(module):
        return module[0]

    @property
    def coefs_(self):
        """[W1 (D × hidden), W2 (hidden × outputs)], laid out like scikit-learn's MLP coefs_."""
        return [self.module_[0].weight.data.T, self.module_[2].weight.data.T]  # nn.Linear keeps Wᵀ

    @property
    def intercepts_(self):
        return [self.module_[0].bias.data, self.module_[2].bias.data]


CONTROLS_DOC = """Training controls, with scikit-learn's names and meanings (those of MLPClassifier): solver
    ("adam", the default, or "sgd", the notes' θ ← θ - η g with momentum μ), lr (η), epochs (at most
    this many passes), batch_size (m), momentum (sgd only), l2 (weight decay on W1, W2),
    standardize (train on features standardised with the training set's statistics, folded
    into W1 and b1 afterwards), early_stopping with validation_fraction, n_iter_no_change and
    tol, warm_start, partial_fit (one epoch per call), random_state, verbose."""


class TwoLayerNet(TwoLayerParamsMixin, SGDTrainedMixin, ProbabilisticClassifier):
    """z = W2ᵀ g(W1ᵀx + b1) + b2, ŷ = softmax(z), cross-entropy loss
    (the notes "Classification" (CS 577, lecture 04)).

    The backward is the notes' ∂J/∂W2 = g(h) (ŷ - onehot(y))ᵀ, ∂J/∂W1 = ((W2 (ŷ - onehot(y))) ⊙ g'(h)) xᵀ,
    computed by the engine. Weights start He-initialised from random_state (nn.Linear), biases 0.

    Parameters: hidden (m, the width of h), activation ("relu", "tanh" or "sigmoid"), and the
    training controls below. Adam is the default: plain SGD with momentum and one step size
    diverged on standardised MNIST, where rare pixels reach 90, while Adam's steps are bounded by η.

    Attributes: coefs_ ([W1, W2]), intercepts_ ([b1, b2]), classes_, n_features_in_, n_iter_,
    loss_curve_, validation_scores_, best_validation_score_, best_loss_, history_ ({"loss",
    "accuracy"} per epoch), x_mean_, x_scale_, module_ (the trained nn.Sequential on raw features).
    """

    __doc__ += "\n    " + CONTROLS_DOC + "\n"

    def __init__(self, hidden=64, activation="relu", solver="adam", lr="auto", epochs=30, batch_size=32,
                 momentum=0.9, l2=0.0, standardize=True, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, warm_start=False, random_state=None, verbose=False):
        self.hidden = hidden
        self.activation = activation
        self.solver = solver
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.momentum = momentum
        self.l2 = l2
        self.standardize = standardize
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    _loss = staticmethod(nn.cross_entropy)


def target_scaling(estimator, y):
    """(mean, std) of y computed on y / max|y|, so that |y| up to 1e308 does not overflow on the way."""
    peak = float(np.max(np.abs(y))) or 1.0
    mean, scale = peak * float(np.mean(y / peak)), peak * float(np.std(y / peak))
    if not np.isfinite(scale * scale):
        raise ValueError(f"{type(estimator).__name__}: y reaches {peak:.3g}, so its variance (and the squared "
                         f"error in y's units) overflows float64; rescale y first, e.g. y / {peak:.0e}")
    return mean, scale or 1.0


class TwoLayerRegressor(TwoLayerParamsMixin, SGDTrainedMixin, RegressorMixin, BaseEstimator):
    """z = w2ᵀ g(W1ᵀx + b1) + b2 with squared error J_i = (y^(i) - z^(i))²
    (the notes "Classification" (CS 577, lecture 04)).

    The network is trained on the standardised target (y - mean) / std, so the default lr works
    whatever the units of y; predict maps back, mean + std · z. ``loss_curve_`` and
    ``history_["loss"]`` are the training MSE per epoch in y's own units.

    Parameters and attributes as TwoLayerNet (no classes_), plus y_mean_ and y_scale_ (taken at
    the first fit or partial_fit). Early stopping watches R² on the held-out part.
    """

    __doc__ += "\n    " + CONTROLS_DOC + "\n"

    def __init__(self, hidden=64, activation="relu", solver="adam", lr="auto", epochs=100, batch_size=32,
                 momentum=0.9, l2=0.0, standardize=True, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, warm_start=False, random_state=None, verbose=False):
        self.hidden = hidden
        self.activation = activation
        self.solver = solver
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.momentum = momentum
        self.l2 = l2
        self.standardize = standardize
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    _loss = staticmethod(nn.mse)
    _counts_correct = False

    def _prepare(self, X, y, reset, warm=False, classes=None, partial=False):
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True, reset=reset)
        if reset:
            self.y_mean_, self.y_scale_ = target_scaling(self, y)
        return X, ((y - self.y_mean_) / self.y_scale_).astype(np.float32)[:, None], 1

    def _loss_factor(self):
        return self.y_scale_ ** 2

    @staticmethod
    def _validation_score(module, X, targets):
        """R² on the held-out part (what scikit-learn's MLPRegressor watches)."""
        with no_grad():
            z = module(module_input(module, X)).data[:, 0].astype(np.float64)
        t = targets[:, 0].astype(np.float64)
        total = np.sum((t - t.mean()) ** 2)
        return float(1 - np.sum((t - z) ** 2) / total) if total > 0 else 0.0

    def predict(self, X):
        """mean + std · z(x), one value per row of X."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        z = float64_outputs(self.module_, X)[:, 0]
        return self.y_mean_ + self.y_scale_ * z
