"""The engine's gradients against the closed forms written in the lecture notes.

Each test names its note by title and the formula it checks; the docstrings shorten "Multi-class
classification with Softmax function" to "Softmax function". Everything runs in float64 so the
comparisons can be tight.
"""

import numpy as np
import pytest

from tinygrad_sm import Tensor

NOTE_000 = "Multiclass Classification"
NOTE_001 = "Softmax regression (aka multinomial logistic regression)"  # CS 453X Class 8
NOTE_002 = "Multi-class classification with Softmax function"
NOTE_003 = "Classification"  # CS 577 Deep Learning Lecture 04


def param(array):
    return Tensor(np.array(array, dtype=np.float64), requires_grad=True)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def relu_prime(h):
    return (h > 0).astype(np.float64)


@pytest.fixture
def rng():
    return np.random.default_rng(453)


# --------------------------------------------------- Softmax regression: the worked illustration

def test_softmax_illustration_of_note_001():
    """Softmax regression, "Illustration": x = [-1, 1], w(1) = [-2.5, -1], w(2) = [1, 2],
    w(3) = [1, 0] give z = Wᵀx = [1.5, 1, -1] and ŷ = softmax(z) ≈ [.592, .359, .049]."""
    x = Tensor(np.array([-1.0, 1.0]))
    W = Tensor(np.array([[-2.5, 1.0, 1.0], [-1.0, 2.0, 0.0]]))  # columns are w(1), w(2), w(3)
    z = W.T @ x
    np.testing.assert_allclose(z.data, [1.5, 1.0, -1.0])
    np.testing.assert_allclose(z.softmax().data, [0.592, 0.359, 0.049], atol=5e-4)


# ----------------------------------------------------- Softmax function: softmax Jacobian and y - t

def test_softmax_jacobian_is_y_i_delta_ij_minus_y_j(rng):
    """Softmax function: ∂y_i/∂z_j = y_i(1 - y_i) if i = j, -y_i y_j otherwise,
    i.e. the Jacobian is diag(y) - y yᵀ. Row i comes from backward with the seed e_i."""
    z_values = rng.standard_normal(5)
    y = softmax(z_values)
    expected = np.diag(y) - np.outer(y, y)
    for i in range(5):
        z = param(z_values)
        z.softmax().backward(np.eye(5)[i])
        np.testing.assert_allclose(z.grad, expected[i], atol=1e-12)


def test_cross_entropy_gradient_is_y_minus_t(rng):
    """Softmax function: ξ(t, z) = -Σ_c t_c log y_c with y = softmax(z) has ∂ξ/∂z_i = y_i - t_i."""
    z_values = rng.standard_normal(4)
    t = np.array([0.0, 0.0, 1.0, 0.0])
    z = param(z_values)
    loss = z.softmax_cross_entropy(t, reduction="sum")
    loss.backward()
    np.testing.assert_allclose(loss.item(), -np.log(softmax(z_values)[2]))
    np.testing.assert_allclose(z.grad, softmax(z_values) - t, atol=1e-12)


def test_cross_entropy_gradient_is_y_sum_t_minus_t_for_soft_targets(rng):
    """Softmax function, the last lines of the derivation: ∂ξ/∂z_i = -t_i + y_i Σ_j t_j."""
    z_values, t = rng.standard_normal(4), rng.random(4)
    z = param(z_values)
    z.softmax_cross_entropy(t, reduction="sum").backward()
    np.testing.assert_allclose(z.grad, softmax(z_values) * t.sum() - t, atol=1e-12)


def test_chained_softmax_log_matches_fused_cross_entropy(rng):
    """Softmax function: ξ = -Σ t_c log(y_c) built from softmax and log has the same
    gradient y - t as the fused op."""
    z_values = rng.standard_normal((3, 4))
    t = np.eye(4)[[1, 3, 0]]
    z = param(z_values)
    (-(Tensor(t) * z.softmax().log()).sum()).backward()
    np.testing.assert_allclose(z.grad, softmax(z_values) - t, atol=1e-12)


# --------------------------------------------------- Softmax regression: the batch gradient

def test_batch_gradient_is_one_over_n_X_times_Yhat_minus_Y(rng):
    """Softmax regression: ∇_W f_CE(Y, Ŷ; W) = (1/n) X(Ŷ - Y), with X the d × n matrix whose
    columns are the examples and Z = WᵀX (our rows-are-examples X_rows = Xᵀ gives Z = X_rows W)."""
    n, d, c = 8, 5, 3
    X = rng.standard_normal((d, n))  # the notes' layout: one column per example
    labels = rng.integers(0, c, n)
    W = param(rng.standard_normal((d, c)))
    Y = np.eye(c)[labels]
    loss = (Tensor(X.T) @ W).softmax_cross_entropy(labels)
    loss.backward()
    Y_hat = softmax(X.T @ W.data)
    np.testing.assert_allclose(W.grad, X @ (Y_hat - Y) / n, atol=1e-12)
    np.testing.assert_allclose(loss.item(), -np.sum(Y * np.log(Y_hat)) / n)


