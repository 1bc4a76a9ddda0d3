"""nn layers of issue 10 (nn/layers.py), Module buffers, nn.init, clip_grad_norm_ and the new losses."""

import numpy as np
import pytest

from tinygrad_sm import Tensor, gradcheck, nn

RNG = np.random.default_rng(0)


def t64(shape, seed=0, requires_grad=True):
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=requires_grad)


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0)")


# ---------------------------------------------------------------- Dropout

def test_dropout_scales_the_kept_values_while_training_and_is_the_identity_in_eval():
    layer = nn.Dropout(0.25, rng=0)
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    out = layer(x)
    kept = out.data != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(out.data[kept], 1 / 0.75)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.75)  # the same mask and scale in the backward
    layer.eval()
    assert layer(x) is x
    assert out.dtype == np.float64 and nn.Dropout(0.5)(Tensor(np.ones(3, np.float32))).dtype == np.float32


def test_dropout_masks_are_reproducible_from_the_seed():
    a, b = nn.Dropout(0.5, rng=3), nn.Dropout(0.5, rng=3)
    x = Tensor(np.ones((4, 4)))
    np.testing.assert_array_equal(a(x).data, b(x).data)
    with pytest.raises(ValueError, match=r"Dropout: p must be a number in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)


# ---------------------------------------------------------------- LayerNorm, BatchNorm1d

def test_layer_norm_normalises_the_last_axis_and_gradchecks():
    layer = nn.LayerNorm(4, dtype=np.float64)
    x = t64((3, 4))
    out = layer(x).data
    np.testing.assert_allclose(out.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=-1), 1 / (1 + 1e-5 / x.data.var(axis=-1)), rtol=1e-9)
    layer.weight.data[:] = [0.5, 1.0, 2.0, -1.0]
    assert gradcheck(lambda x, w, b: layer(x), x, layer.weight, layer.bias)
    with pytest.raises(ValueError, match=r"LayerNorm: input of shape \(3, 5\) does not end in \(4,\)"):
        layer(t64((3, 5)))


def test_layer_norm_and_batch_norm_match_pytorch():
    torch = torch_or_skip()
    x = np.random.default_rng(1).standard_normal((6, 5))
    ours, theirs = nn.LayerNorm(5, dtype=np.float64), torch.nn.LayerNorm(5, dtype=torch.float64)
    mine, ref = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    seed = np.random.default_rng(2).standard_normal((6, 5))
    ours(mine).backward(seed)
    out = theirs(ref)
    out.backward(torch.tensor(seed))
    np.testing.assert_allclose(ours(Tensor(x)).data, out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mine.grad, ref.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-9, atol=1e-12)

    bn, tbn = nn.BatchNorm1d(5, dtype=np.float64), torch.nn.BatchNorm1d(5, dtype=torch.float64)
    for step in range(3):
        batch = np.random.default_rng(10 + step).standard_normal((6, 5)) * 2 + 1
        mine, ref = Tensor(batch, requires_grad=True), torch.tensor(batch, requires_grad=True)
        out, tout = bn(mine), tbn(ref)
        np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
        out.backward(seed)
        tout.backward(torch.tensor(seed))
        np.testing.assert_allclose(mine.grad, ref.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean.data, tbn.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, tbn.running_var.numpy(), rtol=1e-12)
    bn.eval()
    tbn.eval()
    np.testing.assert_allclose(bn(Tensor(x)).data, tbn(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)
    x3 = np.random.default_rng(3).standard_normal((4, 5, 3))
    bn.train()
    tbn.train()
    np.testing.assert_allclose(bn(Tensor(x3)).data, tbn(torch.tensor(x3)).detach().numpy(), rtol=1e-10, atol=1e-12)


def test_batch_norm_gradchecks_and_refuses_bad_input():
    bn = nn.BatchNorm1d(3, dtype=np.float64)
    assert gradcheck(lambda x: bn(x), t64((5, 3)))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected input \(n, 3\) or \(n, 3, L\), got shape \(5, 4\)"):
        bn(t64((5, 4)))
    with pytest.raises(ValueError, match="training needs more than one value per feature"):
        bn(t64((1, 3)))


def test_buffers_are_state_but_not_parameters():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.ReLU())
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert [name for name, _ in model.named_buffers()] == ["1.running_mean", "1.running_var"]
    model(Tensor(np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)))
    state = model.state_dict()
    assert set(state) == {"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"}
    fresh = nn.Sequential(nn.Linear(3, 4, rng=5), nn.BatchNorm1d(4), nn.ReLU())
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh[1].running_mean.data, model[1].running_mean.data)
    np.testing.assert_array_equal(fresh[1].running_var.data, model[1].running_var.data)
    assert fresh[1].running_var._version == 1
    with pytest.raises(KeyError, match=r"missing keys \['1.running_var'\]"):
        fresh.load_state_dict({k: v for k, v in state.items() if k != "1.running_var"})


