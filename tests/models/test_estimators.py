"""The scikit-learn estimators of tinygrad_sm.models: accuracy, equivalence with the notes, sklearn compatibility.

Notes: "Softmax regression" (CS 453X class 8: W ← W - η (1/m) X(Ŷ - Y)) and
"Classification" (CS 577 lecture 04: perceptron as SGD with m = 1, η = 1; the multiclass perceptron;
two-layer networks; the two-moons data with m = 10 hidden units).
"""

import ast
import pathlib
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from tinygrad_sm import Tensor, load, nn, optim, save
from tinygrad_sm.data import load_dataset, split_and_scale
from tinygrad_sm.models import MulticlassPerceptron, SoftmaxRegression, TwoLayerNet, TwoLayerRegressor

NOTE_001 = "Softmax regression (aka multinomial logistic regression)"  # CS 453X Class 8
NOTE_003 = "Classification"  # CS 577 Deep Learning Lecture 04
CLASSIFIERS = [SoftmaxRegression, MulticlassPerceptron, TwoLayerNet]


@pytest.fixture(scope="module")
def iris():
    return split_and_scale(*load_dataset("iris"), random_state=0)


@pytest.fixture(scope="module")
def digits():
    return split_and_scale(*load_dataset("digits"), random_state=0)


@pytest.fixture(scope="module")
def moons():
    return split_and_scale(*load_dataset("moons", n_samples=500, noise=0.2, random_state=0), random_state=0)


def held_out_accuracy(model, data):
    X_train, X_test, y_train, y_test = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X_train, y_train).score(X_test, y_test)


# ---------------------------------------------------------------- accuracy, and against scikit-learn

# The default-accuracy bound on every bundled set (raw and standardised) is in test_models_defaults.py.

def test_two_moons_need_the_hidden_layer(moons):
    """A linear boundary cannot follow the moons; m = 10 relu units can (notes: Classification)."""
    network = held_out_accuracy(TwoLayerNet(hidden=10, random_state=0), moons)
    linear = held_out_accuracy(SoftmaxRegression(random_state=0), moons)
    assert network >= 0.95
    assert linear < 0.90
    assert network >= held_out_accuracy(MLPClassifier(hidden_layer_sizes=(10,), random_state=0), moons) - 0.01


def test_two_layer_regressor_fits_a_sine_curve():
    """The notes' 1-dimensional regression network, squared error loss (notes: Classification)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, size=(400, 1))
    y = np.sin(x[:, 0]) * 5 + 10 + rng.normal(0, 0.1, size=400)
    model = TwoLayerRegressor(hidden=32, random_state=0).fit(x[:300], y[:300])
    assert model.predict(x[300:]).shape == (100,)
    assert model.score(x[300:], y[300:]) > 0.95
    assert model.history_["loss"][-1] < 0.1 * model.history_["loss"][0]


# ---------------------------------------------------------------- equal to the notes' formulas

def softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def test_each_softmax_regression_step_is_W_minus_eta_X_times_Yhat_minus_Y_over_m():
    """Full batch (m = n), two steps of W ← W - η (1/m) X(Ŷ - Y), b ← b - η (1/m) Σ (ŷ - y), from W = 0 (notes: Softmax regression)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 5)), rng.integers(0, 3, size=40)
    model = SoftmaxRegression(lr=0.5, epochs=2, batch_size=40, standardize=False, random_state=0).fit(X, y)
    W, b, Y = np.zeros((5, 3)), np.zeros(3), nn.one_hot(y, 3).data
    for _ in range(2):
        delta = softmax(X @ W + b) - Y
        W, b = W - 0.5 * X.T @ delta / 40, b - 0.5 * delta.mean(axis=0)
    np.testing.assert_allclose(model.coef_, W.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.intercept_, b, rtol=1e-5, atol=1e-6)


