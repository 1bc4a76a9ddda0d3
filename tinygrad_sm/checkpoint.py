"""Checkpoints: a model's parameters, an optimizer's state and your metadata in one ``.npz`` file.

The file is a zip archive numpy can open (``np.load``): one JSON entry, ``tinygrad_sm.json``,
describes the nested contents, and every array is stored as ``a0.npy``, ``a1.npy``, ... under a
generated name. So any parameter name round-trips (``"allow_pickle"``, ``"file"``, dots,
unicode), and a state dict may nest dicts and lists whose leaves are arrays, numbers,
strings, bools or None (an optimizer's ``state_dict()`` is such a tree).

``save`` writes to a temporary file in the same folder, flushes it to disk, renames it over
the target with ``os.replace`` (atomic on POSIX and Windows) and syncs the folder, so a crash
leaves either the old checkpoint or the new one, never half a file. The file gets the mode a
plain ``open(path, "w")`` would give it: the existing file's mode, or 0666 minus the umask.

``load`` checks every entry before it allocates anything (a header that declares more bytes
than the entry holds is refused) and names the file in every error; a failed load changes
nothing in the module or the optimizer. Files written by the first version of ``save`` (a
plain ``np.savez`` of the state dict, without the JSON entry) still load.
"""

import json
import os
import stat
import tempfile
import zipfile
import zlib

import numpy as np

from .nn import Module

FORMAT, VERSION = "tinygrad_sm checkpoint", 1
HEADER_ENTRY = "tinygrad_sm.json"
MAX_HEADER_BYTES = 64 * 2**20  # the JSON of a state dict: names and small numbers only
DEFLATE_MAX_RATIO = 1032  # deflate cannot expand data more than this: a bigger declared size is a lie
LEAF_TYPES = (bool, int, float, str, type(None))


# ---------------------------------------------------------------- save

def save(path, module, optimizer=None, metadata=None):
    """Write ``module``'s parameters (and ``optimizer.state_dict()``, and ``metadata``) to ``path``.

    ``metadata``: a dict such as ``{"epoch": 3}`` whose values are arrays, numbers, strings,
    bools, None, or dicts and lists of them. Returns ``path``. Nothing is written if a value
    cannot be stored (TypeError naming it).
    """
    if not isinstance(module, Module):
        raise TypeError(f"save: expected an nn.Module, got {type(module).__name__} "
                        "(for a fitted scikit-learn style model, save model.module_ or use pickle/joblib)")
    if optimizer is not None and not callable(getattr(optimizer, "state_dict", None)):
        raise TypeError(f"save: optimizer must have a state_dict() method, got {type(optimizer).__name__}")
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"save: metadata must be a dict, got {type(metadata).__name__}")
    arrays = []
    header = {"format": FORMAT, "version": VERSION,
              "model": _encode(module.state_dict(), arrays, "model"),
              "optimizer": None if optimizer is None else _encode(optimizer.state_dict(), arrays, "optimizer"),
              "metadata": _encode(metadata or {}, arrays, "metadata")}
    header_bytes = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    path = os.fspath(path)
    _write_atomically(path, lambda f: _write_archive(f, header_bytes, arrays))
    return path


def _encode(value, arrays, where):
    """The JSON description of ``value``; its arrays are appended to ``arrays`` and named by position."""
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str) and not (isinstance(key, int) and not isinstance(key, bool)):
                raise TypeError(f"save: {where} has a key {key!r} of type {type(key).__name__}; keys must be str or int")
        return {"dict": [[key, _encode(item, arrays, f"{where}[{key!r}]")] for key, item in value.items()]}
    if isinstance(value, (list, tuple)):
        return {"list": [_encode(item, arrays, f"{where}[{i}]") for i, item in enumerate(value)]}
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind not in "biufc":
            raise TypeError(f"save: {where} is an array of dtype {array.dtype}; checkpoints hold numeric arrays only")
        arrays.append(array)
        return {"array" if isinstance(value, np.ndarray) else "scalar": len(arrays) - 1}
    if isinstance(value, LEAF_TYPES):
        return {"value": value}
    raise TypeError(f"save: {where} is a {type(value).__name__}; checkpoints hold arrays, numbers, strings, "
                    "bools, None, and dicts and lists of them")


