"""The conv and pooling layers: PyTorch's constructor arguments, parameter names and shapes, initialisation,
repr, and (where PyTorch is installed) the same outputs and gradients with PyTorch's weights loaded."""

import math

import numpy as np
import pytest

import tinygrad_sm as tg
from tinygrad_sm import Tensor, nn


def image(*shape, seed=0, dtype=np.float32):
    return Tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype), requires_grad=True)


@pytest.mark.parametrize("layer, weight_shape, fan_in", [
    (lambda: nn.Conv2d(3, 8, (3, 5), rng=0), (8, 3, 3, 5), 45),
    (lambda: nn.Conv2d(4, 6, 3, groups=2, rng=0), (6, 2, 3, 3), 18),
    (lambda: nn.Conv1d(4, 6, 5, rng=0), (6, 4, 5), 20),
    (lambda: nn.ConvTranspose2d(4, 6, 3, groups=2, rng=0), (4, 3, 3, 3), 27),  # fan from weight.shape[1], as PyTorch
])
def test_weights_have_pytorchs_shape_and_bound_one_over_root_fan_in(layer, weight_shape, fan_in):
    module = layer()
    bound = 1 / math.sqrt(fan_in)
    assert module.weight.shape == weight_shape and module.weight.dtype == np.float32
    assert module.bias.shape == (module.out_channels,)
    for values in (module.weight.data, module.bias.data):
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.5 * bound
    assert abs(np.var(module.weight.data) - bound ** 2 / 3) < 0.35 * bound ** 2 / 3  # U(-a, a) has variance a²/3


def test_rng_and_manual_seed_make_the_weights_reproducible():
    np.testing.assert_array_equal(nn.Conv2d(2, 3, 3, rng=7).weight.data, nn.Conv2d(2, 3, 3, rng=7).weight.data)
    tg.manual_seed(5)
    first = nn.Conv2d(2, 3, 3).weight.data.copy()
    tg.manual_seed(5)
    np.testing.assert_array_equal(first, nn.Conv2d(2, 3, 3).weight.data)
    assert not np.array_equal(first, nn.Conv2d(2, 3, 3).weight.data)


def test_state_dict_keys_and_dtype():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, rng=0), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(2, 4, 3, bias=False, rng=0))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "3.weight"]
    assert nn.Conv2d(1, 2, 3, dtype=np.float64, rng=0).weight.dtype == np.float64


def test_a_lenet_like_stack_trains_one_step():
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2, rng=0), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(6, 16, 5, rng=1), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
                          nn.Linear(16 * 25, 10, rng=2))
    x, y = image(8, 1, 28, 28, seed=3), np.arange(8) % 10
    optimizer = tg.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(3):
        loss = nn.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[2] < losses[0]


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), r"Conv2d: in_channels \(3\) must be divisible by groups \(2\)"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), r"Conv2d: out_channels \(3\) must be divisible by groups \(2\)"),
    (lambda: nn.Conv2d(0, 3, 3), r"Conv2d: in_channels must be a positive int, got 0"),
    (lambda: nn.Conv2d(2, 3, 0), r"Conv2d: kernel_size must be an int >= 1, got 0"),
    (lambda: nn.Conv2d(2, 3, 3, stride=2, padding="same"), r"Conv2d: padding='same' is not supported for strided"),
    (lambda: nn.Conv2d(2, 3, 3, padding_mode="mirror"), r"Conv2d: padding_mode must be one of"),
    (lambda: nn.Conv1d(2, 3, (3, 3)), r"Conv1d: kernel_size must be an int or 1 ints"),
    (lambda: nn.ConvTranspose2d(2, 3, 3, padding="same"), r"ConvTranspose2d: padding must be an int or 2 ints"),
    (lambda: nn.MaxPool2d(0), r"MaxPool2d: kernel_size must be an int >= 1, got 0"),
    (lambda: nn.AvgPool2d(2, stride=0), r"AvgPool2d: stride must be an int >= 1, got 0"),
])
def test_bad_constructor_arguments_are_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_other_padding_modes_are_not_implemented():
    with pytest.raises(NotImplementedError, match=r"Conv2d: padding_mode='reflect' is not implemented; only 'zeros'"):
        nn.Conv2d(2, 3, 3, padding_mode="reflect")


