"""Every example runs on a small size, prints what it shows, and leaves valid pictures behind."""

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(EXAMPLES))

import closed_forms  # noqa: E402
import conv_backward  # noqa: E402
import demo  # noqa: E402
import graph_gallery  # noqa: E402
import iris  # noqa: E402
import lenet_mnist  # noqa: E402
import mnist_softmax  # noqa: E402
import perceptron  # noqa: E402
import softmax_illustration  # noqa: E402
import two_moons  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NEEDS_DOT = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot program: "
                               "apt-get install graphviz (make graphviz does it as root), or brew install graphviz")


def assert_valid_pictures(paths, folder):
    """Each path exists inside ``folder`` and is a real PNG (signature) or SVG (parses, has an <svg> root)."""
    assert paths
    for path in map(Path, paths):
        assert path.is_file() and path.stat().st_size > 500, path
        assert Path(folder) in path.parents
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == PNG_SIGNATURE, path
        else:
            assert path.suffix == ".svg" and ET.parse(path).getroot().tag.endswith("svg"), path


@NEEDS_DOT
def test_softmax_illustration_reproduces_the_numbers_of_note_001(tmp_path, capsys):
    result = softmax_illustration.main(tmp_path)
    np.testing.assert_allclose(result["z"], [1.5, 1.0, -1.0])
    np.testing.assert_allclose(result["probs"], [0.592, 0.359, 0.049], atol=5e-4)
    for r in result["results"]:
        np.testing.assert_allclose(r["grad_z"], r["formula_z"], atol=1e-12)
        np.testing.assert_allclose(r["grad_W"], r["formula_W"], atol=1e-12)
    np.testing.assert_allclose(result["results"][0]["grad_z"], [0.592 - 1, 0.359, 0.049], atol=5e-4)
    assert len(result["pictures"]) == 2 + 4  # graph.svg, graph.png, and the frames before and after 3 steps
    assert_valid_pictures(result["pictures"], tmp_path)
    assert (tmp_path / "graph.gv").read_text(encoding="utf-8").startswith("digraph")
    assert Path(result["explorer"]).read_text(encoding="utf-8") == result["explorer_html"]
    printed = capsys.readouterr().out
    assert "z = Wᵀx         = [1.5, 1, -1]" in printed and "ŷ = softmax(z)  = [0.592, 0.359, 0.049]" in printed
    assert "rule: dz = (softmax(z) - onehot(y)) / n" in printed and "rule: dW = G with the axes permuted back" in printed


def test_closed_forms_match_the_engine_to_rounding(tmp_path, capsys):
    result = closed_forms.main(tmp_path)
    assert len(result["rows"]) == len(closed_forms.CHECKS) == 11
    assert {r["note"] for r in result["rows"]} == {closed_forms.NOTE_000, closed_forms.NOTE_001,
                                                   closed_forms.NOTE_002, closed_forms.NOTE_003}
    for r in result["rows"]:
        assert r["engine"].shape == r["expected"].shape
        assert r["max_diff"] < 1e-12, r["formula"]
        assert np.abs(r["expected"]).max() > 0.01  # a real gradient, not zeros against zeros
    assert_valid_pictures(result["pictures"], tmp_path)
    assert "largest difference" in capsys.readouterr().out
    table = Path(result["table"]).read_text(encoding="utf-8").splitlines()
    assert table[0] == "| note | formula (as the note writes it) | engine | closed form | largest |difference| |"
    assert len(table) == 2 + 11 and "Softmax regression" in table[2] and "∇_W f_CE = (1/n) X(Ŷ - Y)" in table[2]


@NEEDS_DOT
def test_graph_gallery_draws_four_graphs_with_micrograd_values(tmp_path):
    result = graph_gallery.main(tmp_path)
    assert len(result["pictures"]) == 8
    assert_valid_pictures(result["pictures"], tmp_path)
    roots = result["roots"]
    assert roots["neuron"].item() == pytest.approx(0.7071, abs=1e-4)
    assert roots["diamond"].item() == pytest.approx(8.0)
    svg = (tmp_path / "neuron.svg").read_text(encoding="utf-8")
    assert "grad 1" in svg and "grad 0.5" in svg  # dw1 = x1 (1 - o²) = 1; do/dn = 0.5
    svg = (tmp_path / "two_layer.svg").read_text(encoding="utf-8")
    for text in ("W1", "b2", "relu", "dh = G ⊙ 1[h &gt; 0]", "softmax_cross_entropy"):
        assert text in svg
    svg = (tmp_path / "diamond.svg").read_text(encoding="utf-8")
    assert "grad [4] + [4] = [8]" in svg  # the two paths into x, and their sum


