"""Issue 12's training controls (scikit-learn's names and meanings), lr="auto", standardize, divergence, threads.

Notes: "Softmax regression" (CS 453X class 8) for the full-batch step W ← W - η (1/m) X(Ŷ - Y);
"Classification" (CS 577 lecture 04: perceptron, SGD, two-layer nets).
"""

import threading
import warnings

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from tinygrad_sm import Tensor, is_grad_enabled, nn, optim
from tinygrad_sm.data import load_dataset, split_and_scale
from tinygrad_sm.models import MulticlassPerceptron, SoftmaxRegression, TwoLayerNet, TwoLayerRegressor

CLASSIFIERS = [SoftmaxRegression, MulticlassPerceptron, TwoLayerNet]


@pytest.fixture(scope="module")
def digits():
    return split_and_scale(*load_dataset("digits"), random_state=0)


@pytest.fixture(scope="module")
def moons():
    return split_and_scale(*load_dataset("moons", n_samples=300, noise=0.2, random_state=0), random_state=0)


def parameters(model):
    return [p.data.copy() for p in model.module_.parameters()]


def assert_same_parameters(a, b, **tolerance):
    for x, y in zip(parameters(a), parameters(b), strict=True):
        np.testing.assert_allclose(x, y, **tolerance) if tolerance else np.testing.assert_array_equal(x, y)


# ---------------------------------------------------------------- the solvers

def three_steps(solver_kind, **kwargs):
    """Three steps of the estimators' optimizer (models._base.make_optimizer) on a tiny net, and its gradients."""
    from tinygrad_sm.models._base import make_optimizer
    rng = np.random.default_rng(0)
    module = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.ReLU(), nn.Linear(4, 2, rng=rng))
    start = [p.data.copy() for p in module.parameters()]
    solver = make_optimizer(solver_kind, module, **kwargs)
    X, y, grads = rng.standard_normal((8, 3)), np.arange(8) % 2, []
    for _ in range(3):
        solver.zero_grad()
        nn.cross_entropy(module(Tensor(X.astype(np.float32))), y).backward()
        grads.append([p.grad.copy() for p in module.parameters()])
        solver.step()
    return module, start, grads


def test_adam_is_kingma_and_bas_update_with_l2_on_the_weights_only():
    module, start, grads = three_steps("adam", lr=0.01, l2=0.1)
    for k, (p, p0) in enumerate(zip(module.parameters(), start)):
        theta, m, v = p0.astype(np.float64), 0.0, 0.0
        decay = 0.1 if p.data.ndim == 2 else 0.0  # weights are (in, out) matrices, biases vectors
        for t, step_grads in enumerate(grads, start=1):
            g = step_grads[k] + decay * theta
            m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
            theta = theta - 0.01 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        np.testing.assert_allclose(p.data, theta, rtol=1e-4, atol=1e-6)


def test_sgd_solver_matches_the_engines_optim_sgd_with_momentum():
    module, start, grads = three_steps("sgd", lr=0.1, momentum=0.9)
    reference = [Tensor(p0.copy(), requires_grad=True) for p0 in start]
    opt = optim.SGD(reference, lr=0.1, momentum=0.9)
    for step_grads in grads:
        for p, g in zip(reference, step_grads):
            p.grad = g
        opt.step()
    for p, q in zip(module.parameters(), reference):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("solver_kind", ["sgd", "adam"])
def test_a_solver_step_bumps_the_versions_so_a_graph_built_before_it_refuses_backward(solver_kind):
    from tinygrad_sm.models._base import make_optimizer
    rng = np.random.default_rng(0)
    module = nn.Linear(3, 2, rng=rng)
    X, y = Tensor(rng.standard_normal((4, 3)).astype(np.float32)), np.arange(4) % 2
    solver = make_optimizer(solver_kind, module, lr=0.1)
    nn.cross_entropy(module(X), y).backward()
    stale = nn.cross_entropy(module(X), y)  # saved W before the step
    solver.step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        stale.backward()


# ---------------------------------------------------------------- lr="auto" and standardize

