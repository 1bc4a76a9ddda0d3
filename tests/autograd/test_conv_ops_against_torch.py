"""The convolution and pooling ops against PyTorch: same float64 inputs, same values and gradients, over the
same grid as the gradchecks; ties and NaN in max pooling; second derivatives; an empty batch."""

import numpy as np
import pytest

from tinygrad_sm import Tensor
from tinygrad_sm import autograd as ag

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0)")
F = torch.nn.functional

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's note on even kernels


def arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


def compare(ours, theirs, inputs, seed=9):
    """Values, then the gradients of Σ out ⊙ G for a random G, of ours and PyTorch's on the same inputs."""
    mine = [Tensor(a, requires_grad=True) for a in inputs]
    torch_inputs = [torch.tensor(a, requires_grad=True) for a in inputs]
    out, torch_out = ours(*mine), theirs(*torch_inputs)
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(g)
    torch_out.backward(torch.tensor(g))
    for i, (t, tt) in enumerate(zip(mine, torch_inputs)):
        np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"input {i}")


CONV_GRID = [
    ((1, 2, 5, 4), (3, 2, 2, 3), {}),
    ((2, 2, 7, 7), (3, 2, 3, 3), {"stride": 2, "padding": 1}),
    ((1, 3, 7, 6), (2, 3, 2, 2), {"stride": 3}),
    ((2, 2, 6, 5), (2, 2, 2, 3), {"stride": (1, 2), "padding": (0, 1)}),
    ((2, 2, 5, 4), (2, 2, 2, 4), {"padding": "same"}),
    ((1, 2, 6, 6), (2, 2, 2, 2), {"padding": "same", "dilation": 2}),
    ((1, 2, 6, 7), (2, 2, 3, 3), {"padding": "same", "dilation": (1, 2)}),
    ((1, 2, 5, 6), (2, 2, 3, 2), {"padding": "valid", "dilation": (2, 1)}),
    ((2, 4, 4, 3), (6, 2, 2, 2), {"groups": 2, "padding": 1}),
    ((2, 3, 5, 5), (6, 1, 3, 3), {"groups": 3, "padding": 1, "stride": 2}),
    ((1, 3, 4, 5), (2, 3, 1, 1), {}),
    ((3, 2, 5, 5), (2, 2, 1, 1), {"stride": 2}),
    ((1, 1, 1, 1), (1, 1, 1, 1), {}),
]


@pytest.mark.parametrize("x_shape, w_shape, options", CONV_GRID, ids=lambda v: str(v))
def test_conv2d_matches_pytorch(x_shape, w_shape, options):
    compare(lambda x, w, b: ag.conv2d(x, w, b, **options), lambda x, w, b: F.conv2d(x, w, b, **options),
            arrays(x_shape, w_shape, w_shape[:1]))


@pytest.mark.parametrize("x_shape, w_shape, options", CONV_GRID[:4], ids=lambda v: str(v))
def test_conv2d_of_one_unbatched_image_matches_pytorch(x_shape, w_shape, options):
    compare(lambda x, w: ag.conv2d(x, w, **options), lambda x, w: F.conv2d(x, w, **options),
            arrays(x_shape[1:], w_shape))


@pytest.mark.parametrize("options", [{}, {"stride": 2, "padding": 1}, {"padding": "same"},
                                     {"padding": "same", "dilation": 2}, {"groups": 2, "stride": 3}], ids=str)
