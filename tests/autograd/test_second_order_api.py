"""backward(create_graph=True), autograd.grad with PyTorch's meaning, the functional API composing
(grad of grad, hessian, hvp, vjp, jvp), purity (no .grad written), and the notes' closed-form Hessians."""

import numpy as np
import pytest

import tinygrad_sm as tg
from tinygrad_sm import Tensor, autograd, nn

RNG = np.random.default_rng(170)


def leaf(values):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


# ---------------------------------------------------------------- backward(create_graph=True)

def test_create_graph_leaves_a_grad_tensor_that_is_part_of_a_graph():
    x = leaf([1.0, 2.0])
    (x ** 3).sum().backward(create_graph=True)
    assert isinstance(x.grad, Tensor) and x.grad.requires_grad
    np.testing.assert_allclose(x.grad.data, 3 * x.data ** 2)
    second, = autograd.grad(x.grad.sum(), x)
    np.testing.assert_allclose(second.data, 6 * x.data)


def test_without_create_graph_grad_stays_a_numpy_array():
    x = leaf([1.0, 2.0])
    (x ** 3).sum().backward()
    assert type(x.grad) is np.ndarray


def test_create_graph_grads_accumulate_out_of_place_and_after_an_array_grad():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    array_grad = x.grad
    (x * x).sum().backward(create_graph=True)
    np.testing.assert_allclose(x.grad.data, 4 * x.data)
    np.testing.assert_allclose(array_grad, 2 * x.data)  # the earlier array was not changed in place
    (x * x * x).sum().backward(create_graph=True)
    second, = autograd.grad(x.grad.sum(), x)
    np.testing.assert_allclose(second.data, 2 + 6 * x.data)  # .grad = 2x (an array: constant) + 2x + 3x²


def test_create_graph_records_even_under_no_grad():
    x = leaf([0.5])
    y = (x.exp() * x).sum()
    with tg.no_grad():
        y.backward(create_graph=True)
    assert x.grad.requires_grad


def test_a_linear_function_gives_a_constant_gradient():
    x = leaf([1.0, 2.0])
    (x * 2).sum().backward(create_graph=True)
    assert not x.grad.requires_grad  # as PyTorch: the gradient does not depend on x


# ---------------------------------------------------------------- autograd.grad

def test_grad_returns_a_tuple_and_writes_no_grad():
    x, w = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    h = (x * w).exp()
    h.retain_grad()
    gx, gw = autograd.grad(h.sum(), [x, w])
    np.testing.assert_allclose(gx.data, w.data * np.exp(x.data * w.data))
    np.testing.assert_allclose(gw.data, x.data * np.exp(x.data * w.data))
    assert x.grad is None and w.grad is None and h.grad is None


def test_grad_of_a_non_leaf_input():
    x = leaf([1.0, 2.0])
    h = x * 3
    gh, = autograd.grad((h * h).sum(), h)
    np.testing.assert_allclose(gh.data, 2 * h.data)


def test_unused_input_is_an_error_unless_allow_unused():
    x, unused = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="input 1 .* was not used.*allow_unused=True"):
        autograd.grad((x * x).sum(), [x, unused])
    gx, gu = autograd.grad((x * x).sum(), [x, unused], allow_unused=True)
    assert gu is None and gx.data[0] == 2.0


def test_non_scalar_output_needs_grad_outputs():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        autograd.grad(x * 2, x)
    g, = autograd.grad(x * x, x, grad_outputs=np.array([1.0, 10.0]))
    np.testing.assert_allclose(g.data, [2.0, 40.0])


def test_several_outputs_sum_their_vector_jacobian_products():
    x = leaf([1.0, 2.0])
    g, = autograd.grad([x * x, x.sum() * 3], x, grad_outputs=[np.array([1.0, 1.0]), np.array(2.0)])
    np.testing.assert_allclose(g.data, 2 * x.data + 6)


def test_input_or_output_without_grad_is_an_error():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="input 0 .* does not require grad"):
        autograd.grad((x * 2).sum(), Tensor([1.0]))
    with pytest.raises(RuntimeError, match="output 0 .* does not require grad"):
        autograd.grad(Tensor(1.0), x)


def test_retain_graph_semantics_and_a_freed_graph():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    first, = autograd.grad(y, x, retain_graph=True)
    again, = autograd.grad(y, x)  # the graph was kept: the same answer twice
    np.testing.assert_allclose(first.data, again.data)
    with pytest.raises(autograd.GraphFreed, match="second time"):
        autograd.grad(y, x)  # freed by the call without retain_graph