def test_auto_lr_for_sgd_is_m_over_one_plus_the_mean_squared_row_norm(digits):
    X_train, _, y_train, _ = digits
    model = SoftmaxRegression(epochs=1).fit(X_train, y_train)
    Z = StandardScaler().fit_transform(X_train)  # what the model trains on
    assert model.lr_ == pytest.approx(32 / (1 + np.mean(np.sum(Z ** 2, axis=1))), rel=1e-6)
    assert 0.4 < model.lr_ < 0.6
    iris_X, iris_y = load_dataset("iris")
    assert SoftmaxRegression(epochs=1).fit(iris_X, iris_y).lr_ == 2.0  # 32 / 5 capped at 2


def test_auto_lr_for_adam_spreads_five_units_over_the_run(digits):
    X_train, _, y_train, _ = digits
    steps = 30 * int(np.ceil(len(X_train) / 32))  # 1290 steps: 0.0039
    assert TwoLayerNet(hidden=4).fit(X_train, y_train).lr_ == pytest.approx(5 / steps)
    assert TwoLayerNet(epochs=5000, hidden=4).fit(X_train[:64], y_train[:64]).lr_ == 0.001
    assert TwoLayerNet(epochs=1, hidden=4).fit(X_train[:64], y_train[:64]).lr_ == 0.01
    assert TwoLayerNet(lr=0.05, epochs=1).fit(X_train, y_train).lr_ == 0.05


@pytest.mark.parametrize("make", [
    lambda **kw: SoftmaxRegression(lr=0.3, epochs=3, **kw),
    lambda **kw: TwoLayerNet(hidden=8, epochs=3, **kw),
    lambda **kw: MulticlassPerceptron(epochs=2, **kw),
])
def test_standardize_is_the_same_model_on_standardised_features_folded_into_the_first_layer(make):
    """standardize=True on raw x ≡ standardize=False on StandardScaler(x), with W = W' / scale, b = b' - Wᵀ mean."""
    X, y = load_dataset("iris")
    X = X * [1, 10, 100, 1000]  # features of very different units
    scaler = StandardScaler().fit(X)
    inside = make(standardize=True, random_state=0).fit(X, y)
    outside = make(standardize=False, random_state=0).fit(scaler.transform(X), y)
    np.testing.assert_allclose(inside.x_mean_, scaler.mean_)
    np.testing.assert_allclose(inside.x_scale_, scaler.scale_)
    np.testing.assert_allclose(inside.decision_function(X), outside.decision_function(scaler.transform(X)),
                               rtol=1e-4, atol=1e-4)
    first_in = inside.module_[0] if isinstance(inside, TwoLayerNet) else inside.module_
    first_out = outside.module_[0] if isinstance(outside, TwoLayerNet) else outside.module_
    np.testing.assert_allclose(first_in.weight.data * scaler.scale_[None, :], first_out.weight.data, rtol=1e-4,
                               atol=1e-5)


# ---------------------------------------------------------------- stopping rules, n_iter_, loss_curve_

@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_without_early_stopping_training_stops_once_the_loss_stalls_for_n_iter_no_change_epochs(cls, moons):
    """tol larger than any improvement: epoch 1 improves on +inf, then n_iter_no_change + 1 stale epochs (MLP's rule)."""
    X_train, _, y_train, _ = moons
    model = cls(epochs=50, tol=10.0, n_iter_no_change=3, random_state=0).fit(X_train, y_train)
    assert model.n_iter_ == 5 == len(model.loss_curve_) == len(model.history_["loss"])
    assert model.validation_scores_ is None
    np.testing.assert_allclose(model.loss_curve_, model.history_["loss"])
    assert cls(epochs=7, tol=None, random_state=0).fit(X_train, y_train).n_iter_ == 7


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_early_stopping_keeps_the_best_epoch(cls, moons):
    X_train, _, y_train, _ = moons
    params = dict(early_stopping=True, validation_fraction=0.2, n_iter_no_change=2, tol=0.0, random_state=0)
    stopped = cls(epochs=60, **params).fit(X_train, y_train)
    scores = stopped.validation_scores_
    assert len(scores) == stopped.n_iter_ < 60
    best_epoch = int(np.argmax(scores)) + 1
    assert all(score <= max(scores) for score in scores[best_epoch:])
    # the same run cut at the best epoch gives the same parameters: the best ones were kept
    cut = cls(epochs=best_epoch, **params).fit(X_train, y_train)
    assert cut.validation_scores_ == scores[:best_epoch]
    assert_same_parameters(stopped, cut)


