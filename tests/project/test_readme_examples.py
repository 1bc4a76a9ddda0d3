"""The Python examples of the README and of docs/*.md run as written, in order, and give the numbers they quote.

Each page runs top to bottom in its own namespace, as a reader would run it.
"""

import ast
import contextlib
import io
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from tinygrad_sm.viz import GraphvizNotFound

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MODELS_PAGE = ROOT / "docs" / "models.md"
OPS_PAGE = ROOT / "docs" / "ops.md"
PAGES_WITH_EXAMPLES = {README: 6, MODELS_PAGE: 5, OPS_PAGE: 1}  # page -> its number of ```python blocks
# The README's blocks, in order.
VIZ, ENGINE, NN, FUNCTIONAL, CUSTOM_OP, MODEL = range(6)


def python_blocks(page):
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)


def run_block(source, namespace, page):
    """exec the block; return the value of its last line when that line is an expression (as a REPL would)."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, f"<{page.name}>", "exec"), namespace)
    if last is not None:
        return eval(compile(ast.Expression(last.value), f"<{page.name}>", "eval"), namespace)
    return None


def run_page(page, folder):
    """Every block of one page in one namespace, from a scratch folder (they write checkpoints and pictures).

    Returns, per block, the names defined after it, its last value and what it printed.
    """
    namespace, snapshots, results, printed = {}, [], [], []
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        np.random.seed(0)  # the engine example draws with np.random
        for block in python_blocks(page):
            output = io.StringIO()
            with contextlib.redirect_stdout(output):
                try:
                    results.append(run_block(block, namespace, page))
                except GraphvizNotFound:  # only the picture is missing; the viz test below skips
                    if shutil.which("dot"):
                        raise
                    results.append(None)
            snapshots.append(dict(namespace))
            printed.append(output.getvalue())
    finally:
        os.chdir(cwd)
    return snapshots, results, printed


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme")
    return (*run_page(README, folder), folder)


@pytest.fixture(scope="module")
def models_page_run(tmp_path_factory):
    return run_page(MODELS_PAGE, tmp_path_factory.mktemp("models_page"))


@pytest.fixture(scope="module")
def ops_page_run(tmp_path_factory):
    return run_page(OPS_PAGE, tmp_path_factory.mktemp("ops_page"))


def test_the_pages_have_the_examples_this_file_checks():
    for page, count in PAGES_WITH_EXAMPLES.items():
        assert len(python_blocks(page)) == count, page.name


def test_every_page_with_python_examples_is_run_here():
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    assert {page for page in pages if python_blocks(page)} == set(PAGES_WITH_EXAMPLES)


def test_engine_example_gives_the_notes_batch_gradient(readme_run):
    ns = readme_run[0][ENGINE]
    X, y, W, b = ns["X"], ns["y"], ns["W"], ns["b"]
    W_before = W.data + 0.1 * W.grad  # the example ends with one step W -= 0.1 W.grad
    z = X @ W_before + b.data
    y_hat = np.exp(z - z.max(1, keepdims=True))
    y_hat /= y_hat.sum(1, keepdims=True)
    np.testing.assert_allclose(W.grad, X.T @ (y_hat - np.eye(10)[y]) / len(y), rtol=1e-6, atol=1e-9)


def test_nn_example_prints_its_accuracy_and_saves_a_checkpoint(readme_run):
    _, _, printed, folder = readme_run
    assert "0.9777" in printed[NN].splitlines()[0]
    assert (folder / "digits.safetensors").exists()


def test_functional_example_gives_the_quoted_gradient(readme_run):
    np.testing.assert_array_equal(readme_run[1][FUNCTIONAL], [2.0, 4.0])


def test_custom_op_example_passes_gradcheck(readme_run):
    assert readme_run[1][CUSTOM_OP] is True


def test_model_example_reaches_the_quoted_scores(readme_run):
    ns = readme_run[0][MODEL]
    X_test, y_test = ns["X_test"], ns["y_test"]
    assert ns["clf"].score(X_test, y_test) == pytest.approx(0.971, abs=0.001)
    assert ns["clf"].lr_ == pytest.approx(0.52, abs=0.005)
    assert ns["clf"].coef_.shape == (10, 64)


def test_models_page_examples_reach_the_quoted_scores(models_page_run):
    snapshots, results, _ = models_page_run
    ns = snapshots[-1]
    X_test, y_test = ns["X_test"], ns["y_test"]
    assert results[1] == pytest.approx(0.962, abs=0.001)  # MulticlassPerceptron's one-line example
    assert ns["net"].score(X_test, y_test) == pytest.approx(0.969, abs=0.001)
    assert results[3] > 0.95  # TwoLayerRegressor's R² on sin(x)
    assert ns["cnn"].score(X_test, y_test) == pytest.approx(0.971, abs=0.001) and results[4] == (1, 8, 8)


def test_ops_page_custom_op_example_gives_the_quoted_gradient(ops_page_run):
    _, results, printed = ops_page_run
    assert printed[0] == "[4. 4. 4.]\n"
    assert results[0] is True


def test_viz_example_traces_and_draws(readme_run):
    snapshots, _, printed, folder = readme_run
    ns = snapshots[VIZ]
    assert "rule: dz = (softmax(z) - onehot(y)) / n" in printed[VIZ]
    np.testing.assert_allclose(ns["W"].grad[0], [0.4078, -0.3592, -0.04861], atol=1e-4)
    if shutil.which("dot") is None:
        pytest.skip("needs Graphviz's dot program to render: apt-get install graphviz (or make graphviz)")
    assert (folder / "out" / "illustration.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


SECOND_ORDER_PAGE = ROOT / "docs" / "second-order.md"
PAGES_WITH_EXAMPLES[SECOND_ORDER_PAGE] = 2  # issue 17


def test_second_order_page_gives_the_quoted_derivatives(tmp_path):
    snapshots, results, _ = run_page(SECOND_ORDER_PAGE, tmp_path)
    np.testing.assert_allclose(snapshots[0]["x"].grad.data, [3.0, 12.0])
    np.testing.assert_allclose(results[0].data, [6.0, 12.0])
    assert results[1] is np.True_ or results[1] is True


CONVOLUTIONS_PAGE = ROOT / "docs" / "convolutions.md"
PAGES_WITH_EXAMPLES[CONVOLUTIONS_PAGE] = 1  # issue 18


def test_convolutions_page_runs_and_its_unfold_matmul_is_the_convolution(tmp_path):
    snapshots, _, _ = run_page(CONVOLUTIONS_PAGE, tmp_path)
    ns = snapshots[0]
    assert ns["h"].shape == (8, 6, 14, 14) and ns["columns"].shape == (8, 25, 784)
    np.testing.assert_allclose(ns["same"].data, ns["conv2d"](ns["x"], ns["W"], padding=2).data, rtol=1e-5, atol=1e-5)