def test_per_example_gradient_is_x_times_yhat_k_minus_y_k(rng):
    """Softmax regression: for one example, ∇_{w_k} f_CE = x(ŷ_k - y_k) for each class k."""
    x, W = rng.standard_normal(4), param(rng.standard_normal((4, 3)))
    (Tensor(x) @ W).softmax_cross_entropy(1).backward()
    y_hat, y = softmax(x @ W.data), np.eye(3)[1]
    for k in range(3):
        np.testing.assert_allclose(W.grad[:, k], x * (y_hat[k] - y[k]), atol=1e-12)


# -------------------------------------------- Multiclass Classification: the per-row gradient

def test_per_row_gradient_of_note_000(rng):
    """Multiclass Classification, 1.1.4 "Computing Gradients":
    ∂J(n)/∂Θ_j = -Σ_k T_kn (1[k = j] - softmax(Θx)_j) x(n)ᵀ, Θ of size K × (D + 1) with x carrying
    a trailing 1 for the bias. (The note's unified line prints softmax(·)_k; its two cases above, j ≠ k and j = k, both give softmax(·)_j.)"""
    K, D = 4, 3
    theta_values = rng.standard_normal((K, D + 1))
    x = np.append(rng.standard_normal(D), 1.0)
    T = np.eye(K)[:, [2]]  # column n of T: the one-hot label of this example
    theta = param(theta_values)
    (theta @ Tensor(x)).softmax_cross_entropy(T[:, 0], reduction="sum").backward()
    s = softmax(theta_values @ x)
    for j in range(K):
        expected = -sum(T[k, 0] * ((k == j) - s[j]) for k in range(K)) * x
        np.testing.assert_allclose(theta.grad[j], expected, atol=1e-12)


@pytest.mark.parametrize("label", [0, 1])
def test_two_class_cross_entropy_is_the_binary_logistic_loss(rng, label):
    """Multiclass Classification 1.1.3 and Softmax regression: with K = 2 classes,
    f_CE = -y log ŷ - (1 - y) log(1 - ŷ) = f_log, where ŷ = σ(z_1 - z_0) = softmax(z)_1."""
    z_values = rng.standard_normal(2)
    z = param(z_values)
    loss = z.softmax_cross_entropy(label)
    loss.backward()
    y_hat = 1 / (1 + np.exp(-(z_values[1] - z_values[0])))
    f_log = -label * np.log(y_hat) - (1 - label) * np.log(1 - y_hat)
    np.testing.assert_allclose(loss.item(), f_log, rtol=1e-12)
    # d f_log / d z_1 = ŷ - y, and z_0 gets the opposite
    np.testing.assert_allclose(z.grad, [-(y_hat - label), y_hat - label], atol=1e-12)


# ------------------------------------------------------- Classification: the two-layer relu networks

@pytest.fixture
def two_layer(rng):
    """A relu net with m = 10 hidden units on d = 4 inputs, weights drawn so that some units are off."""
    d, m = 4, 10
    return dict(x=rng.standard_normal(d), W1=rng.standard_normal((m, d)), b1=rng.standard_normal(m),
                w2=rng.standard_normal(m), b2=rng.standard_normal())


def forward_scalar_net(p):
    """003: h = W(1) x + b(1), z = w(2)ᵀ g(h) + b(2), g = relu."""
    W1, b1, w2, b2 = (param(p[k]) for k in ("W1", "b1", "w2", "b2"))
    h = W1 @ Tensor(p["x"]) + b1
    return (W1, b1, w2, b2), w2 @ h.relu() + b2


def test_two_layer_squared_error_gradients(two_layer):
    """Classification, "1-layer neural network (higher dim data)", J = (y - z)²:
    ∂J/∂w(2) = -2(y - z) g(h), ∂J/∂b(2) = -2(y - z), ∂J/∂W(1) = -2(y - z)(w(2) ⊙ g'(h)) xᵀ,
    ∂J/∂b(1) = -2(y - z)(w(2) ⊙ g'(h))."""
    p, y = two_layer, 0.7
    (W1, b1, w2, b2), z = forward_scalar_net(p)
    ((y - z) ** 2).backward()
    h = p["W1"] @ p["x"] + p["b1"]
    dz = -2 * (y - z.item())
    np.testing.assert_allclose(w2.grad, dz * np.maximum(h, 0), atol=1e-12)
    np.testing.assert_allclose(b2.grad, dz, atol=1e-12)
    np.testing.assert_allclose(W1.grad, dz * np.outer(p["w2"] * relu_prime(h), p["x"]), atol=1e-12)
    np.testing.assert_allclose(b1.grad, dz * p["w2"] * relu_prime(h), atol=1e-12)


