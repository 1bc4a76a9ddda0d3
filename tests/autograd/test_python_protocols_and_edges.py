"""Issue 9, items 4-6: Python protocols that behave as in PyTorch and numpy, right values at the
edges (integer inputs, masked classes, huge logits, x ** 0, stale index arrays), and a
cross-entropy whose cost grows as n·K, not K²."""

import gc
import time
import tracemalloc

import numpy as np
import pytest

from tinygrad_sm import Tensor, no_grad, ops


def t64(values, requires_grad=True):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------- item 4: comparisons

@pytest.mark.parametrize("op, expected", [("__eq__", [False, True, False]), ("__ne__", [True, False, True]),
                                          ("__lt__", [True, False, False]), ("__le__", [True, True, False]),
                                          ("__gt__", [False, False, True]), ("__ge__", [False, True, True])])
def test_comparisons_are_elementwise_bool_tensors_without_gradient(op, expected):
    a = t64([1.0, 2.0, 3.0])
    for other in (t64([2.0, 2.0, 2.0]), 2.0, np.array([2.0, 2.0, 2.0])):
        out = getattr(a, op)(other)
        assert isinstance(out, Tensor) and out.dtype == np.bool_ and not out.requires_grad and out.is_leaf
        np.testing.assert_array_equal(out.data, expected)


def test_operator_forms_and_reflected_comparisons():
    a = t64([1.0, 2.0, 3.0])
    np.testing.assert_array_equal((a == 2).data, [False, True, False])
    np.testing.assert_array_equal((2 < a).data, [False, False, True])  # Python reflects to a > 2
    np.testing.assert_array_equal((a >= a).data, [True, True, True])


def test_tensors_stay_hashable_by_identity():
    a, b = t64([1.0]), t64([1.0])
    assert len({a, b}) == 2 and {a: 1}[a] == 1 and hash(a) != hash(b)
    assert a in [a] and (b in {a}) is False


def test_comparing_with_none_or_a_string_is_false_not_an_error():
    a = t64([1.0])
    assert (a == None) is False and (a != "x") is True  # noqa: E711, as PyTorch's tensor == None
    with pytest.raises(TypeError, match="'<' not supported"):
        a < "x"


def test_comparison_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"eq: shapes \(2,\) and \(3,\) cannot be broadcast together"):
        t64([1.0, 2.0]) == t64([1.0, 2.0, 3.0])


# ---------------------------------------------------------------- item 4: numpy, format, iteration, conversions

def test_np_asarray_gives_the_tensors_own_array():
    a = t64([[1.0, 2.0], [3.0, 4.0]])
    array = np.asarray(a)
    assert array is a.data and array.dtype == np.float64
    assert np.asarray(a, dtype=np.float32).dtype == np.float32
    assert np.array(a) is not a.data and np.array_equal(np.array(a), a.data)
    np.testing.assert_array_equal(np.stack([a, a]), np.stack([a.data, a.data]))
    np.testing.assert_allclose(np.exp(np.asarray(a)), np.exp(a.data))


def test_format_of_a_one_element_tensor():
    loss = t64(1.23456)
    assert f"{loss:.3f}" == "1.235" and f"{t64([2.5]):>6.1f}" == "   2.5" and f"{t64([[7.0]]):e}" == "7.000000e+00"
    assert f"{loss}" == str(loss)
    with pytest.raises(TypeError, match=r"format: the spec '.3f' needs a one-element tensor, got shape \(2,\)"):
        f"{t64([1.0, 2.0]):.3f}"


