"""How the graph is recorded, walked and released: accumulation, no_grad, detach, dtypes, deep chains."""

import gc
import weakref

import numpy as np
import pytest

from tinygrad_sm import Tensor, is_grad_enabled, no_grad


def test_diamond_through_a_non_leaf_node_is_processed_once():
    """STYLE.md's lesson from early tinygrad: h = x*x; y = (h + h).sum() at x = 2 has dy/dx = 4x = 8."""
    x = Tensor(2.0, requires_grad=True)
    h = x * x
    (h + h).sum().backward()
    assert x.grad == pytest.approx(8.0)


def test_value_used_twice_gets_both_contributions():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * np.array([1.0, 2.0]) ** 2)


def test_bias_gradient_is_summed_over_the_batch():
    b = Tensor(np.zeros(3), requires_grad=True)
    (Tensor(np.ones((5, 3))) + b).sum().backward()
    np.testing.assert_array_equal(b.grad, [5.0, 5.0, 5.0])


def test_gradients_accumulate_over_two_backward_calls():
    w = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    (w * 3).sum().backward()
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, [3 + 2, 3 - 2])
    w.grad = None
    (w * 3).sum().backward()
    np.testing.assert_allclose(w.grad, [3.0, 3.0])


def test_leaf_gradients_never_share_memory():
    """backward may keep a fresh gradient array without copying it; it must never hand one array to two leaves."""
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    seed = np.array([1.0, -1.0])
    (a + b).backward(seed)
    assert not np.shares_memory(a.grad, b.grad) and not np.shares_memory(a.grad, seed)
    a.grad += 10  # an optimizer updating one gradient in place must not change the other
    np.testing.assert_array_equal(b.grad, [1.0, -1.0])
    np.testing.assert_array_equal(seed, [1.0, -1.0])


def test_one_leaf_used_on_both_sides_of_an_add_gets_twice_the_gradient():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (w + w).backward(np.array([1.0, 3.0]))
    np.testing.assert_array_equal(w.grad, [2.0, 6.0])


def test_one_example_matmul_gradient_is_the_outer_product():
    """With one row (inner dimension 1) the engine computes Xᵀ G through np.dot; the values must be X.T @ G."""
    rng = np.random.default_rng(0)
    x, G = rng.standard_normal((1, 7)), rng.standard_normal((1, 4))
    W = Tensor(rng.standard_normal((7, 4)), requires_grad=True)
    (Tensor(x) @ W).backward(G)
    np.testing.assert_allclose(W.grad, x.T @ G, rtol=1e-12)
    np.testing.assert_allclose(W.grad, np.outer(x[0], G[0]), rtol=1e-12)


def test_retain_graph_allows_a_second_backward_through_the_same_graph():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(w.grad, 2 * 2 * np.array([1.0, 2.0]))


