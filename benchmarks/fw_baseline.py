"""An earlier revision of tinygrad_sm, timed in the same process as the current one.

``run.py --baseline REV`` sets TINYGRAD_SM_BASELINE=REV before importing this module. The
revision's ``tinygrad_sm/`` is extracted with ``git archive`` into a temporary folder and
imported under another package name, so both versions run side by side, interleaved, on the
same data; ``fw_tinygrad.py`` is then loaded a second time bound to the old ``Tensor``. This is
how "no row slower than before" is measured without comparing runs made at different times.
"""

import atexit
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REVISION = os.environ.get("TINYGRAD_SM_BASELINE", "")
NAME = f"tinygrad_sm@{REVISION}"


def _extract_package(revision):
    """The revision's tinygrad_sm/ folder, unpacked into a temporary folder that is removed at exit."""
    if not revision:
        raise ImportError("no baseline revision (pass --baseline REV to run.py)")
    try:
        archive = subprocess.run(["git", "-C", str(HERE.parent), "archive", revision, "tinygrad_sm"],
                                 check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise ImportError(f"cannot read revision {revision!r} with git archive: {error}") from None
    folder = Path(tempfile.mkdtemp(prefix="tinygrad_sm_baseline_"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "tinygrad_sm"


def _import_as(package_dir, name):
    spec = importlib.util.spec_from_file_location(name, package_dir / "__init__.py",
                                                  submodule_search_locations=[str(package_dir)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _load_bound_to(package):
    """fw_tinygrad.py, imported again while ``tinygrad_sm`` means ``package``."""
    current = sys.modules.get("tinygrad_sm")
    sys.modules["tinygrad_sm"] = package
    try:
        spec = importlib.util.spec_from_file_location("fw_tinygrad_baseline", HERE / "fw_tinygrad.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        if current is None:
            del sys.modules["tinygrad_sm"]
        else:
            sys.modules["tinygrad_sm"] = current
    return module


_fw = _load_bound_to(_import_as(_extract_package(REVISION), "tinygrad_sm_baseline"))
make_step, make_epoch = _fw.make_step, _fw.make_epoch
make_op_chain, make_long_chain = _fw.make_op_chain, _fw.make_long_chain
