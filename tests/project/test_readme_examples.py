"""The README's Python examples run as written, in order, and give the numbers the README quotes."""

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

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def run_block(source, namespace):
    """exec the block; return the value of its last line when that line is an expression (as a REPL would)."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<README>", "exec"), namespace)
    if last is not None:
        return eval(compile(ast.Expression(last.value), "<README>", "eval"), namespace)
    return None


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    """Every block in one namespace, from a scratch folder (they write checkpoints and pictures).

    Returns the names defined after each block, each block's last value, what they printed, and the folder.
    """
    folder = tmp_path_factory.mktemp("readme")
    namespace, snapshots, results, printed = {}, [], [], io.StringIO()
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(printed):
            np.random.seed(0)  # the engine example draws with np.random
            for block in python_blocks():
                try:
                    results.append(run_block(block, namespace))
                except GraphvizNotFound:  # only the picture is missing; the viz test below skips
                    if shutil.which("dot"):
                        raise
                    results.append(None)
                snapshots.append(dict(namespace))
    finally:
        os.chdir(cwd)
    return snapshots, results, printed.getvalue(), folder


def test_readme_has_the_examples_this_file_checks():
    assert len(python_blocks()) == 10  # 8, then issue 10's custom op and functional API


def test_engine_example_gives_the_notes_batch_gradient(readme_run):
    ns = readme_run[0][0]
    X, y, W, b = ns["X"], ns["y"], ns["W"], ns["b"]
    W_before = W.data + 0.1 * W.grad  # the example ends with one step W -= 0.1 W.grad
    z = X @ W_before + b.data
    y_hat = np.exp(z - z.max(1, keepdims=True))
    y_hat /= y_hat.sum(1, keepdims=True)
    np.testing.assert_allclose(W.grad, X.T @ (y_hat - np.eye(10)[y]) / len(y), rtol=1e-6, atol=1e-9)


def test_nn_example_prints_its_accuracy_and_saves_a_checkpoint(readme_run):
    _, _, printed, folder = readme_run
    assert "0.9777" in printed.splitlines()[0]
    assert (folder / "digits.npz").exists()


def test_model_examples_reach_the_quoted_scores(readme_run):
    snapshots, results, *_ = readme_run
    ns = snapshots[-1]
    X_test, y_test = ns["X_test"], ns["y_test"]
    assert ns["clf"].score(X_test, y_test) == pytest.approx(0.971, abs=0.001)
    assert ns["clf"].lr_ == pytest.approx(0.52, abs=0.005)
    assert ns["clf"].coef_.shape == (10, 64)
    assert results[4] == pytest.approx(0.962, abs=0.001)  # MulticlassPerceptron's one-line example
    assert ns["net"].score(X_test, y_test) == pytest.approx(0.969, abs=0.001)
    assert results[6] > 0.95  # TwoLayerRegressor's R² on sin(x)


def test_viz_example_traces_and_draws(readme_run):
    snapshots, _, printed, folder = readme_run
    ns = snapshots[-1]
    assert "rule: dz = (softmax(z) - onehot(y)) / n" in printed
    np.testing.assert_allclose(ns["W"].grad[0], [0.4078, -0.3592, -0.04861], atol=1e-4)
    if shutil.which("dot") is None:
        pytest.skip("needs Graphviz's dot program to render: apt-get install graphviz (or make graphviz)")
    assert (folder / "out" / "illustration.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