@pytest.mark.parametrize("y", [-1.0, 1.0])
def test_two_layer_logistic_loss_gradients(two_layer, y):
    """Classification, J = log(1 + e^{-yz}): ∂L/∂z = -y e^{-yz} / (1 + e^{-yz}), and by the
    chain rule ∂J/∂w(2) = ∂L/∂z g(h), ∂J/∂W(1) = ∂L/∂z (w(2) ⊙ g'(h)) xᵀ, ∂J/∂b(1) = ∂L/∂z (w(2) ⊙ g'(h))."""
    p = two_layer
    (W1, b1, w2, b2), z = forward_scalar_net(p)
    loss = (1 + (-y * z).exp()).log()
    loss.backward()
    h = p["W1"] @ p["x"] + p["b1"]
    e = np.exp(-y * z.item())
    dz = -y * e / (1 + e)
    np.testing.assert_allclose(loss.item(), np.log1p(e), rtol=1e-12)
    np.testing.assert_allclose(w2.grad, dz * np.maximum(h, 0), atol=1e-12)
    np.testing.assert_allclose(b2.grad, dz, atol=1e-12)
    np.testing.assert_allclose(W1.grad, dz * np.outer(p["w2"] * relu_prime(h), p["x"]), atol=1e-12)
    np.testing.assert_allclose(b1.grad, dz * p["w2"] * relu_prime(h), atol=1e-12)


def test_two_layer_softmax_head_gradients(rng):
    """Classification, "1-layer neural network (multicategory data)": z = W(2)ᵀ g(h) + b(2),
    h = W(1)ᵀ x + b(1), L = cross entropy with ∂L/∂z = p - onehot(y). Then ∂J/∂W(2) = g(h) ∂L/∂zᵀ,
    ∂J/∂b(2) = ∂L/∂z, ∂J/∂W(1) = ((W(2) ∂L/∂z) ⊙ g'(h)) xᵀ, ∂J/∂b(1) = (W(2) ∂L/∂z) ⊙ g'(h).
    (W(1) is d × m here, so its gradient is the transpose of the m × d expression.)"""
    d, m, K, label = 4, 10, 3, 2
    x = rng.standard_normal(d)
    values = dict(W1=rng.standard_normal((d, m)), b1=rng.standard_normal(m),
                  W2=rng.standard_normal((m, K)), b2=rng.standard_normal(K))
    W1, b1, W2, b2 = (param(values[k]) for k in ("W1", "b1", "W2", "b2"))
    h = W1.T @ Tensor(x) + b1
    z = W2.T @ h.relu() + b2
    z.softmax_cross_entropy(label).backward()
    h_np = values["W1"].T @ x + values["b1"]
    dz = softmax(z.data) - np.eye(K)[label]
    back = (values["W2"] @ dz) * relu_prime(h_np)
    np.testing.assert_allclose(W2.grad, np.outer(np.maximum(h_np, 0), dz), atol=1e-12)
    np.testing.assert_allclose(b2.grad, dz, atol=1e-12)
    np.testing.assert_allclose(W1.grad.T, np.outer(back, x), atol=1e-12)
    np.testing.assert_allclose(b1.grad, back, atol=1e-12)


def test_relu_derivative_is_indicator_of_positive():
    """Classification: relu(z) = max{0, z}, whose derivative is 1[z > 0]."""
    z = param([-2.0, -0.5, 0.5, 3.0])
    z.relu().sum().backward()
    np.testing.assert_array_equal(z.relu().data, [0.0, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(z.grad, [0.0, 0.0, 1.0, 1.0])


@pytest.mark.parametrize("y, w, expected_case", [(1.0, [1.0, -2.0], "mistake"), (1.0, [1.0, 2.0], "correct"),
                                                 (-1.0, [1.0, 2.0], "mistake"), (-1.0, [1.0, -2.0], "correct")])
def test_perceptron_loss_gradient(y, w, expected_case):
    """Classification, "Perceptron loss" L(z, y) = max{0, -yz} with z = wᵀx:
    ∇_w L = -y x if y wᵀx < 0 (a mistake), 0 if y wᵀx > 0."""
    x = np.array([0.5, 1.0])
    weights = param(w)
    z = weights @ Tensor(x)
    loss = (-y * z).relu()
    loss.backward()
    margin = y * np.dot(w, x)
    assert (margin < 0) == (expected_case == "mistake")
    np.testing.assert_allclose(loss.item(), max(0.0, -margin))
    np.testing.assert_allclose(weights.grad, -y * x if margin < 0 else np.zeros(2))


def test_perceptron_step_with_eta_one_is_the_perceptron_update():
    """Classification, "Perceptron as stochastic gradient descent (SGD)": one SGD step with η = 1 on
    max{0, -y wᵀx} is the perceptron update w ← w + y x on a mistake."""
    x, y = np.array([2.0, -1.0, 0.5]), -1.0
    w = param([1.0, 0.5, 0.0])
    (-y * (w @ Tensor(x))).relu().backward()
    np.testing.assert_allclose(w.data - w.grad, np.array([1.0, 0.5, 0.0]) + y * x)
