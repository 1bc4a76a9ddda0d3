"""benchmarks/quality.py (the model-quality report of make bench): its MNIST reader and its table, on bundled data."""

import gzip
import importlib.util
import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn import datasets

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def quality():
    spec = importlib.util.spec_from_file_location("quality", ROOT / "benchmarks" / "quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_pickle(path, obj):
    with gzip.open(path, "wb") as f:
        pickle.dump(obj, f, protocol=4)


def test_the_mnist_reader_builds_arrays_and_refuses_anything_else(quality, tmp_path):
    X, y = np.random.default_rng(0).random((12, 784)).astype(np.float32), np.arange(12) % 10
    write_pickle(tmp_path / "ok.pkl.gz", ((X, y), (X[:2], y[:2]), (X[:2], y[:2])))
    quality.MNIST_SHA256 = __import__("hashlib").sha256((tmp_path / "ok.pkl.gz").read_bytes()).hexdigest()
    X_read, y_read = quality.load_mnist(tmp_path / "ok.pkl.gz", rows=10)
    np.testing.assert_array_equal(X_read, X[:10])
    np.testing.assert_array_equal(y_read, y[:10])
    write_pickle(tmp_path / "bad.pkl.gz", ((X, y), print, None))
    quality.MNIST_SHA256 = __import__("hashlib").sha256((tmp_path / "bad.pkl.gz").read_bytes()).hexdigest()
    with pytest.raises(pickle.UnpicklingError, match="refusing builtins.print"):
        quality.load_mnist(tmp_path / "bad.pkl.gz", rows=10)
    with pytest.raises(SystemExit, match="has sha256"):
        quality.load_mnist(tmp_path / "ok.pkl.gz", rows=10)  # no longer the expected file


def test_the_report_compares_each_model_with_its_scikit_learn_counterpart(quality):
    rows = quality.run({"iris": quality.splits(*datasets.load_iris(return_X_y=True), test_size=0.25)}, 1,
                       lambda line: None)
    assert [(row[1], row[2], row[3]) for row in rows] == [
        (features, ours, theirs) for features in ("raw", "standardised")
        for ours, theirs in [("SoftmaxRegression", "LogisticRegression"), ("MulticlassPerceptron", "Perceptron"),
                             ("TwoLayerNet", "MLPClassifier (64)")]]
    for row in rows:
        assert 0.9 <= row[4]["ours"][0] <= 1 and row[4]["ours"][1] > 0
        assert quality.verdict(row[4]["ours"], row[4]["theirs"]) == "ok"
    table = quality.report([], rows, 1, 1.0)
    assert quality.HEADER in table and table.count("| iris |") == 6
    assert quality.verdict((0.90, 1.0, ""), (0.92, 1.0, "")) == "below"
    assert quality.verdict((None, 1.0, "diverged"), (0.92, 1.0, "")) == "diverged"