def test_mnist_softmax_falls_back_to_the_digits_and_says_so(tmp_path, capsys):
    result = mnist_softmax.main(tmp_path, source="auto", download=False, epochs=3)
    assert result["side"] == 8 and "8×8 digits" in result["description"]
    assert result["test_accuracy"] > 0.75  # after only 3 epochs; about 0.93 after the default 10
    assert result["model"].coef_.shape == (10, 64)
    assert_valid_pictures(result["pictures"], tmp_path)
    assert "bundled 8×8 digits (MNIST is not cached" in capsys.readouterr().out


def test_mnist_softmax_uses_mnist_when_it_can_be_fetched(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    labels = np.arange(3000) % 10
    images = rng.integers(0, 30, (3000, 784))
    images[np.arange(3000), labels * 70 + 5] = 255  # one bright pixel per class: an easy fake MNIST
    monkeypatch.setattr(mnist_softmax, "mnist_cache_path", lambda: tmp_path / "cache" / "mnist_784.npz")
    monkeypatch.setattr(mnist_softmax.data, "load_mnist", lambda fallback=False: (images, labels))
    result = mnist_softmax.main(tmp_path / "out", epochs=2)
    assert result["side"] == 28 and result["description"].startswith("MNIST (downloaded")
    assert result["model"].coef_.shape == (10, 784) and result["test_accuracy"] > 0.95
    assert_valid_pictures(result["pictures"], tmp_path / "out")
    cached = mnist_softmax.load_images("auto", download=False)  # the second time it comes from the cache
    assert cached[3].startswith("MNIST (cached") and cached[0].shape == (3000, 784)
    np.testing.assert_allclose(cached[0], images / 255.0, rtol=1e-6)


def test_two_moons_two_layer_net_beats_the_line(tmp_path):
    result = two_moons.main(tmp_path, n_samples=300, epochs=60)
    linear, network = result["accuracy"].values()
    assert network >= 0.93 and linear < 0.9 and network > linear
    assert_valid_pictures(result["pictures"], tmp_path)


def test_perceptron_shows_instability_and_the_breakout(tmp_path, capsys):
    result = perceptron.main(tmp_path, epochs=6, steps=40)
    assert set(result["curves"]) == {"plain", "averaged"}
    assert all(0.85 < a <= 1 for curve in result["curves"].values() for a in curve)
    assert result["small_step_is_scaled_copy"]
    runs = result["runs"]
    assert runs[("perceptron", 1.0)]["accuracy"] == runs[("perceptron", 0.1)]["accuracy"]
    logistic_tail = runs[("logistic", 1.0)]["accuracy"][20:]
    perceptron_tail = runs[("perceptron", 1.0)]["accuracy"][20:]
    assert max(logistic_tail) - min(logistic_tail) < 0.01 < max(perceptron_tail) - min(perceptron_tail)
    assert_valid_pictures(result["pictures"], tmp_path)
    assert "Nope, and Nope." in capsys.readouterr().out


def test_iris_softmax_regression_regions(tmp_path):
    result = iris.main(tmp_path, epochs=30)
    assert result["accuracy"] >= 0.9 and result["accuracy_all_features"] >= 0.9
    assert_valid_pictures(result["pictures"], tmp_path)


@NEEDS_DOT
def test_demo_tour_is_short_and_names_its_pictures_and_explorers(tmp_path, capsys):
    result = demo.main(tmp_path, epochs=2, n_train=500)
    assert len(result["pictures"]) == 10 and result["not_rendered"] == []
    assert_valid_pictures(result["pictures"], tmp_path)
    assert (tmp_path / "two_layer_step" / "graph.svg").is_file() and result["loss"] > 0
    for page in result["explorers"]:
        assert Path(page).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    printed = capsys.readouterr().out
    assert f"Done. 10 pictures and 2 explorer pages under {tmp_path}/" in printed
    assert "step  6  matmul#1 = matmul(X, W1)" in printed and "rule: dh = G ⊙ 1[h > 0]" in printed
    assert "Not rendered" not in printed


def test_lenet_quick_learns_the_bundled_digits_and_draws_its_filters(tmp_path, capsys):
    result = lenet_mnist.main(tmp_path, quick=True)
    assert result["side"] == 8 and "8×8 digits (--quick)" in result["description"]
    assert result["held_out_accuracy"] > 0.85  # measured 0.92 after the 5 epochs
    assert len(result["history"]) == 5 and result["history"][-1][0] < result["history"][0][0] / 4
    assert result["model"].layers[1].weight.shape == (6, 1, 5, 5)
    assert_valid_pictures(result["pictures"], tmp_path)
    printed = capsys.readouterr().out
    assert "Held-out accuracy 0.9" in printed and " s per epoch)" in printed


def test_lenet_feature_maps_are_the_layers_outputs():
    model = lenet_mnist.lenet_module((1, 8, 8), 10, (6, 16), 5, (120, 84), lenet_mnist.nn.ReLU, 0)
    x = np.random.default_rng(0).random(64).astype(np.float32)
    maps = lenet_mnist.feature_maps(model, x)
    assert [m.shape for m in maps.values()] == [(6, 8, 8), (16, 4, 4)]
    first = model.layers[1](lenet_mnist.Tensor(x.reshape(1, 1, 8, 8))).data[0]
    np.testing.assert_allclose(maps["conv 1 + ReLU"], np.maximum(first, 0), rtol=1e-6)


@NEEDS_DOT
def test_conv_backward_draws_the_graph_and_checks_the_flipped_kernel_rule(tmp_path, capsys):
    result = conv_backward.main(tmp_path)
    assert result["difference"] < 1e-12 and np.abs(result["dX"]).max() > 0.1
    assert_valid_pictures(result["pictures"], tmp_path)
    svg = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert "conv2d" in svg and "flipped kernel" in svg and "max_pool2d" in svg
    printed = capsys.readouterr().out
    assert "C = conv2d(X, W, b)" in printed and "rule: dX = fold(Wᵀ G)" in printed


def test_the_flipped_kernel_rule_by_hand_is_a_full_correlation():
    G, W = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [0.0, -1.0]])
    expected = np.array([[1, 2, 0], [3, 4 - 1, -2], [0, -3, -4]])  # Σ_ij G[y-i, x-j] W[i, j], written out
    np.testing.assert_array_equal(conv_backward.full_correlation_with_flipped_kernel(G, W), expected)


