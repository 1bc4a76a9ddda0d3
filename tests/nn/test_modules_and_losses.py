"""tinygrad_sm.nn, tinygrad_sm.data and save/load: modules, the notes' losses, minibatches, checkpoints.

Loss formulas are those of the notes "Softmax regression" (cross-entropy, one-hot) and "Classification"
(CS 577: perceptron, logistic, multiclass perceptron, MSE, SGD minibatches).
"""

import os
import warnings

import numpy as np
import pytest

import tinygrad_sm
from tinygrad_sm import Tensor, gradcheck, load, nn, save
from tinygrad_sm.data import load_dataset, load_mnist, minibatches, split_and_scale

NOTE_001 = "Softmax regression (aka multinomial logistic regression)"  # CS 453X Class 8
NOTE_003 = "Classification"  # CS 577 Deep Learning Lecture 04


def f64(array, requires_grad=True):
    return Tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def two_layer(rng=0):
    return nn.Sequential(nn.Linear(4, 3, rng=rng), nn.ReLU(), nn.Linear(3, 2, rng=rng + 1))


class Block(nn.Module):
    """A custom module: a child module, a raw parameter, a list of modules, a plain tensor."""

    def __init__(self):
        self.encoder = nn.Linear(2, 3, rng=0)
        self.scale = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
        self.heads = [nn.Linear(3, 1, rng=1), nn.Linear(3, 1, rng=2)]
        self.constant = Tensor(np.zeros(3, dtype=np.float32))  # no grad: not a parameter

    def forward(self, x):
        h = self.encoder(x) * self.scale
        return self.heads[0](h) + self.heads[1](h)


# ---------------------------------------------------------------- Module

def test_parameters_are_collected_from_attributes_children_and_lists():
    block = Block()
    names = [name for name, _ in block.named_parameters()]
    assert names == ["encoder.weight", "encoder.bias", "scale", "heads.0.weight", "heads.0.bias",
                     "heads.1.weight", "heads.1.bias"]
    assert [p.shape for p in block.parameters()] == [(3, 2), (3,), (3,), (1, 3), (1,), (1, 3), (1,)]


def test_sequential_names_parameters_by_position():
    model = two_layer()
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(model) == 3 and isinstance(model[1], nn.ReLU)


def test_shared_parameter_is_listed_once():
    layer = nn.Linear(2, 2, rng=0)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(model.parameters()) == 2


def test_sequential_rejects_a_non_module():
    with pytest.raises(TypeError, match="layer 1 is a function"):
        nn.Sequential(nn.Linear(2, 2), lambda x: x)


def test_zero_grad_clears_every_gradient():
    model = two_layer()
    nn.cross_entropy(model(Tensor(np.ones((5, 4), dtype=np.float32))), [0, 1, 0, 1, 1]).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_train_and_eval_set_the_flag_on_every_submodule():
    block = Block()
    assert block.eval() is block
    assert [m.training for m in block.modules()] == [False] * 4
    block.train()
    assert all(m.training for m in block.modules())


def test_state_dict_round_trip_copies_values():
    source, target = two_layer(rng=0), two_layer(rng=10)
    state = source.state_dict()
    state["0.weight"][0, 0] = 123.0  # a copy: editing it leaves the source alone
    assert source.state_dict()["0.weight"][0, 0] != 123.0
    target.load_state_dict(source.state_dict())
    x = Tensor(np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32))
    np.testing.assert_array_equal(target(x).data, source(x).data)


def test_load_state_dict_keeps_the_parameter_arrays_in_place():
    model = two_layer()
    weight_array = model[0].weight.data
    model.load_state_dict(two_layer(rng=5).state_dict())
    assert model[0].weight.data is weight_array


def test_load_state_dict_missing_key_is_a_clear_error_and_changes_nothing():
    model, state = two_layer(), two_layer(rng=7).state_dict()
    del state["2.bias"]
    before = model.state_dict()
    with pytest.raises(KeyError, match=r"missing keys \['2.bias'\]"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model.state_dict()["0.weight"], before["0.weight"])


def test_load_state_dict_unexpected_key_is_a_clear_error():
    state = two_layer().state_dict()
    state["4.weight"] = np.zeros((2, 2), dtype=np.float32)
    with pytest.raises(KeyError, match=r"unexpected keys \['4.weight'\]"):
        two_layer().load_state_dict(state)


def test_load_state_dict_shape_mismatch_names_the_parameter_and_both_shapes():
    wide = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    model = two_layer()
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"'0.weight' has shape \(3, 4\) in the model but \(5, 4\)"):
        model.load_state_dict(wide.state_dict())
    np.testing.assert_array_equal(model.state_dict()["2.weight"], before["2.weight"])  # nothing half-loaded


