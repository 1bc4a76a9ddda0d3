"""Set-up that never breaks on a missing program: the install scripts, and the demo without Graphviz.

The scripts run with a PATH that has no `dot` (and no chromium) and an apt-get that always fails,
as on an offline machine; each must exit 0 and print one line naming what it skipped and how to
install it. The demo must run to the end without `dot`, write the DOT sources and the explorer
pages, and name the pictures it could not render.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"


@pytest.fixture
def bare_path(tmp_path):
    """A bin folder with only what the scripts need, and an apt-get that fails like an offline one."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("bash", "sh", "id", "dirname", "cat", "touch"):
        found = shutil.which(tool)
        if found:
            (folder / tool).symlink_to(found)
    fake = folder / "apt-get"
    fake.write_text("#!/bin/sh\necho 'E: Could not resolve host (offline)' >&2\nexit 100\n")
    fake.chmod(0o755)
    return str(folder)


def run(args, path, **env):
    environment = {"PATH": path, "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=environment)


def skipped_lines(completed):
    return [line for line in (completed.stdout + completed.stderr).splitlines() if line.startswith("Skipped:")]


def test_graphviz_script_succeeds_and_says_how_to_install_when_apt_get_fails(bare_path):
    completed = run(["bash", str(SCRIPTS / "install_graphviz.sh")], bare_path)
    assert completed.returncode == 0
    (line,) = skipped_lines(completed)
    assert line.startswith("Skipped: Graphviz") and "sudo apt-get install graphviz" in line
    assert "brew install graphviz" in line
    if os.geteuid() == 0:  # as root it tried apt-get, which failed
        assert "apt-get could not install graphviz" in line


def test_graphviz_script_succeeds_where_it_may_not_use_apt_get(bare_path):
    completed = run(["bash", str(SCRIPTS / "install_graphviz.sh")], bare_path, TINYGRAD_SM_NO_APT="1")
    assert completed.returncode == 0
    (line,) = skipped_lines(completed)
    assert "cannot install it" in line and "sudo apt-get install graphviz" in line


def test_browser_script_succeeds_and_says_how_to_install_when_apt_get_fails(bare_path):
    completed = run(["bash", str(SCRIPTS / "install_browser.sh")], bare_path)
    assert completed.returncode == 0
    (line,) = skipped_lines(completed)
    assert "chromium" in line and "sudo apt-get install chromium chromium-driver" in line


def test_torch_script_skips_in_one_line_once_and_does_not_retry(tmp_path, bare_path):
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    python = venv_bin / "python"
    calls = tmp_path / "calls"
    python.write_text(f"#!/bin/sh\necho pip >> {calls}\nexit 1\n")  # a pip that cannot reach any index
    python.chmod(0o755)
    for attempt in range(2):
        completed = run(["bash", str(SCRIPTS / "install_torch.sh"), str(python)], bare_path)
        assert completed.returncode == 0
        (line,) = skipped_lines(completed)
        assert line.startswith("Skipped: torch 2.13.0") and "pip install torch==2.13.0" in line
    assert calls.read_text().split() == ["pip"]  # the second run remembered the failure (a stamp file)


def test_demo_without_graphviz_writes_sources_and_explorers_and_names_what_it_could_not_render(tmp_path, bare_path):
    out = tmp_path / "demo"
    completed = run([sys.executable, str(ROOT / "examples" / "demo.py"), str(out), "--epochs", "1",
                     "--n-train", "300"], bare_path)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert shutil.which("dot", path=bare_path) is None
    for page in ("softmax_illustration/explorer.html", "two_layer_step/explorer.html"):
        assert (out / page).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    for source in ("softmax_illustration/graph.gv", "two_layer_step/graph.gv", "softmax_illustration/backward_steps/step_03.gv"):
        assert (out / source).read_text(encoding="utf-8").startswith("digraph")
    assert (out / "mnist_softmax" / "templates.png").is_file()  # matplotlib pictures need no Graphviz
    printed = completed.stdout
    assert "Not rendered, because the Graphviz program `dot` is missing (5 pictures" in printed
    for picture in ("softmax_illustration/graph.svg", "softmax_illustration/backward_steps/step_*.png",
                    "two_layer_step/graph.png"):
        assert f"{out / picture}\n" in printed
    assert "sudo apt-get install graphviz" in printed
    assert not list(out.rglob("*.svg"))


def test_a_wheel_carries_the_explorers_script_and_style(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                            str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    assert "License" not in built.stderr and "is absent from the `packages`" not in built.stderr
    (wheel,) = tmp_path.glob("tinygrad_sm-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"tinygrad_sm/viz/explorer_assets/explorer.js", "tinygrad_sm/viz/explorer_assets/explorer.css",
            "tinygrad_sm/viz/explorer.py"} <= set(names)
