"""The extended ops (more_ops.py): float64 gradcheck of every op, values against numpy, edge cases, errors."""

import numpy as np
import pytest

import tinygrad_sm as tg
from tinygrad_sm import Tensor, gradcheck, more_ops, ops

RNG = np.random.default_rng(0)


def t64(shape=(2, 3), low=-2.0, high=2.0, away_from=None, seed=None):
    """A float64 leaf with values in [low, high), kept 0.1 away from the points in ``away_from`` (kinks)."""
    values = np.random.default_rng(seed).uniform(low, high, shape)
    for kink in away_from or ():
        close = np.abs(values - kink) < 0.1
        values[close] += 0.2
    return Tensor(values, requires_grad=True)


def distinct(shape, seed=0):
    """Distinct values (no ties) for min/max-like ops."""
    values = np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) * 0.37 - 1.0
    return Tensor(values.astype(np.float64), requires_grad=True)


# name: (function of the inputs, inputs); every op, on several shapes, axes and keepdims
GRADCHECKS = {
    "abs": (lambda x: x.abs(), [t64(away_from=[0])]),
    "abs 0-d": (lambda x: abs(x), [Tensor(np.float64(-1.5), requires_grad=True)]),
    "sqrt": (lambda x: x.sqrt(), [t64(low=0.2)]),
    "square": (lambda x: x.square(), [t64((4,))]),
    "log1p": (lambda x: x.log1p(), [t64(low=-0.8)]),
    "expm1": (lambda x: x.expm1(), [t64()]),
    "sin": (lambda x: x.sin(), [t64()]),
    "cos": (lambda x: x.cos(), [t64()]),
    "clip": (lambda x: x.clip(-1.0, 1.0), [t64(away_from=[-1, 1])]),
    "clamp max only": (lambda x: x.clamp(max=0.5), [t64(away_from=[0.5])]),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), [t64(away_from=[0])]),
    "elu": (lambda x: x.elu(0.7), [t64(away_from=[0])]),
    "gelu": (lambda x: x.gelu(), [t64(low=-4, high=4)]),
    "gelu_tanh": (lambda x: x.gelu(approximate="tanh"), [t64(low=-4, high=4)]),
    "maximum broadcast": (lambda a, b: a.maximum(b), [distinct((2, 3)), Tensor(np.array([0.1, -0.3, 0.5]),
                                                                                 requires_grad=True)]),
    "minimum broadcast": (lambda a, b: a.minimum(b), [distinct((2, 1)), Tensor(np.array([0.1, -0.3, 0.45]),
                                                                                 requires_grad=True)]),
    "where broadcast": (lambda a, b: tg.where(np.array([True, False, True]), a, b), [t64((2, 3)), t64((2, 1))]),
    "where method": (lambda a, b: a.where(np.array([[True], [False]]), b), [t64((2, 3)), t64((3,))]),
    "min all": (lambda x: x.min(), [distinct((3, 4))]),
    "min axis -1 keepdims": (lambda x: x.min(axis=-1, keepdims=True), [distinct((3, 4))]),
    "min axes tuple": (lambda x: x.min(axis=(0, 2)), [distinct((2, 3, 2))]),
    "var": (lambda x: x.var(), [t64((3, 4))]),
    "var axis -2 keepdims": (lambda x: x.var(axis=-2, keepdims=True), [t64((3, 4))]),
    "var correction 0": (lambda x: x.var(axis=1, correction=0), [t64((3, 4))]),
    "std": (lambda x: x.std(axis=0), [t64((5, 2))]),
    "std correction 2 keepdims": (lambda x: x.std(axis=(0, 1), correction=2, keepdims=True), [t64((2, 3, 2))]),
    "prod all": (lambda x: x.prod(), [t64((2, 3), low=0.5)]),
    "prod with zeros": (lambda x: x.prod(axis=1), [Tensor(np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5],
                                                                    [1.0, 2.0, -1.0]]), requires_grad=True)]),
    "prod axis -1 keepdims": (lambda x: x.prod(axis=-1, keepdims=True), [t64((2, 3, 4))]),
    "prod axes (0, 2)": (lambda x: x.prod(axis=(0, 2)), [t64((2, 3, 2))]),
    "cumsum": (lambda x: x.cumsum(axis=-1), [t64((3, 4))]),
    "cumsum flattened": (lambda x: x.cumsum(), [t64((2, 3))]),
    "cat": (lambda a, b: tg.cat([a, b], axis=-1), [t64((2, 3)), t64((2, 1))]),
    "concatenate with a constant": (lambda a: tg.concatenate([a, np.ones((1, 3))]), [t64((2, 3))]),
    "stack": (lambda a, b: tg.stack([a, b], axis=1), [t64((2, 3)), t64((2, 3))]),
    "stack axis -1": (lambda a, b: tg.stack([a, b], axis=-1), [t64((2, 3)), t64((2, 3))]),
    "split": (lambda x: x.split([1, 3], axis=-1)[1] * x.split(2, axis=1)[0].sum(), [t64((2, 4))]),
    "chunk": (lambda x: x.chunk(3)[2], [t64((5, 2))]),
    "squeeze": (lambda x: x.squeeze(), [t64((1, 3, 1))]),
    "squeeze axis": (lambda x: x.squeeze(-1), [t64((2, 1))]),
    "unsqueeze": (lambda x: x.unsqueeze(-1), [t64((2, 3))]),
    "flatten": (lambda x: x.flatten(1), [t64((2, 3, 2))]),
    "expand": (lambda x: x.expand(4, -1, 3), [t64((2, 1))]),
    "broadcast_to": (lambda x: x.broadcast_to((2, 3)), [t64((3,))]),
    "permute": (lambda x: x.permute(2, 0, 1), [t64((2, 3, 4))]),
    "flip": (lambda x: x.flip(-1), [t64((2, 3))]),
    "flip all": (lambda x: x.flip(), [t64((2, 3))]),
    "pad": (lambda x: x.pad(((1, 0), (0, 2)), value=3.0), [t64((2, 3))]),
    "repeat": (lambda x: x.repeat(2, 3), [t64((2, 3))]),
    "tile more axes": (lambda x: x.tile(2, 1, 2), [t64((2, 3))]),
    "take_along_axis": (lambda x: x.take_along_axis(np.array([[0, 0, 2], [1, 1, 1]]), axis=-1), [t64((2, 3))]),
    "gather broadcast": (lambda x: x.gather(0, np.array([[1], [0], [1]])), [t64((2, 3))]),
    # the card's neighbours, which moved here from ops.py
    "sigmoid": (lambda x: x.sigmoid(), [t64()]),
    "tanh": (lambda x: x.tanh(), [t64()]),
    "softplus": (lambda x: x.softplus(), [t64()]),
    "mean axis 0": (lambda x: x.mean(axis=0), [t64((3, 4))]),
    "max axis 1 keepdims": (lambda x: x.max(axis=1, keepdims=True), [distinct((3, 4))]),
    "reshape": (lambda x: x.reshape(3, -1), [t64((2, 3))]),
    "transpose": (lambda x: x.transpose(1, 0), [t64((2, 3))]),
    "getitem twice": (lambda x: x[np.array([0, 1, 0])], [t64((2, 3))]),
    "softmax": (lambda x: x.softmax(axis=0), [t64((3, 4))]),
    "log_softmax": (lambda x: x.log_softmax(), [t64((3, 4))]),
    "logsumexp keepdims": (lambda x: x.logsumexp(axis=1, keepdims=True), [t64((3, 4))]),
    "clone": (lambda x: x.clone() * x, [t64()]),
    "astype": (lambda x: x.astype(np.float64) * x, [t64()]),
}