def test_load_state_dict_with_an_uncastable_dtype_changes_nothing():
    model = two_layer()
    before = model.state_dict()
    state = {name: value.copy() for name, value in before.items()}
    state["0.weight"] = state["0.weight"] + 10.0  # would load first if nothing were checked up front
    state["2.bias"] = state["2.bias"] + 1j
    with pytest.raises(TypeError, match=r"'2.bias' is float32 in the model but complex64 in the state"):
        model.load_state_dict(state)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_module_repr_shows_the_layers():
    assert repr(two_layer()) == ("Sequential(\n  (0): Linear(in_features=4, out_features=3, bias=True)\n"
                                 "  (1): ReLU()\n  (2): Linear(in_features=3, out_features=2, bias=True)\n)")


# ---------------------------------------------------------------- Linear

def test_linear_weight_is_pytorchs_out_by_in_the_notes_W_transposed():
    layer = nn.Linear(3, 2, rng=0)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    layer.bias.data[...] = [0.5, -1.0]
    W = layer.weight.data.T  # the notes' W, d × K
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ W + [0.5, -1.0], rtol=1e-6)


def test_linear_init_is_lecun_normal_with_zero_bias_and_reproducible():
    layer = nn.Linear(400, 300, rng=3)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad
    assert np.all(layer.bias.data == 0)
    assert abs(layer.weight.data.mean()) < 0.01
    assert layer.weight.data.std() == pytest.approx(np.sqrt(1 / 400), rel=0.02)
    np.testing.assert_array_equal(layer.weight.data, nn.Linear(400, 300, rng=3).weight.data)


def test_linear_without_bias_has_one_parameter():
    layer = nn.Linear(3, 2, bias=False, rng=0)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    x = np.ones((1, 3), dtype=np.float32)
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ layer.weight.data.T)


@pytest.mark.parametrize("bad", [0, -2, 2.5, True])
def test_linear_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        nn.Linear(bad, 3)


def test_activation_modules_apply_their_function():
    x = Tensor(np.array([-2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(nn.ReLU()(x).data, [0.0, 0.0, 3.0])
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh([-2.0, 0.0, 3.0]))
    np.testing.assert_allclose(nn.Sigmoid()(x).data, 1 / (1 + np.exp([2.0, 0.0, -3.0])))


# ---------------------------------------------------------------- one_hot and the losses

def test_one_hot_matches_the_notes_example():
    """Labels 0, 1, 0 give the rows [1 0], [0 1], [1 0] (notes: Softmax regression)."""
    np.testing.assert_array_equal(nn.one_hot([0, 1, 0], 2).data, [[1, 0], [0, 1], [1, 0]])
    assert nn.one_hot(np.array([2]), 3).dtype == np.float32


def test_nn_one_hot_is_the_engines_one_hot():
    assert nn.one_hot is tinygrad_sm.one_hot


def test_one_hot_of_2d_labels_adds_a_class_axis():
    """Labels of any shape are encoded along a new last axis (the unified one_hot; 1-D only before)."""
    np.testing.assert_array_equal(nn.one_hot([[0]], 3).data, [[[1, 0, 0]]])


@pytest.mark.parametrize("labels, error, match", [
    ([0, 3], ValueError, r"one_hot: label 3 is out of range for 3 classes"),
    ([-1], ValueError, r"one_hot: label -1 is out of range for 3 classes"),
    ([0.5], TypeError, r"one_hot: labels must be ints, got dtype float64")])
def test_one_hot_rejects_bad_labels(labels, error, match):
    with pytest.raises(error, match=match):
        nn.one_hot(labels, 3)


def test_cross_entropy_value_and_gradient_are_the_notes_formulas():
    """f_CE = -(1/n) Σ_i log ŷ_{y_i}, ∇_z = (Ŷ - Y)/n (notes: Softmax regression)."""
    z = f64([[1.5, 1.0, -1.0], [0.2, 0.3, 0.1]])
    y = np.array([0, 2])
    loss = nn.cross_entropy(z, y)
    probs = np.exp(z.data) / np.exp(z.data).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probs[0], [0.592, 0.359, 0.049], atol=1e-3)  # the notes' illustration
    assert loss.item() == pytest.approx(-np.log(probs[[0, 1], y]).mean())
    loss.backward()
    np.testing.assert_allclose(z.grad, (probs - nn.one_hot(y, 3).data) / 2)


def test_mse_is_the_mean_squared_error_with_gradient_minus_2_y_minus_z():
    z, y = f64([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 1.0])
    loss = nn.mse(z, y)
    assert loss.item() == pytest.approx((0.25 + 0 + 9) / 3)
    loss.backward()
    np.testing.assert_allclose(z.grad, -2 * (y - z.data) / 3)  # ∂L/∂z = -2(y - z) (notes: Classification)


def test_mse_refuses_shapes_that_would_broadcast():
    with pytest.raises(ValueError, match=r"prediction of shape \(3, 1\) and target of shape \(3,\)"):
        nn.mse(f64(np.zeros((3, 1))), np.zeros(3))


def test_binary_logistic_is_log_one_plus_exp_minus_yz():
    z, y = f64([-2.0, 0.5, 3.0]), np.array([1, -1, 1])
    loss = nn.binary_logistic(z, y, reduction="sum")
    assert loss.item() == pytest.approx(np.log1p(np.exp(-y * z.data)).sum())
    loss.backward()
    np.testing.assert_allclose(z.grad, -y * np.exp(-y * z.data) / (1 + np.exp(-y * z.data)))  # (notes: Classification)


def test_binary_logistic_is_finite_for_huge_scores():
    z = f64([1000.0, -1000.0, 1000.0])
    loss = nn.binary_logistic(z, np.array([1, 1, -1]), reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 1000.0, 1000.0])
    loss.sum().backward()
    np.testing.assert_allclose(z.grad, [0.0, -1.0, 1.0])