@pytest.mark.parametrize("script", ["demo", "softmax_illustration", "graph_gallery", "closed_forms", "mnist_softmax",
                                    "perceptron", "iris", "two_moons", "lenet_mnist", "conv_backward"])
def test_every_example_has_a_help_and_makes_no_folder_for_it(tmp_path, script):
    completed = subprocess.run([sys.executable, str(EXAMPLES / f"{script}.py"), "--help"], cwd=tmp_path,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage: ") and "out_dir" in completed.stdout
    assert list(tmp_path.iterdir()) == []  # no folder called --help/


def test_an_example_runs_as_a_script_from_the_repository_root(tmp_path):
    completed = subprocess.run([sys.executable, "examples/iris.py", str(tmp_path)], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "Picture:" in completed.stdout
    assert (tmp_path / "decision_regions.png").read_bytes()[:8] == PNG_SIGNATURE


def test_mnist_offline_says_so_in_one_line_without_retries(monkeypatch, tmp_path, recwarn):
    from urllib.error import URLError

    calls = []

    def offline(*args, **kwargs):
        calls.append(kwargs.get("n_retries"))
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(mnist_softmax, "mnist_cache_path", lambda: tmp_path / "nothing" / "mnist_784.npz")
    monkeypatch.setattr("sklearn.datasets.fetch_openml", offline)
    X, y, side, description = mnist_softmax.load_images("auto", download=True)
    assert side == 8 and calls == [0]  # one attempt: no retry, no waiting
    assert description == ("scikit-learn's bundled 8×8 digits (MNIST is not cached and could not be "
                           "downloaded: URLError)")
    assert "\n" not in description and len(recwarn) == 0