def test_early_stopping_scores_the_regressor_by_r2():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(200, 2))
    y = X[:, 0] ** 2 - X[:, 1]
    model = TwoLayerRegressor(hidden=16, epochs=40, early_stopping=True, random_state=0).fit(X, y)
    assert model.best_validation_score_ == max(model.validation_scores_) > 0.8


# ---------------------------------------------------------------- warm_start and partial_fit

def full_batch_softmax(**kwargs):
    """Deterministic and stateless: full-batch gradient descent with no momentum, on x itself (notes: Softmax regression)."""
    return SoftmaxRegression(lr=0.3, batch_size=10_000, standardize=False, random_state=0, **kwargs)


def test_warm_start_continues_where_the_last_fit_stopped(digits):
    X_train, _, y_train, _ = digits
    warm = full_batch_softmax(epochs=2, warm_start=True).fit(X_train, y_train)
    warm.set_params(epochs=3).fit(X_train, y_train)
    cold = full_batch_softmax(epochs=5).fit(X_train, y_train)
    assert_same_parameters(warm, cold, rtol=1e-5, atol=1e-7)
    assert warm.n_iter_ == 5 and len(warm.loss_curve_) == 5
    np.testing.assert_allclose(warm.loss_curve_, cold.loss_curve_, rtol=1e-5)
    restarted = full_batch_softmax(epochs=2).fit(X_train, y_train).set_params(epochs=3).fit(X_train, y_train)
    assert restarted.n_iter_ == 3


def test_warm_start_needs_the_same_classes(digits):
    X_train, _, y_train, _ = digits
    model = TwoLayerNet(hidden=8, epochs=1, warm_start=True, random_state=0).fit(X_train, y_train)
    before = parameters(model)
    with pytest.raises(ValueError, match="warm_start=True needs y to have the same classes"):
        model.fit(X_train[y_train < 5], y_train[y_train < 5])
    for a, b in zip(before, parameters(model)):
        np.testing.assert_array_equal(a, b)


def test_partial_fit_is_one_epoch_per_call(digits):
    X_train, _, y_train, _ = digits
    steps = full_batch_softmax()
    for _ in range(3):
        steps.partial_fit(X_train, y_train, classes=np.arange(10))
    assert steps.n_iter_ == 3 and len(steps.history_["loss"]) == 3
    assert_same_parameters(steps, full_batch_softmax(epochs=3).fit(X_train, y_train), rtol=1e-5, atol=1e-7)
    rule = MulticlassPerceptron(shuffle=False, averaged=False, standardize=False)
    rule.partial_fit(X_train, y_train, classes=np.arange(10)).partial_fit(X_train, y_train)
    once = MulticlassPerceptron(epochs=2, shuffle=False, averaged=False, standardize=False).fit(X_train, y_train)
    assert_same_parameters(rule, once)
    assert rule.t_ == once.t_ == 2 * len(X_train)


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_partial_fit_takes_its_classes_from_the_first_call(cls, digits):
    X_train, X_test, y_train, _ = digits
    model = cls(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call to partial_fit"):
        model.partial_fit(X_train, y_train)
    first = y_train < 3
    model.partial_fit(X_train[first], y_train[first], classes=np.arange(10))  # labels still to come
    assert list(model.classes_) == list(range(10)) and model.decision_function(X_test).shape == (len(X_test), 10)
    model.partial_fit(X_train, y_train)
    before = parameters(model)
    with pytest.raises(ValueError, match=r"y has labels \[10\] that are not in classes"):
        model.partial_fit(X_train[:5], np.array([0, 1, 2, 3, 10]))
    with pytest.raises(ValueError, match="is not the same as on the first call"):
        model.partial_fit(X_train, y_train, classes=np.arange(11))
    for a, b in zip(before, parameters(model)):
        np.testing.assert_array_equal(a, b)


def test_regressor_partial_fit_keeps_the_first_calls_target_scaling():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3))
    y = 100 + 50 * X[:, 0]
    model = TwoLayerRegressor(hidden=16, random_state=0)
    for _ in range(20):
        model.partial_fit(X, y)
    assert model.y_mean_ == pytest.approx(y.mean()) and model.y_scale_ == pytest.approx(y.std())
    assert model.n_iter_ == 20 and model.score(X, y) > 0.9