def test_iteration_yields_rows_in_the_graph_and_refuses_0d():
    m = t64([[1.0, 2.0], [3.0, 4.0]])
    rows = list(m)
    assert len(rows) == 2 and all(isinstance(r, Tensor) and r.shape == (2,) for r in rows)
    np.testing.assert_array_equal(rows[1].data, [3.0, 4.0])
    (rows[0] * 2 + rows[1] * 3).sum().backward()
    np.testing.assert_array_equal(m.grad, [[2.0, 2.0], [3.0, 3.0]])
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(t64(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        a, = t64(1.0)
    assert list(Tensor(np.zeros((0, 3)))) == []


def test_tolist_matches_numpy():
    assert t64([[1.0, 2.0]]).tolist() == [[1.0, 2.0]] and t64(3.0).tolist() == 3.0
    assert Tensor(np.array([1, 2])).tolist() == [1, 2] and type(Tensor(np.array([1])).tolist()[0]) is int


def test_clone_copies_and_stays_in_the_graph():
    x = t64([1.0, 2.0])
    c = x.clone()
    assert c.data is not x.data and not np.shares_memory(c.data, x.data) and c.op.name == "clone"
    with no_grad():
        c += 10  # changes the copy only
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    (x.clone() * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_astype_float_and_double():
    x = Tensor(np.array([1.5, 2.5], dtype=np.float32), requires_grad=True)
    d = x.double()
    assert d.dtype == np.float64 and d.requires_grad and x.float() is x and d.double() is d
    (d * d).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [3.0, 5.0])
    labels = x.astype(np.int64)
    assert labels.dtype == np.int64 and not labels.requires_grad
    np.testing.assert_array_equal(labels.data, [1, 2])
    assert x.astype(np.float32) is not x and x.astype(np.float32).data is not x.data  # numpy's astype copies
    assert Tensor(np.array([1, 2])).float().dtype == np.float32
    with pytest.raises(TypeError, match="Tensor: unknown dtype 'float99'"):
        x.astype("float99")


def test_int_and_index_of_tensors():
    assert int(Tensor(np.array(3))) == 3 and list(range(Tensor(np.array(2)))) == [0, 1]
    with pytest.raises(TypeError, match=r"__index__: only a one-element integer tensor"):
        range(t64(2.0))


# ---------------------------------------------------------------- item 5: integers into float functions

@pytest.mark.parametrize("method, reference", [
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))), ("softplus", lambda x: np.log1p(np.exp(x))),
    ("exp", np.exp), ("tanh", np.tanh), ("log", np.log),
    ("softmax", lambda x: np.exp(x) / np.exp(x).sum()),
    ("log_softmax", lambda x: x - np.log(np.exp(x).sum())),
    ("logsumexp", lambda x: np.log(np.exp(x).sum())), ("mean", np.mean)])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_integer_and_bool_inputs_of_float_functions_give_float32(method, reference, dtype):
    values = np.array([0, 1, 5]).astype(dtype) if dtype is not np.bool_ else np.array([True, False, True])
    with np.errstate(divide="ignore"):  # log 0 = -inf
        out = getattr(Tensor(values), method)()
        assert out.dtype == np.float32
        np.testing.assert_allclose(out.data, reference(values.astype(np.float64)), rtol=1e-5)


def test_sigmoid_of_ints_is_not_truncated():
    np.testing.assert_allclose(Tensor(np.array([0, 1, 5])).sigmoid().data, [0.5, 0.7310586, 0.9933071], rtol=1e-6)


def test_float_input_is_one_helper_other_ops_can_use():
    assert ops.float_input(np.array([1, 2])).dtype == np.float32
    halves = np.array([0.5], dtype=np.float16)
    assert ops.float_input(halves) is halves  # floats pass through untouched


def test_true_division_of_integers_gives_float32():
    out = Tensor(np.array([1, 2])) / 2
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, [0.5, 1.0])


def test_integer_ops_stay_integer_where_pytorch_keeps_them():
    a = Tensor(np.array([1, 2]))
    assert (a + a).dtype == np.int64 and (a * 3).dtype == np.int64 and a.sum().dtype == np.int64


# ---------------------------------------------------------------- item 5: complex, masked classes, huge logits, x ** 0

def test_complex_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require grad, got dtype complex128 "
                                        r"\(complex gradients are not supported\)"):
        Tensor(np.array([1 + 2j]), requires_grad=True)
    z = Tensor(np.array([1 + 2j]))  # without a gradient complex values are fine
    np.testing.assert_array_equal((z * z).data, [-3 + 4j])


