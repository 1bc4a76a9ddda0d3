"""The convolution and pooling ops on their own: float64 gradcheck over a grid of geometries, the adjoint
identities, unfold-then-matmul, second derivatives, adversarial shapes and bad input (no PyTorch needed)."""

import numpy as np
import pytest

from tinygrad_sm import Tensor, gradcheck, gradgradcheck
from tinygrad_sm.autograd import (NotTwiceDifferentiable, adaptive_avg_pool2d, avg_pool2d, conv1d, conv2d,
                                  conv_transpose2d, fold, max_pool2d, unfold)


def tensor(*shape, seed=0, grad=True):
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=grad)


def distinct(*shape, seed=0):
    """Values with no ties (a random permutation of a grid), so max pooling is differentiable everywhere."""
    values = np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) * 0.1
    return Tensor(values.astype(np.float64), requires_grad=True)


# (input shape, weight shape, keyword arguments): strides 1-3, "same" with even kernels, dilation 1-2,
# groups 1 / 2 / depthwise, 1×1 kernels, batch 1, odd and non-square images and kernels
CONV_GRID = [
    ((1, 2, 5, 4), (3, 2, 2, 3), {}),
    ((2, 2, 5, 5), (3, 2, 3, 3), {"stride": 2, "padding": 1}),
    ((1, 3, 7, 6), (2, 3, 2, 2), {"stride": 3}),
    ((1, 2, 6, 5), (2, 2, 2, 3), {"stride": (1, 2), "padding": (0, 1)}),
    ((1, 2, 5, 4), (2, 2, 2, 4), {"padding": "same"}),
    ((1, 2, 6, 6), (2, 2, 2, 2), {"padding": "same", "dilation": 2}),
    ((1, 2, 5, 6), (2, 2, 3, 2), {"padding": "valid", "dilation": (2, 1)}),
    ((2, 4, 4, 3), (6, 2, 2, 2), {"groups": 2, "padding": 1}),
    ((1, 3, 4, 4), (3, 1, 3, 3), {"groups": 3, "padding": 1}),
    ((1, 3, 4, 5), (2, 3, 1, 1), {}),
    ((1, 2, 5, 5), (2, 2, 1, 1), {"stride": 2}),
]


@pytest.mark.parametrize("x_shape, w_shape, options", CONV_GRID, ids=lambda v: str(v))
def test_conv2d_gradcheck_over_the_grid(x_shape, w_shape, options):
    x, w, b = tensor(*x_shape, seed=1), tensor(*w_shape, seed=2), tensor(w_shape[0], seed=3)
    assert gradcheck(lambda x, w, b: conv2d(x, w, b, **options), x, w, b)


@pytest.mark.parametrize("options", [{}, {"stride": 2, "padding": 1}, {"padding": "same", "dilation": 2},
                                     {"groups": 2, "stride": 3}])
