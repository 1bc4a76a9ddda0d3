"""Issue 16: every loss, as F.<loss> and as its nn module with PyTorch's constructor arguments, gives PyTorch's value
and gradient (float64, to 1e-12); cross_entropy and nll_loss with weight, ignore_index, label_smoothing,
probability targets, (n, C, d) inputs, an all-ignored batch, and a message naming int one-hot rows."""

import re

import numpy as np
import pytest

import tinygrad_sm.nn.functional as F
from tinygrad_sm import Tensor, nn
from tinygrad_sm.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch", reason="torch is not installed")
TF, TN = torch.nn.functional, torch.nn

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((6, 4)) * 2
LABELS = np.array([0, 3, 1, 1, 2, 3])
WITH_IGNORED = np.array([0, -100, 1, 1, -100, 3])
CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])
PROBS = RNG.dirichlet(np.ones(4), size=6)
PRED, TARGET = RNG.standard_normal((3, 5)) * 2, RNG.standard_normal((3, 5)) * 2
P01, T01 = RNG.uniform(0.01, 0.99, (3, 5)), RNG.uniform(0, 1, (3, 5))


def as_torch(value):
    return torch.tensor(value) if isinstance(value, np.ndarray) else value


def check(ours, theirs, x, target, **kwargs):
    """ours(x, target, **kwargs) and theirs(...) agree in value and in the gradient with respect to x."""
    xo = Tensor(x.copy(), requires_grad=True)
    out = ours(xo, target, **kwargs)
    xt = torch.tensor(x, requires_grad=True)
    out_t = theirs(xt, torch.tensor(target), **{k: as_torch(v) for k, v in kwargs.items()})
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-12, atol=1e-12, equal_nan=True)
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * Tensor(weights)).sum().backward()
    (out_t * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-11, atol=1e-12, equal_nan=True)


CROSS_ENTROPY_CASES = {
    "plain": (LABELS, {}),
    "sum": (LABELS, dict(reduction="sum")),
    "none": (LABELS, dict(reduction="none")),
    "weight": (LABELS, dict(weight=CLASS_WEIGHT)),
    "weight sum": (LABELS, dict(weight=CLASS_WEIGHT, reduction="sum")),
    "weight none": (LABELS, dict(weight=CLASS_WEIGHT, reduction="none")),
    "ignore_index": (WITH_IGNORED, {}),
    "ignore_index other value": (np.array([0, 2, 2, 1, 3, 2]), dict(ignore_index=2)),
    "ignore and weight": (WITH_IGNORED, dict(weight=CLASS_WEIGHT)),
    "smoothing": (LABELS, dict(label_smoothing=0.1)),
    "smoothing and weight": (LABELS, dict(label_smoothing=0.3, weight=CLASS_WEIGHT)),
    "smoothing weight ignore": (WITH_IGNORED, dict(label_smoothing=0.2, weight=CLASS_WEIGHT)),
    "smoothing ignore none": (WITH_IGNORED, dict(label_smoothing=0.2, reduction="none")),
    "smoothing 1": (LABELS, dict(label_smoothing=1.0)),
    "all ignored mean is nan": (np.full(6, -100), {}),
    "all ignored weight": (np.full(6, -100), dict(weight=CLASS_WEIGHT)),
    "all ignored sum is 0": (np.full(6, -100), dict(reduction="sum")),
    "probabilities": (PROBS, {}),
    "probabilities weight": (PROBS, dict(weight=CLASS_WEIGHT)),
    "probabilities smoothing": (PROBS, dict(label_smoothing=0.25)),
    "probabilities all options": (PROBS, dict(label_smoothing=0.25, weight=CLASS_WEIGHT, reduction="none")),
}


@pytest.mark.parametrize("case", sorted(CROSS_ENTROPY_CASES))
def test_cross_entropy_matches_pytorch(case):
    target, kwargs = CROSS_ENTROPY_CASES[case]
    check(F.cross_entropy, TF.cross_entropy, LOGITS, target, **kwargs)


@pytest.mark.parametrize("kwargs", [{}, dict(weight=CLASS_WEIGHT), dict(label_smoothing=0.1, reduction="none"),
                                    dict(ignore_index=1)])
