"""torch, onnx and onnxruntime stay optional (issue 20): `import tinygrad_sm` imports none of them, a call that
needs a missing one names the extra to install, and `make test` installs the [onnx] extra best effort."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def run_python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_import_tinygrad_sm_imports_neither_torch_nor_onnx():
    done = run_python("import sys, tinygrad_sm; print(sorted(m for m in ('torch', 'onnx', 'onnxruntime') "
                      "if m in sys.modules))")
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


@pytest.mark.parametrize("blocked, attribute, message", [
    ("torch", "to_torch", "tinygrad_sm.to_torch / from_torch need PyTorch: pip install tinygrad_sm[torch]"),
    ("torch", "from_torch", "tinygrad_sm.to_torch / from_torch need PyTorch: pip install tinygrad_sm[torch]"),
    ("onnx", "onnx", "tinygrad_sm.onnx needs onnx: pip install tinygrad_sm[onnx]")])
def test_a_missing_extra_is_named(blocked, attribute, message):
    done = run_python(f"import sys; sys.modules[{blocked!r}] = None\nimport tinygrad_sm as tg\ntg.{attribute}")
    assert done.returncode == 1 and message in done.stderr.splitlines()[-1]


def test_the_onnx_script_skips_in_one_line_once_and_does_not_retry(tmp_path):
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("bash", "dirname", "touch"):
        (folder / tool).symlink_to(shutil.which(tool))
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f"#!/bin/sh\necho pip >> {tmp_path / 'calls'}\nexit 1\n")  # a pip that reaches no index
    python.chmod(0o755)
    for _ in range(2):
        done = subprocess.run(["bash", str(SCRIPTS / "install_onnx.sh"), str(python)], capture_output=True, text=True,
                              env={"PATH": str(folder)})
        assert done.returncode == 0
        (line,) = [x for x in done.stdout.splitlines() if x.startswith("Skipped:")]
        assert line.startswith("Skipped: onnx and onnxruntime (the ONNX export tests skip)")
        assert f"{python} -m pip install onnx onnxruntime" in line
    assert (tmp_path / "calls").read_text().split() == ["pip"]
