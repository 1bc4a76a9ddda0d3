"""grad, value_and_grad and jacobian (functional.py), checked against closed forms of the notes."""

import numpy as np
import pytest

import tinygrad_sm as tg
from tinygrad_sm import Tensor, no_grad


def test_jacobian_of_softmax_is_note_002s_y_i_delta_ij_minus_y_j():
    """002 (softmax Jacobian): ∂y_i/∂z_j = y_i(δ_ij − y_j), i.e. J = diag(y) − y yᵀ."""
    z = np.array([0.5, -1.0, 2.0, 0.0])
    y = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    J = tg.jacobian(lambda t: t.softmax(), z)
    expected = np.array([[y[i] * ((i == j) - y[j]) for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(J, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(J.sum(axis=0), 0, atol=1e-15)  # the outputs sum to 1 whatever z is


def test_jacobian_shapes_and_a_linear_map():
    A = np.random.default_rng(0).standard_normal((3, 4))
    J = tg.jacobian(lambda x: Tensor(A) @ x, np.ones(4))
    np.testing.assert_allclose(J, A)
    J2 = tg.jacobian(lambda X: X * 2, np.ones((2, 3)))
    assert J2.shape == (2, 3, 2, 3)
    np.testing.assert_array_equal(J2.reshape(6, 6), 2 * np.eye(6))
    np.testing.assert_array_equal(tg.jacobian(lambda x: Tensor(np.ones(2)), np.ones(3)), np.zeros((2, 3)))


def test_grad_and_value_and_grad_of_the_cross_entropy():
    """001: ∇_W f_CE = (1/n) Xᵀ(Ŷ − Y)."""
    rng = np.random.default_rng(1)
    X, y, W = rng.standard_normal((6, 4)), rng.integers(0, 3, 6), rng.standard_normal((4, 3))
    loss = lambda W: (Tensor(X) @ W).softmax_cross_entropy(y)  # noqa: E731
    Z = X @ W
    Y_hat = np.exp(Z - Z.max(1, keepdims=True))
    Y_hat /= Y_hat.sum(1, keepdims=True)
    expected = X.T @ (Y_hat - np.eye(3)[y]) / 6
    np.testing.assert_allclose(tg.grad(loss)(W), expected, rtol=1e-12)
    value, g = tg.value_and_grad(loss)(Tensor(W))
    assert value == pytest.approx(-np.log(Y_hat[np.arange(6), y]).mean())
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_argnums_and_isolation_from_the_callers_tensors():
    a, b = Tensor(np.array([1.0, 2.0]), requires_grad=True), np.array([3.0, 5.0])
    da, db = tg.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(da, b)
    np.testing.assert_array_equal(db, [1.0, 2.0])
    assert a.grad is None  # the caller's tensor is not touched
    with no_grad():  # works inside no_grad too
        np.testing.assert_array_equal(tg.grad(lambda x: (x * x).sum())(np.array([3.0])), [6.0])


def test_errors():
    with pytest.raises(ValueError, match=r"grad: the function must return one number, got shape \(2,\)"):
        tg.grad(lambda x: x * 2)(np.ones(2))
    with pytest.raises(TypeError, match="grad: the function must return a Tensor, got float"):
        tg.grad(lambda x: 1.0)(np.ones(2))
    with pytest.raises(TypeError, match="grad: argument 0 must be floating point"):
        tg.grad(lambda x: x.sum())(np.array([1, 2]))
    with pytest.raises(ValueError, match="grad: argnums 2 is out of range for 1 arguments"):
        tg.grad(lambda x: x.sum(), argnums=2)(np.ones(2))
    with pytest.raises(TypeError, match="jacobian: the function must return a Tensor"):
        tg.jacobian(lambda x: x.data, np.ones(2))
