"""nn.BatchNorm2d against PyTorch: values, gradients, running statistics over steps, eval mode, settings."""

import numpy as np
import pytest

from tinygrad_sm import Tensor, gradcheck, nn


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0)")


def images(seed, shape=(4, 3, 5, 6), scale=2.0, shift=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale + shift


SETTINGS = [dict(), dict(momentum=0.3, eps=1e-3), dict(momentum=None), dict(affine=False),
            dict(track_running_stats=False), dict(affine=False, track_running_stats=False)]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()) or "default")
def test_training_steps_then_eval_match_pytorch(settings):
    torch = torch_or_skip()
    ours = nn.BatchNorm2d(3, dtype=np.float64, **settings)
    theirs = torch.nn.BatchNorm2d(3, dtype=torch.float64, **settings)
    if ours.affine:  # weights away from (1, 0) so that their gradients carry through
        for mine, ref, values in ((ours.weight, theirs.weight, [0.5, -1.5, 2.0]), (ours.bias, theirs.bias, [1, 0, -2])):
            mine.data[:] = values
            ref.data[:] = torch.tensor(values, dtype=torch.float64)
    seed = images(99, scale=1.0, shift=0.0)
    for step in range(3):
        batch = images(step)
        x, tx = Tensor(batch, requires_grad=True), torch.tensor(batch, requires_grad=True)
        out, tout = ours(x), theirs(tx)
        np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
        out.backward(seed)
        tout.backward(torch.tensor(seed))
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    if ours.affine:
        np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-9)
        np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-9)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), rtol=1e-12, err_msg=name)
    ours.eval()
    theirs.eval()
    test = images(7, shape=(2, 3, 4, 4))
    np.testing.assert_allclose(ours(Tensor(test)).data, theirs(torch.tensor(test)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


def test_each_channel_is_normalised_over_batch_and_space():
    x = images(1, shape=(5, 2, 3, 4)) * np.array([1.0, 10.0])[None, :, None, None]
    out = nn.BatchNorm2d(2, eps=0, dtype=np.float64)(Tensor(x)).data
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), [0, 0], atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), [1, 1], rtol=1e-12)


def test_running_statistics_follow_the_momentum_rule():
    bn = nn.BatchNorm2d(2, momentum=0.25, dtype=np.float64)
    x = images(2, shape=(3, 2, 2, 2))
    bn(Tensor(x))
    count = 3 * 2 * 2
    np.testing.assert_allclose(bn.running_mean.data, 0.25 * x.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, 0.75 + 0.25 * x.var(axis=(0, 2, 3)) * count / (count - 1),
                               rtol=1e-12)
    assert bn.num_batches_tracked.item() == 1 and bn.num_batches_tracked.data.dtype == np.int64


def test_eval_mode_uses_the_running_statistics_and_changes_nothing():
    bn = nn.BatchNorm2d(2, dtype=np.float64)
    bn.running_mean.data[:] = [1.0, -2.0]
    bn.running_var.data[:] = [4.0, 0.25]
    bn.eval()
    x = images(3, shape=(2, 2, 3, 3))
    per_channel = (slice(None), None, None)
    expected = (x - np.array([1.0, -2.0])[per_channel]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5)[per_channel]
    np.testing.assert_allclose(bn(Tensor(x)).data, expected, rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean.data, [1.0, -2.0])
    assert bn.num_batches_tracked.item() == 0


def test_gradcheck_in_training_and_eval():
    bn = nn.BatchNorm2d(2, dtype=np.float64)
    bn.weight.data[:] = [0.7, -1.3]
    x = Tensor(images(4, shape=(2, 2, 3, 2)), requires_grad=True)
    assert gradcheck(lambda t: bn(t), x)
    bn.eval()
    assert gradcheck(lambda t: bn(t), x)


def test_buffers_are_in_the_state_dict_with_pytorchs_keys():
    model = nn.Sequential(nn.BatchNorm2d(3), nn.ReLU())
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert [name for name, _ in model.named_buffers()] == ["0.running_mean", "0.running_var", "0.num_batches_tracked"]
    model(Tensor(images(5).astype(np.float32)))
    fresh = nn.Sequential(nn.BatchNorm2d(3), nn.ReLU())
    fresh.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(fresh[0].running_var.data, model[0].running_var.data)
    assert fresh[0].num_batches_tracked.item() == 1
    assert nn.BatchNorm2d(3, affine=False, track_running_stats=False).state_dict() == {}


