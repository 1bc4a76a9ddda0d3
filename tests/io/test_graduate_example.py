"""examples/graduate.py: tinygrad_sm → safetensors → PyTorch (trains on) → safetensors → ONNX Runtime, with the
same predictions from all three."""

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="torch is not installed (pip install tinygrad_sm[torch])")
pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install tinygrad_sm[onnx])")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
import graduate  # noqa: E402


def test_the_three_engines_predict_the_same(tmp_path, capsys):
    result = graduate.main(tmp_path, epochs=2, torch_epochs=1)
    assert result["same_start"] and result["agree"]
    np.testing.assert_allclose(result["before"]["PyTorch"], result["before"]["tinygrad_sm"], rtol=1e-4, atol=1e-4)
    scores = result["scores"]
    np.testing.assert_allclose(scores["tinygrad_sm"], scores["PyTorch"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(scores["ONNX Runtime"], scores["PyTorch"], rtol=1e-4, atol=1e-4)
    assert (result["predictions"]["PyTorch"] == result["y_test"]).mean() > 0.85
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digits_mlp.onnx", "digits_mlp.safetensors",
                                                          "digits_mlp_torch.safetensors"]
    printed = capsys.readouterr().out
    assert f"all three agree on all {len(result['y_test'])} test digits: True" in printed
    for name in ("tinygrad_sm ", "PyTorch ", "ONNX Runtime "):
        assert f"  {name}" in printed
