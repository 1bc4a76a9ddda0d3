"""Beyond issue 9's list: adversarial inputs for every public Tensor function.

The rule for all of them: the right answer, or a clear exception naming the op, and nothing
changed (no input, no .grad) by a call that failed. Hypothesis draws the shapes, dtypes,
special values and axes; PyTorch's documented autograd errors each have their counterpart.
"""

import threading
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_sm import Tensor, is_grad_enabled, no_grad, set_grad_enabled

PROPERTY = settings(max_examples=60, deadline=None)
DTYPES = st.sampled_from([np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_])
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
SPECIAL = st.sampled_from([0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 1e30, -1e30, 3e38, 1e-30])


@st.composite
def arrays(draw, dtype=DTYPES, shape=SHAPES):
    dtype, shape = draw(dtype), draw(shape)
    if np.dtype(dtype).kind == "f":
        elements = st.one_of(st.floats(-10, 10, width=32), SPECIAL)
        return draw(hnp.arrays(dtype, shape, elements=elements))
    if np.dtype(dtype).kind == "b":
        return draw(hnp.arrays(dtype, shape))
    info = np.iinfo(dtype)
    return draw(hnp.arrays(dtype, shape, elements=st.integers(max(info.min, -5), min(info.max, 5))))


def float_of(array):
    return array if array.dtype.kind == "f" else array.astype(np.float32)


def reference_sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


UNARY = {"exp": np.exp, "log": np.log, "tanh": np.tanh, "sigmoid": reference_sigmoid,
         "softplus": lambda x: np.logaddexp(0, x), "relu": lambda x: np.maximum(x, 0)}


def error_names_the_op(error, op):
    return str(error).startswith((f"{op}:", "Tensor:")) or f"{op}:" in str(error)


# ---------------------------------------------------------------- elementwise ops

@PROPERTY
@given(array=arrays(), op=st.sampled_from(sorted(UNARY)))
def test_unary_ops_give_numpys_values_or_a_clear_error(array, op):
    before = array.copy()
    x = Tensor(array)
    with np.errstate(all="ignore"):
        try:
            out = getattr(x, op)()
        except (TypeError, ValueError) as e:
            assert error_names_the_op(e, op), str(e)
        else:
            expected = UNARY[op](float_of(array)) if op != "relu" else np.maximum(array, 0)
            if op != "relu":
                assert out.dtype == float_of(array).dtype
            np.testing.assert_allclose(out.data, expected, rtol=2e-6, atol=1e-30, equal_nan=True)
    np.testing.assert_array_equal(array, before)


@PROPERTY
@given(a=arrays(), b=arrays(), op=st.sampled_from(["add", "sub", "mul", "div", "pow"]))
def test_binary_ops_give_numpys_values_or_a_clear_error(a, b, op):
    before_a, before_b = a.copy(), b.copy()
    with np.errstate(all="ignore"):
        try:
            out = getattr(Tensor(a), op)(Tensor(b))
        except (TypeError, ValueError) as e:
            assert str(e).startswith(f"{op}:"), str(e)
        else:
            numpy_op = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power}[op]
            if op == "div" and a.dtype.kind not in "f" and b.dtype.kind not in "f":
                expected = numpy_op(float_of(a), float_of(b))
            else:
                expected = numpy_op(a, b)
            np.testing.assert_allclose(out.data, expected, rtol=1e-6, equal_nan=True)
    np.testing.assert_array_equal(a, before_a)
    np.testing.assert_array_equal(b, before_b)


# ---------------------------------------------------------------- reductions and axes

AXES = st.one_of(st.none(), st.integers(-4, 4), st.tuples(st.integers(-4, 4)),
                 st.tuples(st.integers(-4, 4), st.integers(-4, 4)), st.floats(-2, 2), st.text(max_size=1),
                 st.booleans())


@PROPERTY
@given(array=arrays(dtype=st.sampled_from([np.float32, np.float64])), axis=AXES,
       method=st.sampled_from(["sum", "mean", "max", "logsumexp"]), keepdims=st.booleans())
