"""Features beyond float32's range are a clear error before training, not a silently useless model (issue 19)."""

import numpy as np
import pytest

from tinygrad_sm.data import load_dataset
from tinygrad_sm.models import SoftmaxRegression, TwoLayerNet, TwoLayerRegressor

ESTIMATORS = [SoftmaxRegression, TwoLayerNet, TwoLayerRegressor]


@pytest.fixture(scope="module")
def iris():
    X, y = load_dataset("iris")
    return np.asarray(X, dtype=np.float64), np.asarray(y)


def target(kind, y):
    return y.astype(np.float64) if kind is TwoLayerRegressor else y


@pytest.mark.parametrize("kind", ESTIMATORS, ids=lambda kind: kind.__name__)
@pytest.mark.parametrize("standardize", [True, False])
def test_features_finite_in_float64_but_not_in_float32_are_refused_before_training(kind, standardize, iris):
    X, y = iris
    huge = X * 1e39
    with np.errstate(over="ignore"):
        assert np.isfinite(huge).all() and not np.isfinite(huge.astype(np.float32)).all()
    model = kind(random_state=0, epochs=2, standardize=standardize)
    with pytest.raises(ValueError, match=rf"{kind.__name__}: X has values up to 7.9e\+39, beyond float32's range "
                                         r"\(±3.4e\+38\), in which the model computes; rescale the features") as caught:
        model.fit(huge, target(kind, y))
    assert "lr than" not in str(caught.value)
    assert not hasattr(model, "module_")  # a failed fit changes nothing
    with pytest.raises(ValueError, match="beyond float32's range"):
        model.partial_fit(huge, target(kind, y), **({"classes": np.unique(y)} if kind is not TwoLayerRegressor else {}))
    assert not hasattr(model, "module_")


@pytest.mark.parametrize("kind", ESTIMATORS, ids=lambda kind: kind.__name__)
def test_a_fitted_model_refuses_a_later_huge_batch_and_keeps_its_weights(kind, iris):
    X, y = iris
    model = kind(random_state=0, epochs=2, warm_start=True).fit(X, target(kind, y))
    weights = [p.data.copy() for p in model.module_.parameters()]
    with pytest.raises(ValueError, match="beyond float32's range"):
        model.fit(X * 1e39, target(kind, y))
    with pytest.raises(ValueError, match="beyond float32's range"):
        model.partial_fit(X * 1e39, target(kind, y))
    for before, p in zip(weights, model.module_.parameters()):
        np.testing.assert_array_equal(before, p.data)