def test_softmax_regression_with_two_classes_is_binary_logistic_regression(moons):
    """With K = 2, softmax(z)_1 = σ(z_1 - z_0), and w = w_1 - w_0 follows logistic regression at step 2η (notes: Softmax regression; Classification)."""
    X_train, X_test, y_train, _ = moons
    model = SoftmaxRegression(lr=0.1, epochs=20, batch_size=len(X_train), standardize=False,
                              random_state=0).fit(X_train, y_train)
    w = Tensor(np.zeros(2), requires_grad=True)
    b = Tensor(np.zeros(1), requires_grad=True)
    opt = optim.SGD([w, b], lr=0.2)
    signs = 2 * y_train - 1
    for _ in range(20):
        opt.zero_grad()
        nn.binary_logistic(Tensor(X_train) @ w + b, signs).backward()
        opt.step()
    np.testing.assert_allclose(model.coef_[1] - model.coef_[0], w.data, rtol=1e-4)
    np.testing.assert_allclose(model.intercept_[1] - model.intercept_[0], b.data[0], rtol=1e-4, atol=1e-6)
    z = model.decision_function(X_test)
    np.testing.assert_allclose(z, X_test @ w.data + b.data[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.predict_proba(X_test)[:, 1], 1 / (1 + np.exp(-z)), rtol=1e-10)


def perceptron_data(n=150):
    X, y = load_dataset("digits")
    return StandardScaler().fit_transform(X[:n]), y[:n]


def test_one_perceptron_epoch_is_sgd_with_m_1_and_eta_1_on_the_multiclass_perceptron_loss():
    """w_ŷ -= x, w_y += x on each mistake ≡ θ ← θ - ∇ (max_k z_k - z_y), one sample at a time (notes: Classification)."""
    X, y = perceptron_data()
    model = MulticlassPerceptron(epochs=1, shuffle=False, averaged=False, standardize=False).fit(X, y)
    W = Tensor(np.zeros((64, 10)), requires_grad=True)
    b = Tensor(np.zeros(10), requires_grad=True)
    opt = optim.SGD([W, b], lr=1.0)
    for x_t, y_t in zip(X, y):
        opt.zero_grad()
        nn.multiclass_perceptron_loss(Tensor(x_t[None]) @ W + b, np.array([y_t])).backward()
        opt.step()
    assert np.abs(W.data).sum() > 0
    np.testing.assert_allclose(model.coef_, W.data.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.intercept_, b.data, rtol=1e-12, atol=1e-12)
    assert model.history_["accuracy"][0] < 1  # it did make mistakes


def test_averaged_perceptron_returns_the_mean_of_W_over_all_steps():
    X, y = perceptron_data(60)
    model = MulticlassPerceptron(epochs=2, shuffle=False, averaged=True, standardize=False).fit(X, y)
    W = np.zeros((65, 10))
    X1, snapshots = np.hstack([X, np.ones((60, 1))]), []
    for _ in range(2):
        for x_t, y_t in zip(X1, y):
            z = x_t @ W
            rivals = np.delete(np.arange(10), y_t)
            y_hat = rivals[np.argmax(z[rivals])]
            if z[y_hat] >= z[y_t]:  # y is not the only argmax: a mistake (notes: Classification)
                W[:, y_hat] -= x_t
                W[:, y_t] += x_t
            snapshots.append(W.copy())
    mean_W = np.mean(snapshots, axis=0)
    np.testing.assert_allclose(model.coef_, mean_W[:-1].T, atol=1e-9)
    np.testing.assert_allclose(model.intercept_, mean_W[-1], atol=1e-9)
    plain = MulticlassPerceptron(epochs=2, shuffle=False, averaged=False, standardize=False).fit(X, y)
    np.testing.assert_allclose(plain.coef_, W[:-1].T, atol=1e-9)


# ---------------------------------------------------------------- scikit-learn API

def test_random_state_makes_fits_bit_for_bit_reproducible(iris):
    X_train, _, y_train, _ = iris
    for cls in CLASSIFIERS:
        first = cls(random_state=3).fit(X_train, y_train)
        second = cls(random_state=3).fit(X_train, y_train)
        for a, b in zip(first.module_.parameters(), second.module_.parameters()):
            np.testing.assert_array_equal(a.data, b.data)
        assert first.history_ == second.history_
    a = TwoLayerNet(random_state=1).fit(X_train, y_train).coefs_[0]
    b = TwoLayerNet(random_state=2).fit(X_train, y_train).coefs_[0]
    assert not np.array_equal(a, b)


def test_fitted_attributes_and_history(iris):
    X_train, X_test, y_train, _ = iris
    model = TwoLayerNet(hidden=8, epochs=5, random_state=0).fit(X_train, y_train)
    assert model.n_features_in_ == 4 and list(model.classes_) == [0, 1, 2]
    assert [w.shape for w in model.coefs_] == [(4, 8), (8, 3)]
    assert [b.shape for b in model.intercepts_] == [(8,), (3,)]
    assert len(model.history_["loss"]) == len(model.history_["accuracy"]) == 5
    assert model.history_["loss"][-1] < model.history_["loss"][0]
    probs = model.predict_proba(X_test)
    np.testing.assert_allclose(probs.sum(axis=1), 1)
    np.testing.assert_array_equal(model.classes_[probs.argmax(axis=1)], model.predict(X_test))
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X_test)), probs)
    soft = SoftmaxRegression(epochs=2).fit(X_train, y_train)
    assert soft.coef_.shape == (3, 4) and soft.intercept_.shape == (3,)
    assert soft.decision_function(X_test).shape == (len(X_test), 3)


