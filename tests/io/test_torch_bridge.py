"""to_torch / from_torch (issue 20): every supported layer and mixes of them, in train and eval mode, give
PyTorch's outputs and input/parameter gradients (float64 to 1e-12, float32 to float tolerance), one optimizer step
lands on the same parameters on both sides, and a layer without a counterpart is named."""

import numpy as np
import pytest

import tinygrad_sm as tg
from tinygrad_sm import Tensor, nn, optim

torch = pytest.importorskip("torch", reason="torch is not installed (pip install tinygrad_sm[torch])")
from tinygrad_sm.torch_bridge import BRIDGES, from_torch, to_torch  # noqa: E402

TOL = {np.float64: dict(rtol=1e-12, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-6)}


def layers(dtype):
    """One instance of every supported layer, each with the input it takes (shape (6, 4) unless said)."""
    return {
        "Linear": nn.Linear(4, 3, rng=0, dtype=dtype),
        "Linear(bias=False)": nn.Linear(4, 3, bias=False, rng=1, dtype=dtype),
        "Identity": nn.Identity(), "Flatten": nn.Flatten(), "Dropout(0)": nn.Dropout(0.0),
        "LayerNorm": nn.LayerNorm(4, dtype=dtype), "LayerNorm(no affine)": nn.LayerNorm(4, elementwise_affine=False),
        "BatchNorm1d": nn.BatchNorm1d(4, momentum=0.3, dtype=dtype),
        "ReLU": nn.ReLU(), "Tanh": nn.Tanh(), "Sigmoid": nn.Sigmoid(), "LeakyReLU": nn.LeakyReLU(0.2),
        "ELU": nn.ELU(0.7), "GELU": nn.GELU(), "GELU(tanh)": nn.GELU(approximate="tanh"), "Softplus": nn.Softplus(), "Softmax": nn.Softmax(-1),
        "LogSoftmax": nn.LogSoftmax(1),
    }


def mixes(dtype):
    return {
        "mlp": nn.Sequential(nn.Linear(4, 8, rng=0, dtype=dtype), nn.ReLU(), nn.Linear(8, 3, rng=1, dtype=dtype)),
        "normed": nn.Sequential(nn.Linear(4, 6, rng=2, dtype=dtype), nn.GELU(), nn.BatchNorm1d(6, dtype=dtype),
                                nn.Dropout(0.0), nn.LayerNorm(6, dtype=dtype), nn.Linear(6, 3, rng=3, dtype=dtype),
                                nn.LogSoftmax(-1)),
        "nested": nn.Sequential(nn.Sequential(nn.Linear(4, 5, rng=4, dtype=dtype), nn.Tanh()), nn.Identity(),
                                nn.Sequential(nn.Linear(5, 2, rng=5, dtype=dtype), nn.ELU(), nn.Softmax(-1))),
    }


def outputs_and_grads(ours, twin, x, training):
    """Both sides' outputs, input gradients and parameter gradients for the loss Σ out ⊙ w."""
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


def assert_same(ours, theirs, dtype):
    (out, dx, grads), (out_t, dx_t, grads_t) = ours, theirs
    np.testing.assert_allclose(out, out_t, **TOL[dtype])
    np.testing.assert_allclose(dx, dx_t, **TOL[dtype])
    assert sorted(grads) == sorted(grads_t)
    for name in grads:
        np.testing.assert_allclose(grads[name], grads_t[name], **TOL[dtype], err_msg=name)


def check_twin(module, dtype, training, x=None):
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(dtype) if x is None else x
    twin = to_torch(module)
    assert_same(*outputs_and_grads(module, twin, x, training), dtype)
    for name, value in module.state_dict().items():  # running statistics moved the same way
        np.testing.assert_allclose(value, twin.state_dict()[name].numpy(), **TOL[dtype], err_msg=name)
    back = from_torch(twin)
    assert type(back) is type(module) and back.training == module.training
    assert [type(m) for m in back.modules()] == [type(m) for m in module.modules()]
    for name, value in back.state_dict().items():
        np.testing.assert_array_equal(value, twin.state_dict()[name].numpy())
    return twin


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("name", list(layers(np.float64)))
def test_every_supported_layer_matches_its_twin(name, training, dtype):
    check_twin(layers(dtype)[name], dtype, training)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("name", list(mixes(np.float64)))
def test_models_mixing_the_layers_match_their_twins(name, training, dtype):
    check_twin(mixes(dtype)[name], dtype, training)


def test_flatten_and_batchnorm_on_three_axes():
    model = nn.Sequential(nn.BatchNorm1d(3, dtype=np.float64), nn.Flatten(), nn.Linear(15, 2, rng=0, dtype=np.float64))
    x = np.random.default_rng(2).standard_normal((4, 3, 5))
    for training in (True, False):
        check_twin(model, np.float64, training, x)


@pytest.mark.parametrize("training", [True, False])
def test_embedding_matches_its_twin(training):
    ours = nn.Sequential(nn.Embedding(7, 3, rng=0, dtype=np.float64), nn.Flatten(), nn.Linear(6, 2, rng=1,
                                                                                                dtype=np.float64))
    twin = to_torch(ours.train(training))
    indices = np.array([[1, 6], [0, 0], [3, 2]])
    out = ours(Tensor(indices))
    out.sum().backward()
    out_t = twin(torch.from_numpy(indices))
    out_t.sum().backward()
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours[0].weight.grad, twin[0].weight.grad.numpy(), rtol=1e-12)
    assert from_torch(twin)[0].weight.shape == (7, 3)


