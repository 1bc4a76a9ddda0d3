"""to_torch / from_torch and ONNX export of the image layers of issue 18 (BatchNorm2d, the conv and pooling
layers, Flatten after them): outputs and gradients equal PyTorch's, weights and buffers cross both ways, and
ONNX Runtime serves the exported file like the engine at two batch sizes."""

import numpy as np
import pytest

from tinygrad_sm import Tensor, nn

torch = pytest.importorskip("torch", reason="torch is not installed (pip install tinygrad_sm[torch])")
from tinygrad_sm.torch_bridge import from_torch, to_torch  # noqa: E402
from test_torch_bridge import outputs_and_grads as run_both  # noqa: E402  (the same loss Σ out ⊙ w on both sides)

TOL = {np.float64: dict(rtol=1e-11, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-5)}


def images(n, c=3, h=8, w=7, seed=0, dtype=np.float64):
    return (np.random.default_rng(seed).standard_normal((n, c, h, w)) * 1.5 + 0.5).astype(dtype)


def batch_norms(dtype):
    return {
        "BatchNorm2d": nn.BatchNorm2d(3, momentum=0.3, dtype=dtype),
        "BatchNorm2d(momentum=None)": nn.BatchNorm2d(3, momentum=None, dtype=dtype),
        "BatchNorm2d(affine=False)": nn.BatchNorm2d(3, affine=False, dtype=dtype),
        "BatchNorm2d(no running stats)": nn.BatchNorm2d(3, track_running_stats=False, dtype=dtype),
    }


def check_twin(module, x, training):
    """to_torch gives the same outputs, gradients and buffer updates; from_torch brings every array back."""
    tol = TOL[x.dtype.type]
    twin = to_torch(module)
    (out, dx, grads), (out_t, dx_t, grads_t) = run_both(module, twin, x, training)
    np.testing.assert_allclose(out, out_t, **tol)
    np.testing.assert_allclose(dx, dx_t, **tol)
    assert sorted(grads) == sorted(grads_t)
    for name in grads:
        np.testing.assert_allclose(grads[name], grads_t[name], **tol, err_msg=name)
    assert set(module.state_dict()) <= set(twin.state_dict())
    for name, value in module.state_dict().items():
        np.testing.assert_allclose(value, twin.state_dict()[name].numpy(), **tol, err_msg=name)
    back = from_torch(twin)
    assert type(back) is type(module) and back.training == module.training
    assert [type(m) for m in back.modules()] == [type(m) for m in module.modules()]
    for name, value in back.state_dict().items():
        np.testing.assert_array_equal(value, twin.state_dict()[name].numpy())
        assert value.dtype == twin.state_dict()[name].numpy().dtype, name
    return twin


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("name", list(batch_norms(np.float64)))
def test_batch_norm_2d_matches_its_twin(name, training, dtype):
    check_twin(batch_norms(dtype)[name], images(4, dtype=dtype), training)


def image_layers(dtype):
    """One instance of each conv and pooling layer in several settings; each takes (4, 3, 8, 7) images."""
    return {
        "Conv2d": nn.Conv2d(3, 4, 3, rng=0, dtype=dtype),
        "Conv2d(stride, padding, dilation, no bias)": nn.Conv2d(3, 2, (3, 2), stride=(2, 1), padding=(1, 2),
                                                                dilation=(1, 2), bias=False, rng=1, dtype=dtype),
        "Conv2d(groups=3, same)": nn.Conv2d(3, 6, 4, padding="same", groups=3, rng=2, dtype=dtype),
        "ConvTranspose2d": nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1, rng=3, dtype=dtype),
        "ConvTranspose2d(groups, dilation)": nn.ConvTranspose2d(3, 6, 2, groups=3, dilation=2, rng=4, dtype=dtype),
        "MaxPool2d": nn.MaxPool2d(2),
        "MaxPool2d(3, stride 2, padding 1, ceil_mode)": nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
        "AvgPool2d": nn.AvgPool2d(2),
        "AvgPool2d(3, 2, 1, ceil, not counting pad)": nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True,
                                                                   count_include_pad=False),
        "AvgPool2d(divisor_override)": nn.AvgPool2d(2, divisor_override=3),
        "AdaptiveAvgPool2d(1)": nn.AdaptiveAvgPool2d(1),
        "AdaptiveAvgPool2d((3, 2))": nn.AdaptiveAvgPool2d((3, 2)),
    }


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # PyTorch's note on its own speed
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(image_layers(np.float64)))
def test_every_image_layer_matches_its_twin(name, dtype):
    twin = check_twin(image_layers(dtype)[name], images(4, dtype=dtype), training=True)
    assert type(twin).__name__ == type(image_layers(dtype)[name]).__name__


