"""Checkpoints: a model's parameters, an optimizer's state and your metadata in one ``.safetensors`` file.

safetensors is the format PyTorch, ONNX tooling and the model hubs read: a little-endian JSON
header followed by the raw bytes of each tensor. The model's ``state_dict()`` entries are stored
under their own names, so ``safetensors.torch.load_file(path)`` gives PyTorch the same state dict.
Arrays of the optimizer's state and of the metadata are stored as tensors named
``__tinygrad_sm__.optimizer.0``, ``__tinygrad_sm__.metadata.0``, ... (``RESERVED``); the rest of
those trees (numbers, strings, the nesting) is one JSON string under the key ``tinygrad_sm`` of the
header's ``__metadata__`` map (see docs/checkpoints.md).

``save`` writes to a temporary file in the same folder, flushes it to disk, renames it over the
target with ``os.replace`` (atomic on POSIX and Windows) and syncs the folder, so a crash leaves
either the old checkpoint or the new one, never half a file. The file gets the mode a plain
``open(path, "w")`` would give it: the existing file's mode, or 0666 minus the umask.

``load`` lets the safetensors library check the header against the file's size before any tensor
is read (a header that claims more bytes than the file holds is refused, nothing is allocated for
it), bounds our own JSON's nesting, and names the file in every error; a failed load changes
nothing in the module or the optimizer. A file in the old ``.npz`` format of tinygrad_sm gets a
message naming the converter: ``python -m tinygrad_sm.checkpoint convert old.npz new.safetensors``.
"""

import json
import os
import stat
import sys
import tempfile
from collections.abc import Mapping

import numpy as np
import safetensors
import safetensors.numpy

from .nn import Module

FORMAT, VERSION = "tinygrad_sm checkpoint", 2
HEADER_KEY = "tinygrad_sm"  # our JSON inside the safetensors header's __metadata__ string map
RESERVED = "__tinygrad_sm__."  # tensor names of the optimizer's and the metadata's arrays
MAX_DEPTH = 64  # optimizer states nest 4 deep; a deeper header is corrupt, not a RecursionError
LEAF_TYPES = (bool, int, float, str, type(None))
CONVERT = "python -m tinygrad_sm.checkpoint convert {path} {new}"


# ---------------------------------------------------------------- save

def save(path, module, optimizer=None, metadata=None):
    """Write ``module``'s state dict (and ``optimizer.state_dict()``, and ``metadata``) to ``path`` as safetensors.

    ``metadata``: a dict such as ``{"epoch": 3}`` whose values are arrays, numbers, strings,
    bools, None, or dicts and lists of them. Returns ``path``. Nothing is written if a value
    cannot be stored (TypeError naming it).
    """
    if isinstance(path, (Module, Mapping)):
        raise TypeError("save: the path comes first: save(path, module), not PyTorch's torch.save(obj, path) "
                        "order (and pass the module itself, not its state_dict())")
    if not isinstance(module, Module):
        raise TypeError(f"save: expected an nn.Module, got {type(module).__name__} "
                        "(for a fitted scikit-learn style model, save model.module_ or use pickle/joblib)")
    if optimizer is not None and not callable(getattr(optimizer, "state_dict", None)):
        raise TypeError(f"save: optimizer must have a state_dict() method, got {type(optimizer).__name__}")
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"save: metadata must be a dict, got {type(metadata).__name__}")
    tensors = {}
    for name, array in module.state_dict().items():
        if name.startswith(RESERVED) or name == "__metadata__":
            raise ValueError(f"save: parameter name {name!r} is reserved by the file format")
        tensors[name] = _storable(array, f"parameter {name!r}")
    extra = {}  # "optimizer" / "metadata": [(tensor name, array)]
    header = {"format": FORMAT, "version": VERSION, "model": list(tensors),  # the state dict's order
              "optimizer": None if optimizer is None else _encode(optimizer.state_dict(), extra, "optimizer"),
              "metadata": _encode(metadata or {}, extra, "metadata")}
    tensors.update(pair for pairs in extra.values() for pair in pairs)
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":"))
    data = safetensors.numpy.save(tensors, metadata={HEADER_KEY: text})
    path = os.fspath(path)
    _write_atomically(path, data)
    return path