def test_perceptron_loss_is_max_0_minus_yz_with_gradient_minus_y_x_on_mistakes():
    w = f64([0.5, -1.0])
    X = np.array([[1.0, 1.0], [2.0, 0.0], [0.0, -1.0]])
    y = np.array([1, 1, -1])
    loss = nn.perceptron_loss(Tensor(X) @ w, y, reduction="sum")
    z = X @ w.data  # [-0.5, 1.0, 1.0]: mistakes on rows 0 and 2
    assert loss.item() == pytest.approx(np.maximum(0, -y * z).sum())
    loss.backward()
    np.testing.assert_allclose(w.grad, -(y[0] * X[0] + y[2] * X[2]))  # (notes: Classification)


@pytest.mark.parametrize("loss", [nn.binary_logistic, nn.perceptron_loss])
def test_binary_losses_reject_labels_other_than_plus_minus_one(loss):
    with pytest.raises(ValueError, match="labels must be -1 or \\+1"):
        loss(f64([0.1, 0.2]), np.array([0, 1]))
    with pytest.raises(ValueError, match="same shape"):
        loss(f64([0.1, 0.2]), np.array([1]))


def test_losses_reject_an_unknown_reduction():
    with pytest.raises(ValueError, match="unknown reduction 'avg'"):
        nn.mse(f64([1.0]), np.array([1.0]), reduction="avg")


def test_multiclass_perceptron_loss_is_max_z_minus_z_y():
    z = f64([[1.0, 3.0, 2.0], [0.0, -1.0, 5.0]])
    loss = nn.multiclass_perceptron_loss(z, np.array([0, 2]), reduction="none")
    np.testing.assert_array_equal(loss.data, [2.0, 0.0])
    loss.sum().backward()
    np.testing.assert_array_equal(z.grad, [[-1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])  # e_ŷ - e_y (notes: Classification)


def test_multiclass_perceptron_loss_treats_a_tie_as_a_mistake_like_the_notes():
    """At W = 0 every score ties; y is not the only argmax, so ŷ = the first other class (notes: Classification)."""
    z = f64(np.zeros((2, 3)))
    loss = nn.multiclass_perceptron_loss(z, np.array([0, 2]))
    assert loss.item() == 0.0
    loss.backward()
    np.testing.assert_array_equal(z.grad, [[-0.5, 0.5, 0.0], [0.5, 0.0, -0.5]])


def test_multiclass_perceptron_loss_rejects_bad_labels():
    with pytest.raises(ValueError, match="labels must be in 0..2"):
        nn.multiclass_perceptron_loss(f64(np.zeros((1, 3))), np.array([3]))
    with pytest.raises(ValueError, match="need 1 int labels"):
        nn.multiclass_perceptron_loss(f64(np.zeros((1, 3))), np.array([0, 1]))


def test_losses_pass_gradcheck_in_float64():
    rng = np.random.default_rng(0)
    z = f64(rng.standard_normal(5))
    signs = np.array([1, -1, 1, 1, -1])
    assert gradcheck(lambda t: nn.binary_logistic(t, signs), z)
    assert gradcheck(lambda t: nn.mse(t, np.arange(5.0)), z)
    logits = f64(rng.standard_normal((4, 3)))
    assert gradcheck(lambda t: nn.cross_entropy(t, np.array([0, 2, 1, 2])), logits)


# ---------------------------------------------------------------- minibatches and datasets

def test_minibatches_of_size_one_visit_every_row_once_in_a_shuffled_order():
    X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    batches = list(minibatches(X, y, 1, shuffle=True, rng=0))
    assert len(batches) == 5 and all(len(b[1]) == 1 for b in batches)
    order = np.concatenate([b[1] for b in batches])
    assert sorted(order) == [0, 1, 2, 3, 4] and list(order) != [0, 1, 2, 3, 4]
    for xb, yb in batches:
        np.testing.assert_array_equal(xb, X[yb])  # rows stay paired with their labels


def test_minibatches_of_size_n_or_more_is_one_full_batch():
    X, y = np.ones((7, 3)), np.arange(7)
    for size in (7, 100):
        (batch,) = list(minibatches(X, y, size, shuffle=False))
        np.testing.assert_array_equal(batch[1], y)


def test_minibatches_last_batch_is_smaller_and_rng_makes_order_reproducible():
    X, y = np.zeros((10, 1)), np.arange(10)
    sizes = [len(yb) for _, yb in minibatches(X, y, 4, rng=1)]
    assert sizes == [4, 4, 2]
    first = [yb for _, yb in minibatches(X, y, 4, rng=np.random.default_rng(5))]
    again = [yb for _, yb in minibatches(X, y, 4, rng=np.random.default_rng(5))]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))