# ---------------------------------------------------------------- bad control values

@pytest.mark.parametrize("model, match", [
    (SoftmaxRegression(solver="lbfgs"), r"solver must be one of \['sgd', 'adam'\], got 'lbfgs'"),
    (SoftmaxRegression(lr="fast"), "lr must be a number > 0"),
    (TwoLayerNet(lr=-0.1), "lr must be a number > 0"),
    (TwoLayerNet(early_stopping="yes"), "early_stopping must be True or False"),
    (SoftmaxRegression(warm_start=1), "warm_start must be True or False"),
    (MulticlassPerceptron(standardize=None), "standardize must be True or False"),
    (TwoLayerNet(validation_fraction=1.0), r"validation_fraction must be a number > 0.0 and < 1.0"),
    (SoftmaxRegression(validation_fraction=0), r"validation_fraction must be a number > 0.0 and < 1.0"),
    (MulticlassPerceptron(n_iter_no_change=0), "n_iter_no_change must be an int >= 1"),
    (TwoLayerRegressor(tol=-1e-3), "tol must be a number >= 0.0"),
])
def test_bad_controls_are_value_errors_at_fit(model, match):
    X, y = load_dataset("iris")
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)


def test_too_few_samples_to_hold_out_is_a_clear_error():
    X, y = load_dataset("iris")
    with pytest.raises(ValueError, match="cannot hold out validation_fraction=0.01 of 20 samples"):
        SoftmaxRegression(early_stopping=True, validation_fraction=0.01).fit(X[::7][:20], y[::7][:20])


# ---------------------------------------------------------------- divergence: never a non-finite model

def test_a_last_step_that_overflows_the_parameters_is_an_error_even_with_a_finite_loss():
    """One full-batch step from W = 0: the loss (log 3) is finite, the step W = -η X(Ŷ - Y)/m is not (float32)."""
    rng = np.random.default_rng(0)
    X, y = 100 * rng.standard_normal((30, 4)), np.arange(30) % 3
    model = SoftmaxRegression(random_state=0).fit(X, y)
    before = model.decision_function(X)
    model.set_params(lr=1e38, epochs=1, batch_size=30, standardize=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match=r"training diverged at epoch 1 \(parameter weight is no longer finite\)"):
            model.fit(X, y)
    np.testing.assert_array_equal(model.decision_function(X), before)


@pytest.mark.parametrize("standardize, features, mentions_standardising", [
    (True, "raw", False),            # standardised inside: saying "standardise" would be false
    (False, "raw", True),
    (False, "standardised", False),  # the case: already standardised features
])
def test_the_divergence_message_mentions_standardising_only_when_it_would_change_something(
        standardize, features, mentions_standardising):
    X, y = load_dataset("digits")
    X, y = X[:200], y[:200]
    X = StandardScaler().fit_transform(X) if features == "standardised" else X
    model = TwoLayerRegressor(solver="sgd", lr=1e6, epochs=3, standardize=standardize, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match=r"training diverged at epoch \d+ .*try a smaller lr than 1e\+06") as error:
            model.fit(X, y.astype(float))
    assert ("standardi" in str(error.value)) == mentions_standardising


