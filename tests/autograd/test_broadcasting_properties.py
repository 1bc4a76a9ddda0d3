"""Property-based tests: random shapes and random broadcastable pairs for binary ops and reductions."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_sm import Tensor, autograd, gradcheck

SMALL = dict(min_dims=0, max_dims=3, min_side=1, max_side=3)
PROPERTY = settings(max_examples=40, deadline=None)
BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}


def leaf(shape, seed, positive=False):
    values = np.random.default_rng(seed).standard_normal(shape)
    return Tensor(0.5 + np.abs(values) if positive else values, requires_grad=True)


@PROPERTY
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, **SMALL), op=st.sampled_from(sorted(BINARY)),
       seed=st.integers(0, 2**16))
def test_binary_ops_match_numpy_and_finite_differences(shapes, op, seed):
    shape_a, shape_b = shapes.input_shapes
    a, b = leaf(shape_a, seed), leaf(shape_b, seed + 1, positive=(op == "div"))
    out = getattr(a, op)(b)
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.data, BINARY[op](a.data, b.data))
    assert gradcheck(lambda x, y: getattr(x, op)(y), a, b)
    da, db = autograd.grad(getattr(a, op)(b).sum(), [a, b])
    assert da.shape == shape_a and db.shape == shape_b


@PROPERTY
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, **SMALL), seed=st.integers(0, 2**16))
def test_add_gradient_counts_how_often_each_operand_element_is_used(shapes, seed):
    """d Σ(a + b)/da is the number of output elements each element of a reaches through broadcasting."""
    shape_a, shape_b = shapes.input_shapes
    a, b = leaf(shape_a, seed), leaf(shape_b, seed + 1)
    (a + b).sum().backward()
    out_size = int(np.prod(shapes.result_shape))
    np.testing.assert_allclose(a.grad, np.full(shape_a, out_size / max(int(np.prod(shape_a)), 1)))
    np.testing.assert_allclose(b.grad, np.full(shape_b, out_size / max(int(np.prod(shape_b)), 1)))


@st.composite
def shape_and_axis(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3))
    axes = draw(st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=len(shape)))
    negative = draw(st.booleans())
    axis = None if not axes else tuple(a - len(shape) if negative else a for a in axes)
    if axis is not None and len(axis) == 1 and draw(st.booleans()):
        axis = axis[0]
    return shape, axis


@PROPERTY
@given(case=shape_and_axis(), reduction=st.sampled_from(["sum", "mean", "max", "logsumexp"]),
       keepdims=st.booleans(), seed=st.integers(0, 2**16))
def test_reductions_match_numpy_and_finite_differences(case, reduction, keepdims, seed):
    shape, axis = case
    x = leaf(shape, seed)
    out = getattr(x, reduction)(axis=axis, keepdims=keepdims)
    if reduction == "logsumexp":
        expected = np.log(np.exp(x.data).sum(axis=axis, keepdims=keepdims))
    else:
        expected = getattr(x.data, reduction)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert gradcheck(lambda t: getattr(t, reduction)(axis=axis, keepdims=keepdims), x)


@PROPERTY
@given(n=st.integers(1, 6), k=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_cross_entropy_gradient_rows_sum_to_zero(n, k, seed):
    """Each row of softmax(z) - onehot(y) sums to 0, so the logits' gradient does too."""
    rng = np.random.default_rng(seed)
    z = Tensor(rng.standard_normal((n, k)) * 5, requires_grad=True)
    z.softmax_cross_entropy(rng.integers(0, k, n)).backward()
    np.testing.assert_allclose(z.grad.sum(axis=1), np.zeros(n), atol=1e-12)