def test_reductions_give_numpys_values_or_a_clear_error(array, axis, method, keepdims):
    x = Tensor(array, requires_grad=True)
    with np.errstate(all="ignore"):
        try:
            out = getattr(x, method)(axis=axis, keepdims=keepdims)
        except (TypeError, ValueError) as e:
            assert str(e).startswith(f"{method}:"), str(e)
            return
        numpy_axis = tuple(axis) if isinstance(axis, tuple) else axis
        if array.ndim == 0:  # axis 0 or -1 of a 0-d tensor means all of it, as in PyTorch; numpy says None
            numpy_axis = None
        if method == "logsumexp":
            top = np.max(array, axis=numpy_axis, keepdims=True, initial=-np.inf)
            top = np.where(np.isfinite(top), top, 0)
            expected = np.log(np.exp(array - top).sum(axis=numpy_axis, keepdims=True)) + top
            if not keepdims:
                expected = np.squeeze(expected, axis=numpy_axis if numpy_axis is not None else None)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # numpy's "Mean of empty slice"
                expected = getattr(np, method)(array, axis=numpy_axis, keepdims=keepdims)
        np.testing.assert_allclose(out.data, expected, rtol=2e-5, equal_nan=True)
        if out.size:
            out.sum().backward()
            assert x.grad.shape == x.shape


@PROPERTY
@given(array=arrays(dtype=st.sampled_from([np.float64])), axis=st.one_of(st.integers(-3, 3), AXES),
       method=st.sampled_from(["softmax", "log_softmax"]))
def test_softmax_axis_is_one_int_or_a_clear_error(array, axis, method):
    x = Tensor(array, requires_grad=True)
    with np.errstate(all="ignore"):
        try:
            out = getattr(x, method)(axis=axis)
        except (TypeError, ValueError) as e:
            assert str(e).startswith(f"{method}:"), str(e)
            return
        shifted = array - np.max(array, axis=axis, keepdims=True, initial=-np.inf)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        expected = log_probs if method == "log_softmax" else np.exp(log_probs)
        np.testing.assert_allclose(out.data, expected, rtol=1e-9, equal_nan=True)


@PROPERTY
@given(shape=SHAPES, new_shape=st.lists(st.one_of(st.integers(-2, 7), st.floats(0, 3), st.none()), max_size=3))
def test_reshape_gives_numpys_shape_or_a_clear_error(shape, new_shape):
    x = Tensor(np.zeros(shape), requires_grad=True)
    try:
        out = x.reshape(*new_shape)
    except (TypeError, ValueError) as e:
        assert str(e).startswith("reshape:"), str(e)
        return
    assert out.shape == np.zeros(shape).reshape(new_shape).shape


@PROPERTY
@given(shape=SHAPES, axes=st.lists(st.integers(-4, 4), max_size=4))
def test_transpose_is_a_permutation_or_a_clear_error(shape, axes):
    x = Tensor(np.arange(int(np.prod(shape))).reshape(shape).astype(float), requires_grad=True)
    if len(axes) == 2:  # two dimensions: PyTorch's swap (issue 16)
        axes = tuple(axes)
        if any(not -max(len(shape), 1) <= a < max(len(shape), 1) for a in axes):
            with pytest.raises(IndexError, match=r"transpose: dimensions .* are out of range"):
                x.transpose(*axes)
        elif shape:
            np.testing.assert_array_equal(x.transpose(*axes).data, np.swapaxes(x.data, *axes))
        return
    try:
        out = x.transpose(axes)
    except ValueError as e:
        assert str(e).startswith("transpose:")
        assert axes and sorted(a % max(len(shape), 1) for a in axes) != list(range(len(shape))) or \
            any(not -len(shape) <= a < len(shape) for a in axes) or len(axes) != len(shape)
        return
    np.testing.assert_array_equal(out.data, np.transpose(x.data, axes or None))


# ---------------------------------------------------------------- in-place updates

@PROPERTY
@given(target=arrays(dtype=st.sampled_from([np.float32, np.float64, np.int64])), other=arrays(),
       method=st.sampled_from(["add_", "sub_", "mul_", "div_", "copy_"]))
def test_in_place_updates_match_numpy_or_change_nothing(target, other, method):
    x = Tensor(target.copy())
    kept = x.data
    with np.errstate(all="ignore"):
        try:
            getattr(x, method)(other)
        except (TypeError, ValueError) as e:
            assert str(e).startswith(f"{method}:"), str(e)
            np.testing.assert_array_equal(x.data, target)
            assert x._version == 0
            return
        ufunc = {"add_": np.add, "sub_": np.subtract, "mul_": np.multiply, "div_": np.true_divide,
                 "copy_": lambda a, b: np.broadcast_to(b, a.shape)}[method]
        expected = ufunc(target, other).astype(target.dtype)
    assert x.data is kept and x._version == 1
    np.testing.assert_array_equal(x.data, expected)


