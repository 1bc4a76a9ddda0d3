"""A user-written op through the public Tensor.apply, including the README's "Write your own op" example."""

import re
from pathlib import Path

import numpy as np
import pytest

from tinygrad_sm import Tensor, gradcheck, no_grad
from tinygrad_sm.autograd import Op, unbroadcast

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example():
    text = README.read_text()
    section = text.split("### Write your own op", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs_and_passes_gradcheck():
    namespace = {}
    exec(readme_example(), namespace)
    SiLU = namespace["SiLU"]
    x = Tensor(np.linspace(-3, 3, 7), requires_grad=True)
    assert gradcheck(lambda x: Tensor.apply(SiLU, x), x)
    z = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(Tensor.apply(SiLU, Tensor(z)).data, z / (1 + np.exp(-z)), rtol=1e-14)
    assert namespace["y"].op.name == "silu" and namespace["y"].op.rule.startswith("dz = ")


class ScaledAdd(Op):
    """out = A + k B, with a keyword option k."""

    name, symbols = "scaled_add", ("A", "B")
    rule = "dA = G, dB = k G"
    __slots__ = ("k", "a_shape", "b_shape")

    def forward(self, a, b, k=1.0):
        self.k, self.a_shape, self.b_shape = k, a.shape, b.shape
        return a + k * b

    def backward(self, g):
        """d(A + kB)/dA = 1, d(A + kB)/dB = k."""
        return unbroadcast(g, self.a_shape), unbroadcast(self.k * g, self.b_shape)


def test_keyword_options_broadcasting_and_constants():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.arange(3.0), requires_grad=True)
    out = Tensor.apply(ScaledAdd, a, b, k=2.0)
    np.testing.assert_array_equal(out.data, [[1.0, 3.0, 5.0]] * 2)
    assert gradcheck(lambda a, b: Tensor.apply(ScaledAdd, a, b, k=-0.5), a, b)
    a.grad = None
    const = Tensor.apply(ScaledAdd(), a, np.ones(3))  # an instance, and an array lifted to a constant
    const.sum().backward()
    np.testing.assert_array_equal(a.grad[0], [1, 1, 1])


def test_recorded_only_when_needed_and_checked_for_in_place_edits():
    a = Tensor(np.ones(2), requires_grad=True)
    with no_grad():
        assert Tensor.apply(ScaledAdd, a, a).op is None
    assert Tensor.apply(ScaledAdd, Tensor(np.ones(2)), Tensor(np.ones(2))).op is None

    class Square(Op):
        name, symbols, rule = "my_square", ("z",), "dz = 2 G ⊙ z"
        __slots__ = ("z",)

        def forward(self, z):
            self.z = z
            return z * z

        def backward(self, g):
            """d z²/dz = 2z."""
            return (2 * g * self.z,)

    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    u = h * 1.0  # a non-leaf the custom op saves
    loss = Tensor.apply(Square, u).sum() + w.sum()
    with no_grad():
        u += 1.0
    with pytest.raises(RuntimeError, match="the my_square op saved 'z'"):
        loss.backward()


def test_bad_ops_are_type_errors():
    with pytest.raises(TypeError, match="Tensor.apply: expected a subclass of tinygrad_sm.autograd.Op"):
        Tensor.apply(np.exp, Tensor(np.ones(2)))
    with pytest.raises(ValueError, match="Tensor.apply: ScaledAdd needs at least one input tensor"):
        Tensor.apply(ScaledAdd)
