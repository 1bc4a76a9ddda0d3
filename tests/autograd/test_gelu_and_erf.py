"""Issue 16: gelu is PyTorch's exact z Φ(z) by default, approximate="tanh" the tanh form; erf is computed in
numpy (autograd/special.py) and checked against Python's math.erf on a grid; second order works."""

import math

import numpy as np
import pytest

import tinygrad_sm as tg
from tinygrad_sm import Tensor, nn
from tinygrad_sm.autograd import gradcheck, gradgradcheck, special

torch = pytest.importorskip("torch", reason="torch is not installed")

GRID = np.concatenate([np.linspace(-8, 8, 16001), np.geomspace(1e-300, 30, 2000), [0.0, 1.0, 2.5, 26.0]])


def relative_error(ours, exact):
    exact = np.asarray(exact)
    keep = np.abs(exact) > 1e-300
    return np.max(np.abs(ours[keep] - exact[keep]) / np.abs(exact[keep]))


def test_erf_is_within_1e_15_relative_of_math_erf_on_a_grid():
    assert relative_error(special.erf(GRID), [math.erf(v) for v in GRID]) < 1e-15
    assert relative_error(special.erf(-GRID), [math.erf(-v) for v in GRID]) < 1e-15


def test_erfc_keeps_its_relative_precision_in_the_far_tail():
    assert relative_error(special.erfc(GRID), [math.erfc(v) for v in GRID]) < 1e-14


def test_float32_input_gives_float32_within_its_rounding():
    x = np.linspace(-6, 6, 2001).astype(np.float32)
    out = special.erf(x)
    assert out.dtype == np.float32
    exact = np.array([math.erf(float(v)) for v in x])
    assert relative_error(out.astype(np.float64), exact) < 1.2e-7


def test_edges_nan_inf_zero_d_empty_and_ints():
    np.testing.assert_array_equal(special.erf(np.array([np.inf, -np.inf, 0.0])), [1.0, -1.0, 0.0])
    assert np.isnan(special.erf(np.array([np.nan]))).all() and np.isnan(special.erfc(np.array(np.nan)))
    np.testing.assert_array_equal(special.erfc(np.array([np.inf, -np.inf])), [0.0, 2.0])
    assert special.erf(np.array(0.5)).shape == () and special.erf(np.zeros((0, 3))).shape == (0, 3)
    assert special.erf(np.array([1, 2])).dtype == np.float64
    assert Tensor(np.array([1, 2])).erf().dtype == np.float32  # ints through a float function: float32, as PyTorch


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-13), (np.float32, 2e-6)])
def test_gelu_values_and_gradients_match_pytorch(approximate, dtype, tol):
    z = np.concatenate([np.linspace(-12, 12, 97), [0.0, -40.0, 40.0]]).astype(dtype)
    x = Tensor(z.copy(), requires_grad=True)
    out = x.gelu(approximate=approximate)
    out.sum().backward()
    xt = torch.tensor(z, requires_grad=True)
    out_t = torch.nn.functional.gelu(xt, approximate=approximate)
    out_t.sum().backward()
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=tol, atol=tol)


def test_gelu_of_nan_and_inf_as_pytorch():
    z = np.array([np.nan, np.inf, -np.inf])
    np.testing.assert_array_equal(Tensor(z).gelu().data, torch.nn.functional.gelu(torch.tensor(z)).numpy())


def test_gelu_default_is_the_exact_form_and_differs_from_tanh():
    z = Tensor(np.array([-1.5, 0.7, 2.0]))
    exact = [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in z.data]
    np.testing.assert_allclose(z.gelu().data, exact, rtol=1e-15)
    assert np.abs(z.gelu().data - z.gelu(approximate="tanh").data).max() > 1e-5


@pytest.mark.parametrize("method", ["gelu", "erf", "normal_cdf"])
def test_gradcheck_and_gradgradcheck(method):
    x = Tensor(np.random.default_rng(0).uniform(-3, 3, (3, 4)), requires_grad=True)
    assert gradcheck(lambda t: getattr(t, method)(), x)
    assert gradgradcheck(lambda t: getattr(t, method)(), x)


def test_second_and_third_derivative_of_gelu_match_pytorch():
    z = np.linspace(-3, 3, 7)
    x = Tensor(z.copy(), requires_grad=True)
    (d1,) = tg.autograd.grad(x.gelu().sum(), [x], create_graph=True)
    (d2,) = tg.autograd.grad(d1.sum(), [x], create_graph=True)
    (d3,) = tg.autograd.grad(d2.sum(), [x])
    xt = torch.tensor(z, requires_grad=True)
    (t1,) = torch.autograd.grad(torch.nn.functional.gelu(xt).sum(), [xt], create_graph=True)
    (t2,) = torch.autograd.grad(t1.sum(), [xt], create_graph=True)
    (t3,) = torch.autograd.grad(t2.sum(), [xt])
    for ours, theirs in ((d1, t1), (d2, t2), (d3, t3)):
        np.testing.assert_allclose(np.asarray(ours.data if hasattr(ours, "data") else ours),
                                   theirs.detach().numpy(), rtol=1e-12, atol=1e-13)


def test_the_gelu_module_and_functional_take_approximate():
    x = Tensor(np.linspace(-2, 2, 5))
    np.testing.assert_array_equal(nn.GELU()(x).data, x.gelu().data)
    np.testing.assert_array_equal(nn.GELU(approximate="tanh")(x).data, x.gelu(approximate="tanh").data)
    assert repr(nn.GELU(approximate="tanh")) == "GELU(approximate='tanh')"
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh', got 'exact'"):
        nn.GELU(approximate="exact")
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        x.gelu(approximate=None)


def test_the_picture_rule_names_phi():
    assert Tensor([1.0], requires_grad=True).gelu().grad_fn.rule == "dz = G ⊙ (Φ(z) + z φ(z))"