# ---------------------------------------------------------------- cross-entropy

@PROPERTY
@given(n=st.integers(1, 4), k=st.integers(1, 5), seed=st.integers(0, 1000), masked=st.booleans(),
       reduction=st.sampled_from(["mean", "sum", "none"]))
def test_cross_entropy_matches_the_formula_with_masked_classes(n, k, seed, masked, reduction):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, k)) * 3
    labels = rng.integers(0, k, n)
    if masked and k > 1:  # mask one class that is not the label
        for i in range(n):
            logits[i, (labels[i] + 1) % k] = -np.inf
    z = Tensor(logits, requires_grad=True)
    with np.errstate(all="raise"):
        loss = z.softmax_cross_entropy(labels, reduction=reduction)
        loss.sum().backward()
    top = logits.max(1, keepdims=True)
    log_probs = logits - top - np.log(np.exp(logits - top).sum(1, keepdims=True))
    per_row = -log_probs[np.arange(n), labels]
    expected = {"mean": per_row.mean(), "sum": per_row.sum(), "none": per_row}[reduction]
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)
    grad = np.exp(log_probs)
    grad[np.arange(n), labels] -= 1
    np.testing.assert_allclose(z.grad, grad / (n if reduction == "mean" else 1), atol=1e-15)
    assert np.isfinite(z.grad).all()


# ---------------------------------------------------------------- threads

def test_many_threads_switching_grad_mode_every_way_leave_every_thread_consistent():
    errors, barrier = [], threading.Barrier(6)

    def worker(i):
        try:
            barrier.wait(5)
            for step in range(150):
                x = Tensor(np.array([float(i + 1)]), requires_grad=True)
                kind = (i + step) % 4
                if kind == 0:
                    with no_grad():
                        assert not (x * x).requires_grad
                elif kind == 1:
                    with set_grad_enabled(False):
                        with set_grad_enabled(True):
                            assert (x * x).requires_grad
                elif kind == 2:
                    predict = no_grad()(lambda t: t * 2)
                    assert not predict(x).requires_grad
                y = (x * x * 3).sum()  # dy/dx = 6x in every thread, whatever the others do
                y.backward()
                assert x.grad[0] == 6 * (i + 1), (x.grad, i)
                assert is_grad_enabled()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert is_grad_enabled()


def test_in_place_changes_in_another_thread_are_caught_by_backward():
    w = Tensor(np.ones(3), requires_grad=True)
    x = Tensor(np.arange(3.0), name="x")
    loss = (w * x).sum()
    changer = threading.Thread(target=lambda: x.add_(1))
    changer.start()
    changer.join()
    with pytest.raises(RuntimeError, match="x of shape"):
        loss.backward()
    assert w.grad is None


# ---------------------------------------------------------------- PyTorch's documented autograd errors, ours

def test_backward_twice_without_retain_graph():
    x = Tensor(np.ones(2), requires_grad=True)
    y = (x * x).sum()
    y.backward()
    grad = x.grad.copy()
    with pytest.raises(RuntimeError, match="backward through the sum node a second time"):
        y.backward()
    np.testing.assert_array_equal(x.grad, grad)  # the failed call added nothing


def test_implicit_grad_only_for_one_element_outputs():
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (Tensor(np.ones(2), requires_grad=True) * 2).backward()


def test_backward_of_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(np.ones(2)).sum().backward()


def test_requires_grad_flags_of_non_leaves_cannot_be_turned_off():
    y = Tensor(np.ones(2), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="a non-leaf tensor always requires grad; use detach"):
        y.requires_grad_(False)


def test_a_change_through_detach_is_caught():
    x = Tensor(np.ones(3), requires_grad=True)
    y = x.exp()
    y.detach().add_(1)  # detach shares the memory, as in PyTorch, where the version counter is shared too
    with pytest.raises(RuntimeError, match="the exp op saved 'out'"):
        y.sum().backward()
    assert x.grad is None


