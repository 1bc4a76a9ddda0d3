"""examples/mlp_from_scratch.py: checkpoint mid-training, resume, and end bit for bit where a straight run ends;
examples/softmax_jacobian.py prints the jacobian beside the formula of the notes
"Multi-class classification with Softmax function"."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))

import mlp_from_scratch  # noqa: E402
import softmax_jacobian  # noqa: E402

import tinygrad_sm  # noqa: E402

needs_checkpoints = pytest.mark.skipif(not mlp_from_scratch.checkpoints_hold_an_optimizer(),
                                       reason="save() cannot store an optimizer yet (issue 9's checkpoints)")
SMALL = ["--epochs", "4", "--checkpoint-epoch", "2", "--hidden", "32", "--lr-step", "3"]


@needs_checkpoints
def test_resumed_training_ends_bit_for_bit_where_the_straight_run_ends(tmp_path, capsys):
    result = mlp_from_scratch.main(SMALL + ["--out", str(tmp_path)])
    assert result["identical"] is True
    assert result["test_accuracy"] == result["resumed_test_accuracy"] > 0.9
    assert (tmp_path / "checkpoint.safetensors").is_file() and (tmp_path / "result.json").is_file()
    assert "identical bit for bit: True" in capsys.readouterr().out


@needs_checkpoints
def test_without_the_optimizer_state_the_resumed_run_differs(tmp_path):
    """The control: the same resume with a fresh Adam (no moments, step counts from 0) does not end the same."""
    mlp_from_scratch.main(SMALL + ["--out", str(tmp_path)])  # writes the checkpoint after epoch 2
    args = mlp_from_scratch.argparse.Namespace(hidden=32, dropout=0.2, lr=3e-3, lr_step=3)
    X_train, X_test, y_train, y_test = mlp_from_scratch.split_and_scale(
        *mlp_from_scratch.load_dataset("digits"), random_state=0)
    data = (X_train.astype(np.float32), X_test.astype(np.float32), y_train, y_test)
    straight, opt, scheduler = mlp_from_scratch.build(args, 0)
    mlp_from_scratch.train_epochs(straight, opt, scheduler, data, 0, 4, 0)
    resumed, opt, scheduler = mlp_from_scratch.build(args, 1)
    tinygrad_sm.load(tmp_path / "checkpoint.safetensors", resumed)  # the model only
    scheduler.last_epoch = 2
    mlp_from_scratch.train_epochs(resumed, opt, scheduler, data, 2, 4, 0)
    assert not np.array_equal(straight.fc1.weight.data, resumed.fc1.weight.data)


def test_help_runs_and_names_the_output_folder():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "mlp_from_scratch.py"), "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--checkpoint-epoch" in result.stdout and "out/mlp_from_scratch" in result.stdout


def test_softmax_jacobian_example_prints_the_formula_beside_the_reverse_passes(capsys):
    J, formula, difference = softmax_jacobian.main(["--z", "0.5", "-1", "2"])
    assert J.shape == (3, 3) and difference < 1e-15
    z = np.array([0.5, -1.0, 2.0])
    y = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(formula, np.diag(y) - np.outer(y, y), rtol=1e-14)
    printed = capsys.readouterr().out
    assert "y_i(δ_ij − y_j)" in printed and "jacobian(softmax, z)" in printed