@pytest.mark.parametrize("case", sorted(GRADCHECKS))
def test_gradcheck_float64(case):
    fn, inputs = GRADCHECKS[case]
    for t in inputs:
        t.grad = None
    assert gradcheck(fn, *inputs)


def all_more_op_classes():
    return {cls for cls in vars(more_ops).values() if isinstance(cls, type) and issubclass(cls, ops.Op)
            and cls is not ops.Op}


def op_names_in_graph(out):
    names, stack = set(), [out]
    while stack:
        node = stack.pop()
        if node.op is not None:
            names.add(node.op.name)
            stack.extend(node.op.parents)
    return names


def test_every_extended_op_is_gradchecked_and_has_a_rule_and_symbols():
    checked = set()
    for fn, inputs in GRADCHECKS.values():
        checked |= op_names_in_graph(fn(*inputs))
    classes = all_more_op_classes()
    assert {cls.name for cls in classes} <= checked
    for cls in classes:
        assert cls.rule and cls.backward.__doc__, cls.name
        assert isinstance(cls.symbols, tuple) and all(s in cls.rule for s in cls.symbols), cls.name


# ---------------------------------------------------------------- values against numpy

def test_values_match_numpy():
    x = np.random.default_rng(1).standard_normal((3, 4))
    t = Tensor(x)
    np.testing.assert_array_equal(t.abs().data, np.abs(x))
    np.testing.assert_array_equal(t.square().data, x * x)
    np.testing.assert_array_equal(t.clip(-0.5, 0.5).data, np.clip(x, -0.5, 0.5))
    np.testing.assert_array_equal(t.min(axis=0).data, x.min(axis=0))
    np.testing.assert_allclose(t.var(axis=1, correction=0).data, x.var(axis=1))
    np.testing.assert_allclose(t.std().data, x.std(ddof=1))
    np.testing.assert_allclose(t.prod(axis=-1).data, x.prod(axis=-1))
    np.testing.assert_allclose(t.cumsum(axis=0).data, np.cumsum(x, axis=0))
    np.testing.assert_array_equal(t.argmax(axis=1).data, x.argmax(axis=1))
    np.testing.assert_array_equal(t.argmin().data, x.argmin())
    np.testing.assert_array_equal(t.sign().data, np.sign(x))
    np.testing.assert_array_equal(t.pad(1).data, np.pad(x, 1))
    np.testing.assert_array_equal(t.repeat(2, 1).data, np.tile(x, (2, 1)))
    np.testing.assert_array_equal(t.flatten().data, x.ravel())
    np.testing.assert_array_equal(tg.stack([t, t], axis=-1).data, np.stack([x, x], axis=-1))


