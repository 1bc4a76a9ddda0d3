"""optim.SGD against hand-written numpy steps: θ ← θ - η_t g (003_c7770d845551d3f5.txt), with momentum and decay."""

import numpy as np
import pytest

from tinygrad_sm import Tensor, nn, optim

NOTE_001 = "001_b606231dbf973e55.txt"
NOTE_003 = "003_c7770d845551d3f5.txt"


def param(values):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


def with_grad(values, grad):
    p = param(values)
    p.grad = np.array(grad, dtype=np.float64)
    return p


def test_step_is_theta_minus_eta_g_in_place():
    p = with_grad([1.0, -2.0], [0.5, 0.25])
    array = p.data
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [1.0 - 0.05, -2.0 - 0.025])
    assert p.data is array  # updated in place


def test_momentum_accumulates_velocity_like_pytorch():
    """v ← μv + g, θ ← θ - ηv over two steps with the same gradient."""
    p = with_grad([1.0], [2.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    assert p.data[0] == pytest.approx(1.0 - 0.1 * 2.0)
    opt.step()
    assert p.data[0] == pytest.approx(1.0 - 0.1 * 2.0 - 0.1 * (0.9 * 2.0 + 2.0))


def test_weight_decay_adds_lambda_theta_to_the_gradient():
    p = with_grad([3.0], [1.0])
    optim.SGD([p], lr=0.5, weight_decay=0.1).step()
    assert p.data[0] == pytest.approx(3.0 - 0.5 * (1.0 + 0.1 * 3.0))


def test_parameter_groups_override_the_defaults():
    weight, bias = with_grad([1.0], [1.0]), with_grad([1.0], [1.0])
    opt = optim.SGD([{"params": [weight], "weight_decay": 1.0}, {"params": [bias], "lr": 0.5}], lr=0.1)
    opt.step()
    assert weight.data[0] == pytest.approx(1.0 - 0.1 * 2.0)
    assert bias.data[0] == pytest.approx(1.0 - 0.5 * 1.0)


def test_schedule_is_called_with_t_equal_1_2_3():
    """The notes' η_t, t = 1, 2, ...: here η_t = 1/t."""
    seen = []
    p = with_grad([0.0], [1.0])

    def eta(t):
        seen.append(t)
        return 1.0 / t

    opt = optim.SGD([p], lr=eta)
    for _ in range(3):
        opt.step()
    assert seen == [1, 2, 3]
    assert p.data[0] == pytest.approx(-(1 + 1 / 2 + 1 / 3))


def test_parameters_without_a_gradient_are_left_alone():
    used, unused = with_grad([1.0], [1.0]), param([5.0])
    optim.SGD([used, unused], lr=1.0, momentum=0.5).step()
    assert used.data[0] == 0.0 and unused.data[0] == 5.0


def test_zero_grad_clears_the_gradients():
    p = with_grad([1.0], [1.0])
    opt = optim.SGD([p], lr=0.1)
    opt.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize("kwargs, match", [
    ({"lr": 0.0}, "lr must be a finite number > 0"),
    ({"lr": -1}, "lr must be a finite number > 0"),
    ({"lr": float("nan")}, "lr must be a finite number > 0"),
    ({"lr": "0.1"}, "lr must be a finite number > 0"),
    ({"lr": 0.1, "momentum": 1.0}, "momentum must be a finite number >= 0 and < 1"),
    ({"lr": 0.1, "momentum": -0.1}, "momentum must be a finite number >= 0 and < 1"),
    ({"lr": 0.1, "weight_decay": -1e-4}, "weight_decay must be a finite number >= 0"),
])
def test_bad_hyperparameters_are_value_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optim.SGD([param([1.0])], **kwargs)


def test_a_schedule_returning_a_bad_rate_is_caught_at_the_step():
    p = with_grad([1.0], [1.0])
    opt = optim.SGD([p], lr=lambda t: 0.1 - 0.1 * t)
    with pytest.raises(ValueError, match=r"lr\(1\) from the schedule must be a finite number > 0, got 0.0"):
        opt.step()


def test_a_failed_step_changes_nothing():
    """A bad rate in the second group, or a gradient of the wrong shape, is found before any update."""
    a, b = with_grad([1.0], [1.0]), with_grad([2.0], [1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": lambda t: -1.0}], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"lr\(1\) from the schedule"):
        opt.step()
    assert a.data.tolist() == [1.0] and b.data.tolist() == [2.0]
    assert opt.t == 0 and opt.velocity == {}

    c = with_grad([1.0, 2.0], [1.0, 1.0])
    opt = optim.SGD([c], lr=0.1)
    c.grad = np.ones(3)
    with pytest.raises(ValueError, match=r"SGD: a gradient of shape \(3,\) for a parameter of shape \(2,\)"):
        opt.step()
    assert c.data.tolist() == [1.0, 2.0] and opt.t == 0


def test_bad_parameter_lists_are_value_errors():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="requires_grad=True"):
        optim.SGD([Tensor([1.0])], lr=0.1)
    p = param([1.0])
    with pytest.raises(ValueError, match="appears more than once"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(TypeError, match="not one Tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['nesterov'\]"):
        optim.SGD([{"params": [p], "nesterov": True}], lr=0.1)


def test_linear_and_sgd_reproduce_a_hand_written_numpy_step():
    """One minibatch step of softmax regression: W ← W - η (1/m) X(Ŷ - Y), b ← b - η (1/m) Σ_i (ŷ_i - y_i) (001)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 5)), rng.integers(0, 3, size=8)
    layer = nn.Linear(5, 3, rng=1, dtype=np.float64)
    W, b = layer.weight.data.copy(), layer.bias.data.copy()
    opt = optim.SGD(layer.parameters(), lr=0.3)
    for _ in range(2):
        loss = nn.cross_entropy(layer(Tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        Z = X @ W + b
        Y_hat = np.exp(Z - Z.max(axis=1, keepdims=True))
        Y_hat /= Y_hat.sum(axis=1, keepdims=True)
        delta = (Y_hat - nn.one_hot(y, 3)) / len(X)
        W, b = W - 0.3 * X.T @ delta, b - 0.3 * delta.sum(axis=0)
        np.testing.assert_allclose(layer.weight.data, W, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.bias.data, b, rtol=1e-12, atol=1e-14)


def test_two_layer_net_and_sgd_momentum_reproduce_the_notes_backward_in_numpy():
    """∂J/∂W2 = g(h) δᵀ, ∂J/∂W1 = ((W2 δ) ⊙ g'(h)) xᵀ with δ = (ŷ - onehot(y))/m (003), then momentum SGD."""
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((6, 4)), np.array([0, 1, 2, 1, 0, 2])
    net = nn.Sequential(nn.Linear(4, 5, rng=2, dtype=np.float64), nn.ReLU(), nn.Linear(5, 3, rng=3, dtype=np.float64))
    W1, b1, W2, b2 = (p.data.copy() for p in net.parameters())
    velocity = [np.zeros_like(a) for a in (W1, b1, W2, b2)]
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        nn.cross_entropy(net(Tensor(X)), y).backward()
        opt.step()
        h = X @ W1 + b1
        g = np.maximum(h, 0)
        z = g @ W2 + b2
        probs = np.exp(z - z.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        delta = (probs - nn.one_hot(y, 3)) / len(X)
        back = (delta @ W2.T) * (h > 0)
        grads = [X.T @ back, back.sum(axis=0), g.T @ delta, delta.sum(axis=0)]
        velocity = [0.9 * v + gr for v, gr in zip(velocity, grads)]
        W1, b1, W2, b2 = (a - 0.1 * v for a, v in zip((W1, b1, W2, b2), velocity))
    for p, expected in zip(net.parameters(), (W1, b1, W2, b2)):
        np.testing.assert_allclose(p.data, expected, rtol=1e-10, atol=1e-12)


def test_sgd_with_m_1_and_eta_1_on_the_perceptron_loss_is_the_perceptron():
    """Binary perceptron (003): on a mistake (y wᵀx <= 0, so every sample while w = 0) w ← w + y x."""
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [2.0, -1.0], [0.5, 0.5]])
    y = np.array([1, -1, 1, -1])
    w = Tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    expected = np.zeros(2)
    for x_t, y_t in zip(X, y):
        opt.zero_grad()
        nn.perceptron_loss(Tensor(x_t[None]) @ w, np.array([y_t])).backward()
        opt.step()
        if y_t * (x_t @ expected) <= 0:
            expected = expected + y_t * x_t
    np.testing.assert_array_equal(w.data, expected)
