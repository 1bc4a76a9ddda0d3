"""Two-layer networks of 003_c7770d845551d3f5.txt: a classifier (softmax cross-entropy) and a regressor (MSE)."""

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from tinygrad_sm import Tensor, nn, no_grad

from ._base import (AtomicFitMixin, ProbabilisticClassifier, check_activation, check_float, check_int, make_rng,
                    train_sgd)


def two_layer_module(n_in, hidden, n_out, activation, rng):
    """h = W1ᵀx + b1, g(h), z = W2ᵀg(h) + b2 as nn.Sequential(Linear, activation, Linear)."""
    return nn.Sequential(nn.Linear(n_in, hidden, rng=rng), activation(), nn.Linear(hidden, n_out, rng=rng))


class TwoLayerParamsMixin:
    """Shared parameters, their checks, and the MLP-style coefs_ / intercepts_ views."""

    def _check_params(self):
        check_int(self, "hidden")
        check_float(self, "lr", low_inclusive=False)
        check_int(self, "epochs")
        check_int(self, "batch_size")
        check_float(self, "momentum", high=1.0)
        check_float(self, "l2")
        return check_activation(self)

    @property
    def coefs_(self):
        """[W1 (D × hidden), W2 (hidden × outputs)], laid out like scikit-learn's MLP coefs_."""
        return [self.module_[0].weight.data, self.module_[2].weight.data]

    @property
    def intercepts_(self):
        return [self.module_[0].bias.data, self.module_[2].bias.data]


class TwoLayerNet(TwoLayerParamsMixin, ProbabilisticClassifier):
    """z = W2ᵀ g(W1ᵀx + b1) + b2, ŷ = softmax(z), cross-entropy loss (003_c7770d845551d3f5.txt).

    The backward is the notes' ∂J/∂W2 = g(h) (ŷ - onehot(y))ᵀ, ∂J/∂W1 = ((W2 (ŷ - onehot(y))) ⊙ g'(h)) xᵀ,
    computed by the engine. Weights start He-initialised from random_state (nn.Linear), biases 0.

    Parameters: hidden (m, the width of h), activation ("relu", "tanh" or "sigmoid"), lr (η),
    epochs, batch_size, momentum (μ), l2 (weight decay on W1, W2), random_state, verbose.

    Attributes: coefs_ ([W1, W2]), intercepts_ ([b1, b2]), classes_, n_features_in_,
    history_ ({"loss", "accuracy"} per epoch), module_ (the trained nn.Sequential).
    """

    def __init__(self, hidden=64, activation="relu", lr=0.1, epochs=30, batch_size=32, momentum=0.9, l2=0.0,
                 random_state=None, verbose=False):
        self.hidden = hidden
        self.activation = activation
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.momentum = momentum
        self.l2 = l2
        self.random_state = random_state
        self.verbose = verbose

    def _fit(self, X, y):
        activation = self._check_params()
        X, classes, y_index = self._validate_training_data(X, y)
        rng = make_rng(self.random_state)
        module = two_layer_module(X.shape[1], self.hidden, len(classes), activation, rng)
        history = train_sgd(self, module, nn.cross_entropy, X.astype(np.float32), y_index, rng)
        self.module_, self.classes_, self.history_ = module, classes, history
        return self


class TwoLayerRegressor(TwoLayerParamsMixin, RegressorMixin, AtomicFitMixin, BaseEstimator):
    """z = w2ᵀ g(W1ᵀx + b1) + b2 with squared error J_i = (y^(i) - z^(i))² (003_c7770d845551d3f5.txt).

    The network is trained on the standardised target (y - mean) / std, so the default lr works
    whatever the units of y; predict maps back, mean + std · z. ``history_["loss"]`` is the
    training MSE per epoch in y's own units.

    Parameters and attributes as TwoLayerNet (no classes_), plus y_mean_ and y_scale_.
    """

    def __init__(self, hidden=64, activation="relu", lr=0.01, epochs=100, batch_size=32, momentum=0.9, l2=0.0,
                 random_state=None, verbose=False):
        self.hidden = hidden
        self.activation = activation
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.momentum = momentum
        self.l2 = l2
        self.random_state = random_state
        self.verbose = verbose

    def _fit(self, X, y):
        activation = self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        y_mean, y_scale = float(y.mean()), float(y.std()) or 1.0
        targets = ((y - y_mean) / y_scale).astype(np.float32)[:, None]
        rng = make_rng(self.random_state)
        module = two_layer_module(X.shape[1], self.hidden, 1, activation, rng)
        history = train_sgd(self, module, nn.mse, X.astype(np.float32), targets, rng, count_correct=False)
        history["loss"] = [loss * y_scale ** 2 for loss in history["loss"]]
        self.module_, self.y_mean_, self.y_scale_, self.history_ = module, y_mean, y_scale, history
        return self

    def predict(self, X):
        """mean + std · z(x), one value per row of X."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        with no_grad():
            z = self.module_(Tensor(X)).data[:, 0]
        return self.y_mean_ + self.y_scale_ * z