def test_gelu_tanh_is_the_tanh_form():
    z = np.linspace(-4, 4, 9)
    expected = 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3)))
    np.testing.assert_allclose(Tensor(z).gelu(approximate="tanh").data, expected, rtol=1e-14)


def test_elu_of_large_values_does_not_overflow():
    with np.errstate(over="raise"):
        out = Tensor(np.array([1000.0, -1000.0])).elu()
    np.testing.assert_array_equal(out.data, [1000.0, -1.0])


@pytest.mark.parametrize("method", ["sqrt", "log1p", "expm1", "sin", "cos", "gelu", "elu", "leaky_relu"])
def test_float_functions_of_int_tensors_are_float32(method):
    out = getattr(Tensor(np.array([0, 1, 4])), method)()
    assert out.dtype == np.float32


def test_float32_stays_float32():
    x = Tensor(np.array([[0.5, 1.0], [1.5, 2.0]], dtype=np.float32), requires_grad=True)
    outs = [x.sqrt(), x.gelu(), x.elu(), x.leaky_relu(), x.var(axis=0), x.std(), x.maximum(0.5), x.clip(0, 1),
            tg.where(x.data > 0, x, 0.0), x.prod(), x.cumsum(0), tg.cat([x, x]), x.pad(1)]
    for out in outs:
        assert out.dtype == np.float32, out.op.name
    sum(o.sum() for o in outs).backward()
    assert x.grad.dtype == np.float32


def test_ties_share_the_gradient():
    x = Tensor(np.array([1.0, 3.0, 3.0]), requires_grad=True)
    x.min().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 0.0])
    y = Tensor(np.array([2.0, 2.0, 0.0]), requires_grad=True)
    y.min().backward()
    np.testing.assert_array_equal(y.grad, [0.0, 0.0, 1.0])
    z = Tensor(np.array([0.0, 0.0, 5.0]), requires_grad=True)
    z.min().backward()
    np.testing.assert_array_equal(z.grad, [0.5, 0.5, 0.0])
    a, b = Tensor(np.array([1.0, 2.0]), requires_grad=True), Tensor(np.array([1.0, 0.0]), requires_grad=True)
    a.maximum(b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 1.0])
    np.testing.assert_array_equal(b.grad, [0.5, 0.0])