def test_cross_entropy_of_one_example_and_of_n_c_d_inputs(kwargs):
    check(F.cross_entropy, TF.cross_entropy, LOGITS[0], np.array(3), **kwargs)
    scores = RNG.standard_normal((2, 4, 3))
    check(F.cross_entropy, TF.cross_entropy, scores, np.array([[0, 1, 3], [2, 2, 1]]), **kwargs)
    check(F.cross_entropy, TF.cross_entropy, scores, RNG.dirichlet(np.ones(4), (2, 3)).transpose(0, 2, 1),
          **{k: v for k, v in kwargs.items() if k != "ignore_index"})


@pytest.mark.parametrize("case", ["plain", "sum", "none", "weight", "ignore_index", "ignore and weight",
                                  "all ignored mean is nan", "all ignored weight"])
def test_nll_loss_matches_pytorch(case):
    target, kwargs = CROSS_ENTROPY_CASES[case]
    log_probs = LOGITS - np.log(np.exp(LOGITS).sum(axis=1, keepdims=True))
    check(F.nll_loss, TF.nll_loss, log_probs, target, **kwargs)


def test_an_all_ignored_batch_has_nan_mean_and_zero_gradients_as_pytorch():
    x = Tensor(LOGITS.copy(), requires_grad=True)
    loss = F.cross_entropy(x, np.full(6, -100))
    loss.backward()
    assert np.isnan(loss.item()) and not x.grad.any()


def test_int_one_hot_rows_are_named_as_the_problem():
    onehot = np.eye(4, dtype=np.int64)[LABELS]
    with pytest.raises(ValueError, match=r"cross_entropy: target looks like one-hot rows \(int, shape \(6, 4\)\); "
                                         r"pass class indices y.argmax\(1\) or float probabilities"):
        F.cross_entropy(Tensor(LOGITS), onehot)
    check(F.cross_entropy, TF.cross_entropy, LOGITS, onehot.argmax(1))  # the advice works
    check(F.cross_entropy, TF.cross_entropy, LOGITS, onehot.astype(np.float64))  # and so does the other


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.cross_entropy(Tensor(LOGITS), np.array([0, 4, 1, 1, 2, 3])), ValueError, "label 4 is out of range"),
    (lambda: F.cross_entropy(Tensor(LOGITS), np.array([0, -1, 1, 1, 2, 3])), ValueError, "label -1 is out of range"),
    (lambda: F.cross_entropy(Tensor(LOGITS), LABELS[:5]), ValueError, r"target of shape \(5,\) for input of shape"),
    (lambda: F.cross_entropy(Tensor(LOGITS), LABELS, weight=np.ones(3)), ValueError, "weight must be 4 numbers"),
    (lambda: F.cross_entropy(Tensor(LOGITS), LABELS, "sum"), ValueError, "reduction goes by keyword"),
    (lambda: F.cross_entropy(Tensor(LOGITS), LABELS, label_smoothing=1.5), ValueError, r"in \[0, 1\]"),
    (lambda: F.cross_entropy(Tensor(LOGITS), LABELS, reduction="avg"), ValueError, "unknown reduction"),
    (lambda: F.cross_entropy(Tensor(np.float64(1.0)), np.array(0)), ValueError, "has no class axis"),
    (lambda: F.cross_entropy(Tensor(np.zeros((2, 0))), np.zeros(2, int)), ValueError, "has no class axis"),
    (lambda: F.cross_entropy(Tensor(LOGITS), LABELS + 0.5), TypeError, "class indices must be ints"),
    (lambda: F.nll_loss(Tensor(LOGITS), PROBS), ValueError, r"target of shape \(6, 4\)"),
])
def test_bad_cross_entropy_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_cross_entropy_with_nan_logits_gives_nan_as_pytorch():
    logits = LOGITS.copy()
    logits[1, 2] = np.nan
    ours = F.cross_entropy(Tensor(logits), LABELS, reduction="none").data
    theirs = TF.cross_entropy(torch.tensor(logits), torch.tensor(LABELS), reduction="none").numpy()
    np.testing.assert_allclose(ours, theirs, equal_nan=True)


