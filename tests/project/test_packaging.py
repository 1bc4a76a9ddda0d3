"""A wheel built from the repo installs into a fresh virtual environment and imports from outside the repo."""

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(*args, cwd=None):
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def test_wheel_installs_and_imports_outside_the_repo(tmp_path):
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(REPO))
    (wheel,) = tmp_path.glob("tinygrad_sm-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "tinygrad_sm/__init__.py" in names and "tinygrad_sm/models/__init__.py" in names

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    site = run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, str(wheel))
    # numpy, scikit-learn and the rest come from this environment; the package itself only from the wheel
    Path(site, "test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = run(str(python), "-c",
              "import tinygrad_sm, tinygrad_sm.models; from tinygrad_sm import Tensor;"
              "print(tinygrad_sm.__file__); print(tinygrad_sm.models.__name__);"
              "x = Tensor([1.0, 2.0], requires_grad=True); (x * x).sum().backward(); print(x.grad.tolist())",
              cwd=elsewhere)
    module_file, models_name, grad = out.splitlines()
    assert module_file.startswith(site)
    assert models_name == "tinygrad_sm.models"
    assert grad == "[2.0, 4.0]"