def _write_archive(f, header_bytes, arrays):
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr(HEADER_ENTRY, header_bytes)
        for i, array in enumerate(arrays):
            with archive.open(f"a{i}.npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, array, allow_pickle=False)


def _write_atomically(path, write):
    folder = os.path.dirname(os.path.abspath(path))
    mode = _mode_for(path)
    handle, tmp_path = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(handle, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_path, mode)  # mkstemp makes 0600; give it the mode open() would have
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise
    _sync_folder(folder)


def _mode_for(path):
    """The existing file's permission bits, or 0666 minus the umask for a new file."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask():
    try:  # Linux reports it without changing it (os.umask would change it for every thread for a moment)
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _sync_folder(folder):
    """Flush the rename itself to disk (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------- load

def load(path, module=None, optimizer=None):
    """Read a checkpoint written by ``save``.

    With neither ``module`` nor ``optimizer``: returns the model's state dict {name: array}.
    With ``module`` (and/or ``optimizer``): loads the state into them and returns the module
    (the optimizer when no module is given). A mismatch raises (KeyError for missing or extra
    names, ValueError for shapes, TypeError for dtypes) and changes nothing. For the metadata,
    use ``load_checkpoint``.
    """
    contents = load_checkpoint(path)
    if module is None and optimizer is None:
        return contents["model"]
    if module is not None and not isinstance(module, Module):
        raise TypeError(f"load: expected an nn.Module, got {type(module).__name__}")
    if optimizer is not None:
        if not callable(getattr(optimizer, "load_state_dict", None)):
            raise TypeError(f"load: optimizer must have a load_state_dict() method, got {type(optimizer).__name__}")
        if contents["optimizer"] is None:
            raise ValueError(f"load: {os.fspath(path)!r} holds no optimizer state (it was saved without an optimizer)")
    # a copy of the parameters to put back only if the optimizer's load fails after the module's
    before = module.state_dict() if module is not None and optimizer is not None else None
    if module is not None:
        module.load_state_dict(contents["model"])
    if optimizer is not None:
        try:
            optimizer.load_state_dict(contents["optimizer"])
        except BaseException:
            if module is not None:
                module.load_state_dict(before)  # all or nothing: put the parameters back
            raise
    return module if module is not None else optimizer


def load_checkpoint(path):
    """Everything in a checkpoint: ``{"model": state dict, "optimizer": state dict or None, "metadata": dict}``."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise ValueError(f"load: {path!r} is empty (0 bytes), not a checkpoint")
        if f.read(6) == b"\x93NUMPY":
            raise ValueError(f"load: {path!r} is a single .npy array, not a checkpoint (save writes an .npz archive)")
        f.seek(0)
        if not zipfile.is_zipfile(f):
            raise ValueError(f"load: {path!r} is not a checkpoint written by save: no zip directory found "
                             "(the file is truncated, or in another format)")
        try:
            with zipfile.ZipFile(f) as archive:
                return _read_archive(archive, path, size)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as e:
            raise ValueError(f"load: {path!r} is damaged (truncated or corrupt): {e}") from None


def _read_archive(archive, path, size):
    names = archive.namelist()
    if HEADER_ENTRY not in names:  # a file from the first version of save: np.savez of the state dict
        entries = [name for name in names if name.endswith(".npy")]
        if not entries or len(entries) != len(names):
            raise ValueError(f"load: {path!r} is a zip archive but not a checkpoint written by save")
        model = {name[:-4]: _read_array(archive, name, path, size) for name in entries}
        return {"model": model, "optimizer": None, "metadata": {}}
    header = _read_header(archive, path)
    arrays = {}

    def array(index, what):
        if not isinstance(index, int) or isinstance(index, bool) or f"a{index}.npy" not in names:
            raise ValueError(f"load: {path!r} is corrupt: the header names a missing array {index!r}")
        if index not in arrays:
            arrays[index] = _read_array(archive, f"a{index}.npy", path, size)
        return arrays[index] if what == "array" else arrays[index][()]

    return {key: _decode(header.get(key), array, path) for key in ("model", "optimizer", "metadata")}


def _read_header(archive, path):
    info = archive.getinfo(HEADER_ENTRY)
    if info.file_size > MAX_HEADER_BYTES:
        raise ValueError(f"load: {path!r}: the header declares {info.file_size} bytes (more than "
                         f"{MAX_HEADER_BYTES}); the file is corrupt or not a checkpoint")
    try:
        header = json.loads(archive.read(HEADER_ENTRY).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"load: {path!r}: the header is not valid JSON ({e})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"load: {path!r} is not a checkpoint written by save (unknown header)")
    if header.get("version") != VERSION:
        raise ValueError(f"load: {path!r} is checkpoint format version {header.get('version')!r}; "
                         f"this tinygrad_sm reads version {VERSION}")
    return header


def _decode(node, array, path):
    """The value a header node describes (an iterative walk would be overkill: nesting is shallow)."""
    if node is None:
        return None
    if isinstance(node, dict) and len(node) == 1:
        (kind, body), = node.items()
        if kind == "value" and isinstance(body, LEAF_TYPES):
            return body
        if kind in ("array", "scalar"):
            return array(body, kind)
        if kind == "list" and isinstance(body, list):
            return [_decode(item, array, path) for item in body]
        if kind == "dict" and isinstance(body, list) and all(isinstance(p, list) and len(p) == 2 for p in body):
            return {key: _decode(item, array, path) for key, item in body}
    raise ValueError(f"load: {path!r} is corrupt: unexpected header entry {str(node)[:80]}")


def _read_array(archive, name, path, archive_size):
    """One .npy entry, after checking that the bytes its header declares are really there."""
    info = archive.getinfo(name)
    stored = info.compress_type == zipfile.ZIP_STORED
    if info.compress_size > archive_size or (stored and info.file_size != info.compress_size) \
            or info.file_size > info.compress_size * DEFLATE_MAX_RATIO + 1024:
        raise ValueError(f"load: {path!r}: entry {name} declares {info.file_size} bytes in a "
                         f"{archive_size}-byte file; the file is corrupt or truncated")
    with archive.open(info) as entry:
        try:
            version = np.lib.format.read_magic(entry)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, fortran_order, dtype = read_header(entry)
        except ValueError as e:
            raise ValueError(f"load: {path!r}: entry {name} is not a valid .npy array ({e})") from None
        if dtype.hasobject or dtype.kind not in "biufc":
            raise ValueError(f"load: {path!r}: entry {name} holds dtype {dtype}; checkpoints hold numeric arrays only")
        declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
        available = info.file_size - entry.tell()
        if declared != available:
            raise ValueError(f"load: {path!r}: entry {name} declares shape {shape} of {dtype} ({declared} bytes) "
                             f"but holds {available} bytes; the file is corrupt or truncated")
        buffer = _read_exactly(entry, declared)
        if buffer is None:
            raise ValueError(f"load: {path!r}: entry {name} is shorter than its header says (truncated)")
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")


def _read_exactly(entry, size, chunk=2**24):
    """``size`` bytes into one writable buffer (read in chunks, so no second copy), or None if fewer remain."""
    buffer, filled = bytearray(size), 0
    view = memoryview(buffer)
    while filled < size:
        data = entry.read(min(chunk, size - filled))
        if not data:
            return None
        view[filled:filled + len(data)] = data
        filled += len(data)
    return buffer if not entry.read(1) else None  # reading to the end makes zipfile check the CRC