def test_an_empty_batch_mean_is_nan_and_sum_zero():
    for kwargs in ({}, dict(weight=CLASS_WEIGHT), dict(label_smoothing=0.1)):
        ours = F.cross_entropy(Tensor(np.zeros((0, 4))), np.zeros(0, np.int64), **kwargs).item()
        theirs = TF.cross_entropy(torch.zeros(0, 4, dtype=torch.float64), torch.zeros(0, dtype=torch.long),
                                  **{k: as_torch(v) for k, v in kwargs.items()}).item()
        assert np.isnan(ours) and np.isnan(theirs)
    assert F.cross_entropy(Tensor(np.zeros((0, 4))), np.zeros(0, np.int64), reduction="sum").item() == 0


# ---------------------------------------------------------------- the other losses

OTHER_LOSSES = {
    "mse_loss": (F.mse_loss, TF.mse_loss, PRED, TARGET, {}),
    "l1_loss": (F.l1_loss, TF.l1_loss, PRED, TARGET, {}),
    "huber_loss": (F.huber_loss, TF.huber_loss, PRED, TARGET, dict(delta=0.7)),
    "smooth_l1_loss": (F.smooth_l1_loss, TF.smooth_l1_loss, PRED, TARGET, dict(beta=0.5)),
    "smooth_l1_loss beta 0": (F.smooth_l1_loss, TF.smooth_l1_loss, PRED, TARGET, dict(beta=0.0)),
    "bce": (F.binary_cross_entropy, TF.binary_cross_entropy, P01, T01, {}),
    "bce weight": (F.binary_cross_entropy, TF.binary_cross_entropy, P01, T01, dict(weight=RNG.uniform(0, 2, 5))),
    "bce logits": (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, PRED, T01, {}),
    "bce logits weight pos_weight": (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, PRED,
                                     T01, dict(weight=RNG.uniform(0, 2, (3, 1)), pos_weight=RNG.uniform(0, 3, 5))),
    "kl_div": (F.kl_div, TF.kl_div, np.log(PROBS), RNG.dirichlet(np.ones(4), 6), {}),
    "kl_div log_target": (F.kl_div, TF.kl_div, np.log(PROBS), np.log(RNG.dirichlet(np.ones(4), 6)),
                          dict(log_target=True)),
}


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")  # PyTorch's kl_div "mean" notice
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", sorted(OTHER_LOSSES))
def test_every_other_loss_matches_pytorch(name, reduction):
    ours, theirs, x, target, kwargs = OTHER_LOSSES[name]
    check(ours, theirs, x, target, reduction=reduction, **kwargs)


def test_kl_div_batchmean_and_zero_targets():
    target = PROBS.copy()
    target[0, 1] = 0.0
    target[0] /= target[0].sum()
    check(F.kl_div, TF.kl_div, np.log(RNG.dirichlet(np.ones(4), 6)), target, reduction="batchmean")


# ---------------------------------------------------------------- the modules

MODULES = [
    (lambda: nn.CrossEntropyLoss(), lambda: TN.CrossEntropyLoss(), LOGITS, LABELS),
    (lambda: nn.CrossEntropyLoss(weight=CLASS_WEIGHT, ignore_index=1, reduction="sum", label_smoothing=0.2),
     lambda: TN.CrossEntropyLoss(weight=torch.tensor(CLASS_WEIGHT), ignore_index=1, reduction="sum",
                                 label_smoothing=0.2), LOGITS, LABELS),
    (lambda: nn.NLLLoss(weight=CLASS_WEIGHT, ignore_index=3), lambda: TN.NLLLoss(weight=torch.tensor(CLASS_WEIGHT),
                                                                                ignore_index=3), LOGITS, LABELS),
    (lambda: nn.MSELoss(reduction="none"), lambda: TN.MSELoss(reduction="none"), PRED, TARGET),
    (lambda: nn.L1Loss(), lambda: TN.L1Loss(), PRED, TARGET),
    (lambda: nn.BCELoss(weight=np.full(5, 0.5)), lambda: TN.BCELoss(weight=torch.full((5,), 0.5, dtype=torch.float64)),
     P01, T01),
    (lambda: nn.BCEWithLogitsLoss(pos_weight=np.arange(1.0, 6.0), reduction="sum"),
     lambda: TN.BCEWithLogitsLoss(pos_weight=torch.arange(1.0, 6.0, dtype=torch.float64), reduction="sum"), PRED, T01),
    (lambda: nn.HuberLoss(delta=0.5), lambda: TN.HuberLoss(delta=0.5), PRED, TARGET),
    (lambda: nn.SmoothL1Loss(beta=2.0), lambda: TN.SmoothL1Loss(beta=2.0), PRED, TARGET),
    (lambda: nn.KLDivLoss(reduction="batchmean"), lambda: TN.KLDivLoss(reduction="batchmean"), np.log(PROBS),
     RNG.dirichlet(np.ones(4), 6)),
]