def test_conv1d_matches_its_twin():
    layer = nn.Conv1d(3, 4, 3, stride=2, padding=1, dilation=2, rng=0, dtype=np.float64)
    check_twin(layer, images(4)[:, :, 0], training=True)


def lenet(dtype=np.float64, batch_norm=True):
    """LeNet-5 (on 12 × 12 images, to stay small) with BatchNorm2d after the first conv."""
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2, rng=0, dtype=dtype),
                         nn.BatchNorm2d(6, dtype=dtype) if batch_norm else nn.Identity(), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(6, 16, 3, rng=1, dtype=dtype), nn.ReLU(), nn.AvgPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 2 * 2, 10, rng=2, dtype=dtype), nn.LogSoftmax(-1))


@pytest.mark.parametrize("training", [True, False])
def test_a_lenet_with_batch_norm_matches_its_twin(training):
    check_twin(lenet(), images(5, c=1, h=12, w=12), training)


def test_a_pytorch_convnet_comes_over_with_its_weights():
    torch.manual_seed(0)
    twin = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                               torch.nn.MaxPool2d(2), torch.nn.ConvTranspose2d(8, 4, 2, stride=2),
                               torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()).double()
    twin(torch.randn(6, 3, 8, 8, dtype=torch.float64))  # move the running statistics off their start
    ours = from_torch(twin.eval())
    assert ours[1].num_batches_tracked.item() == 1
    x = images(3, h=8, w=8)
    np.testing.assert_allclose(ours(Tensor(x)).data, twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("layer, match", [
    (lambda: torch.nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"), "padding_mode='reflect'"),
    (lambda: torch.nn.AdaptiveAvgPool2d((None, 2)), "output_size of None")])
def test_pytorch_image_settings_we_do_not_have_are_named(layer, match):
    with pytest.raises(ValueError, match=r"from_torch: .* has no tinygrad_sm counterpart \(.*" + match):
        from_torch(layer())


def test_a_fitted_conv_net_classifier_goes_to_pytorch():
    from sklearn.datasets import load_digits

    from tinygrad_sm.models import ConvNetClassifier
    X, y = load_digits(return_X_y=True)
    model = ConvNetClassifier(channels=(4, 8), hidden=(16,), epochs=2, random_state=0).fit(X[:300], y[:300])
    scores = to_torch(model)(torch.from_numpy(X[300:400].astype(np.float32))).detach().numpy()
    np.testing.assert_array_equal(model.classes_[scores.argmax(axis=1)], model.predict(X[300:400]))
    np.testing.assert_allclose(scores, model.decision_function(X[300:400]), rtol=1e-5, atol=1e-5)


def test_batch_norm_2d_keeps_its_step_counter_both_ways():
    ours = nn.BatchNorm2d(3, momentum=None, dtype=np.float64)
    for seed in range(3):
        ours(Tensor(images(4, seed=seed)))
    twin = to_torch(ours)
    assert int(twin.num_batches_tracked) == 3 and twin.momentum is None
    twin(torch.from_numpy(images(4, seed=9)))
    back = from_torch(twin)
    assert back.num_batches_tracked.item() == 4 and back.momentum is None
    np.testing.assert_allclose(back.running_mean.data, twin.running_mean.numpy(), rtol=1e-12)


# ---------------------------------------------------------------- ONNX

def onnx_or_skip():
    pytest.importorskip("onnx", reason="onnx is not installed (pip install tinygrad_sm[onnx])")
    return pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install tinygrad_sm[onnx])")


def assert_served_like_the_engine(model, path, shape, batches=(2, 5), rtol=1e-5, atol=1e-5):
    ort = onnx_or_skip()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    model.eval()
    for seed, n in enumerate(batches):
        x = images(n, *shape, seed=seed + 1, dtype=np.float32)
        got = session.run(None, {session.get_inputs()[0].name: x})[0]
        np.testing.assert_allclose(got, model(Tensor(x)).data, rtol=rtol, atol=atol)


def trained_batch_norm():
    """A BatchNorm2d whose running statistics and affine weights are far from their start."""
    bn = nn.BatchNorm2d(3)
    for seed in range(4):
        bn(Tensor(images(4, seed=seed, dtype=np.float32) * (seed + 1)))
    bn.weight.data[:] = [0.5, -2.0, 1.5]
    bn.bias.data[:] = [1.0, 0.0, -1.0]
    return bn


def test_batch_norm_2d_exports_with_its_running_statistics(tmp_path):
    onnx_or_skip()
    from tinygrad_sm.onnx import export
    model = nn.Sequential(trained_batch_norm(), nn.ReLU(), nn.Flatten())
    path = export(model, images(3, dtype=np.float32), tmp_path / "bn.onnx")
    assert model.training  # put back in its mode after the export
    assert_served_like_the_engine(model, path, (3, 8, 7))


@pytest.mark.parametrize("training", [True, False])
def test_rows_to_images_and_back_match_their_twin(training):
    model = nn.Sequential(nn.Unflatten(1, (3, 8, 7)), nn.BatchNorm2d(3, dtype=np.float64), nn.Flatten(),
                          nn.Linear(3 * 8 * 7, 2, rng=0, dtype=np.float64))
    check_twin(model, images(4).reshape(4, -1), training)
    assert to_torch(model)[0].unflattened_size == (3, 8, 7)


ONNX_LAYERS = {name: layer for name, layer in image_layers(np.float32).items()}


@pytest.mark.parametrize("name", list(ONNX_LAYERS))
def test_every_image_layer_exports_and_serves_like_the_engine(tmp_path, name):
    onnx_or_skip()
    from tinygrad_sm.onnx import export
    model = nn.Sequential(ONNX_LAYERS[name], nn.Flatten())
    path = export(model, images(3, dtype=np.float32), tmp_path / "layer.onnx")
    assert_served_like_the_engine(model, path, (3, 8, 7))


def test_conv1d_exports(tmp_path):
    ort = onnx_or_skip()
    from tinygrad_sm.onnx import export
    model = nn.Conv1d(3, 4, 3, stride=2, padding=1, rng=0)
    path = export(model, images(2, dtype=np.float32)[:, :, 0], tmp_path / "conv1d.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for n in (1, 5):
        x = images(n, seed=n, dtype=np.float32)[:, :, 0]
        np.testing.assert_allclose(session.run(None, {"input": x})[0], model(Tensor(x)).data, rtol=1e-5, atol=1e-5)


def test_lenet_with_batch_norm_and_a_fitted_classifier_export(tmp_path):
    onnx_or_skip()
    from sklearn.datasets import load_digits

    from tinygrad_sm.models import ConvNetClassifier
    from tinygrad_sm.onnx import export
    model = lenet(np.float32)
    model[1].load_state_dict(trained_batch_norm_of(6).state_dict())
    path = export(model, images(2, c=1, h=12, w=12, dtype=np.float32), tmp_path / "lenet.onnx")
    assert_served_like_the_engine(model, path, (1, 12, 12))
    X, y = load_digits(return_X_y=True)
    fitted = ConvNetClassifier(channels=(4, 8), hidden=(16,), epochs=2, random_state=0).fit(X[:300], y[:300])
    path = export(fitted, X[:2].astype(np.float32), tmp_path / "convnet.onnx")
    ort = onnx_or_skip()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    served = session.run(None, {"input": X[300:340].astype(np.float32)})[0]
    np.testing.assert_allclose(served, fitted.decision_function(X[300:340]), rtol=1e-4, atol=1e-4)


def trained_batch_norm_of(channels):
    bn = nn.BatchNorm2d(channels)
    for seed in range(3):
        bn(Tensor(images(4, c=channels, seed=seed, dtype=np.float32) * (seed + 1)))
    return bn