def test_a_version_error_leaves_every_gradient_as_it_was():
    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    c = Tensor(np.full(2, 3.0), name="c")
    a.grad = np.array([5.0, 5.0])
    loss = (a * 2).sum() + (b * c).sum()
    c.mul_(2)
    with pytest.raises(RuntimeError, match="the mul op saved 'b', and c of shape"):
        loss.backward()
    np.testing.assert_array_equal(a.grad, [5.0, 5.0]) and b.grad is None
    assert b.grad is None


def test_an_op_saved_as_a_view_of_a_changed_tensor_is_caught():
    base = Tensor(np.arange(6.0), name="base")
    w = Tensor(np.ones(3), requires_grad=True)
    loss = (w * base[:3].detach()).sum() + (w * base.reshape(2, 3)[1]).sum()
    base.add_(1)
    with pytest.raises(RuntimeError, match="base of shape"):
        loss.backward()


def test_a_non_overlapping_change_is_not_blamed():
    base = np.arange(6.0)
    left, right = Tensor(base[:3]), Tensor(base[3:], name="right")
    w = Tensor(np.ones(3), requires_grad=True)
    loss = (w * left).sum()
    right.add_(100)  # same buffer, other half
    loss.backward()
    np.testing.assert_array_equal(w.grad, [0.0, 1.0, 2.0])


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_values_flow_through_without_errors_or_warnings(value):
    x = Tensor(np.array([value, 1.0]), requires_grad=True)
    with np.errstate(all="ignore"):
        (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_zero_size_tensors_through_a_small_network():
    X = Tensor(np.zeros((0, 4)))
    W = Tensor(np.ones((4, 3)), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)
    loss = (X @ W + b).relu().sum()
    loss.backward()
    np.testing.assert_array_equal(W.grad, np.zeros((4, 3)))
    np.testing.assert_array_equal(b.grad, np.zeros(3))


def test_zero_d_tensors_everywhere():
    x = Tensor(np.array(2.0), requires_grad=True)
    y = (x * x).exp().log() + x.sigmoid() - x.tanh() + x.softplus()
    y.backward()
    s = 1 / (1 + np.exp(-2.0))
    np.testing.assert_allclose(x.grad, 4 + s * (1 - s) - (1 - np.tanh(2.0) ** 2) + s)
    assert float(y) == pytest.approx(4 + s - np.tanh(2.0) + np.log1p(np.exp(2.0)))


def test_two_changed_views_of_one_buffer_are_both_remembered():
    base = np.arange(6.0)
    left, right = Tensor(base[:3], name="left"), Tensor(base[3:], name="right")
    w = Tensor(np.ones(3), requires_grad=True)
    loss = (w * left).sum()
    left.add_(1)
    right.add_(1)  # a later change of another part of the same buffer must not hide the first one
    with pytest.raises(RuntimeError, match="the mul op saved 'b', and left of shape"):
        loss.backward()


def test_a_change_through_a_temporary_tensor_around_a_view_is_remembered():
    base = Tensor(np.arange(4.0))
    w = Tensor(np.ones(4), requires_grad=True)
    loss = (w * base).sum()
    Tensor(base.data[1:3]).mul_(10)  # the temporary tensor is gone at once; the change is not
    with pytest.raises(RuntimeError, match="the mul op saved 'b'"):
        loss.backward()


def test_many_changed_regions_are_merged_conservatively():
    base = np.zeros(1000)
    w = Tensor(np.ones(2), requires_grad=True)
    loss = (w * Tensor(base[:2])).sum()
    for i in range(2, 600):  # far more regions than the log keeps one by one
        Tensor(base[i:i + 1]).add_(1)
    Tensor(base[0:1]).add_(1)
    with pytest.raises(RuntimeError, match="the mul op saved 'b'"):
        loss.backward()


def test_an_in_place_change_through_a_view_of_a_leaf_is_caught():
    W = Tensor(np.ones((2, 3)), requires_grad=True)
    loss = (Tensor(np.ones((4, 2))) @ W).sum() + (W * W).sum()
    with no_grad():
        W.T.add_(1)  # a view of the leaf, changed inside no_grad: allowed, and logged
    with pytest.raises(RuntimeError, match=r"op saved '[ab]', and a tensor of shape \(3, 2\), now at version 1"):
        loss.backward()
    assert W.grad is None
