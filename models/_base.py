"""What the estimators share: parameter and input checks, the SGD training loop, and prediction.

Only tinygrad_sm's public API is used here (Tensor, no_grad, nn, optim, data): the estimators
train through optim.SGD and optim.Adam.
"""

import contextlib
import copy
import numbers
import threading

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits
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


# ---------------------------------------------------------------- optimizers

def weight_decay_groups(module, l2):
    """Weight decay λ = l2 on the weights only: biases are not penalised (as in scikit-learn)."""
    named = module.named_parameters()
    return [{"params": [p for name, p in named if name.endswith("weight")], "weight_decay": l2},
            {"params": [p for name, p in named if not name.endswith("weight")], "weight_decay": 0.0}]


def make_optimizer(solver, module, lr, momentum=0.0, l2=0.0):
    """The optimizer that ``solver`` names, over ``module``'s parameters, λθ added to the weights' g.

    "sgd" is the notes' θ ← θ - η g, with momentum μ as v ← μv + g, θ ← θ - η v (optim.SGD);
    "adam" is optim.Adam in scikit-learn's form (ε added to √v before the bias correction,
    ``eps_before_bias_correction=True``), so the accuracies quoted for the estimators stay theirs.
    Deep-copying (module, optimizer) together gives an optimizer of the copied parameters, state and all.
    """
    groups = weight_decay_groups(module, l2) if l2 else module.parameters()  # one group: a cheaper step
    if solver == "adam":
        return optim.Adam(groups, lr=lr, eps_before_bias_correction=True)
    return optim.SGD(groups, lr=lr, momentum=momentum)


def is_solver(optimizer, solver):
    """True when ``optimizer`` is the one ``make_optimizer(solver, ...)`` makes."""
    return isinstance(optimizer, optim.Adam if solver == "adam" else optim.SGD)


def set_step_size(optimizer, lr, momentum):
    """Use η = lr (and μ = momentum, for SGD) from the next step on, keeping the running state."""
    for group in optimizer.param_groups:
        group["lr"] = lr
        if "momentum" in group:
            group["momentum"] = momentum


# ---------------------------------------------------------------- feature scaling folded into the first layer

def feature_scaling(X, standardize):
    """(mean, scale) per feature, as StandardScaler computes them (scale 1 for constant features); identity when off."""
    if not standardize:
        return np.zeros(X.shape[1]), np.ones(X.shape[1])
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale < 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0)] = 1.0
    return mean, scale


def to_standardized(linear, mean, scale):
    """Rewrite z = Wᵀx + b as z = W'ᵀ((x - mean)/scale) + b': W' = diag(scale) W, b' = b + Wᵀ mean.

    ``linear.weight`` is the notes' Wᵀ (PyTorch's (out, in) layout), so W's rows are its columns.
    """
    W = linear.weight.data.T
    with no_grad():
        linear.bias.add_((mean @ W).astype(W.dtype))
        linear.weight.mul_(scale[None, :].astype(W.dtype))


def to_raw(linear, mean, scale):
    """The inverse of ``to_standardized``: W = diag(1/scale) W', b = b' - Wᵀ mean."""
    W = linear.weight.data.T
    with no_grad():
        linear.weight.div_(scale[None, :].astype(W.dtype))
        linear.bias.sub_((mean @ W).astype(W.dtype))


FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_float32_range(estimator, X):
    """Before training: the model computes in float32 and its first layer maps the raw features, so X
    must lie within float32's range (X * 1e39 is finite in float64, and would end in all-zero weights).

    (A feature of tiny spread needs no check: ``feature_scaling`` treats it as constant.)
    """
    largest = float(np.max(np.abs(X), initial=0.0))
    if largest > FLOAT32_MAX:
        raise ValueError(f"{type(estimator).__name__}: X has values up to {largest:.3g}, beyond float32's range "
                         f"(±{FLOAT32_MAX:.3g}), in which the model computes; rescale the features before fit "
                         "(divide X by a constant, or use sklearn.preprocessing.StandardScaler)")


def looks_standardized(X):
    """No feature is far off a standardised one: |mean| <= 1 and standard deviation <= 3.

    Loose on purpose: a cross-validation fold of standardised data is not exactly mean 0, std 1,
    and features of small scale do not make SGD diverge; features in the hundreds do.
    """
    return bool(np.all(np.abs(X.mean(axis=0)) <= 1) and np.all(X.std(axis=0) <= 3))