def test_conv1d_gradcheck(options):
    x, w = tensor(2, 4, 7, seed=1), tensor(2, 4 // options.get("groups", 1), 2, seed=2)
    assert gradcheck(lambda x, w, b: conv1d(x, w, b, **options), x, w, tensor(2, seed=3))


TRANSPOSE_GRID = [
    ((1, 2, 3, 4), (2, 3, 2, 3), {}),
    ((2, 2, 3, 3), (2, 2, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((1, 4, 2, 3), (4, 1, 2, 2), {"stride": (3, 2), "groups": 2, "dilation": 2}),
    ((1, 2, 3, 3), (2, 2, 1, 1), {"stride": 2}),
]


@pytest.mark.parametrize("x_shape, w_shape, options", TRANSPOSE_GRID, ids=lambda v: str(v))
def test_conv_transpose2d_gradcheck(x_shape, w_shape, options):
    out_channels = w_shape[1] * options.get("groups", 1)
    x, w, b = tensor(*x_shape, seed=1), tensor(*w_shape, seed=2), tensor(out_channels, seed=3)
    assert gradcheck(lambda x, w, b: conv_transpose2d(x, w, b, **options), x, w, b)


NUMERIC_PADDING = [case for case in CONV_GRID if not isinstance(case[2].get("padding"), str)]  # as PyTorch's


@pytest.mark.parametrize("x_shape, w_shape, options", NUMERIC_PADDING, ids=lambda v: str(v))
def test_conv_transpose2d_is_the_adjoint_of_conv2d(x_shape, w_shape, options):
    """⟨conv2d(x), y⟩ = ⟨x, conv_transpose2d(y)⟩ for every geometry (output_padding makes the sizes meet)."""
    x, w = tensor(*x_shape, seed=1, grad=False), tensor(*w_shape, seed=2, grad=False)
    y = tensor(*conv2d(x, w, **options).shape, seed=4, grad=False)
    stride = options.get("stride", 1)
    back = conv_transpose2d(y, w, **options)
    extra = tuple(n - m for n, m in zip(x_shape[2:], back.shape[2:]))
    back = conv_transpose2d(y, w, output_padding=extra, **options) if any(extra) else back
    assert back.shape == x.shape, (stride, back.shape)
    np.testing.assert_allclose((conv2d(x, w, **options).data * y.data).sum(), (x.data * back.data).sum(), rtol=1e-12)


def test_fold_is_the_adjoint_of_unfold():
    x = tensor(2, 3, 5, 6, seed=1, grad=False)
    cols = unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    y = tensor(*cols.shape, seed=2, grad=False)
    back = fold(y, (5, 6), (2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    np.testing.assert_allclose((cols.data * y.data).sum(), (x.data * back.data).sum(), rtol=1e-12)


def test_unfold_then_matmul_is_conv2d():
    """A convolution is one matmul over the im2col columns: W (O, C·kh·kw) times unfold(X) (N, C·kh·kw, L)."""
    x, w = tensor(2, 3, 6, 5, seed=1, grad=False), tensor(4, 3, 3, 2, seed=2, grad=False)
    columns = unfold(x, (3, 2), padding=1, stride=2)
    by_matmul = (w.reshape(4, -1) @ columns).reshape(2, 4, 3, 3)
    np.testing.assert_allclose(by_matmul.data, conv2d(x, w, padding=1, stride=2).data, rtol=1e-12, atol=1e-12)


def test_conv2d_of_a_delta_image_is_the_flipped_kernel():
    """The one-hot image at the centre, fully padded, gives back the kernel rotated by 180°."""
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 2] = 1.0
    w = np.arange(9.0).reshape(1, 1, 3, 3)
    out = conv2d(Tensor(x), Tensor(w), padding=1).data
    np.testing.assert_array_equal(out[0, 0, 1:4, 1:4], w[0, 0, ::-1, ::-1])


def test_conv2d_gradient_of_the_input_is_the_full_correlation_with_the_flipped_kernel():
    """dX = G ⋆ rot180(W), zero-padded by k - 1: a stride-1 conv checked against a direct double loop."""
    x, w = tensor(1, 1, 4, 5, seed=1), tensor(1, 1, 2, 3, seed=2)
    g = np.random.default_rng(3).standard_normal((1, 1, 3, 3))
    conv2d(x, w).backward(g)
    padded = np.pad(g[0, 0], ((1, 1), (2, 2)))
    flipped = w.data[0, 0, ::-1, ::-1]
    expected = np.array([[(padded[r:r + 2, c:c + 3] * flipped).sum() for c in range(5)] for r in range(4)])
    np.testing.assert_allclose(x.grad[0, 0], expected, rtol=1e-12)


POOL_GRID = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (2, 3), "stride": (1, 2)},
    {"kernel_size": 2, "stride": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 3, "padding": 1, "ceil_mode": True},
]


@pytest.mark.parametrize("options", POOL_GRID + [{"kernel_size": 2, "dilation": 2, "padding": 1}], ids=str)
def test_max_pool2d_gradcheck(options):
    assert gradcheck(lambda x: max_pool2d(x, **options), distinct(2, 2, 5, 7))


@pytest.mark.parametrize("options", POOL_GRID + [{"kernel_size": 3, "padding": 1, "count_include_pad": False},
                                                 {"kernel_size": 2, "divisor_override": 3}], ids=str)
def test_avg_pool2d_gradcheck(options):
    assert gradcheck(lambda x: avg_pool2d(x, **options), tensor(2, 2, 5, 7))


@pytest.mark.parametrize("size", [1, (1, 1), 2, (3, 4), (None, 2), (5, 7)], ids=str)
def test_adaptive_avg_pool2d_gradcheck(size):
    assert gradcheck(lambda x: adaptive_avg_pool2d(x, size), tensor(2, 2, 5, 7))


def test_unfold_and_fold_gradcheck():
    assert gradcheck(lambda x: unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=2), tensor(1, 2, 5, 6))
    assert gradcheck(lambda c: fold(c, (4, 5), 2, stride=(2, 1)), tensor(2, 8, 8))


def test_max_pool2d_routes_a_tie_to_the_first_max_in_row_major_order():
    x = Tensor(np.array([[[[1.0, 3.0], [3.0, 3.0]]]]), requires_grad=True)
    max_pool2d(x, 2).backward(np.array([[[[5.0]]]]))
    np.testing.assert_array_equal(x.grad, [[[[0.0, 5.0], [0.0, 0.0]]]])


def test_max_pool2d_adds_the_gradients_of_overlapping_windows_that_share_their_max():
    x = Tensor(np.array([[[[0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]]), requires_grad=True)
    out = max_pool2d(x, 2, stride=1)  # both windows hold the 9
    out.backward(np.array([[[[2.0, 3.0]]]]))
    np.testing.assert_array_equal(x.grad, [[[[0.0, 5.0, 0.0], [0.0, 0.0, 0.0]]]])


def test_max_pool2d_return_indices_are_flat_positions_in_the_unpadded_image():
    x = Tensor(np.array([[[[1.0, 5.0, 2.0], [7.0, 0.0, 3.0], [4.0, 8.0, 6.0]]]]))
    out, indices = max_pool2d(x, 2, stride=1, return_indices=True)
    np.testing.assert_array_equal(out.data, [[[[7.0, 5.0], [8.0, 8.0]]]])
    np.testing.assert_array_equal(indices.data, [[[[3, 1], [7, 7]]]])


def test_avg_pool2d_spreads_the_gradient_evenly():
    x = tensor(1, 1, 4, 4)
    avg_pool2d(x, 2).backward(np.full((1, 1, 2, 2), 8.0))
    np.testing.assert_array_equal(x.grad, np.full((1, 1, 4, 4), 2.0))


def test_global_average_pooling_is_the_mean_over_the_image():
    x = tensor(2, 3, 5, 4)
    np.testing.assert_allclose(adaptive_avg_pool2d(x, 1).data[..., 0, 0], x.data.mean(axis=(2, 3)), rtol=1e-12)


# ---------------------------------------------------------------- second derivatives

def test_conv2d_second_derivatives():
    x, w, b = tensor(1, 2, 4, 4, seed=1), tensor(2, 1, 2, 2, seed=2), tensor(2, seed=3)
    assert gradgradcheck(lambda x, w, b: conv2d(x, w, b, stride=2, padding=1, groups=2) ** 2, x, w, b)


def test_conv_transpose2d_and_conv1d_second_derivatives():
    x, w = tensor(1, 2, 3, 3, seed=1), tensor(2, 2, 2, 2, seed=2)
    assert gradgradcheck(lambda x, w: conv_transpose2d(x, w, stride=2) ** 2, x, w)
    assert gradgradcheck(lambda x, w: conv1d(x, w, padding="same") ** 2, tensor(1, 2, 5, seed=3),
                         tensor(3, 2, 2, seed=4))


@pytest.mark.parametrize("pool", [lambda x: max_pool2d(x, 2, 1) ** 2, lambda x: avg_pool2d(x, 3, 2, 1) ** 2,
                                  lambda x: adaptive_avg_pool2d(x, (2, 3)) ** 2, lambda x: unfold(x, 2) ** 2],
                         ids=["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "unfold"])
def test_pooling_second_derivatives(pool):
    assert gradgradcheck(pool, distinct(1, 2, 4, 5))


def test_third_derivative_of_a_conv_of_a_cube():
    """d³/dx³ of Σ conv(x³, w) = 6 Σ_o w: each op's rule, recorded, is differentiated again and again."""
    from tinygrad_sm.autograd import grad
    x, w = tensor(1, 1, 3, 3, seed=1), tensor(1, 1, 2, 2, seed=2, grad=False)
    first, = grad(conv2d(x ** 3, w, padding=1).sum(), [x], create_graph=True)
    second, = grad(first.sum(), [x], create_graph=True)
    third, = grad(second.sum(), [x])
    np.testing.assert_allclose(third.data, np.full((1, 1, 3, 3), 6 * w.data.sum()), rtol=1e-12)


def test_no_op_here_refuses_a_second_derivative():
    assert NotTwiceDifferentiable  # every conv op's rule runs on Tensors (docs/convolutions.md)
    x = tensor(1, 1, 4, 4)
    for out in (conv2d(x, tensor(1, 1, 2, 2)), max_pool2d(x, 2), avg_pool2d(x, 2), adaptive_avg_pool2d(x, 1)):
        out.sum().backward(create_graph=True)


# ---------------------------------------------------------------- adversarial shapes and values

def test_unbatched_images_give_unbatched_results():
    x, w = tensor(2, 5, 5), tensor(3, 2, 3, 3)
    assert conv2d(x, w, padding=1).shape == (3, 5, 5)
    assert conv1d(tensor(2, 7), tensor(3, 2, 3)).shape == (3, 5)
    assert max_pool2d(x, 2).shape == avg_pool2d(x, 2).shape == (2, 2, 2)
    assert adaptive_avg_pool2d(x, 1).shape == (2, 1, 1)
    assert unfold(x, 2).shape == (8, 16)
    np.testing.assert_allclose(conv2d(x, w, padding=1).data, conv2d(x.reshape(1, 2, 5, 5), w, padding=1).data[0])


def test_an_empty_batch_gives_an_empty_result_and_zero_gradients():
    x, w, b = tensor(0, 2, 4, 4), tensor(3, 2, 2, 2), tensor(3)
    out = conv2d(x, w, b)
    assert out.shape == (0, 3, 3, 3)
    out.sum().backward()
    assert x.grad.shape == (0, 2, 4, 4)
    np.testing.assert_array_equal(w.grad, 0.0)
    np.testing.assert_array_equal(b.grad, 0.0)
    assert max_pool2d(x, 2).shape == (0, 2, 2, 2)


def test_nan_and_inf_propagate():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 0], x[0, 0, 3, 3] = np.nan, np.inf
    w = Tensor(np.ones((1, 1, 2, 2)))
    out = conv2d(Tensor(x), w).data[0, 0]
    assert np.isnan(out[0, 0]) and np.isinf(out[2, 2]) and out[1, 1] == 0
    pooled = max_pool2d(Tensor(x), 2).data[0, 0]
    assert np.isnan(pooled[0, 0]) and pooled[1, 1] == np.inf and pooled[0, 1] == 0


def test_max_pool2d_of_minus_infinity_sends_the_gradient_into_the_image_not_the_padding():
    x = Tensor(np.full((1, 1, 3, 3), -np.inf), requires_grad=True)
    max_pool2d(x, 3, stride=1, padding=1).backward(np.ones((1, 1, 3, 3)))
    assert x.grad.sum() == 9.0  # each window's first in-image entry, as PyTorch


def test_float32_stays_float32():
    x = Tensor(np.ones((1, 1, 4, 4), dtype=np.float32), requires_grad=True)
    w = Tensor(np.ones((1, 1, 2, 2), dtype=np.float32), requires_grad=True)
    out = max_pool2d(conv2d(x, w), 2)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == w.grad.dtype == np.float32


# ---------------------------------------------------------------- bad input: a clear error, nothing changed

BAD_CONV = [
    ((1, 3, 5, 5), (2, 2, 3, 3), {}, ValueError, r"conv2d: input of shape \(1, 3, 5, 5\) has 3 channels, but weight "
                                                r"of shape \(2, 2, 3, 3\) with groups=1 expects 2"),
    ((1, 2, 2, 2), (2, 2, 3, 3), {}, ValueError, r"conv2d: the kernel \(3, dilation 1: reach 3\) is larger than the "
                                                r"padded input \(2 \+ padding 0 = 2\)"),
    ((1, 2, 3, 3), (2, 2, 2, 2), {"dilation": 3}, ValueError, r"conv2d: the kernel \(2, dilation 3: reach 4\)"),
    ((1, 4, 5, 5), (3, 2, 3, 3), {"groups": 2}, ValueError, r"conv2d: groups=2 does not divide out_channels=3"),
    ((1, 3, 5, 5), (4, 1, 3, 3), {"groups": 2}, ValueError, r"conv2d: input of shape \(1, 3, 5, 5\) has 3 channels"),
    ((1, 2, 5, 5), (2, 2, 3, 3), {"stride": 1.5}, TypeError, r"conv2d: stride must be an int >= 1, got 1.5"),
    ((1, 2, 5, 5), (2, 2, 3, 3), {"stride": 0}, ValueError, r"conv2d: stride must be an int >= 1, got 0"),
    ((1, 2, 5, 5), (2, 2, 3, 3), {"stride": (1, -2)}, ValueError, r"conv2d: stride must be an int >= 1, got -2"),
    ((1, 2, 5, 5), (2, 2, 3, 3), {"stride": (1, 2, 3)}, ValueError, r"conv2d: stride must be an int or 2 ints"),
    ((1, 2, 5, 5), (2, 2, 3, 3), {"padding": -1}, ValueError, r"conv2d: padding must be an int >= 0, got -1"),
    ((1, 2, 5, 5), (2, 2, 3, 3), {"padding": "full"}, ValueError, r"conv2d: padding must be an int, 2 ints, 'same'"),
    ((1, 2, 5, 5), (2, 2, 3, 3), {"padding": "same", "stride": 2}, ValueError,
     r"conv2d: padding='same' is not supported for strided convolutions"),
    ((1, 2, 5, 5), (2, 2, 3, 3), {"groups": 0}, ValueError, r"conv2d: groups must be an int >= 1, got 0"),
    ((5, 5), (2, 1, 3, 3), {}, ValueError, r"conv2d: expected a 3-D \(C, H, W\) \(unbatched\) or 4-D \(N, C, H, W\) "
                                          r"input, got shape \(5, 5\)"),
    ((1, 2, 5, 5), (2, 2, 3), {}, ValueError, r"conv2d: weight must be 4-D \(out, in / groups, kh, kw\), got shape "
                                             r"\(2, 2, 3\)"),
]


@pytest.mark.parametrize("x_shape, w_shape, options, error, message", BAD_CONV, ids=lambda v: str(v)[:40])
def test_conv2d_bad_input_is_a_clear_error(x_shape, w_shape, options, error, message):
    x, w = tensor(*x_shape), tensor(*w_shape)
    with pytest.raises(error, match=message):
        conv2d(x, w, **options)
    assert x.grad is None and w.grad is None and x._version == 0


def test_conv2d_bias_and_dtypes_are_checked():
    x, w = tensor(1, 2, 4, 4), tensor(3, 2, 2, 2)
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(3,\) \(one per output channel\), got \(2,\)"):
        conv2d(x, w, tensor(2))
    with pytest.raises(TypeError, match=r"conv2d: input, weight and bias must have the same dtype, got input float64, "
                                        r"weight float32"):
        conv2d(x, Tensor(w.data.astype(np.float32)))
    with pytest.raises(TypeError, match=r"conv2d: input must be a float tensor, got dtype int64"):
        conv2d(Tensor(np.ones((1, 2, 4, 4), dtype=np.int64)), w)


def test_conv1d_and_conv_transpose2d_bad_input():
    with pytest.raises(ValueError, match=r"conv1d: expected a 2-D \(C, L\) \(unbatched\) or 3-D \(N, C, L\) input"):
        conv1d(tensor(1, 2, 3, 4), tensor(2, 2, 2))
    with pytest.raises(ValueError, match=r"conv1d: weight must be 3-D \(out, in / groups, kw\)"):
        conv1d(tensor(1, 2, 5), tensor(2, 2, 2, 2))
    with pytest.raises(ValueError, match=r"conv_transpose2d: input of shape \(1, 3, 4, 4\) has 3 channels, but weight "
                                         r"of shape \(2, 2, 2, 2\)"):
        conv_transpose2d(tensor(1, 3, 4, 4), tensor(2, 2, 2, 2))
    with pytest.raises(ValueError, match=r"conv_transpose2d: output_padding \(2, 2\) must be smaller than either "
                                         r"stride \(2, 2\) or dilation \(1, 1\)"):
        conv_transpose2d(tensor(1, 2, 4, 4), tensor(2, 2, 2, 2), stride=2, output_padding=2)


def test_pooling_bad_input():
    x = tensor(1, 2, 4, 4)
    with pytest.raises(ValueError, match=r"max_pool2d: padding should be at most half of the effective kernel size"):
        max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"avg_pool2d: input of shape \(1, 2, 4, 4\) gives output size 0 < 1"):
        avg_pool2d(x, 5)
    with pytest.raises(ValueError, match=r"max_pool2d: kernel_size must be an int >= 1, got 0"):
        max_pool2d(x, 0)
    with pytest.raises(TypeError, match=r"max_pool2d: stride must be an int >= 1, got 1.0"):
        max_pool2d(x, 2, stride=1.0)
    with pytest.raises(ValueError, match=r"max_pool2d: expected a 3-D \(C, H, W\) \(unbatched\) or 4-D"):
        max_pool2d(tensor(4, 4), 2)
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: output_size must be an int or 2 ints"):
        adaptive_avg_pool2d(x, (1, 2, 3))
    with pytest.raises(TypeError, match=r"max_pool2d: ceil_mode must be a bool, got 'yes'"):
        max_pool2d(x, 2, ceil_mode="yes")


def test_fold_bad_input():
    with pytest.raises(ValueError, match=r"fold: the input's dimension 1 \(6, shape \(1, 6, 4\)\) must be divisible "
                                         r"by the product of kernel_size \(2, 2\) \(4\)"):
        fold(tensor(1, 6, 4), (3, 3), 2)
    with pytest.raises(ValueError, match=r"fold: the input has 5 blocks \(shape \(1, 8, 5\)\), but output_size "
                                         r"\(3, 3\) .* gives 2 × 2 = 4"):
        fold(tensor(1, 8, 5), (3, 3), 2)


def test_a_conv2d_step_peaks_below_twice_its_im2col_buffer():
    """Forward and backward of one conv2d allocate at most 2× the (N, C·kh·kw, L) columns, output included."""
    import tracemalloc
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((16, 8, 32, 32)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((16, 8, 3, 3)).astype(np.float32), requires_grad=True)
    g = np.ones((16, 16, 32, 32), dtype=np.float32)
    columns_bytes = 16 * 8 * 9 * 32 * 32 * 4
    tracemalloc.start()
    try:
        conv2d(x, w, padding=1).backward(g)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert columns_bytes < peak <= 2 * columns_bytes


@pytest.mark.parametrize("options", [{"padding": 1}, {"stride": 2, "groups": 2, "dilation": 2}])
def test_conv2d_in_batch_chunks_matches_one_chunk(monkeypatch, options):
    """A batch in chunks of 2 images, its columns kept or made again, gives the values and gradients of one chunk."""
    from tinygrad_sm.autograd import conv_ops
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s) for s in [(5, 4, 7, 6), (6, 2 if options.get("groups") else 4, 3, 3), (6,)])
    g = rng.standard_normal(conv2d(Tensor(x), Tensor(w), **options).shape)
    chunk_counts, batch_chunks = [], conv_ops.batch_chunks

    def counted_chunks(x, win):
        chunk_counts.append(len(batch_chunks(x, win)))
        return batch_chunks(x, win)
    monkeypatch.setattr(conv_ops, "batch_chunks", counted_chunks)
    two_images = 2 * 4 * 9 * g.shape[2] * g.shape[3] * 8  # the columns of 2 images, float64
    results = []
    for chunk_bytes, keep_bytes in [(10 ** 9, 10 ** 9), (two_images, 10 ** 9), (two_images, 0)]:
        monkeypatch.setattr(conv_ops, "CHUNK_BYTES", chunk_bytes)
        monkeypatch.setattr(conv_ops, "KEEP_BYTES", keep_bytes)  # 0: the backward makes the columns again
        tx, tw, tb = (Tensor(a, requires_grad=True) for a in (x, w, b))
        out = conv2d(tx, tw, tb, **options)
        out.backward(g)
        results.append((out.data, tx.grad, tw.grad, tb.grad))
    assert chunk_counts == [1, 1, 3, 3, 3, 3]  # forward and backward of each run
    for whole, *chunked in zip(*results):
        for values in chunked:
            np.testing.assert_allclose(values, whole, rtol=1e-12, atol=1e-12)
