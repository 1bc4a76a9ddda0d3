"""What the estimators share: parameter and input checks, the SGD training loop, and prediction.

Only tinygrad_sm's public API is used here (Tensor, no_grad, nn, optim, data).
"""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from tqdm import tqdm

from tinygrad_sm import Tensor, nn, no_grad, optim
from tinygrad_sm.data import minibatches

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


# ---------------------------------------------------------------- checks

def check_int(estimator, name, low=1):
    value = getattr(estimator, name)
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{type(estimator).__name__}: {name} must be an int >= {low}, got {value!r}")
    return int(value)


def check_float(estimator, name, low=0.0, high=None, low_inclusive=True):
    value = getattr(estimator, name)
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    ok = ok and (value >= low if low_inclusive else value > low) and (high is None or value < high)
    if not ok:
        bound = f"{'>=' if low_inclusive else '>'} {low}" + (f" and < {high}" if high is not None else "")
        raise ValueError(f"{type(estimator).__name__}: {name} must be a number {bound}, got {value!r}")
    return float(value)


def check_activation(estimator):
    if estimator.activation not in ACTIVATIONS:
        raise ValueError(f"{type(estimator).__name__}: activation must be one of {sorted(ACTIVATIONS)}, "
                         f"got {estimator.activation!r}")
    return ACTIVATIONS[estimator.activation]


def make_rng(random_state):
    """A numpy Generator from scikit-learn's random_state (None, an int or a RandomState)."""
    return np.random.default_rng(check_random_state(random_state).randint(np.iinfo(np.int32).max))


# ---------------------------------------------------------------- training

def sgd_groups(module, l2):
    """Weight decay λ = l2 on the weights only: biases are not penalised (as in scikit-learn)."""
    named = module.named_parameters()
    weights = [p for name, p in named if name.endswith("weight")]
    others = [p for name, p in named if not name.endswith("weight")]
    return [{"params": weights, "weight_decay": l2}, {"params": others, "weight_decay": 0.0}]


def train_sgd(estimator, module, loss_fn, X, targets, rng, count_correct=True):
    """Minibatch SGD over ``epochs``; returns history {"loss": [...], "accuracy": [...]} per epoch.

    Each step is the notes' g ← ∇_θ (1/m) Σ_i L(f(x^(i); θ), y^(i)); θ ← θ - η g (003), with
    the estimator's momentum and l2. Loss and accuracy are running means over the epoch's
    batches (the numbers the progress bar shows). A non-finite loss stops with a ValueError.
    """
    name = type(estimator).__name__
    opt = optim.SGD(sgd_groups(module, estimator.l2), lr=estimator.lr, momentum=estimator.momentum)
    history = {"loss": [], "accuracy": []} if count_correct else {"loss": []}
    bar = tqdm(range(1, estimator.epochs + 1), desc=name, unit="epoch", disable=not estimator.verbose)
    for epoch in bar:
        total_loss, correct = 0.0, 0
        for X_batch, y_batch in minibatches(X, targets, estimator.batch_size, shuffle=True, rng=rng):
            scores = module(Tensor(X_batch))
            loss = loss_fn(scores, y_batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total_loss += loss.item() * len(y_batch)
            if count_correct:
                correct += np.count_nonzero(scores.data.argmax(axis=1) == y_batch)
        epoch_loss = total_loss / len(X)
        if not np.isfinite(epoch_loss):
            raise ValueError(f"{name}: training diverged at epoch {epoch} (loss {epoch_loss}); "
                             f"try a smaller lr than {estimator.lr}, or standardise the features")
        history["loss"].append(epoch_loss)
        if count_correct:
            history["accuracy"].append(correct / len(X))
            bar.set_postfix(loss=f"{epoch_loss:.4f}", acc=f"{correct / len(X):.4f}")
        else:
            bar.set_postfix(loss=f"{epoch_loss:.4f}")
    return history


# ---------------------------------------------------------------- estimator bases

class AtomicFitMixin:
    """``fit`` either succeeds or leaves the estimator exactly as it was (fitted or not)."""

    def fit(self, X, y):
        """Fit on X (n_samples, n_features) and y (n_samples,); returns self."""
        before = dict(vars(self))
        try:
            return self._fit(X, y)
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise


class LinearScoresClassifier(ClassifierMixin, AtomicFitMixin, BaseEstimator):
    """A classifier whose fitted ``module_`` maps X (n, D) to scores z (n, K); predict is argmax_k z_k."""

    def _validate_training_data(self, X, y):
        """X as float64 (n, D) and y as indices into ``classes_`` (any label values: ints, strings)."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(f"{type(self).__name__}: y contains only 1 class ({classes[0]!r}); "
                             "a classifier needs samples of at least 2 classes")
        return X, classes, y_index

    def _scores(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        with no_grad():
            return self.module_(Tensor(X)).data

    def decision_function(self, X):
        """Scores z = Wᵀx + b (n, K); with 2 classes, z_1 - z_0 (n,), positive for ``classes_[1]``."""
        scores = self._scores(X)
        return scores[:, 1] - scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, X):
        """The class with the highest score, argmax_k z_k (the first one on a tie)."""
        winners = self._scores(X).argmax(axis=1)  # scores first: it raises NotFittedError before fit
        return self.classes_[winners]


class ProbabilisticClassifier(LinearScoresClassifier):
    """Adds predict_proba = softmax(z)."""

    def predict_proba(self, X):
        """ŷ = softmax(z), one row of class probabilities per sample (columns follow ``classes_``)."""
        return Tensor(self._scores(X)).softmax(axis=1).data

    def predict_log_proba(self, X):
        """log softmax(z), finite even where predict_proba rounds to 0."""
        return Tensor(self._scores(X)).log_softmax(axis=1).data


class LinearCoefficientsMixin:
    """``coef_`` and ``intercept_`` of a model whose ``module_`` is one nn.Linear (z = Wᵀx + b)."""

    @property
    def coef_(self):
        """W transposed: (K, D), row k is the class-k weight vector w_k (shares memory with module_)."""
        return self.module_.weight.data.T

    @property
    def intercept_(self):
        """b: (K,), one bias per class."""
        return self.module_.bias.data
