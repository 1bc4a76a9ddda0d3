"""The small differences of issue 16, each as PyTorch does, checked against PyTorch."""

import numpy as np
import pytest

import tinygrad_sm as tg
from tinygrad_sm import Tensor

torch = pytest.importorskip("torch")


def grads(call, data):
    """(our gradient, PyTorch's) of call(x).sum() for float64 ``data``."""
    a, b = Tensor(np.array(data, dtype=np.float64), requires_grad=True), torch.tensor(data, dtype=torch.float64,
                                                                                     requires_grad=True)
    call(a).sum().backward()
    call(b).sum().backward()
    return a.grad, b.grad.numpy()


@pytest.mark.parametrize("call, data", [
    (lambda t: t.var(), [1.0]), (lambda t: t.var(correction=0), [3.0]), (lambda t: t.var(0), [[1.0, 2.0]]),
    (lambda t: t.std(), [2.0, 2.0, 2.0]), (lambda t: t.std(0), [[1.0, 2.0]]), (lambda t: t.std(1), [[1.0], [3.0]]),
    (lambda t: t.std(), [1.0]), (lambda t: t.sign() * 3, [-1.0, 0.0, 2.0]),
    (lambda t: t.softmax(0), 2.0), (lambda t: t.log_softmax(-1), 2.0), (lambda t: t.cumsum(0), 2.0),
])
def test_gradients_as_pytorch(call, data):
    with np.errstate(all="ignore"):
        ours, theirs = grads(call, data)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(np.nan_to_num(ours), np.nan_to_num(theirs))


def test_var_over_empty_axes_gives_an_empty_gradient():
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    with np.errstate(all="ignore"):
        x.var(0).sum().backward()
    assert x.grad.shape == (0, 3)


def test_softmax_log_softmax_cumsum_of_0d():
    for name in ("softmax", "log_softmax", "cumsum"):
        ours, theirs = getattr(Tensor(2.0), name)(0), getattr(torch.tensor(2.0), name)(0)
        assert ours.shape == tuple(theirs.shape) == () and ours.item() == theirs.item()


def test_pad_with_negative_widths_crops():
    data = np.arange(12.0).reshape(3, 4)
    ours = Tensor(data).pad(((-1, 0), (1, -2)))
    theirs = torch.nn.functional.pad(torch.tensor(data), (1, -2, -1, 0))  # PyTorch lists the last axis first
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    a = Tensor(data, requires_grad=True)
    a.pad(((-1, 0), (1, -2))).sum().backward()
    np.testing.assert_array_equal(a.grad, [[0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]])


def test_an_axis_out_of_range_is_an_index_error_and_a_value_error():
    for call in (lambda t: t.sum(2), lambda t: t.mean(dim=-3), lambda t: t.softmax(5), lambda t: t.max(2)):
        with pytest.raises(IndexError, match="out of range"):
            call(Tensor(np.zeros((2, 3))))
        with pytest.raises(IndexError):
            call(torch.zeros(2, 3))
        with pytest.raises(ValueError):  # numpy's AxisError is both, and so is ours
            call(Tensor(np.zeros((2, 3))))


def test_reductions_over_a_non_empty_axis_of_an_empty_tensor_are_empty():
    for name in ("max", "min", "argmax", "argmin", "amax", "amin"):
        ours, theirs = getattr(Tensor(np.zeros((0, 3))), name)(1), getattr(torch.zeros(0, 3), name)(1)
        if isinstance(theirs, tuple):
            ours, theirs = ours.values, theirs.values
        assert ours.shape == tuple(theirs.shape) == (0,)
    with pytest.raises(ValueError, match="max: cannot reduce over axis 0 of size 0"):
        Tensor(np.zeros((0, 3))).max(0)


def test_one_hot_of_labels_with_more_than_one_dimension():
    labels = np.array([[0, 2], [1, 1]])
    ours, theirs = tg.one_hot(labels, 3), torch.nn.functional.one_hot(torch.tensor(labels), 3)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_sign_is_in_the_graph_with_gradient_zero():
    x = Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    loss = (x.sign() * x).sum()
    loss.backward()
    np.testing.assert_array_equal(x.grad, [-1.0, 1.0])


def test_var_with_a_correction_larger_than_n_keeps_the_formulas_sign():
    """Documented difference: PyTorch gives +inf everywhere; 2(x_i - μ)/0 has the sign of x_i - μ."""
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = x.var(correction=3)
        y.backward()
    assert y.item() == np.inf
    np.testing.assert_array_equal(x.grad, [-np.inf, np.inf])
