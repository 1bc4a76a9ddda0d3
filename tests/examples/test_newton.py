"""examples/newton.py: Newton's method with Hessian-vector products beats gradient descent from the same start."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

import newton  # noqa: E402


def test_newton_converges_faster_than_gradient_descent_and_reaches_a_stationary_point(tmp_path, capsys):
    result = newton.main(tmp_path, iterations=6)
    assert result["newton"][0] == result["gd"][0] == pytest.approx(np.log(3), rel=1e-12)  # the same start: θ = 0, uniform probabilities
    assert all(a < b for a, b in zip(result["newton"][1:], result["gd"][1:]))
    assert result["grad_norm"] < 1e-3 and np.all(np.diff(result["newton"]) <= 1e-12)
    assert Path(result["pictures"][0]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Newton (CG on Hessian-vector products)" in capsys.readouterr().out


def test_conjugate_gradient_solves_a_small_system():
    A = np.array([[4.0, 1.0], [1.0, 3.0]])
    g = np.array([1.0, 2.0])
    np.testing.assert_allclose(A @ newton.conjugate_gradient(lambda v: A @ v, g), -g, atol=1e-8)