@pytest.mark.parametrize("state", [None, [np.ones(2)], "weights", 3])
def test_load_state_dict_of_a_non_dict_is_a_type_error(state):
    layer = nn.Linear(2, 2, rng=0)
    before = layer.weight.data.copy()
    with pytest.raises(TypeError, match=r"load_state_dict: expected a dict of \{name: array\}"):
        layer.load_state_dict(state)
    np.testing.assert_array_equal(layer.weight.data, before)


# ---------------------------------------------------------------- Embedding, Identity, Flatten, activations

def test_embedding_picks_rows_and_sends_the_gradient_back_to_them():
    emb = nn.Embedding(5, 3, rng=0, dtype=np.float64)
    out = emb(np.array([[1, 4], [1, 0]]))
    np.testing.assert_array_equal(out.data, emb.weight.data[[[1, 4], [1, 0]]])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad[:, 0], [1, 2, 0, 0, 1])
    with pytest.raises(IndexError, match=r"Embedding: indices must be in 0..4, got values from 0 to 5"):
        emb(np.array([0, 5]))
    with pytest.raises(TypeError, match="Embedding: indices must be ints"):
        emb(np.array([0.5]))


def test_identity_flatten_and_activation_modules():
    x = t64((2, 3, 4))
    assert nn.Identity()(x) is x
    assert nn.Flatten()(x).shape == (2, 12) and nn.Flatten(0, 1)(x).shape == (6, 4)
    for module, method in [(nn.LeakyReLU(0.2), lambda t: t.leaky_relu(0.2)), (nn.ELU(0.5), lambda t: t.elu(0.5)),
                           (nn.GELU(), Tensor.gelu), (nn.Softplus(), Tensor.softplus),
                           (nn.Softmax(axis=1), lambda t: t.softmax(1)), (nn.LogSoftmax(), Tensor.log_softmax)]:
        np.testing.assert_array_equal(module(x).data, method(x).data)


# ---------------------------------------------------------------- init

def test_init_functions_have_the_promised_spread_and_are_seeded():
    w = Tensor(np.zeros((300, 400), np.float32), requires_grad=True)  # PyTorch's (out, in): fan_in 400
    nn.init.xavier_uniform_(w, rng=0)
    bound = np.sqrt(6 / 700)
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.99 * bound and w._version == 1
    nn.init.xavier_normal_(w, rng=0)
    assert w.data.std() == pytest.approx(np.sqrt(2 / 700), rel=0.02)
    nn.init.kaiming_normal_(w, nonlinearity="relu", rng=0)
    assert w.data.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    nn.init.kaiming_uniform_(w, nonlinearity="relu", mode="fan_out", rng=1)
    assert np.abs(w.data).max() <= np.sqrt(6 / 300)
    first = w.data.copy()
    nn.init.kaiming_uniform_(w, nonlinearity="relu", mode="fan_out", rng=1)
    np.testing.assert_array_equal(w.data, first)
    assert w.dtype == np.float32
    nn.init.zeros_(w)
    assert not w.data.any()
    nn.init.constant_(w, 2.5)
    assert (w.data == 2.5).all()
    with pytest.raises(ValueError, match="init: fans need a tensor with at least 2 axes"):
        nn.init.xavier_uniform_(Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="calculate_gain: unknown nonlinearity 'swish'"):
        nn.init.calculate_gain("swish")


