"""The worked examples of docs/convolutions.md: each number the page prints is recomputed with the engine.
(The page's Python block runs in tests/project/test_readme_examples.py.)"""

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from tinygrad_sm import Tensor
from tinygrad_sm.autograd import avg_pool2d, conv2d, max_pool2d

PAGE = Path(__file__).resolve().parents[2] / "docs" / "convolutions.md"


def page_values():
    """Every ``name = value`` line of the page's ```text blocks, as numpy arrays."""
    blocks = re.findall(r"```text\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)
    lines = [line for block in blocks for line in block.splitlines() if " = " in line]
    return {name: np.array(ast.literal_eval(value), dtype=np.float64)
            for name, value in (line.split(" = ", 1) for line in lines)}


VALUES = page_values()


def test_the_page_gives_every_number_the_tests_check():
    assert {"X", "W", "b", "Z", "G", "dW", "db", "dX", "P", "H", "max_pool", "avg_pool", "d_max_pool",
            "d_avg_pool"} <= set(VALUES)
    assert VALUES["X"].shape == (3, 3) and VALUES["W"].shape == (2, 2) and VALUES["P"].shape == (4, 4)


def test_the_conv_example_forward_and_its_three_gradients():
    X = Tensor(VALUES["X"][None, None], requires_grad=True)
    W = Tensor(VALUES["W"][None, None], requires_grad=True)
    b = Tensor(VALUES["b"].reshape(1), requires_grad=True)
    Z = conv2d(X, W, b)
    np.testing.assert_array_equal(Z.data[0, 0], VALUES["Z"])
    Z.backward(VALUES["G"][None, None])
    np.testing.assert_array_equal(W.grad[0, 0], VALUES["dW"])
    np.testing.assert_array_equal(b.grad, [VALUES["db"]])
    np.testing.assert_array_equal(X.grad[0, 0], VALUES["dX"])


def test_the_conv_example_dx_is_the_full_correlation_with_the_flipped_kernel():
    """The page's recipe, by hand: pad G with a ring of zeros and slide the rotated kernel over it."""
    padded, flipped = np.pad(VALUES["G"], 1), VALUES["W"][::-1, ::-1]
    by_hand = np.array([[(padded[y:y + 2, x:x + 2] * flipped).sum() for x in range(3)] for y in range(3)])
    np.testing.assert_array_equal(by_hand, VALUES["dX"])


@pytest.mark.parametrize("pool, name", [(max_pool2d, "max_pool"), (avg_pool2d, "avg_pool")])
def test_the_pooling_example(pool, name):
    P = Tensor(VALUES["P"][None, None], requires_grad=True)
    out = pool(P, 2)
    np.testing.assert_array_equal(out.data[0, 0], VALUES[name])
    out.backward(VALUES["H"][None, None])
    np.testing.assert_array_equal(P.grad[0, 0], VALUES["d_" + name])