def test_prod_gradient_with_zeros_is_the_product_of_the_others():
    x = Tensor(np.array([0.0, 2.0, 3.0]), requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 0.0, 0.0])


def test_clip_passes_the_gradient_at_its_ends():
    x = Tensor(np.array([-1.0, 0.0, 1.0, 2.0]), requires_grad=True)
    x.clip(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0, 0.0])


def test_ops_without_a_gradient_stay_outside_the_graph():
    x = Tensor(np.array([[1.0, -2.0], [3.0, 0.5]]), requires_grad=True)
    for out in (x.argmax(axis=1), x.argmin(), x // 2):  # (sign is in the graph with gradient 0, as PyTorch)
        assert not out.requires_grad and out.op is None
    np.testing.assert_array_equal((x // 2).data, np.floor_divide(x.data, 2))
    np.testing.assert_array_equal((Tensor(np.array([-7, 7])) // 2).data, [-4, 3])  # toward -∞, as numpy
    np.testing.assert_array_equal((7 // Tensor(np.array([-2, 2]))).data, [-4, 3])


# ---------------------------------------------------------------- 0-d and empty

def test_zero_d_inputs():
    s = Tensor(np.float64(2.0), requires_grad=True)
    out = s.sqrt() + s.square() + s.clip(0, 1) + s.var(correction=0) + s.prod() + s.min() + s.flatten().sum()
    out.backward()
    assert s.grad == pytest.approx(1 / (2 * np.sqrt(2)) + 4 + 0 + 0 + 1 + 1 + 1)
    assert s.unsqueeze(0).shape == (1,) and s.flatten().shape == (1,)
    assert tg.stack([s, s]).shape == (2,)
    assert s.argmax().data == 0
    for name, call in [("pad", lambda: s.pad(1)), ("split", lambda: s.split(1)), ("chunk", lambda: s.chunk(2)),
                       ("take_along_axis", lambda: s.take_along_axis(np.array(0), 0))]:
        with pytest.raises(ValueError, match=f"{name}: needs at least one axis, got a 0-d tensor"):
            call()


def test_empty_inputs():
    e = Tensor(np.zeros((0, 3)), requires_grad=True)
    out = e.abs().sum() + e.prod(axis=0).sum() + e.cumsum(axis=0).sum() + tg.cat([e, e]).sum() + e.pad(1).sum()
    out.backward()
    assert e.grad.shape == (0, 3)
    np.testing.assert_array_equal(e.prod(axis=0).data, [1.0, 1.0, 1.0])  # the empty product is 1, as numpy
    assert [p.shape for p in Tensor(np.zeros((0, 2))).split(1)] == [(0, 2)]
    with pytest.raises(ValueError, match=r"min: cannot reduce over axis 0 of size 0 \(shape \(0, 3\)\)"):
        e.min()
    with pytest.raises(ValueError, match="argmax: cannot reduce an empty tensor"):
        e.argmax()


# ---------------------------------------------------------------- errors name the op and the values

@pytest.mark.parametrize("call, error, match", [
    (lambda x: x.clip(), ValueError, "clip: give at least one of min and max"),
    (lambda x: x.clip("a"), TypeError, "clip: min must be a number"),
    (lambda x: x.maximum(np.ones(4)), ValueError, r"maximum: shapes \(2, 3\) and \(4,\) cannot be broadcast"),
    (lambda x: x.var(correction=-1), ValueError, "var: correction must be an int >= 0"),
    (lambda x: x.var(axis=2), ValueError, "var: axis 2 is out of range"),
    (lambda x: x.cumsum(axis=1.5), TypeError, "cumsum: axis must be one int, got 1.5"),
    (lambda x: x.squeeze(0), ValueError, r"squeeze: axis 0 of shape \(2, 3\) has size 2, not 1"),
    (lambda x: x.unsqueeze(3), ValueError, "unsqueeze: axis 3 is out of range"),
    (lambda x: x.flatten(1, 0), ValueError, "flatten: start axis 1 comes after end axis 0"),
    (lambda x: x.expand(3, 3), ValueError, r"broadcast_to: shape \(2, 3\) cannot be broadcast to \(3, 3\)"),
    (lambda x: x.broadcast_to(3), ValueError, "broadcast_to: shape"),
    (lambda x: x.pad(-2), ValueError, r"pad: negative widths -2 crop more than the shape \(2, 3\) holds"),
    (lambda x: x.pad(0.5), ValueError, "pad: widths must be ints"),
    (lambda x: x.pad(((1, 1), (1, 1), (1, 1))), ValueError, "pad: widths"),
    (lambda x: x.tile(-1), ValueError, "tile: each repetition count must be an int >= 0"),
    (lambda x: x.repeat(2), ValueError, "repeat: 1 repetition counts for a tensor with 2 axes"),
    (lambda x: x.take_along_axis(np.array([[0.5]]), 1), ValueError, "take_along_axis: indices must be ints"),
    (lambda x: x.take_along_axis(np.array([[3]]), 1), IndexError, "take_along_axis: an index is out of range"),
    (lambda x: x.take_along_axis(np.zeros((3, 1), int), 1), ValueError, "take_along_axis: indices of shape"),
    (lambda x: x.split([1, 1], axis=1), ValueError, r"split: sizes \[1, 1\] add up to 2, not to 3"),
    (lambda x: x.split(0, axis=1), ValueError, "split: the piece size must be an int >= 1"),
    (lambda x: x.chunk(0), ValueError, "chunk: chunks must be an int >= 1"),
    (lambda x: tg.cat([x, np.ones((2, 2))]), ValueError, r"concatenate: shapes \[\(2, 3\), \(2, 2\)\] differ"),
    (lambda x: tg.cat([x, np.ones(3)]), ValueError, "concatenate: tensors need the same number"),
    (lambda x: tg.cat([]), ValueError, "concatenate: needs at least one tensor"),
    (lambda x: tg.stack([x, x.T]), ValueError, "stack: tensors need the same shape"),
    (lambda x: tg.stack([x], axis=3), ValueError, "stack: axis 3 is out of range for a tensor with 3 dimensions"),
    (lambda x: tg.where(x.data, x, x), TypeError, "where: condition must be boolean"),
    (lambda x: tg.where(np.ones(4, bool), x, 0.0), ValueError, r"where: shapes \(4,\) \(condition\)"),
])
def test_bad_arguments_raise_naming_the_op(call, error, match):
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.raises(error, match=match):
        call(x)


# ---------------------------------------------------------------- module functions

def test_creation_functions():
    assert tg.arange(5).data.tolist() == [0, 1, 2, 3, 4] and tg.arange(5).dtype == np.int64
    assert tg.arange(0.0, 1.0, 0.5).dtype == np.float32 and tg.arange(3, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(tg.arange(0.0, 1.0, 0.25, dtype=np.float32).data, [0, 0.25, 0.5, 0.75])
    np.testing.assert_array_equal(tg.eye(2, 3).data, np.eye(2, 3))
    assert tg.eye(3).dtype == np.float32
    full = tg.full((2, 2), 7.0, requires_grad=True)
    assert full.requires_grad and full.data.tolist() == [[7.0, 7.0], [7.0, 7.0]]
    x = Tensor(np.ones((2, 3)))
    assert tg.zeros_like(x).data.sum() == 0 and tg.zeros_like(x).dtype == np.float64
    assert tg.ones_like(x, dtype=np.float32).dtype == np.float32
    assert tg.full_like(x, 2).data.sum() == 12
    a, b = tg.rand(3, 4, rng=0), tg.rand(3, 4, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(a.data, b.data)
    assert a.dtype == np.float32 and (a.data >= 0).all() and (a.data < 1).all()
    u = tg.uniform(1000, low=-2, high=-1, rng=1, dtype=np.float64)
    assert u.dtype == np.float64 and u.data.min() >= -2 and u.data.max() < -1
    r = tg.randint(0, 3, (100,), rng=2)
    assert r.dtype == np.int64 and set(r.data.tolist()) == {0, 1, 2}
    with pytest.raises(TypeError, match="rand: rng must be a numpy Generator, an int seed"):
        tg.rand(2, rng="seed")
    with pytest.raises(ValueError, match="randint: need ints low < high"):
        tg.randint(3, 3)
    with pytest.raises(ValueError, match="eye: n must be an int >= 0"):
        tg.eye(-1)
    with pytest.raises(ValueError, match="arange: step must not be 0"):
        tg.arange(0, 1, 0)
    with pytest.raises(ValueError, match=r"full: shape \(2, -1\) has a negative size"):
        tg.full((2, -1), 0.0)
    np.testing.assert_array_equal(tg.rand(3, rng=[1, 2]).data, tg.rand(3, rng=np.random.default_rng([1, 2])).data)
    np.testing.assert_array_equal(Tensor.randn(3, rng=np.random.SeedSequence(4)).data,
                                  Tensor.randn(3, rng=np.random.default_rng(np.random.SeedSequence(4))).data)
    with pytest.raises(ValueError, match=r"rand: rng must be a numpy Generator, an int seed >= 0 or None, got \[1, -2\]"):
        tg.rand(2, rng=[1, -2])
    for bad_seed in (-1, np.int64(-1)):  # one rng check: the same exception and message as Tensor.randn's
        for make, name in ((lambda: tg.rand(2, rng=bad_seed), "rand"), (lambda: Tensor.randn(2, rng=bad_seed), "randn"),
                           (lambda: tg.randint(0, 2, rng=bad_seed), "randint")):
            with pytest.raises(ValueError, match=rf"{name}: rng must be a numpy Generator, an int seed >= 0 or None, "
                                                 r"got (np.int64\()?-1"):
                make()


def test_one_hot_function():
    Y = tg.one_hot([2, 0, 1], 3)
    np.testing.assert_array_equal(Y.data, np.eye(3)[[2, 0, 1]])
    assert Y.dtype == np.float32 and not Y.requires_grad
    assert tg.one_hot(np.array([[1], [0]]), 2).shape == (2, 1, 2)
    with pytest.raises(ValueError, match="one_hot: label 3 is out of range for 3 classes"):
        tg.one_hot([0, 3], 3)
    with pytest.raises(TypeError, match="one_hot: labels must be ints"):
        tg.one_hot([0.5], 3)


def test_a_failed_call_changes_nothing_and_adds_no_node():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    before = x.data.copy()
    with pytest.raises(ValueError):
        x.split([1, 1], axis=-1)
    np.testing.assert_array_equal(x.data, before)
    assert x.grad is None and x._version == 0


def test_index_arrays_are_copied_so_later_edits_do_not_move_the_gradient():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    idx = np.array([[0], [1]])
    out = x.take_along_axis(idx, axis=1)
    condition = np.array([True, False, True])
    w = tg.where(condition, x, 0.0)
    idx[:] = 2
    condition[:] = False
    (out.sum() + w.sum()).backward()
    np.testing.assert_array_equal(x.grad, [[2, 0, 1], [1, 1, 1]])


# ---------------------------------------------------------------- a property: reductions agree with numpy

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays, array_shapes  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
              elements=st.floats(-3, 3)), st.data())
def test_reductions_and_their_gradients_agree_with_numpy(values, data):
    axis = data.draw(st.integers(-values.ndim, values.ndim - 1))
    keepdims = data.draw(st.booleans())
    x = Tensor(values, requires_grad=True)
    np.testing.assert_allclose(x.prod(axis=axis, keepdims=keepdims).data, values.prod(axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(x.cumsum(axis=axis).data, np.cumsum(values, axis=axis))
    np.testing.assert_array_equal(x.min(axis=axis, keepdims=keepdims).data, values.min(axis=axis, keepdims=keepdims))
    if values.shape[axis] > 1:
        np.testing.assert_allclose(x.var(axis=axis, keepdims=keepdims).data,
                                   values.var(axis=axis, ddof=1, keepdims=keepdims), atol=1e-12)
    x.prod(axis=axis).sum().backward()
    # Π_{j≠i} a_j by brute force: the product with a_i replaced by 1
    moved = np.moveaxis(values, axis, -1)
    others = np.stack([np.delete(moved, i, axis=-1).prod(axis=-1) for i in range(moved.shape[-1])], axis=-1)
    np.testing.assert_allclose(x.grad, np.moveaxis(others, -1, axis), rtol=1e-10, atol=1e-12)