def test_a_masked_class_gives_the_finite_pytorch_loss_and_gradient():
    torch = pytest.importorskip("torch", reason="compares with PyTorch")
    logits = np.array([[0.0, -np.inf, 1.0], [2.0, 0.5, -np.inf]], dtype=np.float32)
    labels = np.array([0, 1])
    z = Tensor(logits, requires_grad=True)
    loss = z.softmax_cross_entropy(labels)
    loss.backward()
    zt = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(zt, torch.tensor(labels))
    expected.backward()
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
    np.testing.assert_allclose(z.grad, zt.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_probability_targets_with_a_masked_class_count_zero_times_log_zero_as_zero():
    logits = np.array([[0.0, -np.inf, 1.0]])
    z = t64(logits)
    loss = z.softmax_cross_entropy(np.array([[0.5, 0.0, 0.5]]))
    loss.backward()
    log_probs = np.array([0.0, 1.0]) - np.log(1 + np.e)
    np.testing.assert_allclose(loss.item(), -0.5 * log_probs.sum())
    probs = np.array([1.0, 0.0, np.e]) / (1 + np.e)
    np.testing.assert_allclose(z.grad, [probs - np.array([0.5, 0.0, 0.5])])


@pytest.mark.parametrize("label, expected_loss", [(0, 0.0), (1, np.inf)])
def test_float32_logits_near_the_largest_float_give_no_nan(label, expected_loss):
    z = Tensor(np.array([[3e38, -3e38]], dtype=np.float32), requires_grad=True)
    with np.errstate(all="raise"):  # and no warning either
        loss = z.softmax_cross_entropy(np.array([label]))
        loss.backward()
    assert loss.item() == expected_loss  # PyTorch: 0 and inf
    np.testing.assert_array_equal(z.grad, [[0.0, 0.0]] if label == 0 else [[1.0, -1.0]])


def test_softmax_family_of_huge_logits():
    z = Tensor(np.array([3e38, -3e38], dtype=np.float32))
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(z.softmax().data, [1.0, 0.0])
        np.testing.assert_array_equal(z.log_softmax().data, [0.0, -np.inf])


def test_gradient_of_x_to_the_zero_is_zero_even_at_zero():
    x = t64([0.0, 2.0, -1.0])
    with np.errstate(all="raise"):
        (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])
    y = t64([0.0, 3.0])
    (y ** 2).sum().backward()
    np.testing.assert_array_equal(y.grad, [0.0, 6.0])


def test_transpose_rejects_out_of_range_axes():
    a = Tensor(np.zeros((2, 3)))
    for axes in ((5, 0), (0, 2)):  # two dimensions: PyTorch's swap, and its IndexError
        with pytest.raises(IndexError, match=r"transpose: dimensions .* are out of range.*swaps two dimensions"):
            a.transpose(*axes)
    for axes in ((0, 0), (0,), (0, 1, 2)):
        with pytest.raises(ValueError, match=r"transpose: axes .* are not a permutation of the 2 axes of shape"):
            a.transpose(axes)
    assert a.transpose(-1, 0).shape == (3, 2) and a.transpose((1, 0)).shape == (3, 2)


@pytest.mark.parametrize("bad_grad", [np.zeros((3, 3)), np.zeros(1), np.zeros(3, dtype=np.int64), [0.0, 0.0, 0.0]])
def test_a_hand_set_grad_of_the_wrong_kind_is_an_error_that_changes_nothing(bad_grad):
    w, v = t64([1.0, 2.0, 3.0]), t64([1.0, 1.0, 1.0])
    v.grad = np.ones(3)
    w.grad = bad_grad
    with pytest.raises(RuntimeError, match=r"backward: the \.grad of a leaf \(shape \(3,\), dtype float64\) was set to"):
        (w * v).sum().backward()
    assert w.grad is bad_grad
    np.testing.assert_array_equal(v.grad, [1.0, 1.0, 1.0])  # the other leaf was not touched either


def test_a_hand_set_grad_of_the_right_shape_accumulates():
    w = t64([1.0, 2.0])
    w.grad = np.array([10.0, 20.0])
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [12.0, 24.0])


@pytest.mark.parametrize("data", [np.array([object()]), np.array(["a", "b"]), np.array([b"x"]),
                                  np.array(["2020-01-01"], dtype="datetime64[D]"), ["a", "b"], "abc", {"a": 1}])
def test_non_numeric_data_is_refused_at_construction(data):
    with pytest.raises(TypeError, match="Tensor: cannot make a tensor from"):
        Tensor(data)


