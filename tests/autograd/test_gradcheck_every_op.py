"""Every op checked by central finite differences in float64 (tinygrad_sm.gradcheck)."""

import numpy as np
import pytest

from tinygrad_sm import Tensor, gradcheck


def rand(*shape, low=None, seed=0):
    """A float64 leaf; ``low`` shifts values to stay above it (for log, pow and div)."""
    values = np.random.default_rng(seed + len(shape)).standard_normal(shape)
    if low is not None:
        values = low + np.abs(values)
    return Tensor(values, requires_grad=True)


def away_from_zero(*shape, seed=0):
    """Values with |v| ≥ 0.1, so relu and max have no kink within eps."""
    values = np.random.default_rng(seed).standard_normal(shape)
    return Tensor(np.sign(values) * (0.1 + np.abs(values)), requires_grad=True)


BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)),
                   ((), (3,)), ((2, 3), ()), ((), ())]
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
}


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("shape_a, shape_b", BROADCAST_PAIRS, ids=str)
def test_binary_op_with_broadcasting(op, shape_a, shape_b):
    a = rand(*shape_a, low=0.5 if op == "pow" else None)
    b = rand(*shape_b, low=0.5 if op in ("div", "pow") else None, seed=1)
    assert gradcheck(BINARY[op], a, b)


@pytest.mark.parametrize("fn", [lambda a: 2.0 + a, lambda a: 2.0 - a, lambda a: 3.0 * a, lambda a: 2.0 / a,
                                lambda a: 2.0 ** a, lambda a: a ** 3, lambda a: a ** 0.5, lambda a: -a,
                                lambda a: np.full(3, 2.0) - a, lambda a: a / np.arange(1.0, 4.0)],
                         ids=["radd", "rsub", "rmul", "rdiv", "rpow", "pow_int", "sqrt", "neg", "ndarray_rsub",
                              "div_ndarray"])
def test_operators_with_numbers_and_arrays(fn):
    assert gradcheck(fn, rand(3, low=0.5))


MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
                 ((5, 2, 3), (5, 3, 4)), ((2, 1, 2, 3), (4, 3, 2)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,))]


@pytest.mark.parametrize("shape_a, shape_b", MATMUL_SHAPES, ids=str)
def test_matmul_1d_2d_and_batched(shape_a, shape_b):
    assert gradcheck(lambda a, b: a @ b, rand(*shape_a), rand(*shape_b, seed=1))


def test_matmul_with_a_constant_operand_only_differentiates_the_parameter():
    X = np.random.default_rng(0).standard_normal((4, 3))
    assert gradcheck(lambda w: X @ w, rand(3, 2))
    assert gradcheck(lambda w: w @ X.T, rand(2, 3))


UNARY = {
    "relu": (lambda a: a.relu(), None),
    "exp": (lambda a: a.exp(), None),
    "log": (lambda a: a.log(), 0.3),
    "sigmoid": (lambda a: a.sigmoid(), None),
    "tanh": (lambda a: a.tanh(), None),
    "softplus": (lambda a: a.softplus(), None),
    "neg": (lambda a: a.neg(), None),
}


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)], ids=str)
def test_unary_op(op, shape):
    fn, low = UNARY[op]
    x = away_from_zero(*shape) if low is None else rand(*shape, low=low)
    assert gradcheck(fn, x)


AXES = [None, 0, -1, 1, (0, 2), (0, 1, 2), ()]


@pytest.mark.parametrize("reduction", ["sum", "mean", "max"])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_on_3d(reduction, axis, keepdims):
    x = rand(2, 3, 4)
    assert gradcheck(lambda a: getattr(a, reduction)(axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("reduction", ["sum", "mean", "max"])
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_reduction_on_0d(reduction, axis):
    assert gradcheck(lambda a: getattr(a, reduction)(axis=axis), rand())


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
def test_logsumexp(axis):
    assert gradcheck(lambda a: a.logsumexp(axis=axis), rand(3, 4))


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_family(op, axis):
    assert gradcheck(lambda a: getattr(a, op)(axis=axis), rand(3, 4))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_cross_entropy_with_labels(reduction):
    labels = np.array([0, 3, 1, 3, 2])
    assert gradcheck(lambda z: z.softmax_cross_entropy(labels, reduction=reduction), rand(5, 4))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_cross_entropy_with_probability_rows(reduction):
    targets = np.random.default_rng(3).dirichlet(np.ones(4), size=5)
    assert gradcheck(lambda z: z.softmax_cross_entropy(targets, reduction=reduction), rand(5, 4))


def test_softmax_cross_entropy_of_one_example():
    assert gradcheck(lambda z: z.softmax_cross_entropy(2), rand(4))


@pytest.mark.parametrize("fn", [lambda a: a.reshape(4, 6), lambda a: a.reshape(-1), lambda a: a.reshape((2, 12)),
                                lambda a: a.transpose(), lambda a: a.transpose(1, 0, 2), lambda a: a.T,
                                lambda a: a.transpose((2, 0, 1))],
                         ids=["reshape", "flatten", "reshape_tuple", "transpose", "transpose_axes", "T", "perm"])
def test_shape_ops(fn):
    assert gradcheck(fn, rand(2, 3, 4))


@pytest.mark.parametrize("index", [1, -1, slice(0, 2), (slice(None), 2), (0, slice(1, None), [0, 1, 1]),
                                   np.array([2, 0, 2, 2]), (np.array([0, 1, 1]), np.array([3, 3, 0])),
                                   (Ellipsis, 1), np.array([True, False, True])],
                         ids=["int", "negative", "slice", "column", "mixed", "repeated_rows", "pairs", "ellipsis",
                              "bool_mask"])
def test_getitem(index):
    assert gradcheck(lambda a: a[index], rand(3, 4, 2) if isinstance(index, tuple) and len(index) == 3
                     else rand(3, 4))


def test_getitem_with_tensor_index():
    rows = Tensor(np.array([1, 1, 0]))
    assert gradcheck(lambda a: a[rows], rand(3, 4))


def test_composite_two_layer_network():
    X = np.random.default_rng(1).standard_normal((6, 4))
    labels = np.array([0, 1, 2, 1, 0, 2])
    assert gradcheck(lambda W1, b1, W2, b2: ((X @ W1 + b1).relu() @ W2 + b2).softmax_cross_entropy(labels),
                     away_from_zero(4, 5), rand(5), rand(5, 3, seed=4), rand(3, seed=5))