def _storable(array, where):
    array = np.asarray(array)
    if not (array.dtype.kind == "b" or array.dtype.kind in "iuf" and array.dtype.itemsize <= 8):
        raise TypeError(f"save: {where} is an array of dtype {array.dtype}; safetensors holds bool, int and "
                        "float arrays only")
    return array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)  # keeps 0-d arrays 0-d


def _encode(value, tensors, where):
    """The JSON description of ``value``; its arrays go into ``tensors[where's first word]`` with generated names."""
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str) and not (isinstance(key, int) and not isinstance(key, bool)):
                raise TypeError(f"save: {where} has a key {key!r} of type {type(key).__name__}; keys must be str or int")
        return {"dict": [[key, _encode(item, tensors, f"{where}[{key!r}]")] for key, item in value.items()]}
    if isinstance(value, (list, tuple)):
        return {"list": [_encode(item, tensors, f"{where}[{i}]") for i, item in enumerate(value)]}
    if isinstance(value, (np.ndarray, np.generic)):
        top = where.split("[", 1)[0]  # "optimizer" or "metadata": each numbers its arrays from 0
        name = f"{RESERVED}{top}.{len(tensors.setdefault(top, []))}"
        tensors[top].append((name, _storable(value, where)))
        return {"array" if isinstance(value, np.ndarray) else "scalar": name}
    if isinstance(value, LEAF_TYPES):
        return {"value": value}
    raise TypeError(f"save: {where} is a {type(value).__name__}; checkpoints hold arrays, numbers, strings, "
                    "bools, None, and dicts and lists of them")