def test_backward_with_an_explicit_seed():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    (x * x).backward(np.array([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(x.grad, [2.0, 0.0, 12.0])


def test_only_leaves_keep_gradients_unless_retain_grad():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 2
    kept = (x * 3).retain_grad()
    (h.sum() + (kept * kept).sum()).backward()
    assert h.grad is None
    np.testing.assert_allclose(kept.grad, 2 * kept.data)
    np.testing.assert_allclose(x.grad, 2 + 2 * 3 * 3 * np.array([1.0, 2.0]))


def test_backward_frees_saved_arrays_and_values_but_keeps_the_structure():
    W = Tensor(np.ones((3, 20)), requires_grad=True)
    X = Tensor(np.ones((4, 3)))
    z = X @ W  # 80 entries: more than backward keeps
    loss = z.sum()
    loss.backward()
    (stand_in,) = loss.op.parents  # a kept loss no longer reaches z, whose array it would keep alive
    assert stand_in is not z and stand_in.freed and stand_in.data is None and not z.freed
    assert stand_in.op is z.op and stand_in.shape == (4, 20) and stand_in.dtype == np.float64
    assert z.op.name == "matmul" and z.op.parents == (X, W)  # a parameter, and a constant small enough to print
    assert not hasattr(z.op, "a") and not hasattr(z.op, "b")  # the saved operands are released
    np.testing.assert_array_equal(z.data, np.full((4, 20), 3.0))  # the user's own z keeps its value


def test_backward_keeps_values_of_at_most_64_entries_for_the_pictures():
    x = Tensor(np.ones(64), requires_grad=True)
    h = x * 2
    loss = h.sum()
    loss.backward()
    assert loss.op.parents == (h,) and not h.freed  # 64 entries: kept, so a picture shows the numbers
    assert not hasattr(h.op, "a") and h.op.released  # but what the op saved is still released


def test_backward_forgets_a_large_constant_input_but_not_a_parameter():
    W = Tensor(np.ones((100, 2)), requires_grad=True)
    X = Tensor(np.ones((4, 100)))  # 400 elements: a batch, not a number to print
    z = X @ W
    z.sum().backward()
    batch, weight = z.op.parents
    assert batch.freed and batch.data is None and batch.shape == (4, 100) and batch.is_leaf
    assert weight is W


@pytest.mark.parametrize("keep", ["retain_graph", "retain_grads"])
def test_graph_structure_stays_when_the_user_asks_to_keep_it(keep):
    W = Tensor(np.ones((3, 2)), requires_grad=True)
    z = Tensor(np.ones((4, 3))) @ W
    loss = z.sum()
    if keep == "retain_grads":
        z.retain_grad()
        loss.retain_grad()
    loss.backward(retain_graph=keep == "retain_graph")
    assert loss.op.parents == (z,) and z.op.parents[1] is W


def test_constant_inputs_get_no_gradient():
    X = Tensor(np.ones((4, 3)))
    W = Tensor(np.ones((3, 2)), requires_grad=True)
    (X @ W).sum().backward()
    assert X.grad is None
    np.testing.assert_allclose(W.grad, np.full((3, 2), 4.0))


def test_no_grad_records_nothing():
    w = Tensor(np.ones(2), requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        out = w * 2 + 1
    assert is_grad_enabled()
    assert not out.requires_grad and out.op is None
    np.testing.assert_allclose(out.data, [3.0, 3.0])


def test_no_grad_as_a_decorator_and_nested():
    @no_grad()
    def predict(w):
        return w * 2

    w = Tensor(np.ones(2), requires_grad=True)
    with no_grad():
        assert not predict(w).requires_grad
        assert not is_grad_enabled()
    assert not predict(w).requires_grad
    assert is_grad_enabled() and (w * 2).requires_grad


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0
    assert is_grad_enabled()


def test_detach_shares_data_and_leaves_the_graph():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    d = (w * 2).detach()
    assert not d.requires_grad and d.op is None
    d2 = w.detach()
    d2.data[0] = 5.0
    assert w.data[0] == 5.0


def test_python_numbers_and_lists_become_float32():
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([1, 2, 3]).dtype == np.float32
    assert Tensor([[0.5, 1.0]]).dtype == np.float32


def test_float64_arrays_keep_their_dtype_through_ops_and_gradients():
    w = Tensor(np.ones(3), requires_grad=True)
    out = (w * 2.0 + 1).exp().sum()
    assert w.dtype == out.dtype == np.float64
    out.backward()
    assert w.grad.dtype == np.float64


def test_float32_stays_float32_with_python_numbers_and_float64_arrays():
    w = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    out = (w * 2.5 + np.array([1.0, 2.0, 3.0]) - 1) / 3
    assert out.dtype == np.float32
    out.sum().backward()
    assert w.grad.dtype == np.float32


def test_integer_arrays_are_allowed_as_data():
    labels = Tensor(np.array([0, 2, 1]))
    assert labels.dtype == np.int64 and not labels.requires_grad
    z = Tensor(np.zeros((3, 3)), requires_grad=True)
    z.softmax_cross_entropy(labels).backward()
    assert z.grad.shape == (3, 3)


def test_explicit_dtype():
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert Tensor(np.ones(2), dtype=np.float32).dtype == np.float32


def test_numpy_array_on_the_left_of_an_operator():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    out = np.array([[1.0, 0.0], [0.0, 3.0]]) @ w + np.array([1.0, 1.0])
    assert isinstance(out, Tensor)
    out.sum().backward()
    np.testing.assert_allclose(out.data, [2.0, 7.0])
    np.testing.assert_allclose(w.grad, [1.0, 3.0])


def test_constructors():
    assert Tensor.zeros(2, 3).shape == (2, 3) and Tensor.zeros((2, 3)).data.sum() == 0
    assert Tensor.ones((2,), dtype=np.float64).dtype == np.float64
    a, b = Tensor.randn(3, 4, rng=7), Tensor.randn(3, 4, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.data, b.data)
    assert a.dtype == np.float32
    assert Tensor.randn(2, requires_grad=True).requires_grad


def test_attributes_and_helpers():
    t = Tensor(np.arange(6.0).reshape(2, 3), name="X")
    assert (t.shape, t.ndim, t.size, len(t)) == ((2, 3), 2, 6, 2)
    assert t.numpy() is t.data
    assert Tensor(np.array([4.0])).item() == 4.0 and float(Tensor(2.5)) == 2.5
    assert repr(t).startswith("Tensor([[0., 1., 2.],") and "name='X'" in repr(t)
    w = Tensor(np.ones(2), requires_grad=True)
    assert "requires_grad=True" in repr(w) and "grad_fn=<mul>" in repr(w * 2)


def test_truth_value_of_one_element_only():
    assert Tensor(2.0) and Tensor([1.0]) and not Tensor(0.0)
    with pytest.raises(ValueError, match=r"bool: the truth value of a tensor of shape \(2,\) is ambiguous"):
        bool(Tensor([1.0, 2.0]))


def test_max_shares_the_gradient_among_tied_maxima():
    """As torch.amax: each of the tied maxima gets an equal share of the gradient."""
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]]), requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5]])
    y = Tensor(np.array([5.0, 5.0, 5.0, 1.0]), requires_grad=True)
    y.max().backward()
    np.testing.assert_allclose(y.grad, [1 / 3, 1 / 3, 1 / 3, 0.0])


