"""to_torch / from_torch and ONNX export of the image layers of issue 18 (BatchNorm2d, the conv and pooling
layers, Flatten after them): outputs and gradients equal PyTorch's, weights and buffers cross both ways, and
ONNX Runtime serves the exported file like the engine at two batch sizes."""

import numpy as np
import pytest

from tinygrad_sm import Tensor, nn

torch = pytest.importorskip("torch", reason="torch is not installed (pip install tinygrad_sm[torch])")
from tinygrad_sm.torch_bridge import from_torch, to_torch  # noqa: E402

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


def run_both(ours, twin, x, training):
    """Outputs, input gradients and parameter gradients of the loss Σ out ⊙ w on both sides."""
    ours.train(training).zero_grad()
    twin.train(training)
    xt = Tensor(x.copy(), requires_grad=True)
    out = ours(xt)
    weights = np.random.default_rng(1).standard_normal(out.shape).astype(x.dtype)
    (out * Tensor(weights)).sum().backward()
    xs = torch.from_numpy(x.copy()).requires_grad_(True)
    out_t = twin(xs)
    (out_t * torch.from_numpy(weights)).sum().backward()
    ours_grads = {name: p.grad for name, p in ours.named_parameters()}
    theirs_grads = {name: p.grad.numpy() for name, p in twin.named_parameters()}
    return (out.data, xt.grad, ours_grads), (out_t.detach().numpy(), xs.grad.numpy(), theirs_grads)


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
