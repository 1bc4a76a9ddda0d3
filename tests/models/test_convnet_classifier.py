"""ConvNetClassifier (issue 18): LeNet-5-like, trained like the other estimators, on the 8×8 digits."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.utils.estimator_checks import parametrize_with_checks

from tinygrad_sm import Tensor, nn, no_grad
from tinygrad_sm.models import ConvNetClassifier
from tinygrad_sm.models.convnet import infer_image_shape

X_digits, y_digits = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X_digits, y_digits, test_size=0.25, random_state=0,
                                                    stratify=y_digits)
SMALL = dict(channels=(4, 8), hidden=(32,), epochs=3)


@pytest.fixture(scope="module")
def fitted():
    """The defaults on the raw 8×8 digits (pixels 0-16); about 2 s."""
    return ConvNetClassifier(random_state=0).fit(X_train, y_train)


def test_the_defaults_learn_the_digits(fitted):
    # measured: 0.984 (0.949 after 10 epochs); MLPClassifier(64) reaches about 0.976 on this split
    assert fitted.score(X_test, y_test) >= 0.96
    assert fitted.n_iter_ == 20 and len(fitted.loss_curve_) == 20
    assert fitted.loss_curve_[-1] < fitted.loss_curve_[0] / 5


def test_the_network_is_lenet_shaped_and_maps_raw_pixels(fitted):
    layers = fitted.module_.layers
    assert fitted.image_shape_ == (1, 8, 8)
    convs = [layer for layer in layers if isinstance(layer, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.padding) for c in convs] == [
        (1, 6, (5, 5), (2, 2)), (6, 16, (5, 5), (2, 2))]  # 8 → 8 → 4 → 4 → 2: small images keep "same" padding
    linears = [layer for layer in layers if isinstance(layer, nn.Linear)]
    assert [(l.in_features, l.out_features) for l in linears] == [(16 * 2 * 2, 120), (120, 84), (84, 10)]
    assert fitted.x_mean_ == 0.0 and fitted.x_scale_ == pytest.approx(np.sqrt(np.mean(X_train ** 2)))
    with no_grad():
        scores = fitted.module_(Tensor(X_test.astype(np.float32))).data
    np.testing.assert_array_equal(fitted.classes_[scores.argmax(axis=1)], fitted.predict(X_test))
    np.testing.assert_allclose(fitted.predict_proba(X_test).sum(axis=1), 1, rtol=1e-5)


def test_mnist_sized_images_get_lenet_5s_shapes():
    X = np.random.default_rng(0).random((20, 784))
    model = ConvNetClassifier(epochs=1, random_state=0).fit(X, np.arange(20) % 2)
    convs = [layer for layer in model.module_.layers if isinstance(layer, nn.Conv2d)]
    assert model.image_shape_ == (1, 28, 28) and [c.padding for c in convs] == [(2, 2), (0, 0)]  # 28→28→14→10→5
    assert [layer for layer in model.module_.layers if isinstance(layer, nn.Linear)][0].in_features == 400


@pytest.mark.parametrize("n_features, shape", [(64, (1, 8, 8)), (784, (1, 28, 28)), (12, (1, 3, 4)),
                                               (7, (1, 1, 7)), (1, (1, 1, 1))])
def test_the_image_shape_is_inferred_as_square_as_it_can_be(n_features, shape):
    assert infer_image_shape(n_features) == shape


def test_explicit_image_shapes_with_channels_and_rectangles():
    rng = np.random.default_rng(1)
    X, y = rng.random((30, 2 * 4 * 8)), np.arange(30) % 3
    model = ConvNetClassifier(image_shape=(2, 4, 8), **SMALL, random_state=0).fit(X, y)
    assert model.image_shape_ == (2, 4, 8) and model.module_.layers[1].in_channels == 2
    assert ConvNetClassifier(image_shape=[8, 8], **SMALL).fit(X_train[:50], y_train[:50]).image_shape_ == (1, 8, 8)
    one_row = ConvNetClassifier(**SMALL).fit(rng.random((30, 5)), y)  # 1 × 5 images: pooled along the row only
    assert one_row.image_shape_ == (1, 1, 5) and one_row.predict(rng.random((4, 5))).shape == (4,)


@pytest.mark.parametrize("params, message", [
    (dict(image_shape=(1, 28, 28)), r"image_shape \(1, 28, 28\) has 784 values per image, but X has 64 features"),
    (dict(image_shape=(3, 8, 8)), r"image_shape \(3, 8, 8\) has 192 values per image, but X has 64 features"),
    (dict(image_shape=(8, 0, 8)), r"image_shape must be \(C, H, W\) or \(H, W\), ints >= 1, got \(8, 0, 8\)"),
    (dict(image_shape=64), "image_shape must be"), (dict(image_shape=(1, 2, 4, 8)), "image_shape must be"),
    (dict(kernel_size=4), "kernel_size must be an odd int >= 1, got 4"),
    (dict(channels=()), r"channels must be a tuple of ints >= 1, at least 1 of them, got \(\)"),
    (dict(hidden=(10, 0)), r"hidden must be a tuple of ints >= 1, got \(10, 0\)"),
    (dict(activation="gelu"), "activation must be one of"), (dict(epochs=0), "epochs must be an int >= 1"),
])
def test_bad_parameters_are_named_and_nothing_is_fitted(params, message):
    model = ConvNetClassifier(**params)
    with pytest.raises(ValueError, match="ConvNetClassifier: " + message):
        model.fit(X_train[:40], y_train[:40])
    assert not hasattr(model, "module_") and not hasattr(model, "image_shape_")


def test_a_failed_refit_leaves_the_fitted_model_as_it_was():
    model = ConvNetClassifier(**SMALL, random_state=0).fit(X_train[:100], y_train[:100])
    before = model.predict(X_test)
    with pytest.raises(ValueError, match="has 784 values per image"):
        model.set_params(image_shape=(1, 28, 28)).fit(X_train[:100], y_train[:100])
    np.testing.assert_array_equal(model.predict(X_test), before)
    assert model.image_shape_ == (1, 8, 8)


def test_random_state_makes_fits_reproducible_and_clone_refits_the_same():
    first = ConvNetClassifier(**SMALL, random_state=3).fit(X_train[:200], y_train[:200])
    again = clone(first).fit(X_train[:200], y_train[:200])
    np.testing.assert_array_equal(first.predict_proba(X_test), again.predict_proba(X_test))
    other = ConvNetClassifier(**SMALL, random_state=4).fit(X_train[:200], y_train[:200])
    assert not np.array_equal(first.predict_proba(X_test), other.predict_proba(X_test))


def test_partial_fit_continues_and_keeps_the_scaling_of_the_first_call():
    model = ConvNetClassifier(**SMALL, random_state=0)
    model.partial_fit(X_train[:300], y_train[:300], classes=np.arange(10))
    scale = model.x_scale_
    for _ in range(4):
        model.partial_fit(X_train, y_train)
    assert model.n_iter_ == 5 and model.x_scale_ == scale
    assert model.score(X_test, y_test) > 0.8


def test_early_stopping_and_warm_start_work_as_in_the_other_estimators():
    stopped = ConvNetClassifier(**{**SMALL, "epochs": 30}, early_stopping=True, n_iter_no_change=2, tol=0.5,
                                random_state=0).fit(X_train, y_train)
    # tol 0.5: only the first epoch counts as better; it stops once more than 2 epochs did not
    assert stopped.n_iter_ == 4 and len(stopped.validation_scores_) == 4
    warm = ConvNetClassifier(**SMALL, warm_start=True, random_state=0).fit(X_train, y_train)
    first = warm.loss_curve_[-1]
    warm.fit(X_train, y_train)
    assert warm.n_iter_ == 6 and warm.loss_curve_[-1] < first


def test_standardize_off_trains_on_raw_pixels():
    model = ConvNetClassifier(**SMALL, standardize=False, random_state=0).fit(X_train / 16, y_train)
    assert model.x_scale_ == 1.0 and model.score(X_test / 16, y_test) > 0.8


def test_grid_search_clones_and_compares_architectures():
    search = GridSearchCV(ConvNetClassifier(epochs=3, hidden=(32,), random_state=0),
                          {"channels": [(2,), (6, 16)]}, cv=2).fit(X_train[:400], y_train[:400])
    assert np.all(search.cv_results_["mean_test_score"] > 0.5)
    best = search.best_estimator_
    assert [c.out_channels for c in best.module_.layers if isinstance(c, nn.Conv2d)] == list(best.channels)
    assert best.score(X_test, y_test) > 0.8


# The same two checks as in test_estimators.py are left out, for the reasons given there (they need
# SCIPY_ARRAY_API set before scipy is imported, or pandas).
NEEDS_OPTIONAL = {"check_array_api_input", "check_classifier_data_not_an_array"}
_ALL_CHECKS = parametrize_with_checks([ConvNetClassifier(**{**SMALL, "epochs": 5})])
SKLEARN_CHECKS = [(est, check) for est, check in _ALL_CHECKS.args[1] if check.func.__name__ not in NEEDS_OPTIONAL]


@pytest.mark.parametrize("estimator, check", SKLEARN_CHECKS, ids=_ALL_CHECKS.kwargs["ids"])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