def test_create_graph_keeps_the_graph_by_default():
    x = leaf([1.0, 2.0])
    y = (x ** 3).sum()
    g, = autograd.grad(y, x, create_graph=True)
    g2, = autograd.grad(y, x, create_graph=True)  # retain_graph defaults to create_graph
    np.testing.assert_allclose(g.data, g2.data)


def test_grad_outputs_that_require_grad_are_differentiated_through():
    x, v = leaf([1.0, 2.0]), leaf([3.0, 5.0])
    g, = autograd.grad(x * x, x, grad_outputs=v, create_graph=True)  # g = 2 x v
    dv, = autograd.grad(g.sum(), v)
    np.testing.assert_allclose(dv.data, 2 * x.data)


def test_in_place_change_after_a_create_graph_backward_is_caught():
    x = leaf([0.5, 1.5])
    h = x.exp()
    g, = autograd.grad(h.sum(), x, create_graph=True)  # g's graph saved h's array (d exp = G ⊙ out)
    with tg.no_grad():
        h.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        autograd.grad(g.sum(), x)


# ---------------------------------------------------------------- the functional API

def cube_sum(t):
    return (t ** 3).sum()


def test_grad_of_grad():
    x = np.array([1.0, -2.0, 0.5])
    second = tg.grad(lambda t: tg.grad(cube_sum)(t).sum())(x)
    np.testing.assert_allclose(second, 6 * x)
    third = tg.grad(lambda t: tg.grad(lambda s: tg.grad(cube_sum)(s).sum())(t).sum())(x)
    np.testing.assert_allclose(third, np.full(3, 6.0))


def test_hessian_is_the_jacobian_of_the_gradient_and_hvp_matches_it():
    x, v = RNG.standard_normal(3), RNG.standard_normal(3)

    def f(t):
        return (t.sin() * t).sum() + (t[0] * t[1] * t[2])
    hessian = tg.hessian(f, x)
    np.testing.assert_allclose(hessian, tg.jacobian(tg.grad(f), x))
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-12)
    np.testing.assert_allclose(tg.hvp(f, x, v), hessian @ v, atol=1e-12)


def test_vjp_and_jvp_agree_with_the_jacobian():
    x, u, v = RNG.standard_normal(3), RNG.standard_normal(2), RNG.standard_normal(3)
    A = RNG.standard_normal((2, 3))

    def f(t):
        return (Tensor(A) @ t).tanh()
    J = tg.jacobian(f, x)
    out, uJ = tg.vjp(f, x, u)
    np.testing.assert_allclose(out, np.tanh(A @ x))
    np.testing.assert_allclose(uJ, u @ J)
    out, Jv = tg.jvp(f, x, v)
    np.testing.assert_allclose(Jv, J @ v)


def test_functional_calls_write_no_grad_not_even_of_captured_parameters():
    model = nn.Linear(3, 2)
    x = np.ones((4, 3), np.float32)  # the layer's dtype (the dtype rule)

    def loss_of_input(t):
        return model(t).square().mean()
    tg.grad(loss_of_input)(x)
    tg.value_and_grad(loss_of_input)(x)
    tg.jacobian(lambda t: model(t).sum(axis=1), x[:1])
    tg.hessian(lambda t: model(t).tanh().sum(), x[0])
    tg.hvp(lambda t: model(t).tanh().sum(), x[0], x[0])
    assert all(p.grad is None for p in model.parameters())


def test_functional_grad_of_a_tensor_argument_leaves_its_grad_alone():
    w = leaf([1.0, 2.0])
    w.grad = np.array([5.0, 5.0])
    np.testing.assert_allclose(tg.grad(lambda t: (t * t).sum())(w), 2 * w.data)
    np.testing.assert_allclose(w.grad, [5.0, 5.0])


@pytest.mark.parametrize("bad", [0.0, "0", (0.0,), (), True])
@pytest.mark.parametrize("transform", ["grad", "value_and_grad"])
def test_argnums_must_be_ints_and_the_error_names_the_function_and_the_value(transform, bad):
    with pytest.raises(TypeError, match=f"{transform}: argnums must be an int .*got {re_escape(repr(bad))}"):
        getattr(tg, transform)(cube_sum, argnums=bad)


def re_escape(text):
    import re
    return re.escape(text)