RNG_RULE = r"rng must be a numpy Generator, an int seed >= 0 or None, got "


@pytest.mark.parametrize("name", ["uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_"])
@pytest.mark.parametrize("rng, error", [(-1, ValueError), ("seed", TypeError), (1.5, TypeError)])
def test_init_functions_check_rng_with_the_engines_one_rng_check(name, rng, error):
    """A bad seed gives checks.make_rng's exception and message, named after the init function."""
    with pytest.raises(error, match=f"{name}: {RNG_RULE}{rng!r}"):
        getattr(nn.init, name)(Tensor(np.zeros((3, 2))), rng=rng)


@pytest.mark.parametrize("make", [lambda rng: nn.Linear(2, 3, rng=rng), lambda rng: nn.Embedding(4, 2, rng=rng),
                                  lambda rng: nn.Dropout(0.5, rng=rng)])
def test_layers_check_rng_with_the_engines_one_rng_check(make):
    with pytest.raises(ValueError, match=RNG_RULE + "-1"):
        make(-1)
    with pytest.raises(TypeError, match=RNG_RULE + "'seed'"):
        make("seed")


def test_init_functions_accept_a_generator_and_reproduce_a_seed():
    a, b = Tensor(np.zeros((3, 2))), Tensor(np.zeros((3, 2)))
    nn.init.xavier_uniform_(a, rng=np.random.default_rng(7))
    nn.init.xavier_uniform_(b, rng=7)
    np.testing.assert_array_equal(a.data, b.data)


def test_init_gains_match_pytorch():
    torch = torch_or_skip()
    for name in ("linear", "tanh", "relu", "sigmoid"):
        assert nn.init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", 0.2))


# ---------------------------------------------------------------- clip_grad_norm_

def test_clip_grad_norm_matches_pytorch():
    torch = torch_or_skip()
    grads = [np.random.default_rng(i).standard_normal(s) for i, s in enumerate([(3, 2), (4,)])]
    for max_norm, norm_type in [(0.5, 2.0), (100.0, 2.0), (0.3, float("inf")), (1.0, 1.0)]:
        ours = [Tensor(np.zeros(g.shape), requires_grad=True) for g in grads]
        theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        for p, t, g in zip(ours, theirs, grads):
            p.grad, t.grad = g.copy(), torch.tensor(g)
        total = nn.clip_grad_norm_(ours, max_norm, norm_type)
        expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
        assert total == pytest.approx(expected.item(), rel=1e-12)
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_by_hand():
    p = Tensor(np.zeros(2), requires_grad=True)
    p.grad = np.array([3.0, 4.0])
    assert nn.clip_grad_norm_([p], 1.0) == 5.0
    np.testing.assert_allclose(p.grad, [0.6, 0.8], rtol=1e-6)
    with pytest.raises(ValueError, match="clip_grad_norm_: max_norm must be a finite number >= 0"):
        nn.clip_grad_norm_([p], -1.0)


def test_clip_grad_norm_clips_parameters_given_as_a_generator():
    p = Tensor(np.zeros(2), requires_grad=True)
    p.grad = np.array([3.0, 4.0])
    assert nn.clip_grad_norm_((q for q in [p]), 1.0) == 5.0
    np.testing.assert_allclose(p.grad, [0.6, 0.8], rtol=1e-6)


# ---------------------------------------------------------------- losses

