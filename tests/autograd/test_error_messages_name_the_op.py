"""Issue 9, item 9: every bad input raises an error that names our op and what is wrong
(not numpy's or Python's own message), and empty axes give PyTorch's empty results."""

import numpy as np
import pytest

from tinygrad_sm import Tensor, gradcheck, nn


def t64(values, requires_grad=True):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------- construction

def test_a_ragged_list():
    with pytest.raises(ValueError, match=r"Tensor: ragged nested lists \(rows of different lengths\) cannot make a "
                                         r"tensor: \[\[1, 2\], \[3\]\]"):
        Tensor([[1, 2], [3]])


@pytest.mark.parametrize("dtype, message", [("float99", "Tensor: unknown dtype 'float99'"), (object, "not numeric"),
                                            (str, "not numeric"), ("U3", "not numeric")])
def test_an_unknown_or_non_numeric_dtype(dtype, message):
    with pytest.raises(TypeError, match=message):
        Tensor([1.0], dtype=dtype)


def test_a_value_that_does_not_convert_to_the_dtype():
    with pytest.raises(ValueError, match=r"Tensor: cannot convert \['a'\] to dtype float32"):
        Tensor(["a"], dtype=np.float32)


@pytest.mark.parametrize("maker", ["zeros", "ones", "randn"])
def test_negative_and_fractional_sizes(maker):
    make = getattr(Tensor, maker)
    with pytest.raises(ValueError, match=rf"{maker}: shape \(-1,\) has a negative size"):
        make(-1)
    with pytest.raises(TypeError, match=rf"{maker}: shape \(2.5,\) must be ints"):
        make(2.5)
    with pytest.raises(TypeError, match=rf"{maker}: shape \(2, None\) must be ints"):
        make((2, None))
    with pytest.raises(TypeError, match=rf"{maker}: shape \(True,\) must be ints"):
        make(True)
    assert make(0, 3).shape == (0, 3) and make((2, 3)).shape == (2, 3) and make(np.int64(2)).shape == (2,)


@pytest.mark.parametrize("rng", ["a", 1.5, [1.5, 2]])  # a list of int seeds is a seed, as for numpy
def test_a_seed_that_is_not_a_seed(rng):
    with pytest.raises(TypeError, match=r"randn: rng must be a numpy Generator, an int seed >= 0 or None, got"):
        Tensor.randn(2, rng=rng)
    with pytest.raises(ValueError, match=r"randn: rng must be a numpy Generator, an int seed >= 0 or None, got -1"):
        Tensor.randn(2, rng=-1)
    np.testing.assert_array_equal(Tensor.randn(3, rng=5).data, Tensor.randn(3, rng=np.random.default_rng(5)).data)


# ---------------------------------------------------------------- operators

@pytest.mark.parametrize("apply, op", [(lambda t: t + "a", "add"), (lambda t: "a" + t, "add"),
                                       (lambda t: t - "a", "sub"), (lambda t: t * None, "mul"),
                                       (lambda t: t / {"x": 1}, "div"), (lambda t: t ** "2", "pow"),
                                       (lambda t: t @ "a", "matmul"), (lambda t: t + [[1.0], [2.0, 3.0]], "add")])
def test_combining_a_tensor_with_something_that_is_not_a_number(apply, op):
    with pytest.raises(TypeError, match=rf"{op}: cannot combine a tensor with"):
        apply(t64([1.0, 2.0]))


def test_an_integer_tensor_to_a_negative_integer_power():
    with pytest.raises(ValueError, match=r"pow: an integer tensor \(int64\) to a negative integer power \(-1\) is "
                                         r"not an integer; convert the base to float first"):
        Tensor(np.array([2, 3])) ** -1
    with pytest.raises(ValueError, match=r"pow: an integer tensor"):
        Tensor(np.array([2, 3])) ** Tensor(np.array([1, -2]))
    np.testing.assert_array_equal((Tensor(np.array([2, 3])) ** 2).data, [4, 9])
    np.testing.assert_allclose((Tensor(np.array([2.0, 4.0])) ** -1).data, [0.5, 0.25])