@pytest.mark.parametrize("make, make_twin, x, target", MODULES,
                         ids=["CrossEntropyLoss", "CrossEntropyLoss(all)", "NLLLoss", "MSELoss", "L1Loss", "BCELoss",
                              "BCEWithLogitsLoss", "HuberLoss", "SmoothL1Loss", "KLDivLoss"])
def test_loss_modules_match_their_pytorch_twins(make, make_twin, x, target):
    check(lambda xo, t: make()(xo, t), lambda xt, t: make_twin()(xt, t), x, target)
    # state: a class weight or pos_weight is a buffer, as PyTorch registers it
    assert sorted(make().state_dict()) == sorted(make_twin().state_dict())
    assert make().parameters() == []


@pytest.mark.parametrize("make, match", [
    (lambda: nn.CrossEntropyLoss(label_smoothing=-0.1),
     r"CrossEntropyLoss: label_smoothing must be a number in \[0, 1\]"),
    (lambda: nn.HuberLoss(delta=0), "HuberLoss: delta must be a finite number > 0, got 0"),
    (lambda: nn.SmoothL1Loss(beta=float("nan")), "SmoothL1Loss: beta must be a finite number >= 0, got nan"),
    (lambda: nn.SmoothL1Loss(beta="1"), "SmoothL1Loss: beta must be"),
])
def test_loss_modules_check_their_settings_when_made(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_loss_modules_refuse_an_unknown_reduction_when_made():
    with pytest.raises(ValueError, match="CrossEntropyLoss: unknown reduction 'avg'"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="KLDivLoss: unknown reduction"):
        nn.KLDivLoss(reduction="batch")


def test_the_old_names_still_work():
    assert nn.cross_entropy is F.cross_entropy and nn.nll_loss is F.nll_loss
    np.testing.assert_array_equal(nn.mse(Tensor(PRED), TARGET).data, F.mse_loss(Tensor(PRED), TARGET).data)


@pytest.mark.parametrize("target, kwargs", [
    (WITH_IGNORED, dict(weight=CLASS_WEIGHT, label_smoothing=0.2)),
    (PROBS, dict(weight=CLASS_WEIGHT, label_smoothing=0.1)),
    (LABELS, dict(reduction="none", label_smoothing=0.3)),
])
def test_the_composed_cross_entropy_passes_gradcheck_and_gradgradcheck(target, kwargs):
    z = Tensor(LOGITS.copy(), requires_grad=True)
    assert gradcheck(lambda t: F.cross_entropy(t, target, **kwargs), z)
    assert gradgradcheck(lambda t: F.cross_entropy(t, target, **kwargs), z)


@pytest.mark.parametrize("name", ["bce logits weight pos_weight", "huber_loss", "kl_div", "l1_loss"])
def test_other_losses_pass_gradcheck(name):
    ours, _, x, target, kwargs = OTHER_LOSSES[name]
    assert gradcheck(lambda t: ours(t, target, **kwargs), Tensor(x.copy(), requires_grad=True))


@pytest.mark.parametrize("labels, shown", [(np.array([1e20, 0.0]), "1e+20"),
                                           (np.array([2 ** 63, 0], dtype=np.uint64), "9223372036854775808")])
@pytest.mark.parametrize("loss", [lambda z, y: F.cross_entropy(z, y, weight=np.ones(3)), F.nll_loss])
def test_a_label_too_big_for_int64_is_named_as_given(loss, labels, shown):
    """Checked before the cast to int64 (which would wrap it to a negative number), as the fused op does."""
    with pytest.raises(ValueError, match=rf"label {re.escape(shown)} is out of range for 3 classes"):
        loss(Tensor(np.zeros((2, 3))), labels)