LOSS_CASES = {
    "bce with logits": (lambda z: nn.binary_cross_entropy_with_logits(z, np.array([[1, 0, 0.3], [0, 1, 1]])),
                        lambda F, z: F.binary_cross_entropy_with_logits(z, F_target([[1, 0, 0.3], [0, 1, 1]]))),
    "bce": (lambda p: nn.binary_cross_entropy(p.sigmoid(), np.array([[1, 0, 0.3], [0, 1, 1]]), reduction="sum"),
            lambda F, p: F.binary_cross_entropy(p.sigmoid(), F_target([[1, 0, 0.3], [0, 1, 1]]), reduction="sum")),
    "nll": (lambda z: nn.nll_loss(z.log_softmax(), np.array([2, 0])),
            lambda F, z: F.nll_loss(F.log_softmax(z, dim=-1), F_labels([2, 0]))),
    "huber": (lambda z: nn.huber_loss(z * 3, np.zeros((2, 3)), delta=1.5),
              lambda F, z: F.huber_loss(z * 3, F_target(np.zeros((2, 3))), delta=1.5)),
    "smooth_l1 none": (lambda z: nn.smooth_l1_loss(z * 3, np.ones((2, 3)), beta=0.5, reduction="none"),
                       lambda F, z: F.smooth_l1_loss(z * 3, F_target(np.ones((2, 3))), beta=0.5, reduction="none")),
}


def F_target(values):
    import torch
    return torch.tensor(np.asarray(values, dtype=np.float64))


def F_labels(values):
    import torch
    return torch.tensor(values)


@pytest.mark.parametrize("case", sorted(LOSS_CASES))
def test_losses_gradcheck_and_match_pytorch(case):
    ours, theirs = LOSS_CASES[case]
    x = np.random.default_rng(4).standard_normal((2, 3))
    assert gradcheck(ours, Tensor(x.copy(), requires_grad=True))
    torch = torch_or_skip()
    mine, ref = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(mine), theirs(torch.nn.functional, ref)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(mine.grad, ref.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_losses_by_hand_and_at_the_edges():
    z = Tensor(np.array([1000.0, -1000.0]))
    np.testing.assert_allclose(nn.binary_cross_entropy_with_logits(z, [0, 1], reduction="none").data, [1000, 1000])
    p = Tensor(np.array([0.0, 1.0]))
    np.testing.assert_allclose(nn.binary_cross_entropy(p, [1, 0], reduction="none").data, [100, 100], rtol=1e-6)
    d = Tensor(np.array([0.5, -3.0]))
    np.testing.assert_allclose(nn.huber_loss(d, [0, 0], reduction="none").data, [0.125, 2.5])
    np.testing.assert_allclose(nn.smooth_l1_loss(d, [0, 0], reduction="none", beta=2.0).data, [0.0625, 2.0])
    np.testing.assert_allclose(nn.nll_loss(Tensor(np.log([[0.2, 0.8]])), [1]).data, -np.log(0.8))


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.binary_cross_entropy_with_logits(Tensor(np.zeros(2)), [0, 2]), ValueError,
     r"binary_cross_entropy_with_logits: targets must be in \[0, 1\]"),
    (lambda: nn.binary_cross_entropy(Tensor(np.array([1.5])), [1]), ValueError,
     r"binary_cross_entropy: probabilities must be in \[0, 1\]"),
    (lambda: nn.binary_cross_entropy(Tensor(np.zeros(2)), [1]), ValueError,
     r"binary_cross_entropy: prediction of shape \(2,\) and target of shape \(1,\) differ"),
    (lambda: nn.nll_loss(Tensor(np.zeros((2, 3))), [0, 3]), ValueError, "nll_loss: label 3 is out of range"),
    (lambda: nn.nll_loss(Tensor(np.zeros((2, 3))), [0]), ValueError, r"nll_loss: target of shape \(1,\) for input of shape \(2, 3\)"),
    (lambda: nn.huber_loss(Tensor(np.zeros(2)), [0, 0], delta=0), ValueError, "huber_loss: delta must be"),
    (lambda: nn.smooth_l1_loss(np.zeros(2), [0, 0]), TypeError, "smooth_l1_loss: expected a Tensor"),
])
def test_bad_loss_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