def test_conv1d_matches_pytorch(options):
    weight = (4, 4 // options.get("groups", 1), 2)
    compare(lambda x, w, b: ag.conv1d(x, w, b, **options), lambda x, w, b: F.conv1d(x, w, b, **options),
            arrays((2, 4, 9), weight, (4,)))


TRANSPOSE_GRID = [
    ((1, 2, 3, 4), (2, 3, 2, 3), {}),
    ((2, 2, 3, 3), (2, 2, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((1, 4, 2, 3), (4, 1, 2, 2), {"stride": (3, 2), "groups": 2, "dilation": 2}),
    ((1, 2, 3, 3), (2, 2, 3, 3), {"dilation": 2, "output_padding": 1}),
    ((2, 3, 3, 3), (3, 1, 3, 3), {"groups": 3, "padding": 1}),
    ((1, 2, 3, 3), (2, 2, 1, 1), {"stride": 2}),
]


@pytest.mark.parametrize("x_shape, w_shape, options", TRANSPOSE_GRID, ids=lambda v: str(v))
def test_conv_transpose2d_matches_pytorch(x_shape, w_shape, options):
    out_channels = w_shape[1] * options.get("groups", 1)
    compare(lambda x, w, b: ag.conv_transpose2d(x, w, b, **options),
            lambda x, w, b: F.conv_transpose2d(x, w, b, **options), arrays(x_shape, w_shape, (out_channels,)))


POOL_GRID = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (2, 3), "stride": (1, 2)},
    {"kernel_size": 2, "stride": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": 3, "stride": 3, "padding": 1, "ceil_mode": True},
]


@pytest.mark.parametrize("options", POOL_GRID + [{"kernel_size": 2, "dilation": 2, "padding": 1},
                                                 {"kernel_size": 3, "dilation": (1, 2), "ceil_mode": True}], ids=str)
def test_max_pool2d_matches_pytorch(options):
    compare(lambda x: ag.max_pool2d(x, **options), lambda x: F.max_pool2d(x, **options), arrays((2, 3, 7, 6)))


@pytest.mark.parametrize("options", POOL_GRID + [{"kernel_size": 3, "padding": 1, "count_include_pad": False},
                                                 {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                                                  "count_include_pad": False},
                                                 {"kernel_size": 2, "divisor_override": 3}], ids=str)
def test_avg_pool2d_matches_pytorch(options):
    compare(lambda x: ag.avg_pool2d(x, **options), lambda x: F.avg_pool2d(x, **options), arrays((2, 3, 7, 6)))


@pytest.mark.parametrize("size", [1, (1, 1), 2, (3, 4), (None, 2), (7, 6), (5, 4), (4, 5), (9, 8)], ids=str)
def test_adaptive_avg_pool2d_matches_pytorch_including_overlapping_windows(size):
    compare(lambda x: ag.adaptive_avg_pool2d(x, size), lambda x: F.adaptive_avg_pool2d(x, size), arrays((2, 3, 7, 6)))


def test_unfold_and_fold_match_pytorch():
    options = {"kernel_size": (2, 3), "dilation": (1, 2), "padding": 1, "stride": 2}
    compare(lambda x: ag.unfold(x, **options), lambda x: F.unfold(x, **options), arrays((2, 3, 6, 7)))
    compare(lambda c: ag.fold(c, (5, 6), **options), lambda c: F.fold(c, (5, 6), **options), arrays((2, 18, 6)))


TIES = {
    "all equal": np.zeros((1, 1, 4, 4)),
    "a repeated max": np.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, 3.0, 2.0, 3.0], [0.0, 1.0, 1.0, 0.0],
                                  [1.0, 0.0, 0.0, 1.0]]]]),
    "two NaN in a window": np.array([[[[0.0, np.nan, 1.0, 2.0], [np.nan, 5.0, 2.0, 2.0], [-np.inf, -np.inf, 1.0, 0.0],
                                       [-np.inf, -np.inf, 0.0, 1.0]]]]),
    "only -inf": np.full((1, 1, 4, 4), -np.inf),
}


@pytest.mark.parametrize("name", TIES)
@pytest.mark.parametrize("options", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 1, "padding": 1},
                                     {"kernel_size": 2, "stride": 1},
                                     {"kernel_size": 3, "stride": 2, "ceil_mode": True}], ids=str)