@pytest.mark.parametrize("size", [0, -1, 2.0, None])
def test_minibatches_rejects_a_bad_batch_size(size):
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        next(minibatches(np.zeros((3, 1)), np.zeros(3), size))


@pytest.mark.parametrize("rng, error", [(-1, ValueError), ("seed", TypeError), (1.5, TypeError)])
def test_minibatches_checks_its_rng_as_every_random_function_does(rng, error):
    with pytest.raises(error, match="minibatches: rng must be a numpy Generator, an int seed >= 0 or None"):
        next(minibatches(np.zeros((3, 1)), np.zeros(3), 1, rng=rng))


def test_minibatches_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="X has 3 rows but y has 2"):
        next(minibatches(np.zeros((3, 1)), np.zeros(2), 1))


def test_dataset_helpers_return_scikit_learn_data_split_and_standardised():
    X, y = load_dataset("iris")
    assert X.shape == (150, 4) and set(y) == {0, 1, 2}
    assert load_dataset("moons", n_samples=40)[0].shape == (40, 2)
    X_train, X_test, y_train, y_test = split_and_scale(X, y, random_state=0)
    assert X_train.shape == (112, 4) and X_test.shape == (38, 4)
    np.testing.assert_allclose(X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X_train.std(axis=0), 1)
    assert np.bincount(y_test).tolist() == [13, 13, 12]  # stratified
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        load_dataset("cifar")


def test_load_mnist_falls_back_to_digits_only_when_asked(monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr("sklearn.datasets.fetch_openml", offline)
    with pytest.raises(OSError, match="unreachable"):
        load_mnist()
    with pytest.warns(RuntimeWarning, match="using scikit-learn's 8x8 digits"):
        X, y = load_mnist(fallback=True)
    assert X.shape == (1797, 64) and X.max() == 255.0 and set(y) == set(range(10))


# ---------------------------------------------------------------- save / load

def test_save_then_load_gives_identical_outputs(tmp_path):
    model = two_layer(rng=0)
    path = save(tmp_path / "model.npz", model)
    assert os.path.exists(path)
    restored = load(tmp_path / "model.npz", two_layer(rng=42))
    x = Tensor(np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32))
    np.testing.assert_array_equal(restored(x).data, model(x).data)
    assert sorted(load(path)) == ["0.bias", "0.weight", "2.bias", "2.weight"]


def test_loading_into_a_model_of_another_shape_is_a_clear_error(tmp_path):
    save(tmp_path / "small.npz", two_layer())
    wide = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    with pytest.raises(ValueError, match=r"'0.weight' has shape \(8, 4\) in the model but \(3, 4\)"):
        load(tmp_path / "small.npz", wide)


def test_a_crash_while_saving_keeps_the_old_checkpoint_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    old = two_layer(rng=0)
    save(path, old)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        save(path, two_layer(rng=9))
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    np.testing.assert_array_equal(load(path)["0.weight"], old.state_dict()["0.weight"])


def test_save_refuses_something_that_is_not_a_module(tmp_path):
    with pytest.raises(TypeError, match="expected an nn.Module"):
        save(tmp_path / "x.npz", {"w": np.zeros(2)})


def test_package_exports_nn_optim_save_and_load():
    assert tinygrad_sm.nn is nn and tinygrad_sm.save is save and tinygrad_sm.load is load
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tinygrad_sm.optim.SGD is not None


def test_perceptron_loss_counts_yz_equal_0_as_a_mistake_like_the_notes():
    """At w = 0 the notes' rule still updates: the subgradient at yz = 0 is -y x (notes: Classification)."""
    w = f64([0.0, 0.0])
    loss = nn.perceptron_loss(Tensor(np.array([[2.0, -1.0]])) @ w, np.array([-1]))
    assert loss.item() == 0.0
    loss.backward()
    np.testing.assert_array_equal(w.grad, [2.0, -1.0])
