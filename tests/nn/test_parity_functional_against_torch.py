"""Issue 16: tinygrad_sm.nn.functional, imported as PyTorch users import it, gives torch.nn.functional's values and
gradients (float64, to 1e-12) for the activations, softmax family, linear, dropout, one_hot and pad."""

import importlib

import numpy as np
import pytest

import tinygrad_sm as tg
import tinygrad_sm.nn.functional as F
from tinygrad_sm import Tensor

torch = pytest.importorskip("torch", reason="torch is not installed")
TF = torch.nn.functional

X = np.random.default_rng(0).standard_normal((4, 5)) * 3


def both(ours_fn, torch_fn, *arrays):
    """Values and input gradients (of Σ out ⊙ R) of both sides."""
    ours_in = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, out_t = ours_fn(*ours_in), torch_fn(*theirs_in)
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * Tensor(weights)).sum().backward()
    (out_t * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_both_import_spellings_give_the_same_module():
    from tinygrad_sm.nn import functional
    assert functional is F is importlib.import_module("tinygrad_sm.nn.functional") is tg.nn.functional


@pytest.mark.parametrize("name, ours, theirs", [
    ("relu", F.relu, TF.relu), ("sigmoid", F.sigmoid, torch.sigmoid), ("tanh", F.tanh, torch.tanh),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    ("leaky_relu default", F.leaky_relu, TF.leaky_relu),
    ("elu", lambda x: F.elu(x, alpha=0.5), lambda x: TF.elu(x, alpha=0.5)),
    ("gelu", F.gelu, TF.gelu),
    ("gelu tanh", lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    ("softplus", F.softplus, TF.softplus),
    ("softplus beta", lambda x: F.softplus(x, beta=2.0), lambda x: TF.softplus(x, beta=2.0, threshold=50)),
    ("softmax", lambda x: F.softmax(x, dim=1), lambda x: TF.softmax(x, dim=1)),
    ("softmax dim 0", lambda x: F.softmax(x, dim=0), lambda x: TF.softmax(x, dim=0)),
    ("log_softmax", lambda x: F.log_softmax(x, dim=-1), lambda x: TF.log_softmax(x, dim=-1)),
])
def test_activations_match_pytorch(name, ours, theirs):
    both(ours, theirs, X)


def test_softmax_wants_its_dim():
    with pytest.raises(TypeError, match=r"F.softmax: pass dim="):
        F.softmax(Tensor(X))
    with pytest.raises(TypeError, match=r"F.log_softmax: pass dim="):
        F.log_softmax(Tensor(X))


def test_linear_takes_pytorchs_out_in_weight_with_and_without_bias():
    w, b = np.random.default_rng(2).standard_normal((3, 5)), np.random.default_rng(3).standard_normal(3)
    both(F.linear, TF.linear, X, w, b)
    both(F.linear, TF.linear, X, w)
    both(F.linear, TF.linear, X[0], w, b)  # one example (in,)
    with pytest.raises(ValueError, match=r"F.linear: input of shape \(4, 5\) and weight of shape \(5, 3\)"):
        F.linear(Tensor(X), Tensor(w.T))


def test_linear_equals_the_linear_layer():
    layer = tg.nn.Linear(5, 3, dtype=np.float64)
    x = Tensor(X)
    np.testing.assert_array_equal(F.linear(x, layer.weight, layer.bias).data, layer(x).data)


def test_dropout_training_eval_and_the_edges():
    x = Tensor(np.ones((200, 50)))
    assert F.dropout(x, 0.5, training=False) is x and F.dropout(x, 0.0) is x
    assert not F.dropout(x, p=1.0).data.any()
    tg.manual_seed(0)
    out = F.dropout(x, p=0.25).data
    assert set(np.unique(out)) == {0.0, 1 / 0.75}
    assert abs((out == 0).mean() - 0.25) < 0.02  # 10,000 draws: 5 standard deviations is 0.022
    tg.manual_seed(0)
    np.testing.assert_array_equal(F.dropout(x, p=0.25).data, out)  # reproducible from manual_seed
    with pytest.raises(ValueError, match=r"Dropout: p must be a number in \[0, 1\], got 1.5"):
        F.dropout(x, 1.5)


@pytest.mark.parametrize("labels, num_classes", [(np.array([0, 2, 1]), 3), (np.array([0, 2, 1]), -1),
                                                 (np.array([[1, 0], [3, 2]]), 5), (np.array(2), 4),
                                                 (np.zeros(0, np.int64), 3)])
def test_one_hot_matches_pytorch_int64_any_shape(labels, num_classes):
    ours = F.one_hot(Tensor(labels), num_classes)
    theirs = TF.one_hot(torch.tensor(labels), num_classes).numpy()
    assert ours.dtype == np.int64 and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours.data, theirs)


def test_one_hot_refuses_what_pytorch_refuses():
    with pytest.raises(ValueError, match="cannot infer num_classes from an empty tensor"):
        F.one_hot(np.zeros(0, np.int64))
    with pytest.raises(ValueError, match="out of range"):
        F.one_hot(np.array([3]), 3)
    with pytest.raises(TypeError, match="must be ints"):
        F.one_hot(np.array([0.5]), 3)


@pytest.mark.parametrize("pad", [(1, 2), (0, 0), (1, 1, 2, 0), (2, 1, 0, 3, 1, 1), (-1, 1), (1, -2, -1, 0)])
def test_pad_lists_pairs_from_the_last_axis_and_crops_when_negative(pad):
    x = np.random.default_rng(4).standard_normal((3, 4, 5))
    both(lambda t: F.pad(t, pad), lambda t: TF.pad(t, pad), x)
    both(lambda t: F.pad(t, pad, value=2.5), lambda t: TF.pad(t, pad, value=2.5), x)


def test_pad_refuses_odd_or_too_many_widths_and_other_modes():
    t = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"F.pad: pad \(1,\) must hold \(before, after\) pairs"):
        F.pad(t, (1,))
    with pytest.raises(ValueError, match="at most 2 axes"):
        F.pad(t, (1, 1, 1, 1, 1, 1))
    with pytest.raises(NotImplementedError, match="only mode='constant'"):
        F.pad(t, (1, 1), mode="reflect")


def test_functional_activations_work_on_0_d_and_empty_tensors():
    for fn in (F.relu, F.sigmoid, F.tanh, F.gelu, F.softplus, F.elu, F.leaky_relu):
        assert fn(Tensor(np.float64(0.5))).shape == () and fn(Tensor(np.zeros((0, 3)))).shape == (0, 3)
    np.testing.assert_array_equal(F.softmax(Tensor(np.float64(3.0)), dim=0).data, 1.0)