def test_max_pool2d_routes_ties_nan_and_minus_infinity_as_pytorch(name, options):
    x = TIES[name]
    ours, torch_x = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, indices = ag.max_pool2d(ours, return_indices=True, **options)
    torch_out, torch_indices = F.max_pool2d(torch_x, return_indices=True, **options)
    np.testing.assert_array_equal(out.data, torch_out.detach().numpy())
    np.testing.assert_array_equal(indices.data, torch_indices.numpy())
    g = np.arange(1.0, out.data.size + 1).reshape(out.shape)
    out.backward(g)
    torch_out.backward(torch.tensor(g))
    np.testing.assert_array_equal(ours.grad, torch_x.grad.numpy())


@pytest.mark.parametrize("make", [
    lambda conv, x, w: conv(x, w, stride=2, padding=1),
    lambda conv, x, w: conv(x, w, padding="same", dilation=2),
], ids=["strided", "same dilated"])
def test_conv2d_second_derivatives_match_pytorch(make):
    x, w = arrays((2, 2, 5, 5), (3, 2, 3, 3))
    ours = [Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)]
    theirs = [torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)]
    loss = (make(ag.conv2d, *ours) ** 2).sum()
    torch_loss = (make(F.conv2d, *theirs) ** 2).sum()
    grads = ag.grad(loss, ours, create_graph=True)
    torch_grads = torch.autograd.grad(torch_loss, theirs, create_graph=True)
    second = ag.grad(sum((g * g).sum() for g in grads), ours)
    torch_second = torch.autograd.grad(sum((g * g).sum() for g in torch_grads), theirs)
    for mine, expected in zip(second, torch_second):
        np.testing.assert_allclose(mine.data, expected.numpy(), rtol=1e-9)


@pytest.mark.parametrize("pool", [lambda f, x: f.max_pool2d(x, 3, 2, 1), lambda f, x: f.avg_pool2d(x, 3, 2, 1),
                                  lambda f, x: f.adaptive_avg_pool2d(x, (2, 3))], ids=["max", "avg", "adaptive"])
def test_pooling_second_derivatives_match_pytorch(pool):
    x, = arrays((1, 2, 5, 6))
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g, = ag.grad((pool(ag, ours) ** 3).sum(), [ours], create_graph=True)
    torch_g, = torch.autograd.grad((pool(F, theirs) ** 3).sum(), [theirs], create_graph=True)
    second, = ag.grad((g * g).sum(), [ours])
    torch_second, = torch.autograd.grad((torch_g * torch_g).sum(), [theirs])
    np.testing.assert_allclose(second.data, torch_second.numpy(), rtol=1e-9, atol=1e-12)


def test_unbatched_transposed_convolution_and_pooling_match_pytorch():
    compare(lambda x, w: ag.conv_transpose2d(x, w, stride=2), lambda x, w: F.conv_transpose2d(x, w, stride=2),
            arrays((2, 3, 3), (2, 3, 2, 2)))
    compare(lambda x: ag.max_pool2d(x, 2, 1), lambda x: F.max_pool2d(x, 2, 1), arrays((2, 3, 3)))
    compare(lambda x: ag.conv1d(x, Tensor(np.ones((1, 2, 2)))), lambda x: F.conv1d(x, torch.ones(1, 2, 2,
            dtype=torch.float64)), arrays((2, 5)))


def test_a_kernel_as_large_as_the_padded_image_matches_pytorch():
    compare(lambda x, w: ag.conv2d(x, w, padding=1), lambda x, w: F.conv2d(x, w, padding=1),
            arrays((1, 2, 3, 2), (3, 2, 5, 4)))


def test_an_empty_batch_matches_pytorch():
    compare(lambda x, w, b: ag.conv2d(x, w, b, padding=1), lambda x, w, b: F.conv2d(x, w, b, padding=1),
            arrays((0, 2, 4, 4), (3, 2, 3, 3), (3,)))
    compare(lambda x: ag.max_pool2d(x, 2), lambda x: F.max_pool2d(x, 2), arrays((0, 2, 4, 4)))