def test_the_index_array_is_copied_so_changing_it_does_not_move_the_gradient():
    x = t64([1.0, 2.0, 3.0, 4.0])
    for make_index in (lambda: np.array([0, 1]), lambda: Tensor(np.array([0, 1])), lambda: [0, 1]):
        x.grad = None
        index = make_index()
        picked = x[index]
        (picked * t64([1.0, 10.0], requires_grad=False)).sum()
        loss = (picked * t64([1.0, 10.0], requires_grad=False)).sum()
        if isinstance(index, Tensor):
            index.data[:] = [2, 3]
        else:
            index[:] = [2, 3]
        loss.backward()
        np.testing.assert_array_equal(x.grad, [1.0, 10.0, 0.0, 0.0])


def test_labels_changed_after_the_forward_pass_do_not_change_the_gradient():
    z, labels = t64(np.zeros((2, 3))), np.array([0, 1])
    loss = z.softmax_cross_entropy(labels)
    labels[:] = [2, 2]
    loss.backward()
    np.testing.assert_allclose(z.grad, (np.full((2, 3), 1 / 3) - np.eye(3)[[0, 1]]) / 2)


# ---------------------------------------------------------------- item 6: O(n·K) cross-entropy

def test_cross_entropy_with_many_classes_is_fast_and_keeps_no_k_by_k_array():
    n, K = 32, 50_000
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((n, K)).astype(np.float32)
    labels = rng.integers(0, K, n)
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    z = Tensor(logits, requires_grad=True)
    loss = z.softmax_cross_entropy(labels)
    loss.backward()
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    grad = z.grad
    del z, loss
    gc.collect()
    kept, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    row_bytes = n * K * 4
    assert peak < 8 * row_bytes, f"peak {peak / 2**20:.0f} MiB for n·K = {row_bytes / 2**20:.1f} MiB"  # K² would be 9 GiB
    assert kept < 2 * row_bytes  # the gradient we hold, not a cache
    assert elapsed < 2.0
    expected = np.exp(logits - logits.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    expected[np.arange(n), labels] -= 1
    np.testing.assert_allclose(grad, expected / n, atol=1e-7)


def test_cross_entropy_forgets_everything_once_the_loss_is_gone():
    K = 4096
    tracemalloc.start()
    for _ in range(3):
        z = Tensor(np.zeros((4, K), dtype=np.float32), requires_grad=True)
        z.softmax_cross_entropy(np.arange(4)).backward()
    del z
    gc.collect()
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert current < 4 * K * 4 * 4  # no K × K identity (64 MiB) left behind


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (1, 3)])
def test_cross_entropy_matches_pytorch_for_every_reduction_and_shape(reduction, shape):
    torch = pytest.importorskip("torch", reason="compares with PyTorch")
    rng = np.random.default_rng(1)
    logits = rng.standard_normal(shape)
    labels = rng.integers(0, shape[-1], shape[:-1])
    z = t64(logits)
    loss = z.softmax_cross_entropy(labels, reduction=reduction)
    weights = rng.standard_normal(loss.shape)
    (loss * weights).sum().backward()
    zt = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(zt, torch.tensor(labels), reduction=reduction)
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(loss.data, expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(z.grad, zt.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_cross_entropy_of_an_empty_batch():
    z = Tensor(np.zeros((0, 3), dtype=np.float32), requires_grad=True)
    assert np.isnan(z.softmax_cross_entropy(np.zeros(0, dtype=np.int64)).item())  # PyTorch: nan
    per_row = z.softmax_cross_entropy(np.zeros(0, dtype=np.int64), reduction="none")
    assert per_row.shape == (0,)
    assert z.softmax_cross_entropy(np.zeros(0, dtype=np.int64), reduction="sum").item() == 0.0


def test_an_op_that_makes_a_complex_result_from_a_tensor_that_requires_grad_raises():
    x = t64([1.0, 2.0])
    with pytest.raises(TypeError, match=r"mul: the result is complex \(complex128\) and an input requires grad"):
        x * 1j
    with pytest.raises(TypeError, match="add: the result is complex"):
        x + Tensor(np.array([1j, 2j]))
    with no_grad():
        np.testing.assert_array_equal((x * 1j).data, [1j, 2j])  # no graph, no gradient: fine
