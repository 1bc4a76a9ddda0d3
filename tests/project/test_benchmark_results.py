"""The benchmark runs on a tiny size and prints the table with every row; no timings are checked."""

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_ROWS = [
    "softmax regression, batch 1:", "softmax regression, batch 32:", "softmax regression, batch 256:",
    "784-128-10 relu net, batch 1:", "784-128-10 relu net, batch 32:", "784-128-10 relu net, batch 256:",
    "per-op overhead: chain of", "backward (and freeing the graph) over a", "backward per node",
    "peak memory of one training step, softmax regression", "peak memory of one training step, 784-128-10 relu net",
]


def test_quick_benchmark_writes_a_table_with_every_row(tmp_path):
    out = tmp_path / "quick.md"
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "give the same losses" in result.stdout  # every framework trained the same
    table = out.read_text()
    assert "| workload | unit | numpy | tinygrad_sm | torch | autograd | tinygrad_sm / numpy | tinygrad_sm / torch |" \
        in table
    rows = [line for line in table.splitlines() if line.startswith("| ") and "workload" not in line]
    for expected in EXPECTED_ROWS:
        matching = [row for row in rows if expected in row]
        assert matching, f"no row for {expected!r} in:\n{table}"
        numpy_cell, tinygrad_cell = matching[0].split("|")[3:5]
        assert numpy_cell.strip() != "n/a" and tinygrad_cell.strip() != "n/a", matching[0]
    assert sum("backward per node" in row for row in rows) == 3
    layernorm = [row for row in rows if "net with LayerNorm, Adam (nn + optim)" in row]
    assert len(layernorm) == 1, table
    cells = [cell.strip() for cell in layernorm[0].split("|")[3:7]]
    assert cells[0] == "n/a" and cells[1] != "n/a" and cells[3] == "n/a"  # numpy, tinygrad_sm, torch, autograd
    if importlib.util.find_spec("torch") is not None:
        assert cells[2] != "n/a" and "Adam steps of the LayerNorm net" in result.stdout


def test_quick_conv_benchmark_agrees_across_frameworks_and_prints_every_row():
    """benchmarks/conv.py --quick: every framework computes the same values first (it raises otherwise)."""
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "conv.py"), "--quick"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "(ms)" not in line]
    names = ["conv2d LeNet conv1 (4, 1, 28, 28)", "conv2d LeNet conv2", "conv2d (4, 8, 32, 32)", "max_pool2d 2×2",
             "LeNet-5 training step, batch 4"]
    assert [row.split("|")[1].strip()[:len(name)] for row, name in zip(rows, names)] == names
    for row in rows:
        cells = [cell.strip() for cell in row.split("|")[2:-1]]
        assert all(float(cell) > 0 for cell in cells), row
    assert "Peak memory (tracemalloc) of one forward + backward of conv2d (4, 8, 32, 32)" in result.stdout
