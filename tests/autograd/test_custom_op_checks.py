"""What a user-written op's forward and backward return is checked as PyTorch's autograd.Function checks it (issue 19)."""

import numpy as np
import pytest

from tinygrad_sm import Tensor
from tinygrad_sm.autograd import Op
from tinygrad_sm.viz import to_dot

torch = None
try:
    import torch
except ImportError:  # pragma: no cover - torch is an optional extra
    pass


def op_returning(backward_result, n_inputs=1, forward=None):
    """A custom op of ``n_inputs`` inputs whose backward returns ``backward_result(G)``."""

    class Returns(Op):
        name, rule = "returns", "dA = ?"

        def forward(self, *arrays):
            return forward(arrays) if forward else sum(arrays) * 1.0

        def backward(self, g):
            return backward_result(g)

    return Returns


def torch_result(backward_result, n_inputs=1):
    """(x.grad as numpy, None) from the same backward in torch.autograd.Function, or (None, error text)."""

    class Returns(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *xs):
            return sum(xs) * 1.0

        @staticmethod
        def backward(ctx, g):
            return backward_result(g)

    xs = [torch.ones(2, dtype=torch.float64, requires_grad=True) for _ in range(n_inputs)]
    try:
        Returns.apply(*xs).sum().backward()
    except RuntimeError as error:
        return None, str(error)
    return (None if xs[0].grad is None else xs[0].grad.numpy()), None


def run(op, n_inputs=1):
    xs = [Tensor(np.ones(2), requires_grad=True) for _ in range(n_inputs)]
    Tensor.apply(op, *xs).sum().backward()
    return xs[0].grad


REFUSED = [  # (id, our backward, torch's backward, inputs, our error, part of our message)
    ("shape (3,)", lambda g: np.ones(3), lambda g: torch.ones(3, dtype=torch.float64), 1, ValueError,
     r"Returns.backward returned a gradient of shape \(3,\) for input 0, which has shape \(2,\)"),
    ("0-d", lambda g: np.float64(1.0) * np.ones(()), lambda g: torch.tensor(1.0, dtype=torch.float64), 1,
     ValueError, r"shape \(\) for input 0, which has shape \(2,\)"),
    ("fewer", lambda g: (g,), lambda g: (g,), 2, ValueError, "Returns.backward returned 1 gradient for 2 inputs"),
    ("more", lambda g: (g, g), lambda g: (g, g), 1, ValueError, "Returns.backward returned 2 gradients for 1 input"),
    ("None for two inputs", lambda g: None, lambda g: None, 2, ValueError, "returned 1 gradient for 2 inputs"),
    ("complex", lambda g: g.astype(np.complex128), lambda g: g.to(torch.complex128), 1, TypeError,
     "a gradient of dtype complex128 for input 0, which is float64; a complex gradient"),
    ("float", lambda g: 2.0, lambda g: 2.0, 1, TypeError, "returned a float as the gradient for input 0"),
    ("list", lambda g: [g], lambda g: [g], 1, TypeError, "returned a list as the gradient for input 0"),
    ("Tensor", lambda g: Tensor(g), lambda g: [g], 1, TypeError, r"a Tensor as the gradient .* \(use its .data\)"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[case[0] for case in REFUSED])
def test_a_bad_backward_result_is_refused_naming_the_op_and_the_input(case):
    _, ours, theirs, n_inputs, error, message = case
    if torch is not None:
        assert torch_result(theirs, n_inputs)[1] is not None  # PyTorch refuses it too
    xs = [Tensor(np.ones(2), requires_grad=True) for _ in range(n_inputs)]
    with pytest.raises(error, match=message) as caught:
        Tensor.apply(op_returning(ours, n_inputs), *xs).sum().backward()
    assert str(caught.value).startswith("Tensor.apply: Returns.backward returned ")
    assert all(x.grad is None for x in xs)  # nothing was written


ACCEPTED = [  # (id, our backward, torch's backward, inputs, expected x.grad)
    ("a bare array", lambda g: 2 * g, lambda g: 2 * g, 1, [2.0, 2.0]),
    ("None: no gradient", lambda g: None, lambda g: None, 1, None),
    ("extra trailing None", lambda g: (g, None), lambda g: (g, None), 1, [1.0, 1.0]),
    ("a broadcast (2, 2) summed back", lambda g: np.ones((2, 2)), lambda g: torch.ones(2, 2, dtype=torch.float64),
     1, [2.0, 2.0]),
    ("a (1, 2) summed back", lambda g: np.ones((1, 2)), lambda g: torch.ones(1, 2, dtype=torch.float64), 1,
     [1.0, 1.0]),
    ("an int gradient cast", lambda g: np.ones(2, dtype=np.int64), lambda g: torch.ones(2, dtype=torch.int64), 1,
     [1.0, 1.0]),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=[case[0] for case in ACCEPTED])
def test_backward_results_pytorch_accepts_give_pytorchs_gradient(case):
    _, ours, theirs, n_inputs, expected = case
    grad = run(op_returning(ours, n_inputs), n_inputs)
    if expected is None:
        assert grad is None
    else:
        np.testing.assert_array_equal(grad, expected)
        assert grad.dtype == np.float64 and grad.shape == (2,)
    if torch is not None:
        theirs_grad, error = torch_result(theirs, n_inputs)
        assert error is None
        assert (theirs_grad is None) if expected is None else np.array_equal(theirs_grad, grad)


def test_a_gradient_for_a_non_leaf_input_is_fitted_before_it_flows_on():
    w = Tensor(np.ones(2), requires_grad=True)
    h = w * 3.0  # a non-leaf: a bad gradient would pass on to w silently
    with pytest.raises(ValueError, match=r"shape \(2, 2, 3\) for input 0"):
        Tensor.apply(op_returning(lambda g: np.ones((2, 2, 3))), h).sum().backward()
    h = w * 3.0
    Tensor.apply(op_returning(lambda g: np.ones((3, 2), dtype=np.float32)), h).sum().backward()
    np.testing.assert_array_equal(w.grad, [9.0, 9.0])  # summed over the broadcast axis, times 3
    assert w.grad.dtype == np.float64


def test_a_gradient_for_an_input_that_needs_none_is_not_checked():
    x, c = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2))
    Tensor.apply(op_returning(lambda g: (g, "ignored"), 2), x, c).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