def test_bad_input_and_settings_raise_before_anything_changes():
    bn = nn.BatchNorm2d(3, dtype=np.float64)
    for shape in [(4, 3, 5), (4, 2, 5, 5), (3,), (2, 3, 4, 4, 1)]:
        with pytest.raises(ValueError, match=r"BatchNorm2d: expected input \(N, 3, H, W\), got shape"):
            bn(Tensor(np.zeros(shape)))
    with pytest.raises(ValueError, match=r"BatchNorm2d: training needs more than one value per channel, got shape "
                                         r"\(1, 3, 1, 1\)"):
        bn(Tensor(np.zeros((1, 3, 1, 1))))
    np.testing.assert_array_equal(bn.running_mean.data, np.zeros(3))
    assert bn.num_batches_tracked.item() == 0
    bn.eval()
    assert bn(Tensor(np.ones((1, 3, 1, 1)))).shape == (1, 3, 1, 1)  # one value per channel is fine in eval
    for kwargs, message in [(dict(num_features=0), "num_features must be a positive int"),
                            (dict(num_features=2, momentum=1.5), r"momentum must be in \[0, 1\] or None"),
                            (dict(num_features=2, eps=-1.0), "eps must be a finite number >= 0")]:
        with pytest.raises(ValueError, match="BatchNorm2d: " + message):
            nn.BatchNorm2d(**kwargs)


def test_nan_and_empty_batches_propagate_as_in_pytorch():
    torch = torch_or_skip()
    x = images(6, shape=(2, 2, 2, 2))
    x[0, 1, 0, 0] = np.nan
    ours, theirs = nn.BatchNorm2d(2, dtype=np.float64), torch.nn.BatchNorm2d(2, dtype=torch.float64)
    np.testing.assert_array_equal(np.isnan(ours(Tensor(x)).data), np.isnan(theirs(torch.tensor(x)).detach().numpy()))
    np.testing.assert_array_equal(np.isnan(ours.running_mean.data), np.isnan(theirs.running_mean.numpy()))


def test_an_empty_batch_goes_through_counted_as_in_pytorch():
    torch = torch_or_skip()
    ours, theirs = nn.BatchNorm2d(3, dtype=np.float64), torch.nn.BatchNorm2d(3, dtype=torch.float64)
    batch = images(8)
    ours(Tensor(batch))
    theirs(torch.tensor(batch))
    x = Tensor(np.zeros((0, 3, 4, 4)), requires_grad=True)
    out = ours(x)
    theirs(torch.zeros(0, 3, 4, 4, dtype=torch.float64))
    out.sum().backward()
    assert out.shape == (0, 3, 4, 4) and x.grad.shape == (0, 3, 4, 4)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), rtol=1e-12, err_msg=name)


# ---------------------------------------------------------------- Unflatten (flat rows to images, for ConvNets)

def test_unflatten_is_the_inverse_of_flatten_and_matches_pytorch():
    torch = torch_or_skip()
    x = np.arange(2 * 12.0).reshape(2, 12)
    for dim, size in [(1, (3, 4)), (1, (1, 3, -1)), (-1, (2, 6)), (0, (1, 2))]:
        ours = nn.Unflatten(dim, size)(Tensor(x)).data
        np.testing.assert_array_equal(ours, torch.nn.Unflatten(dim, size)(torch.tensor(x)).numpy())
    images = nn.Unflatten(1, (1, 3, 4))(Tensor(x))
    np.testing.assert_array_equal(nn.Flatten()(images).data, x)


def test_unflatten_names_a_size_that_does_not_fit():
    with pytest.raises(ValueError, match=r"Unflatten: axis 1 of shape \(2, 12\) \(size 12\) cannot become \(1, 8, 8\)"):
        nn.Unflatten(1, (1, 8, 8))(Tensor(np.zeros((2, 12))))
    with pytest.raises(ValueError, match=r"Unflatten: dim 2 is out of range for an input of shape \(2, 12\)"):
        nn.Unflatten(2, (3, 4))(Tensor(np.zeros((2, 12))))
    for size in [(0, 4), (-1, -1), (), (2.5, 2)]:
        with pytest.raises(ValueError, match="Unflatten: unflattened_size must be ints >= 1"):
            nn.Unflatten(1, size)
