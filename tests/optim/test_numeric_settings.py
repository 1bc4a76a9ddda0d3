"""Every numeric setting is checked where it is used, not only where it is set (issue 19): a failed call changes nothing."""

import math

import numpy as np
import pytest

from tinygrad_sm import Tensor, nn, optim

torch = None
try:
    import torch
except ImportError:  # pragma: no cover - torch is an optional extra
    pass


def with_grad(values, grad):
    p = Tensor(np.array(values, dtype=np.float64), requires_grad=True)
    p.grad = np.array(grad, dtype=np.float64)
    return p


# ---------------------------------------------------------------- an option set by hand is checked at step()

MAKERS = {"SGD": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), "Adam": lambda ps: optim.Adam(ps, lr=0.1)}


@pytest.mark.parametrize("kind, key, value", [
    (kind, "lr", value) for kind in MAKERS for value in (-1.0, float("nan"), "0.1", math.inf)] + [
    ("SGD", "weight_decay", -0.5), ("SGD", "momentum", 1.5), ("Adam", "eps", float("nan"))])
def test_an_option_set_by_hand_in_param_groups_is_refused_at_step_and_changes_nothing(kind, key, value):
    p = with_grad([1.0, 2.0], [0.5, 0.5])
    opt = MAKERS[kind]([p])
    opt.param_groups[0][key] = value
    with pytest.raises(ValueError, match=rf"{opt.name}.step \(param_groups\[0\]\): {key} must be a finite number .*"
                                         rf"got {value!r}"):
        opt.step()
    np.testing.assert_array_equal(p.data, [1.0, 2.0])
    assert opt.t == 0 and opt.state == {}


def test_an_lr_set_to_zero_by_hand_or_by_a_scheduler_is_a_step_that_changes_nothing():
    p = with_grad([1.0, 2.0], [0.5, 0.5])
    opt = optim.SGD([p], lr=0.1)
    sched = optim.CosineAnnealingLR(opt, T_max=1)  # ends at eta_min = 0
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.0
    opt.step()
    np.testing.assert_array_equal(p.data, [1.0, 2.0])


def test_optimizer_state_keyed_minus_one_is_refused():
    ps = [with_grad([1.0], [0.5]), with_grad([2.0], [0.5])]
    opt = optim.SGD(ps, lr=0.1, momentum=0.9)
    opt.step()
    state = opt.state_dict()
    state["state"] = {0: state["state"][0], -1: state["state"][1]}  # -1 would silently be parameter 1
    fresh = optim.SGD([with_grad([1.0], [0.5]), with_grad([2.0], [0.5])], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"SGD.load_state_dict: state for parameter -1, but the parameters are "
                                         r"numbered 0 to 1"):
        fresh.load_state_dict(state)
    assert fresh.state == {}
    for bad_key in (1.0, "1.0", True, " 1"):
        state["state"] = {0: opt.state_dict()["state"][0], bad_key: opt.state_dict()["state"][1]}
        with pytest.raises(ValueError, match="state for parameter"):
            fresh.load_state_dict(state)


# ---------------------------------------------------------------- schedulers

def scheduler(kind="exp", lr=0.1):
    opt = optim.SGD([with_grad([1.0], [0.5])], lr=lr)
    return opt, (optim.ExponentialLR(opt, gamma=0.5) if kind == "exp" else optim.StepLR(opt, step_size=2))