def _write_atomically(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    mode = _mode_for(path)
    handle, tmp_path = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=folder)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
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
    """Read a checkpoint written by ``save`` (or any safetensors file of a state dict, PyTorch's too).

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
        _check_kinds(module, contents["model"], path)
        try:
            module.load_state_dict(contents["model"])
        except (KeyError, ValueError, TypeError) as e:
            raise type(e)(f"load: {os.fspath(path)!r} does not fit {type(module).__name__}: {_text(e)}") from None
    if optimizer is not None:
        try:
            optimizer.load_state_dict(contents["optimizer"])
        except BaseException:
            if module is not None:
                module.load_state_dict(before)  # all or nothing: put the parameters back
            raise
    return module if module is not None else optimizer


def _check_kinds(module, state, path):
    """A float parameter takes float values only: a bool or int tensor there means the wrong file.

    (PyTorch's ``load_state_dict`` would cast it silently; float64 into float32 is cast, as there.)
    """
    for name, value in module.state_dict().items():
        if name in state and value.dtype.kind == "f" and state[name].dtype.kind != "f":
            raise TypeError(f"load: {os.fspath(path)!r} does not fit {type(module).__name__}: tensor {name!r} is "
                            f"{state[name].dtype} in the file but {value.dtype} in the model")


def _text(error):
    return error.args[0] if error.args else str(error)


def load_checkpoint(path):
    """Everything in a checkpoint: ``{"model": state dict, "optimizer": state dict or None, "metadata": dict}``."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        start = f.read(8)
    if not start:
        raise ValueError(f"load: {path!r} is empty (0 bytes), not a checkpoint")
    if start.startswith(b"PK\x03\x04") or start.startswith(b"PK\x05\x06"):
        raise ValueError(f"load: {path!r} is a checkpoint in tinygrad_sm's old .npz format (or another zip file); "
                         "checkpoints are safetensors files now. Convert it once with: "
                         + CONVERT.format(path=path, new=os.path.splitext(path)[0] + ".safetensors"))
    if start.startswith(b"\x93NUMPY"):
        raise ValueError(f"load: {path!r} is a single .npy array, not a checkpoint (save writes a safetensors file)")
    try:
        with safetensors.safe_open(path, framework="numpy") as f:
            names, header = list(f.keys()), (f.metadata() or {})
            for name in names:
                _check_dtype(f, name, path)
            tensors = {name: f.get_tensor(name) for name in names}
    except (safetensors.SafetensorError, OSError, ValueError) as e:
        if isinstance(e, ValueError) and str(e).startswith("load: "):
            raise
        raise ValueError(f"load: {path!r} is not a readable safetensors checkpoint (truncated, corrupt or "
                         f"another format): {e}") from None
    model = {name: array for name, array in tensors.items() if not name.startswith(RESERVED)}
    if HEADER_KEY not in header:  # a plain safetensors state dict, from PyTorch say
        return {"model": model, "optimizer": None, "metadata": {}}
    tree = _read_header(header[HEADER_KEY], path)
    order = tree.get("model")
    if isinstance(order, list) and sorted(map(str, order)) == sorted(model):
        model = {name: model[name] for name in order}

    def array(name, kind):
        if not isinstance(name, str) or name not in tensors or not name.startswith(RESERVED):
            raise ValueError(f"load: {path!r} is corrupt: the header names a missing array {name!r}")
        return tensors[name] if kind == "array" else tensors[name][()]

    return {"model": model, "optimizer": _decode(tree.get("optimizer"), array, path),
            "metadata": _decode(tree.get("metadata"), array, path)}


def _check_dtype(f, name, path):
    dtype = f.get_slice(name).get_dtype()
    if dtype not in ("BOOL", "U8", "U16", "U32", "U64", "I8", "I16", "I32", "I64", "F16", "F32", "F64"):
        raise ValueError(f"load: {path!r}: tensor {name!r} has dtype {dtype}, which numpy cannot hold "
                         "(convert it in PyTorch first, e.g. to float32)")


def _read_header(text, path):
    try:
        header = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise ValueError(f"load: {path!r}: the tinygrad_sm header is not valid JSON ({type(e).__name__})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"load: {path!r}: the tinygrad_sm header is not one written by save (unknown header)")
    if header.get("version") != VERSION:
        raise ValueError(f"load: {path!r} is checkpoint format version {header.get('version')!r}; "
                         f"this tinygrad_sm reads version {VERSION}")
    return header


def _decode(node, array, path, depth=0):
    """The value a header node describes; nesting deeper than MAX_DEPTH is refused as corrupt."""
    if node is None:
        return None
    if depth > MAX_DEPTH:
        raise ValueError(f"load: {path!r} is corrupt: the header nests deeper than {MAX_DEPTH} levels")
    if isinstance(node, dict) and len(node) == 1:
        (kind, body), = node.items()
        if kind == "value" and isinstance(body, LEAF_TYPES):
            return body
        if kind in ("array", "scalar"):
            return array(body, kind)
        if kind == "list" and isinstance(body, list):
            return [_decode(item, array, path, depth + 1) for item in body]
        if kind == "dict" and isinstance(body, list) and all(isinstance(p, list) and len(p) == 2 for p in body):
            return {key: _decode(item, array, path, depth + 1) for key, item in body}
    raise ValueError(f"load: {path!r} is corrupt: unexpected header entry {str(node)[:80]}")


# ---------------------------------------------------------------- the one-off converter of old files

def convert(old_path, new_path):
    """Rewrite a checkpoint of tinygrad_sm's old ``.npz`` format as a safetensors checkpoint; returns ``new_path``."""

    class Saved(Module):  # the old file's state dict, standing in for the module that wrote it
        def __init__(self, state):
            self.state = state

        def state_dict(self):
            return self.state

    contents = _read_old_npz(os.fspath(old_path))
    optimizer = contents["optimizer"]
    holder = None if optimizer is None else type("SavedOptimizer", (), {"state_dict": lambda self: optimizer})()
    return save(new_path, Saved(contents["model"]), optimizer=holder, metadata=contents["metadata"])


def _read_old_npz(path):
    """The old zip format: ``tinygrad_sm.json`` describing the trees, arrays as ``a0.npy``, ... (or a plain savez)."""
    with np.load(path, allow_pickle=False) as archive:
        if "tinygrad_sm.json" not in archive.files:
            return {"model": {name: archive[name] for name in archive.files}, "optimizer": None, "metadata": {}}
        header = json.loads(archive["tinygrad_sm.json"].decode("utf-8"))

        def array(index, kind):
            return archive[f"a{index}"] if kind == "array" else archive[f"a{index}"][()]

        return {key: _decode(header.get(key), array, path) for key in ("model", "optimizer", "metadata")}


def main(argv=None):
    """``python -m tinygrad_sm.checkpoint convert old.npz new.safetensors``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3 or args[0] != "convert":
        print("usage: python -m tinygrad_sm.checkpoint convert OLD.npz NEW.safetensors", file=sys.stderr)
        return 2
    convert(args[1], args[2])
    print(f"wrote {args[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