def test_huge_targets_are_learned_when_their_variance_fits_and_rejected_clearly_when_not():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 2))
    signs = X[:, 0] - X[:, 1]
    model = TwoLayerRegressor(hidden=8, epochs=20, random_state=0).fit(X, 1e150 * signs)
    assert np.isfinite(model.y_scale_) and model.y_scale_ == pytest.approx(1e150 * np.std(signs), rel=1e-9)
    assert np.all(np.isfinite(model.predict(X))) and np.all(np.isfinite(model.loss_curve_))
    assert model.score(X, 1e150 * signs) > 0.8
    with pytest.raises(ValueError, match=r"TwoLayerRegressor: y reaches 1e\+200, so its variance .* overflows float64; rescale y first, e.g. y / 1e\+200"):
        TwoLayerRegressor(epochs=1).fit(X, np.where(signs > 0, 1e200, -1e200))  # the issue's ±1e200


# ---------------------------------------------------------------- threads

def test_fitting_in_one_thread_while_two_others_predict_changes_nothing(digits):
    X_train, X_test, y_train, _ = digits
    fitted = TwoLayerNet(hidden=16, epochs=2, random_state=0).fit(X_train, y_train)
    expected_proba = fitted.predict_proba(X_test)
    expected_fit = TwoLayerNet(hidden=16, epochs=5, random_state=1).fit(X_train, y_train)
    fits, predictions, stop = [], {1: [], 2: []}, threading.Event()

    def fit():
        fits.append(TwoLayerNet(hidden=16, epochs=5, random_state=1).fit(X_train, y_train))
        stop.set()

    def predict(worker):
        while not stop.is_set() or not predictions[worker]:
            predictions[worker].append(fitted.predict_proba(X_test))

    threads = [threading.Thread(target=fit)] + [threading.Thread(target=predict, args=(k,)) for k in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for proba in predictions[1] + predictions[2]:
        np.testing.assert_array_equal(proba, expected_proba)
    assert_same_parameters(fits[0], expected_fit)
    assert fits[0].loss_curve_ == expected_fit.loss_curve_


def test_grid_search_with_joblibs_threading_backend_matches_the_sequential_one(moons):
    X_train, _, y_train, _ = moons
    grid = {"hidden": [2, 16], "lr": [0.003, 0.03]}

    def search():
        return GridSearchCV(TwoLayerNet(epochs=5, random_state=0), grid, cv=3, n_jobs=2).fit(X_train, y_train)

    with parallel_backend("threading", n_jobs=2):
        threaded = search()
    sequential = GridSearchCV(TwoLayerNet(epochs=5, random_state=0), grid, cv=3).fit(X_train, y_train)
    assert threaded.best_params_ == sequential.best_params_
    np.testing.assert_array_equal(threaded.cv_results_["mean_test_score"], sequential.cv_results_["mean_test_score"])


def test_predicting_leaves_grad_mode_as_it_was(digits):
    X_train, X_test, y_train, _ = digits
    model = SoftmaxRegression(epochs=1).fit(X_train, y_train)
    model.predict(X_test)
    assert is_grad_enabled()
    assert Tensor(np.ones(2), requires_grad=True).sum().requires_grad


def blas_threads():
    from threadpoolctl import threadpool_info
    return max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")


def test_fits_run_blas_on_one_thread_until_the_last_concurrent_fit_ends(digits):
    from threadpoolctl import threadpool_limits

    from tinygrad_sm.models._base import single_threaded_blas
    X_train, _, y_train, _ = digits
    with threadpool_limits(limits=2, user_api="blas"):
        seen = []
        model = SoftmaxRegression(epochs=1)
        model._loss = lambda scores, y: (seen.append(blas_threads()), SoftmaxRegression._loss(scores, y))[1]
        model.fit(X_train[:64], y_train[:64])
        assert seen and set(seen) == {1}
        assert blas_threads() == 2
        first, second = single_threaded_blas(), single_threaded_blas()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)  # one fit ends while another still trains
        assert blas_threads() == 1
        second.__exit__(None, None, None)
        assert blas_threads() == 2