# ---------------------------------------------------------------- training

AUTO_SGD_CAP, ADAM_BUDGET, ADAM_RANGE = 2.0, 5.0, (0.001, 0.01)


def auto_lr(estimator, Z):
    """η for lr="auto", from the data the model trains on (Z, standardised when ``standardize``).

    sgd: m / (1 + mean ‖x‖²), capped at 2. With the mean gradient of m samples, a sample's own
    step changes its score by η ‖x‖² / m times (ŷ - y); this η makes that about 1 (the normalised
    LMS rule): 0.52 on the 61 standardised digits features, 0.045 on MNIST's 717. The cap keeps
    sets of few features (two moons) from oscillating.
    adam: Adam moves each weight by about η per step at most, so η = 5 / T for the run's T steps
    (``epochs`` passes of n/m steps), kept within [0.001, 0.01]: scikit-learn's 0.001 on MNIST-sized
    data, 0.01 on iris, whose 30 epochs are only 120 steps.
    """
    if estimator.lr != "auto":
        return float(estimator.lr)
    if estimator.solver == "adam":
        steps = estimator.epochs * -(-len(Z) // estimator.batch_size)
        return float(np.clip(ADAM_BUDGET / steps, *ADAM_RANGE))
    mean_square = float(np.mean(np.sum(np.square(Z, dtype=np.float64), axis=1)))
    return min(AUTO_SGD_CAP, estimator.batch_size / (1.0 + mean_square))


def check_training_params(estimator, solvers=("sgd", "adam")):
    """The controls every SGD-trained estimator shares; scikit-learn's names and meanings."""
    name = type(estimator).__name__
    if estimator.solver not in solvers:
        raise ValueError(f"{name}: solver must be one of {list(solvers)}, got {estimator.solver!r}")
    if estimator.lr != "auto":
        check_float(estimator, "lr", low_inclusive=False)
    check_int(estimator, "epochs")
    check_int(estimator, "batch_size")
    check_float(estimator, "l2")
    check_float(estimator, "momentum", high=1.0)
    check_common_controls(estimator)


def check_common_controls(estimator):
    for flag in ("early_stopping", "warm_start", "standardize"):
        if not isinstance(getattr(estimator, flag), (bool, np.bool_)):
            raise ValueError(f"{type(estimator).__name__}: {flag} must be True or False, got {getattr(estimator, flag)!r}")
    check_float(estimator, "validation_fraction", low=0.0, high=1.0, low_inclusive=False)
    check_int(estimator, "n_iter_no_change")
    if estimator.tol is not None:
        check_float(estimator, "tol")


class Progress:
    """What sklearn's MLP records while it trains: loss_curve_, validation_scores_, and the stopping rule.

    Without early stopping, training stops once the training loss has not dropped by ``tol`` below
    its best for more than ``n_iter_no_change`` epochs; with it, once the validation score has
    not risen by ``tol`` above its best for that long, and the best epoch's parameters are kept.
    """

    def __init__(self, estimator, early_stopping):
        self.tol = estimator.tol
        self.patience = estimator.n_iter_no_change
        self.early_stopping = early_stopping
        self.loss_curve, self.validation_scores = [], [] if early_stopping else None
        self.best_loss, self.best_score, self.best_state, self.stale = np.inf, -np.inf, None, 0

    def record(self, loss, score=None, state=None):
        """Add one epoch; returns True when training should stop."""
        self.loss_curve.append(loss)
        if self.early_stopping:
            self.validation_scores.append(score)
            improved = self.tol is None or score > self.best_score + self.tol
            if score > self.best_score:
                self.best_score, self.best_state = score, state()
        else:
            improved = self.tol is None or loss < self.best_loss - self.tol
            self.best_loss = min(self.best_loss, loss)
        self.stale = 0 if improved else self.stale + 1
        return self.tol is not None and self.stale > self.patience


def validation_split(estimator, X, targets, rng, stratify):
    """(X_train, X_val, t_train, t_val) with ``validation_fraction`` held out, as sklearn's early stopping does."""
    from sklearn.model_selection import train_test_split
    seed = int(rng.integers(np.iinfo(np.int32).max))
    try:
        return train_test_split(X, targets, test_size=estimator.validation_fraction, random_state=seed,
                                stratify=targets if stratify else None)
    except ValueError as error:
        raise ValueError(f"{type(estimator).__name__}: cannot hold out validation_fraction="
                         f"{estimator.validation_fraction} of {len(X)} samples for early stopping ({error})") from None


def divergence_hint(estimator, X):
    """What may help a fit that diverged: a smaller lr; standardising only when the features are not already."""
    lr = getattr(estimator, "lr_", estimator.lr)
    hints = [f"try a smaller lr than {lr:.3g}"] if isinstance(lr, float) and 0 < lr < np.inf else []
    if not estimator.standardize and not looks_standardized(X):
        hints.append("standardize=True (or standardise the features yourself)")
    return ", or ".join(hints) or "rescale the features"


def diverged(estimator, epoch, detail, hint):
    return ValueError(f"{type(estimator).__name__}: training diverged at epoch {epoch} ({detail}); {hint}")


def module_input(module, X):
    """X as a Tensor of the module's parameter dtype: a layer refuses other dtypes (the dtype rule), and the
    estimators validate X as float64 for scikit-learn while their networks keep float32 parameters."""
    return Tensor(np.asarray(X).astype(module.parameters()[0].dtype, copy=False))


def float64_outputs(module, X):
    """The module's outputs for float64 X, computed in float64 by a float64 copy of the module: predictions do
    not depend on how rows are batched (float32 matmuls do, in the last bits), and ``module_`` stays float32."""
    with no_grad():
        return copy.deepcopy(module).double()(Tensor(np.asarray(X, dtype=np.float64))).data


def run_epoch(estimator, module, optimizer, X, targets, rng):
    """One pass of minibatch steps; returns (mean loss, fraction classified correctly or None)."""
    total_loss, correct = 0.0, 0
    for X_batch, y_batch in minibatches(X, targets, estimator.batch_size, shuffle=True, rng=rng):
        scores = module(module_input(module, X_batch))
        loss = estimator._loss(scores, y_batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(y_batch)
        if estimator._counts_correct:
            correct += np.count_nonzero(scores.data.argmax(axis=1) == y_batch)
    return total_loss / len(X), (correct / len(X) if estimator._counts_correct else None)


def check_finite(estimator, module, epoch, loss, hint):
    """A non-finite loss or parameter is an error: a fit never returns a model that predicts NaN."""
    if not np.isfinite(loss):
        raise diverged(estimator, epoch, f"loss {loss}", hint)
    for name, p in module.named_parameters():
        if not np.all(np.isfinite(p.data)):
            raise diverged(estimator, epoch, f"parameter {name} is no longer finite", hint)


_blas_lock = threading.Lock()
_blas_state = {"fits": 0, "limiter": None}


@contextlib.contextmanager
def single_threaded_blas():
    """BLAS on one thread while any fit trains: minibatch products (32 × 784 by 784 × 64) gain nothing
    from more threads and lose tenfold when other processes share the cores. Counted across threads,
    so one fit ending does not lift the limit under another (scikit-learn's KMeans limits BLAS alike)."""
    with _blas_lock:
        if _blas_state["fits"] == 0:
            _blas_state["limiter"] = threadpool_limits(limits=1, user_api="blas")
        _blas_state["fits"] += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_state["fits"] -= 1
            if _blas_state["fits"] == 0:
                _blas_state["limiter"].restore_original_limits()


def train(estimator, module, optimizer, X, targets, rng, epochs, hint, validation=None):
    with single_threaded_blas():
        return train_epochs(estimator, module, optimizer, X, targets, rng, epochs, hint, validation)


def train_epochs(estimator, module, optimizer, X, targets, rng, epochs, hint, validation=None):
    """``epochs`` passes (fewer if the stopping rule fires) over standardised X; returns (Progress, history).

    ``validation`` is (X_val, t_val, score_fn) for early stopping. Each step is the notes'
    g ← ∇_θ (1/m) Σ_i L(f(x^(i); θ), y^(i)); θ ← θ - η g, or Adam's step (SGD as in
    the notes "Classification" (CS 577, lecture 04)).
    """
    name = type(estimator).__name__
    progress = Progress(estimator, validation is not None)
    count_correct = estimator._counts_correct
    history = {"loss": [], "accuracy": []} if count_correct else {"loss": []}
    bar = tqdm(range(1, epochs + 1), desc=name, unit="epoch", disable=not estimator.verbose)
    for epoch in bar:
        loss, accuracy = run_epoch(estimator, module, optimizer, X, targets, rng)
        check_finite(estimator, module, epoch, loss, hint)
        history["loss"].append(loss)
        shown = {"loss": f"{loss:.4f}"}
        if count_correct:
            history["accuracy"].append(accuracy)
            shown["acc"] = f"{accuracy:.4f}"
        score = None
        if validation is not None:
            score = validation[2](module, validation[0], validation[1])
            shown["val"] = f"{score:.4f}"
        bar.set_postfix(**shown)
        if progress.record(loss, score, state=module.state_dict):
            break
    if progress.best_state is not None:
        module.load_state_dict(progress.best_state)
    return progress, history


# ---------------------------------------------------------------- estimator bases

class AtomicFitMixin:
    """``fit`` (and ``partial_fit``) either succeeds or leaves the estimator exactly as it was (fitted or not)."""

    def fit(self, X, y):
        """Fit on X (n_samples, n_features) and y (n_samples,); returns self."""
        return self._atomically(self._fit, X, y)

    def _atomically(self, method, *args):
        before = dict(vars(self))
        try:
            return method(*args)
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise


class SGDTrainedMixin(AtomicFitMixin):
    """fit, partial_fit, warm_start and early stopping for the estimators trained by ``train``.

    The model trains on standardised features (x - mean) / scale when ``standardize`` is set
    (mean and scale from the first fit or partial_fit), and the scaling is folded into the
    first layer afterwards, so ``module_`` maps the raw features (a subclass may scale and fold otherwise:
    _feature_scaling, _to_standardized, _to_raw). Subclasses give
    _new_module(n_features, n_outputs, rng), _first_linear(module), _prepare(X, y, reset, warm,
    classes, partial) -> (X, targets, n_outputs), _loss, _validation_score(module, X, targets)
    and _counts_correct.
    """

    def _fit(self, X, y):
        self._check_params()
        warm = bool(self.warm_start) and hasattr(self, "module_")
        X, targets, n_outputs = self._prepare(X, y, reset=not warm, warm=warm)
        rng = make_rng(self.random_state)
        if warm:
            module, (mean, scale) = copy.deepcopy(self.module_), (self.x_mean_, self.x_scale_)
        else:
            mean, scale = self._feature_scaling(X)
            module = self._new_module(X.shape[1], n_outputs, rng)
        check_float32_range(self, X)
        Z, validation = ((X - mean) / scale).astype(np.float32), None
        if self.early_stopping:
            Z, Z_val, targets, t_val = validation_split(self, Z, targets, rng, stratify=self._counts_correct)
            validation = (Z_val, t_val, self._validation_score)
        self.lr_ = auto_lr(self, Z)
        if warm:  # a new module is initialised for standardised features already
            self._to_standardized(module, mean, scale)
        optimizer = make_optimizer(self.solver, module, self.lr_, self.momentum, self.l2)
        progress, history = train(self, module, optimizer, Z, targets, rng, self.epochs, divergence_hint(self, X),
                                  validation)
        self._store(module, optimizer, rng, mean, scale, X, progress, history, keep=warm)
        return self

    def partial_fit(self, X, y, classes=None):
        """One epoch of minibatch steps on (X, y), continuing from the current state; returns self.

        On the first call a classifier needs ``classes``, every label ``y`` may take. Early
        stopping does not apply (as in scikit-learn).
        """
        return self._atomically(self._partial_fit, X, y, classes)

    def _partial_fit(self, X, y, classes=None):
        self._check_params()
        first = not hasattr(self, "module_")
        X, targets, n_outputs = self._prepare(X, y, reset=first, classes=classes, partial=True)
        if first:
            rng = make_rng(self.random_state)
            mean, scale = self._feature_scaling(X)
            module, optimizer = self._new_module(X.shape[1], n_outputs, rng), None
        else:
            module, optimizer, rng = copy.deepcopy((self.module_, getattr(self, "_optimizer", None), self._rng))
            mean, scale = self.x_mean_, self.x_scale_
            self._to_standardized(module, mean, scale)
        check_float32_range(self, X)
        Z = ((X - mean) / scale).astype(np.float32)
        if first or self.lr != "auto":  # "auto" keeps the step size found on the first call
            self.lr_ = auto_lr(self, Z)
        if optimizer is None or not is_solver(optimizer, self.solver):
            optimizer = make_optimizer(self.solver, module, self.lr_, self.momentum, self.l2)
        set_step_size(optimizer, self.lr_, self.momentum)
        progress, history = train(self, module, optimizer, Z, targets, rng, 1, divergence_hint(self, X))
        self._store(module, optimizer, rng, mean, scale, X, progress, history, keep=not first)
        return self

    def _store(self, module, optimizer, rng, mean, scale, X, progress, history, keep):
        """Fold the scaling back, check the result, and set the fitted attributes (appending when ``keep``)."""
        self._to_raw(module, mean, scale)
        check_finite(self, module, len(progress.loss_curve), progress.loss_curve[-1], divergence_hint(self, X))
        factor = self._loss_factor()
        progress.loss_curve = [loss * factor for loss in progress.loss_curve]
        history["loss"] = [loss * factor for loss in history["loss"]]
        if keep:
            history = {key: self.history_[key] + values for key, values in history.items()}
        self.module_, self._optimizer, self._rng, self.x_mean_, self.x_scale_ = module, optimizer, rng, mean, scale
        self.loss_curve_ = (self.loss_curve_ if keep else []) + progress.loss_curve
        self.n_iter_ = (self.n_iter_ if keep else 0) + len(progress.loss_curve)
        self.validation_scores_ = progress.validation_scores
        self.best_validation_score_ = progress.best_score if progress.early_stopping else None
        self.best_loss_ = None if progress.early_stopping else min(self.loss_curve_)
        self.history_ = history

    def _loss_factor(self):
        """What turns the training loss into the units loss_curve_ reports (1: as trained)."""
        return 1.0

    def _feature_scaling(self, X):
        """(mean, scale) to train on (X - mean) / scale: per feature, as StandardScaler, by default."""
        return feature_scaling(X, self.standardize)

    def _to_standardized(self, module, mean, scale):
        to_standardized(self._first_linear(module), mean, scale)

    def _to_raw(self, module, mean, scale):
        to_raw(self._first_linear(module), mean, scale)


class LinearScoresClassifier(ClassifierMixin, AtomicFitMixin, BaseEstimator):
    """A classifier whose fitted ``module_`` maps X (n, D) to scores z (n, K); predict is argmax_k z_k."""

    def _validate_training_data(self, X, y, reset=True, warm=False, classes=None, partial=False):
        """X as float64 (n, D), the classes, and y as indices into them (any label values: ints, strings).

        A fresh fit takes the classes from y; a warm-started fit must see the same classes; the
        first partial_fit takes them from ``classes``, which later calls may repeat but not change.
        """
        X, y = validate_data(self, X, y, dtype=np.float64, reset=reset)
        check_classification_targets(y)
        name = type(self).__name__
        if partial:
            known = getattr(self, "classes_", None)
            if known is None and classes is None:
                raise ValueError(f"{name}: classes must be passed on the first call to partial_fit")
            if classes is not None:
                classes = np.unique(classes)
                if known is not None and not np.array_equal(classes, known):
                    raise ValueError(f"{name}: classes={classes.tolist()} is not the same as on the first call to "
                                     f"partial_fit ({known.tolist()})")
            classes = known if known is not None else classes
            unknown = np.setdiff1d(np.unique(y), classes)
            if len(unknown):
                raise ValueError(f"{name}: y has labels {unknown.tolist()} that are not in classes {classes.tolist()}")
        else:
            classes = np.unique(y)
            if warm and not np.array_equal(classes, self.classes_):
                raise ValueError(f"{name}: warm_start=True needs y to have the same classes as the previous fit "
                                 f"({self.classes_.tolist()}), got {classes.tolist()}")
        if len(classes) < 2:
            raise ValueError(f"{name}: y contains only 1 class ({classes[0]!r}); "
                             "a classifier needs samples of at least 2 classes")
        return X, classes, np.searchsorted(classes, y)

    def _prepare(self, X, y, reset, warm=False, classes=None, partial=False):
        X, self.classes_, y_index = self._validate_training_data(X, y, reset, warm, classes, partial)
        return X, y_index, len(self.classes_)

    def _validation_score(self, module, X, y_index):
        """Accuracy on the held-out part (what early stopping watches, as in scikit-learn)."""
        with no_grad():
            return float(np.mean(module(module_input(module, X)).data.argmax(axis=1) == y_index))

    _counts_correct = True

    def _scores(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return float64_outputs(self.module_, X)

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
        """Wᵀ: (K, D), row k is the class-k weight vector w_k; it is nn.Linear's weight (shares its memory)."""
        return self.module_.weight.data

    @property
    def intercept_(self):
        """b: (K,), one bias per class."""
        return self.module_.bias.data