def test_bool_tensors():
    flags = Tensor(np.array([True, False]))
    with pytest.raises(TypeError, match=r"neg: a bool tensor cannot be negated; for a logical not use "
                                        r"np.logical_not\(t.data\)"):
        -flags
    with pytest.raises(TypeError, match=r"sub: not supported for dtypes bool and bool"):
        flags - flags
    np.testing.assert_allclose(flags.sigmoid().data, [0.7310586, 0.5], rtol=1e-6)  # as PyTorch: float32 values
    assert flags.sigmoid().dtype == np.float32


def test_in_place_with_something_that_is_not_a_number():
    x = t64([1.0, 2.0], requires_grad=False)
    with pytest.raises(TypeError, match="add_: cannot update a tensor in place with str 'a'"):
        x += "a"
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    assert x._version == 0


# ---------------------------------------------------------------- axes and shapes

@pytest.mark.parametrize("method", ["sum", "mean", "max", "logsumexp"])
@pytest.mark.parametrize("axis", [1.0, "0", (0, 1.0), True, [None]])
def test_an_axis_that_is_not_an_int(method, axis):
    with pytest.raises(TypeError, match=rf"{method}: axis must be None, an int or a tuple of ints, got"):
        getattr(Tensor(np.ones((2, 3))), method)(axis=axis)


@pytest.mark.parametrize("method", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [(0, 1), None, 1.0, (1,)])
def test_softmax_needs_exactly_one_int_axis(method, axis):
    with pytest.raises(TypeError, match=rf"{method}: axis must be one int, got"):
        getattr(Tensor(np.ones((2, 3))), method)(axis=axis)
    with pytest.raises(ValueError, match=rf"{method}: axis 2 is out of range for a tensor with 2 dimensions"):
        getattr(Tensor(np.ones((2, 3))), method)(axis=2)


def test_softmax_of_a_0d_tensor_is_pytorchs_one_and_zero():
    assert Tensor(1.0).softmax().item() == 1.0 and Tensor(1.0).log_softmax(dim=0).item() == 0.0
    with pytest.raises(IndexError, match="softmax: axis 1 is out of range"):
        Tensor(1.0).softmax(1)


def test_softmax_family_over_an_empty_axis_gives_pytorchs_empty_results():
    empty_rows = Tensor(np.zeros((2, 0)), requires_grad=True)
    with np.errstate(all="raise"):
        assert empty_rows.softmax(axis=1).shape == (2, 0)
        assert empty_rows.log_softmax(axis=1).shape == (2, 0)
        np.testing.assert_array_equal(empty_rows.logsumexp(axis=1).data, [-np.inf, -np.inf])
        empty_rows.softmax(axis=1).sum().backward()
    np.testing.assert_array_equal(empty_rows.grad, np.zeros((2, 0)))
    no_rows = Tensor(np.zeros((0, 3)))
    assert no_rows.softmax(axis=1).shape == (0, 3) and no_rows.logsumexp(axis=1).shape == (0,)


def test_max_over_an_empty_and_a_non_empty_axis():
    no_rows = Tensor(np.zeros((0, 3)), requires_grad=True)
    out = no_rows.max(axis=1)  # every one of the 0 rows has 3 entries: an empty result, as PyTorch's amax
    assert out.shape == (0,)
    out.sum().backward()
    assert no_rows.grad.shape == (0, 3)
    with pytest.raises(ValueError, match=r"max: cannot reduce over axis 0 of size 0 \(shape \(0, 3\)\); "
                                         r"the max of nothing is undefined"):
        no_rows.max(axis=0)
    with pytest.raises(ValueError, match=r"max: cannot reduce over axis 0 of size 0"):
        no_rows.max()