def test_reductions_match_numpy():
    values = np.random.default_rng(0).standard_normal((2, 3, 4))
    x = Tensor(values)
    for name in ("sum", "mean", "max"):
        for axis in (None, 1, (0, 2)):
            for keepdims in (False, True):
                expected = getattr(values, name)(axis=axis, keepdims=keepdims)
                np.testing.assert_allclose(getattr(x, name)(axis=axis, keepdims=keepdims).data, expected)


def test_softmax_family_values():
    z = np.array([[1.0, 2.0, 3.0], [1e4, 0.0, -1e4]])
    x = Tensor(z)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(x.softmax().data, e / e.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(x.log_softmax().data[0], np.log(e[0] / e[0].sum()))
    np.testing.assert_allclose(x.logsumexp().data, [np.log(np.exp(z[0]).sum()), 1e4])
    assert np.isfinite(x.log_softmax().data).all()


def test_a_100000_op_chain_backprops_without_recursion():
    x = Tensor(np.array([1.0]), requires_grad=True)
    out = x
    for _ in range(100_000):
        out = out * 1.0001
    out.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001 ** 100_000], rtol=1e-6)
    del out
    gc.collect()


def test_a_kept_loss_does_not_keep_the_activations_alive():
    """losses.append(loss) after backward must not pin every activation of the step (issue 9.6).

    An activation is a value of more than 64 entries (backward keeps smaller ones, for the pictures;
    tests/autograd/test_graph_after_backward.py checks that what a kept loss holds does not grow with the batch).
    """
    x = Tensor(np.ones(65), requires_grad=True)
    h = x * 2
    watcher = weakref.ref(h)
    loss = (h * h).sum()
    del h
    loss.backward()
    gc.collect()
    assert watcher() is None and loss.item() == 260.0


def test_a_retained_graph_keeps_its_activations_until_the_output_goes():
    x = Tensor(np.ones(3), requires_grad=True)
    h = x * 2
    watcher = weakref.ref(h)
    loss = (h * h).sum()
    del h
    loss.backward(retain_graph=True)
    assert watcher() is not None  # the graph of `loss` still holds it, for pictures and a second backward
    del loss
    gc.collect()
    assert watcher() is None