@pytest.mark.parametrize("state, error, match", [
    ({"last_epoch": 1}, KeyError, r"expected the keys 'last_epoch' and 'base_lrs', got \['last_epoch'\]"),
    ({"last_epoch": 1, "base_lrs": [0.1], "extra": 1}, KeyError, "expected the keys"),
    (None, TypeError, "expected a dict from state_dict"),
    ({"last_epoch": "a", "base_lrs": [0.1]}, ValueError, "last_epoch must be an int >= 0, got 'a'"),
    ({"last_epoch": -1, "base_lrs": [0.1]}, ValueError, "last_epoch must be an int >= 0, got -1"),
    ({"last_epoch": 1.5, "base_lrs": [0.1]}, ValueError, "last_epoch must be an int >= 0, got 1.5"),
    ({"last_epoch": None, "base_lrs": [0.1]}, ValueError, "last_epoch must be an int >= 0, got None"),
    ({"last_epoch": 1, "base_lrs": None}, ValueError, r"base_lrs must be a list of 1 rates .* got None"),
    ({"last_epoch": 1, "base_lrs": [0.1, 0.2]}, ValueError, "base_lrs must be a list of 1 rates"),
    ({"last_epoch": 1, "base_lrs": [float("nan")]}, ValueError, r"base_lrs\[0\] must be a finite number > 0, got nan"),
    ({"last_epoch": 1, "base_lrs": ["0.1"]}, ValueError, r"base_lrs\[0\] must be a finite number > 0, got '0.1'"),
    ({"last_epoch": 1, "base_lrs": [-0.1]}, ValueError, r"base_lrs\[0\] must be a finite number > 0"),
])
def test_a_bad_scheduler_state_is_refused_naming_the_value_and_changes_nothing(state, error, match):
    opt, sched = scheduler()
    sched.step()
    with pytest.raises(error, match="ExponentialLR.load_state_dict: " + match):
        sched.load_state_dict(state)
    assert sched.last_epoch == 1 and sched.base_lrs == [0.1]
    sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.25)


def test_a_scheduler_state_from_a_checkpoint_loads():
    opt, sched = scheduler()
    sched.load_state_dict({"last_epoch": np.array(3), "base_lrs": np.array([0.2])})
    sched.step()
    assert sched.last_epoch == 4 and opt.param_groups[0]["lr"] == pytest.approx(0.2 * 0.5 ** 4)


def test_base_lrs_set_to_nan_by_hand_is_refused_at_the_scheduler_step():
    opt, sched = scheduler("step")
    sched.base_lrs = [float("nan")]
    with pytest.raises(ValueError, match=r"StepLR.step: base_lrs\[0\] must be a finite number > 0, got nan"):
        sched.step()
    assert sched.last_epoch == 0 and opt.param_groups[0]["lr"] == 0.1


def test_exponential_lr_that_overflows_is_refused_at_the_step_that_overflows():
    opt = optim.SGD([with_grad([1.0], [0.5])], lr=0.1)
    sched = optim.ExponentialLR(opt, gamma=1e200)
    sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(1e199)
    with pytest.raises(ValueError, match=r"ExponentialLR.step: the rate for epoch 2 from base lr 0.1 is inf, "
                                         r"not a finite number >= 0 \(it overflows"):
        sched.step()
    assert sched.last_epoch == 1 and opt.param_groups[0]["lr"] == pytest.approx(1e199)


# ---------------------------------------------------------------- clip_grad_norm_

@pytest.mark.parametrize("max_norm, norm_type, error, match", [
    (1.0, 0, ValueError, "norm_type must be a number > 0 or 'inf', got 0"),
    (1.0, -1.0, ValueError, "norm_type must be a number > 0 or 'inf', got -1.0"),
    (1.0, float("nan"), ValueError, "norm_type must be a number > 0 or 'inf', got nan"),
    (1.0, "2", TypeError, "norm_type must be a number > 0 or 'inf', got '2'"),
    (1.0, True, TypeError, "norm_type must be a number > 0 or 'inf', got True"),
    ("a", 2.0, TypeError, "max_norm must be a number, got 'a'"),
    (None, 2.0, TypeError, "max_norm must be a number, got None"),
    (float("nan"), 2.0, ValueError, "max_norm must be a finite number >= 0, got nan"),
])
def test_clip_grad_norm_refuses_bad_settings_and_changes_nothing(max_norm, norm_type, error, match):
    p = with_grad([3.0, 0.0, 4.0], [3.0, 0.0, 4.0])
    with pytest.raises(error, match="clip_grad_norm_: " + match):
        nn.clip_grad_norm_([p], max_norm, norm_type)
    np.testing.assert_array_equal(p.grad, [3.0, 0.0, 4.0])


def test_clip_grad_norm_takes_the_string_inf_as_pytorch_does():
    p = with_grad([3.0, 0.0, 4.0], [3.0, 0.0, 4.0])
    total = nn.clip_grad_norm_([p], 1.0, "inf")
    assert total == 4.0
    if torch is not None:
        q = torch.nn.Parameter(torch.tensor([3.0, 0.0, 4.0], dtype=torch.float64))
        q.grad = torch.tensor([3.0, 0.0, 4.0], dtype=torch.float64)
        assert torch.nn.utils.clip_grad_norm_([q], 1.0, "inf").item() == total
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-6)