@pytest.mark.parametrize("shape, error, message", [
    ((2.0, 3), TypeError, r"reshape: shape \(2.0, 3\) must be ints"),
    ((None,), TypeError, r"reshape: shape \(None,\) must be ints"),
    (("a",), TypeError, r"reshape: shape \('a',\) must be ints"),
    ((-1, -1), ValueError, r"reshape: shape \(-1, -1\) has a negative size \(only one -1"),
    ((-2, 3), ValueError, r"reshape: shape \(-2, 3\) has a negative size"),
    ((4, 2), ValueError, r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into shape \(4, 2\)")])
def test_bad_reshapes(shape, error, message):
    with pytest.raises(error, match=message):
        Tensor(np.ones((2, 3))).reshape(*shape)


def test_reshape_with_one_minus_one():
    assert Tensor(np.ones((2, 3))).reshape(-1).shape == (6,) and Tensor(np.ones((2, 3))).reshape(3, -1).shape == (3, 2)


@pytest.mark.parametrize("axes", [("a", "b"), (0.0, 1), (None,)])
def test_transpose_axes_that_are_not_ints(axes):
    with pytest.raises(TypeError, match=r"transpose: axes must be ints"):
        Tensor(np.ones((2, 3))).transpose(*axes)


# ---------------------------------------------------------------- backward and gradcheck

@pytest.mark.parametrize("grad", ["a", None.__class__, object(), np.array(["x"]), True, {"g": 1}])
def test_backward_with_a_grad_that_is_not_numbers(grad):
    x = t64([1.0, 2.0])
    with pytest.raises(TypeError, match=r"backward: grad must be a real array or Tensor of shape \(\)"):
        (x * 2).sum().backward(grad=grad)
    assert x.grad is None


def test_gradcheck_of_a_function_that_returns_numpy():
    x = t64([1.0, 2.0])
    with pytest.raises(TypeError, match=r"gradcheck: fn must return a Tensor, got ndarray"):
        gradcheck(lambda a: np.sin(a.data), x)
    with pytest.raises(ValueError, match=r"gradcheck: fn's output does not depend on any input that requires grad"):
        gradcheck(lambda a: Tensor(a.data * 2), x)
    assert x.grad is None


def test_gradcheck_leaves_the_input_as_it_was_when_fn_raises():
    x = t64([1.0, 2.0])
    calls = []

    def fails_on_the_second_call(a):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("boom")
        return a * a

    with pytest.raises(RuntimeError, match="boom"):
        gradcheck(fails_on_the_second_call, x)
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


# ---------------------------------------------------------------- labels

def test_a_huge_float_label_is_reported_as_given():
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: label 1e\+20 is out of range for 3 classes "
                                         r"\(labels must be in 0..2\)"):
        Tensor(np.zeros((2, 3))).softmax_cross_entropy(np.array([1e20, 0.0]))


def test_the_largest_uint64_label_is_reported_as_given():
    with pytest.raises(ValueError, match=r"label 18446744073709551615 is out of range for 3 classes"):
        Tensor(np.zeros((2, 3))).softmax_cross_entropy(np.array([2**64 - 1, 0], dtype=np.uint64))


@pytest.mark.parametrize("label", [-1, 3, np.iinfo(np.int64).min])
def test_out_of_range_int_labels(label):
    with pytest.raises(ValueError, match=rf"label {label} is out of range for 3 classes"):
        Tensor(np.zeros((2, 3))).softmax_cross_entropy(np.array([0, label]))


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.uint8, np.uint16, np.uint32, np.uint64])
def test_labels_of_every_integer_dtype(dtype):
    z = t64(np.zeros((2, 3)))
    z.softmax_cross_entropy(np.array([0, 2], dtype=dtype)).backward()
    np.testing.assert_allclose(z.grad, (np.full((2, 3), 1 / 3) - np.eye(3)[[0, 2]]) / 2)
    if np.dtype(dtype).kind == "i":
        with pytest.raises(ValueError, match="label -1 is out of range"):
            z.softmax_cross_entropy(np.array([0, -1], dtype=dtype))


def test_zero_classes():
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: logits of shape \(2, 0\) have no classes \(K = 0\)"):
        Tensor(np.zeros((2, 0))).softmax_cross_entropy(np.array([0, 0]))
    with pytest.raises(ValueError, match=r"one_hot: label 0 is out of range for 0 classes"):
        nn.one_hot(np.array([0]), 0)


def test_one_hot_reports_the_labels_as_given():
    with pytest.raises(ValueError, match=r"one_hot: label 7 is out of range for 3 classes"):
        nn.one_hot(np.array([0, 7]), 3)