def test_conv_transpose2d_output_size_picks_the_output_padding():
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, rng=0)
    x = image(1, 2, 4, 4)
    assert layer(x).shape == (1, 3, 7, 7)
    assert layer(x, output_size=(8, 8)).shape == (1, 3, 8, 8)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: requested output_size \(9, 9\) is not reachable"):
        layer(x, output_size=(9, 9))


def test_pooling_layers():
    x = image(2, 3, 6, 6)
    assert nn.MaxPool2d(2)(x).shape == nn.AvgPool2d(2)(x).shape == (2, 3, 3, 3)
    assert nn.AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
    out, indices = nn.MaxPool2d(3, stride=3, return_indices=True)(x)
    assert out.shape == indices.shape == (2, 3, 2, 2) and indices.dtype == np.int64


# ---------------------------------------------------------------- against PyTorch

try:
    import torch
except ImportError:  # the tests above still run
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (pip install torch==2.13.0)")


def torch_twin(ours, theirs):
    """PyTorch's layer with our parameters copied in, by state_dict key."""
    theirs.load_state_dict({key: torch.tensor(value) for key, value in ours.state_dict().items()})
    return theirs


@pytest.mark.parametrize("ours, theirs, shape", [
    (lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2), groups=2, rng=0),
     lambda: torch.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2), groups=2), (2, 4, 7, 6)),
    (lambda: nn.Conv2d(3, 5, 4, padding="same", bias=False, rng=0),
     lambda: torch.nn.Conv2d(3, 5, 4, padding="same", bias=False), (2, 3, 5, 6)),
    (lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1, rng=0), lambda: torch.nn.Conv1d(3, 4, 3, stride=2, padding=1),
     (2, 3, 9)),
    (lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, rng=0),
     lambda: torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2), (2, 4, 3, 4)),
    (lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
     lambda: torch.nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 7, 6)),
    (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
     lambda: torch.nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 7, 6)),
    (lambda: nn.AdaptiveAvgPool2d((2, 3)), lambda: torch.nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 7, 6)),
], ids=["Conv2d", "Conv2d same", "Conv1d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"])
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@needs_torch
def test_layers_match_pytorch_with_the_same_weights(ours, theirs, shape):
    ours = ours()
    theirs = torch_twin(ours, theirs())
    x = image(*shape, seed=1)
    tx = torch.tensor(x.data, requires_grad=True)
    out, tout = ours(x), theirs(tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(2).standard_normal(out.shape).astype(np.float32)
    out.backward(g)
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-5, atol=1e-5)
    for (name, param), tparam in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(param.grad, tparam.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
    assert repr(ours) == repr(theirs)


def test_a_conv_checkpoint_round_trips_and_pytorch_reads_it(tmp_path):
    path = tmp_path / "convnet.safetensors"
    model = nn.Sequential(nn.Conv2d(1, 2, 3, rng=0), nn.MaxPool2d(2), nn.ConvTranspose2d(2, 1, 2, rng=1))
    tg.save(path, model)
    again = nn.Sequential(nn.Conv2d(1, 2, 3, rng=5), nn.MaxPool2d(2), nn.ConvTranspose2d(2, 1, 2, rng=6))
    tg.load(path, again)
    for (name, mine), theirs in zip(model.named_parameters(), again.parameters()):
        np.testing.assert_array_equal(mine.data, theirs.data, err_msg=name)
    if torch is not None:
        twin = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.MaxPool2d(2), torch.nn.ConvTranspose2d(2, 1, 2))
        from safetensors.torch import load_file
        twin.load_state_dict(load_file(str(path)))
        np.testing.assert_array_equal(twin[2].weight.detach().numpy(), model[2].weight.data)