def test_the_perceptron_is_not_probabilistic():
    assert not hasattr(MulticlassPerceptron(), "predict_proba")


def test_labels_can_be_strings(iris):
    X_train, X_test, y_train, _ = iris
    names = np.array(["setosa", "versicolor", "virginica"])
    for cls in CLASSIFIERS:
        model = cls(random_state=0).fit(X_train, names[y_train])
        assert list(model.classes_) == list(names)
        assert set(model.predict(X_test)) <= set(names)


def test_verbose_shows_a_progress_bar_with_loss_and_accuracy(iris, capsys):
    X_train, _, y_train, _ = iris
    SoftmaxRegression(epochs=3, verbose=True).fit(X_train, y_train)
    err = capsys.readouterr().err
    assert "SoftmaxRegression" in err and "3/3" in err and "loss=" in err and "acc=" in err
    SoftmaxRegression(epochs=3).fit(X_train, y_train)
    assert capsys.readouterr().err == ""


def test_clone_gives_an_unfitted_copy_with_the_same_parameters(iris):
    model = TwoLayerNet(hidden=7, lr=0.05, random_state=4).fit(*iris[::2])
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "module_")
    with pytest.raises(NotFittedError):
        copy.predict(iris[1])


def test_cross_val_score_and_a_pipeline_on_raw_features():
    X, y = load_dataset("iris")
    pipeline = make_pipeline(StandardScaler(), SoftmaxRegression(epochs=100, random_state=0))
    scores = cross_val_score(pipeline, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.85


def test_grid_search_picks_the_better_setting(moons):
    X_train, X_test, y_train, y_test = moons
    search = GridSearchCV(TwoLayerNet(random_state=0), {"hidden": [1, 10]}, cv=3).fit(X_train, y_train)
    assert search.best_params_ == {"hidden": 10}
    assert search.best_estimator_.score(X_test, y_test) > 0.9


def test_save_load_predict_gives_identical_predictions(digits, tmp_path):
    X_train, X_test, y_train, _ = digits
    model = TwoLayerNet(hidden=16, epochs=3, random_state=0).fit(X_train, y_train)
    save(tmp_path / "net.npz", model.module_)
    other = TwoLayerNet(hidden=16, epochs=3, random_state=1).fit(X_train, y_train)
    assert not np.array_equal(other.predict_proba(X_test), model.predict_proba(X_test))
    load(tmp_path / "net.npz", other.module_)
    np.testing.assert_array_equal(other.predict_proba(X_test), model.predict_proba(X_test))
    np.testing.assert_array_equal(other.predict(X_test), model.predict(X_test))
    wider = TwoLayerNet(hidden=32, epochs=1).fit(X_train, y_train)
    with pytest.raises(ValueError, match=r"'0.weight' has shape \(32, 64\) in the model but \(16, 64\)"):
        load(tmp_path / "net.npz", wider.module_)


def test_pickle_round_trip_predicts_identically(iris):
    X_train, X_test, y_train, _ = iris
    for cls in CLASSIFIERS:
        model = cls(random_state=0).fit(X_train, y_train)
        restored = pickle.loads(pickle.dumps(model))
        np.testing.assert_array_equal(restored.decision_function(X_test), model.decision_function(X_test))


# ---------------------------------------------------------------- bad input leaves a fitted model as it was

def snapshot(model, X):
    return {name: p.data.copy() for name, p in model.module_.named_parameters()}, model.decision_function(X), \
        model.n_features_in_, list(model.classes_)


def assert_same(before, after):
    for name in before[0]:
        np.testing.assert_array_equal(after[0][name], before[0][name])
    np.testing.assert_array_equal(after[1], before[1])
    assert after[2:] == before[2:]


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_bad_fits_raise_the_usual_sklearn_errors_and_change_nothing(cls, iris):
    X_train, X_test, y_train, _ = iris
    model = cls(random_state=0).fit(X_train, y_train)
    before = snapshot(model, X_test)
    X_nan, X_inf = X_train.copy(), X_train.copy()
    X_nan[3, 1], X_inf[0, 0] = np.nan, np.inf
    bad_fits = [
        ((X_train[:, 0], y_train), "Expected 2D array"),
        ((X_nan, y_train), "NaN"),
        ((X_inf, y_train), "infinity"),
        ((X_train, y_train[:-1]), "inconsistent numbers of samples"),
        ((X_train, np.zeros_like(y_train)), "only 1 class"),
        ((X_train, y_train + 0.5), "Unknown label type"),
    ]
    for (X, y), match in bad_fits:
        with pytest.raises(ValueError, match=match):
            model.fit(X, y)
        assert_same(before, snapshot(model, X_test))


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_predicting_before_fit_or_with_another_feature_count_fails_clearly(cls, iris):
    X_train, X_test, y_train, _ = iris
    with pytest.raises(NotFittedError):
        cls().predict(X_test)
    model = cls(random_state=0).fit(X_train, y_train)
    with pytest.raises(ValueError, match=f"X has 3 features, but {cls.__name__} is expecting 4 features"):
        model.predict(X_test[:, :3])
    with pytest.raises(ValueError, match="Expected 2D array"):
        model.predict(X_test[0])


@pytest.mark.parametrize("model, match", [
    (SoftmaxRegression(lr=0), "lr must be a number > 0"),
    (SoftmaxRegression(epochs=0), "epochs must be an int >= 1"),
    (SoftmaxRegression(batch_size=2.5), "batch_size must be an int >= 1"),
    (SoftmaxRegression(momentum=1.0), "momentum must be a number >= 0.0 and < 1.0"),
    (TwoLayerNet(activation="gelu"), r"activation must be one of \['relu', 'sigmoid', 'tanh'\]"),
    (TwoLayerNet(hidden=0), "hidden must be an int >= 1"),
    (TwoLayerNet(l2=-1), "l2 must be a number >= 0.0"),
    (MulticlassPerceptron(epochs=-1), "epochs must be an int >= 1"),
])
def test_bad_hyperparameters_are_value_errors_at_fit(model, match, iris):
    with pytest.raises(ValueError, match=match):
        model.fit(iris[0], iris[2])


def test_a_diverging_fit_is_an_error_and_keeps_the_previous_fit():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = X @ [1.0, -2.0, 0.5]
    model = TwoLayerRegressor(epochs=5, random_state=0).fit(X, y)
    before = model.predict(X)
    model.set_params(solver="sgd", lr=1e4)  # Adam's steps are bounded by lr; plain SGD's are not
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy overflow on the way to inf
        with pytest.raises(ValueError, match=r"training diverged at epoch \d+ \(.*\); try a smaller lr than 1e\+04$"):
            model.fit(X, y)
    assert model.lr == 1e4
    np.testing.assert_array_equal(model.predict(X), before)


def test_models_use_only_the_public_api():
    """models/ imports from tinygrad_sm only Tensor, no_grad, nn, optim and data (issue 3)."""
    public = {"Tensor", "no_grad", "nn", "optim", "data", "minibatches"}
    folder = pathlib.Path(__file__).resolve().parents[2] / "models"
    for path in folder.glob("*.py"):
        source = path.read_text()
        assert "ops" not in {alias.name for node in ast.walk(ast.parse(source))
                             if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tinygrad_sm"):
                assert node.module in ("tinygrad_sm", "tinygrad_sm.data"), path.name
                assert {alias.name for alias in node.names} <= public, path.name
            if isinstance(node, ast.Attribute) and node.attr in ("_op", "_wrap", "_apply", "_lift"):
                raise AssertionError(f"{path.name} uses engine internals: .{node.attr}")


def test_models_touch_no_private_name_of_the_engine_or_optim():
    """No `p._bump_version()` or any other private attribute of Tensor or an optimizer in models/ (issue 15)."""
    private = {name for cls in (Tensor, optim.Optimizer, optim.SGD, optim.Adam) for name in dir(cls)
               if name.startswith("_") and not name.startswith("__")}
    folder = pathlib.Path(__file__).resolve().parents[2] / "models"
    for path in folder.glob("*.py"):
        used = {node.attr for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Attribute)}
        assert not used & private, f"{path.name} uses {sorted(used & private)}"


@pytest.mark.parametrize("solver, optimizer", [("sgd", optim.SGD), ("adam", optim.Adam)])
def test_estimators_train_through_optim(solver, optimizer, digits):
    X_train, _, y_train, _ = digits
    model = TwoLayerNet(hidden=8, solver=solver, epochs=1, random_state=0).fit(X_train, y_train)
    assert type(model._optimizer) is optimizer


# ---------------------------------------------------------------- scikit-learn's own estimator checks

# Two checks are left out, each for a reason outside our estimators:
# - check_array_api_input: only runs with SCIPY_ARRAY_API=1 set before scipy is first imported
#   (otherwise sklearn itself skips it); our models compute with numpy through the engine and
#   do not claim Array API support.
# - check_classifier_data_not_an_array / check_regressor_data_not_an_array: the second half needs
#   pandas, which is not a dependency, so sklearn skips the whole check; the non-array half
#   (a sequence object that is not an ndarray) is exercised in test_non_array_inputs below.
NEEDS_OPTIONAL = {"check_array_api_input", "check_classifier_data_not_an_array", "check_regressor_data_not_an_array"}
ESTIMATORS = [SoftmaxRegression(), MulticlassPerceptron(), TwoLayerNet(), TwoLayerRegressor()]
_ALL_CHECKS = parametrize_with_checks(ESTIMATORS)
SKLEARN_CHECKS = [(est, check) for est, check in _ALL_CHECKS.args[1] if check.func.__name__ not in NEEDS_OPTIONAL]


@pytest.mark.parametrize("estimator, check", SKLEARN_CHECKS, ids=_ALL_CHECKS.kwargs["ids"])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_the_sklearn_checks_cover_each_estimator():
    names = {type(est).__name__ for est, _ in SKLEARN_CHECKS}
    assert names == {"SoftmaxRegression", "MulticlassPerceptron", "TwoLayerNet", "TwoLayerRegressor"}
    assert len(SKLEARN_CHECKS) >= 4 * 45


def test_non_array_inputs():
    """Lists and tuples work like arrays (what check_*_data_not_an_array checks without pandas)."""
    X = [[3, 0], [0, 1], [0, 2], [1, 1], [1, 2], [2, 1], [0, 3], [1, 0], [2, 0], [4, 4], [2, 3], [3, 2]]
    y = (1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2)
    for cls in CLASSIFIERS:
        from_lists = cls(random_state=0).fit(X, y).predict(X)
        from_arrays = cls(random_state=0).fit(np.array(X), np.array(y)).predict(np.array(X))
        np.testing.assert_array_equal(from_lists, from_arrays)
    values = [float(v) for v in y]
    regressor = TwoLayerRegressor(epochs=3, random_state=0)
    np.testing.assert_array_equal(regressor.fit(X, values).predict(X), regressor.fit(np.array(X), y).predict(X))