def test_tg_grad_is_functional_and_autograd_grad_is_pytorchs():
    assert tg.grad is tg.autograd.functional.grad
    assert autograd.grad.__module__.endswith("gradients")


# ---------------------------------------------------------------- gradcheck and gradgradcheck

def test_gradcheck_leaves_the_inputs_grad_alone():
    x = leaf([0.3, 0.7])
    x.grad = kept = np.array([1.0, 2.0])
    assert tg.gradcheck(lambda t: t.exp(), x)
    assert x.grad is kept and list(kept) == [1.0, 2.0]
    assert tg.gradgradcheck(lambda t: t.exp(), x)
    assert x.grad is kept and list(kept) == [1.0, 2.0]


def test_gradgradcheck_catches_a_wrong_second_derivative():
    class WrongSecond(tg.Op):
        name, rule, symbols = "wrong_square", "dz = 2 G ⊙ z", ("z",)
        __slots__ = ("z",)

        def forward(self, z):
            self.z = z
            return z * z

        def backward(self, g):
            return (2 * g * np.asarray(self.z.data if isinstance(self.z, Tensor) else self.z),)  # z kept constant
    x = leaf([0.5, 1.5])
    assert tg.gradcheck(lambda t: Tensor.apply(WrongSecond, t) * t, x)
    with pytest.raises(AssertionError, match="gradgradcheck"):
        tg.gradgradcheck(lambda t: Tensor.apply(WrongSecond, t) * t, x)


class SquareWithGSquared(tg.Op):
    """z², whose backward gives the right value 2 G z but through G²/G: its derivative in G is 4 z, not 2 z."""
    name, rule, symbols = "square_g_squared", "dz = (G ⊙ G / G) 2z", ("z",)
    __slots__ = ("z",)

    def forward(self, z):
        self.z = z
        return z * z

    def backward(self, g):
        g_value = np.array(g.data if isinstance(g, Tensor) else g)  # a constant: the value of G, not its graph
        return (g * g * 2 * self.z / g_value,)


def test_gradgradcheck_checks_the_grad_outputs_too():
    x = leaf([0.5, -1.5, 2.0])
    assert tg.gradcheck(lambda t: Tensor.apply(SquareWithGSquared, t), x)  # first derivatives are right
    with pytest.raises(AssertionError, match="gradgradcheck: grad_outputs at index"):
        tg.gradgradcheck(lambda t: Tensor.apply(SquareWithGSquared, t), x)


def test_gradgradcheck_passes_ops_linear_in_g_with_outputs_of_any_shape():
    x = leaf(RNG.standard_normal((2, 3)))
    assert tg.gradgradcheck(lambda t: t * t, x)
    assert tg.gradgradcheck(lambda t: (t * t).sum(), x)  # a 0-d output: grad_outputs is one number
    assert tg.gradgradcheck(lambda t: t[:0] * 2, x)  # an empty output: nothing flows back


# ---------------------------------------------------------------- the notes' closed forms

def test_hessian_of_mean_softmax_cross_entropy_is_diag_p_minus_p_pT_over_n():
    n, K = 3, 4
    z, y = RNG.standard_normal((n, K)), np.array([0, 3, 1])
    H = tg.hessian(lambda t: t.softmax_cross_entropy(y), z).reshape(n * K, n * K)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = np.zeros((n * K, n * K))
    for i in range(n):
        expected[i * K:(i + 1) * K, i * K:(i + 1) * K] = (np.diag(p[i]) - np.outer(p[i], p[i])) / n
    np.testing.assert_allclose(H, expected, atol=1e-12)


def test_hessian_of_least_squares_is_two_xtx_over_n():
    n, d = 5, 3
    X, y = RNG.standard_normal((n, d)), RNG.standard_normal(n)
    H = tg.hessian(lambda w: ((Tensor(X) @ w - y) ** 2).mean(), RNG.standard_normal(d))
    np.testing.assert_allclose(H, 2 * X.T @ X / n, atol=1e-12)


def test_hvp_equals_hessian_times_v_for_a_small_network():
    W1 = RNG.standard_normal((3, 4))
    x, v = RNG.standard_normal(3), RNG.standard_normal(3)

    def f(t):
        return (t @ Tensor(W1)).gelu().logsumexp()
    np.testing.assert_allclose(tg.hvp(f, x, v), tg.hessian(f, x) @ v, atol=1e-12)