def test_dropout_is_identity_in_eval_and_keeps_p():
    ours = nn.Dropout(0.4)
    twin = to_torch(ours.eval())
    assert twin.p == 0.4 and not twin.training
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(twin(torch.from_numpy(x)).numpy(), ours(Tensor(x)).data)
    assert from_torch(torch.nn.Dropout(0.25)).p == 0.25


@pytest.mark.parametrize("make_opt, make_torch_opt", [
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
    (lambda ps: optim.Adam(ps, lr=0.01), lambda ps: torch.optim.Adam(ps, lr=0.01))])
def test_one_optimizer_step_lands_on_the_same_parameters(make_opt, make_torch_opt):
    ours = mixes(np.float64)["normed"]
    twin = to_torch(ours)
    x = np.random.default_rng(3).standard_normal((8, 4))
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    opt, opt_t = make_opt(ours.parameters()), make_torch_opt(twin.parameters())
    for _ in range(2):
        opt.zero_grad()
        nn.cross_entropy(ours(Tensor(x)), labels).backward()
        opt.step()
        opt_t.zero_grad()
        torch.nn.functional.cross_entropy(twin(torch.from_numpy(x)), torch.from_numpy(labels)).backward()
        opt_t.step()
    for name, value in twin.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def test_a_pytorch_model_comes_over_with_its_weights_and_mode():
    torch.manual_seed(0)
    twin = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.BatchNorm1d(5), torch.nn.LeakyReLU(0.1),
                               torch.nn.Linear(5, 2)).double().eval()
    ours = from_torch(twin)
    assert not ours.training and ours[0].weight.dtype == np.float64
    x = np.random.default_rng(4).standard_normal((3, 4))
    np.testing.assert_allclose(ours(Tensor(x)).data, twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)


def test_a_fitted_estimator_exports_through_its_module():
    from sklearn.datasets import load_iris

    from tinygrad_sm.models import SoftmaxRegression, TwoLayerNet
    X, y = load_iris(return_X_y=True)
    for estimator in (SoftmaxRegression(epochs=2, random_state=0), TwoLayerNet(epochs=2, random_state=0)):
        with pytest.raises(ValueError, match=f"to_torch: this {type(estimator).__name__} is not fitted yet"):
            to_torch(estimator)
        estimator.fit(X, y)
        twin = to_torch(estimator)
        scores = twin(torch.from_numpy(X.astype(estimator.module_.parameters()[0].dtype))).detach().numpy()
        np.testing.assert_array_equal(estimator.classes_[scores.argmax(axis=1)], estimator.predict(X))


class Custom(nn.Module):
    def forward(self, x):
        return x


def test_a_module_without_a_counterpart_is_named():
    with pytest.raises(TypeError, match=r"to_torch: Custom \(at Sequential\[1\]\) has no PyTorch counterpart; "
                                        r"supported layers: .*Linear"):
        to_torch(nn.Sequential(nn.ReLU(), Custom()))
    with pytest.raises(TypeError, match=r"from_torch: Hardswish \(at Sequential\[0\]\) has no tinygrad_sm counterpart"):
        from_torch(torch.nn.Sequential(torch.nn.Hardswish()))
    with pytest.raises(TypeError, match="to_torch: expected a tinygrad_sm nn.Module or a fitted estimator, got dict"):
        to_torch({})
    with pytest.raises(TypeError, match="from_torch: expected a torch.nn.Module, got Linear"):
        from_torch(nn.Linear(2, 2))


@pytest.mark.parametrize("layer, match", [
    (lambda: torch.nn.Softplus(beta=2), "beta = 1"),
    (lambda: torch.nn.Softmax(), "dim=None"), (lambda: torch.nn.LayerNorm(3, bias=False), "bias=False"),
    (lambda: torch.nn.BatchNorm1d(3, affine=False), "affine"), (lambda: torch.nn.Embedding(3, 2, padding_idx=0),
                                                                 "padding_idx")])
def test_pytorch_settings_we_do_not_have_are_named(layer, match):
    with pytest.raises(ValueError, match=r"from_torch: .* has no tinygrad_sm counterpart \(.*" + match):
        from_torch(layer())


def test_the_table_has_one_entry_per_layer():
    assert len({b.ours for b in BRIDGES}) == len({b.theirs for b in BRIDGES}) == len(BRIDGES)
    activations = {"ReLU", "Tanh", "Sigmoid", "LeakyReLU", "ELU", "GELU", "Softplus", "Softmax", "LogSoftmax"}
    assert activations | {"Linear", "Sequential", "Dropout", "LayerNorm", "BatchNorm1d", "Embedding", "Flatten",
                          "Identity"} <= {b.ours.__name__ for b in BRIDGES}
    assert tg.to_torch is to_torch and tg.from_torch is from_torch


def test_module_list_and_module_dict_cross_both_ways_with_their_keys():
    ours = nn.ModuleList([nn.Linear(4, 3, rng=0, dtype=np.float64),
                          nn.ModuleDict({"act": nn.Tanh(), "head": nn.Linear(3, 2, rng=1, dtype=np.float64)})])
    twin = to_torch(ours)
    assert isinstance(twin, torch.nn.ModuleList) and isinstance(twin[1], torch.nn.ModuleDict)
    assert list(twin[1].keys()) == ["act", "head"] and sorted(twin.state_dict()) == sorted(ours.state_dict())
    x = np.random.default_rng(2).standard_normal((5, 4))
    out = ours[1]["head"](ours[1]["act"](ours[0](Tensor(x))))
    out_t = twin[1]["head"](twin[1]["act"](twin[0](torch.from_numpy(x))))
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), **TOL[np.float64])
    back = from_torch(twin)
    assert isinstance(back, nn.ModuleList) and isinstance(back[1], nn.ModuleDict) and list(back[1]) == ["act", "head"]
    for name, value in ours.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[name], value)