@pytest.mark.parametrize("result, message", [
    (None, "returned None"), ("abc", "returned a str"), (np.array(["a", "b"]), "an array of dtype <U1"),
    (np.array([object(), 1]), "an array of dtype object"), ((np.ones(2), np.ones(2)), "returned a tuple"),
    ([1.0, 2.0], "returned a list"),
])
def test_a_bad_forward_result_is_refused_naming_the_op(result, message):
    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match=message) as caught:
        Tensor.apply(op_returning(lambda g: g, forward=lambda arrays: result), x)
    assert str(caught.value).startswith("Tensor.apply: Returns.forward returned ")


def test_forward_may_return_a_number_and_an_integer_result_carries_no_gradient():
    x = Tensor(np.ones(2), requires_grad=True)
    assert Tensor.apply(op_returning(lambda g: g, forward=lambda arrays: 3.0), x).data == 3.0
    counts = Tensor.apply(op_returning(lambda g: g, forward=lambda arrays: (arrays[0] * 3).astype(np.int64)), x)
    assert counts.dtype == np.int64 and not counts.requires_grad and counts.op is None  # as in PyTorch


def test_the_checked_op_keeps_its_class_name_slots_and_instance():
    class Twice(Op):
        name, rule = "twice", "dz = 2 G"
        __slots__ = ("seen",)

        def forward(self, z):
            self.seen = z
            return 2 * z

        def backward(self, g):
            return 2 * g

    op = Twice()
    x = Tensor(np.ones(2), requires_grad=True)
    y = Tensor.apply(op, x)
    assert y.op is op and isinstance(op, Twice) and type(op).__name__ == "Twice"
    Tensor.apply(op, x)  # the same instance again
    y.sum().backward()
    assert op.released and not hasattr(op, "seen")  # release() still drops what forward saved


def test_built_in_ops_are_not_wrapped():
    x = Tensor(np.ones(2), requires_grad=True)
    assert not getattr(type((x * 2).op), "_checks_results", False)


def test_an_op_without_slots_keeps_its_graph_after_backward_and_drops_what_it_saved():
    class Square(Op):  # no __slots__: what forward saves goes into the instance's __dict__
        name, rule, symbols = "square", "dz = 2 G ⊙ z", ("z",)

        def forward(self, z):
            self.z = z
            return z * z

        def backward(self, g):
            return (2 * g * self.z,)
    x = Tensor(np.arange(100.0), requires_grad=True)
    loss = Tensor.apply(Square, x).sum()
    loss.backward()
    np.testing.assert_array_equal(x.grad, 2 * np.arange(100.0))
    op = loss.op.parents[0].op
    assert op.parents[0] is x and op.needs_grad == (True,) and op.released and not hasattr(op, "z")
    assert "square" in to_dot(loss)  # the picture after backward still has the op
