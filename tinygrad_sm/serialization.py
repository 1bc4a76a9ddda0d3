"""Save and load a Module's parameters as a numpy ``.npz`` file, atomically.

``save`` writes to a temporary file in the same folder, flushes it to disk, then renames it
over the target with ``os.replace`` (atomic on POSIX and Windows), so a crash mid-write
leaves either the old checkpoint or the new one, never half a file.
"""

import os
import tempfile

import numpy as np

from .nn import Module


def save(path, module):
    """Write ``module.state_dict()`` to ``path`` (an .npz file; the name is kept as given)."""
    if not isinstance(module, Module):
        raise TypeError(f"save: expected an nn.Module, got {type(module).__name__} "
                        "(for a fitted scikit-learn style model, save model.module_ or use pickle/joblib)")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, tmp_path = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(handle, "wb") as f:
            np.savez(f, **module.state_dict())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise
    return path


def load(path, module=None):
    """Read a checkpoint written by ``save``.

    Returns the state dict {name: array}; with ``module`` given, loads it into the module
    (KeyError for missing or extra names, ValueError for a shape mismatch) and returns the module.
    """
    with np.load(os.fspath(path), allow_pickle=False) as archive:
        state = {name: archive[name] for name in archive.files}
    if module is None:
        return state
    return module.load_state_dict(state)
