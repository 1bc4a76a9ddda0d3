"""Checkpoints (issue 9, item 8): any name round-trips, optimizer state and metadata in one file,
the usual file mode, a synced folder, and one clear error naming the file for anything else."""

import io
import json
import os
import stat
import zipfile

import numpy as np
import pytest

from tinygrad_sm import Tensor, load, nn, save
from tinygrad_sm.checkpoint import load_checkpoint


class Named(nn.Module):
    """A module whose parameters have the names given (numpy keywords, dots, unicode...)."""

    def __init__(self, names, rng=0):
        gen = np.random.default_rng(rng)
        self.params = {name: Tensor(gen.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
                       for name in names}

    def named_parameters(self, prefix=""):
        return [(prefix + name, p) for name, p in self.params.items()]


class FakeOptimizer:
    """The two methods save and load use; its state is an optimizer-like nested dict."""

    def __init__(self, momentum=None, lr=0.1, fail_on_load=False):
        self.momentum = np.zeros((2, 3), np.float32) if momentum is None else momentum
        self.lr, self.fail_on_load, self.loaded = lr, fail_on_load, None

    def state_dict(self):
        return {"state": {"0": {"momentum": self.momentum.copy()}},
                "param_groups": [{"lr": self.lr, "momentum": 0.9, "nesterov": False, "params": [0, 1],
                                  "schedule": None, "name": "main"}], "step": 7}

    def load_state_dict(self, state):
        if self.fail_on_load:
            raise ValueError("fake optimizer: refused")
        self.loaded = state


def two_layer(rng=0):
    return nn.Sequential(nn.Linear(4, 3, rng=rng), nn.ReLU(), nn.Linear(3, 2, rng=rng + 1))


def params_of(module):
    return {name: p.data.copy() for name, p in module.named_parameters()}


# ---------------------------------------------------------------- names and contents

@pytest.mark.parametrize("names", [["allow_pickle", "file"], ["a.b.c", "fix_imports", "mmap_mode"],
                                   ["gewicht_Ω", "权重", "with space", "x/y", ""], ["tinygrad_sm.json", "a0"]])
def test_any_parameter_name_round_trips(tmp_path, names):
    source, target = Named(names, rng=1), Named(names, rng=2)
    save(tmp_path / "m.npz", source)
    state = load(tmp_path / "m.npz")
    assert list(state) == names
    load(tmp_path / "m.npz", target)
    for name in names:
        np.testing.assert_array_equal(target.params[name].data, source.params[name].data)


def test_model_optimizer_and_metadata_in_one_file(tmp_path):
    model, momentum = two_layer(rng=3), np.arange(6, dtype=np.float32).reshape(2, 3)
    metadata = {"epoch": 3, "best": 0.25, "note": "ünïcode", "done": False, "tag": None,
                "history": [1.5, 1.25, [2, "x"]], "seed": np.int64(7), "ids": np.array([4, 5])}
    save(tmp_path / "ckpt.npz", model, FakeOptimizer(momentum), metadata=metadata)
    contents = load_checkpoint(tmp_path / "ckpt.npz")
    assert set(contents) == {"model", "optimizer", "metadata"}
    for name, value in params_of(model).items():
        np.testing.assert_array_equal(contents["model"][name], value)
    opt_state = contents["optimizer"]
    np.testing.assert_array_equal(opt_state["state"]["0"]["momentum"], momentum)
    assert opt_state["param_groups"] == [{"lr": 0.1, "momentum": 0.9, "nesterov": False, "params": [0, 1],
                                          "schedule": None, "name": "main"}]
    assert opt_state["step"] == 7
    meta = contents["metadata"]
    assert {k: meta[k] for k in ("epoch", "best", "note", "done", "tag", "history")} == \
        {"epoch": 3, "best": 0.25, "note": "ünïcode", "done": False, "tag": None, "history": [1.5, 1.25, [2, "x"]]}
    assert type(meta["seed"]) is np.int64 and meta["seed"] == 7
    np.testing.assert_array_equal(meta["ids"], [4, 5])
    assert type(meta["epoch"]) is int and type(meta["done"]) is bool


def test_load_into_a_model_and_an_optimizer(tmp_path):
    source, target, opt = two_layer(rng=3), two_layer(rng=9), FakeOptimizer()
    save(tmp_path / "ckpt.npz", source, FakeOptimizer(lr=0.5))
    assert load(tmp_path / "ckpt.npz", target, opt) is target
    for name, value in params_of(source).items():
        np.testing.assert_array_equal(params_of(target)[name], value)
    assert opt.loaded["param_groups"][0]["lr"] == 0.5


def test_a_failing_optimizer_load_puts_the_model_back(tmp_path):
    save(tmp_path / "ckpt.npz", two_layer(rng=3), FakeOptimizer())
    target = two_layer(rng=9)
    before = params_of(target)
    with pytest.raises(ValueError, match="fake optimizer: refused"):
        load(tmp_path / "ckpt.npz", target, FakeOptimizer(fail_on_load=True))
    for name, value in before.items():
        np.testing.assert_array_equal(params_of(target)[name], value)


def test_asking_for_optimizer_state_a_file_does_not_hold(tmp_path):
    save(tmp_path / "m.npz", two_layer())
    target = two_layer(rng=9)
    before = params_of(target)
    with pytest.raises(ValueError, match=r"m\.npz' holds no optimizer state"):
        load(tmp_path / "m.npz", target, FakeOptimizer())
    assert all(np.array_equal(params_of(target)[k], v) for k, v in before.items())


def test_values_a_checkpoint_cannot_hold_are_refused_before_writing(tmp_path):
    path = tmp_path / "m.npz"
    with pytest.raises(TypeError, match=r"save: metadata\['fn'\] is a function"):
        save(path, two_layer(), metadata={"fn": lambda: 0})
    with pytest.raises(TypeError, match=r"save: metadata has a key \(1, 2\) of type tuple"):
        save(path, two_layer(), metadata={(1, 2): 0})
    with pytest.raises(TypeError, match=r"save: metadata\['names'\] is an array of dtype <U1"):
        save(path, two_layer(), metadata={"names": np.array(["a"])})
    with pytest.raises(TypeError, match="save: optimizer must have a state_dict"):
        save(path, two_layer(), optimizer=object())
    assert os.listdir(tmp_path) == []


def test_numpy_can_still_open_a_checkpoint(tmp_path):
    model = two_layer()
    save(tmp_path / "m.npz", model)
    with np.load(tmp_path / "m.npz") as archive:
        assert sorted(archive.files) == ["a0", "a1", "a2", "a3", "tinygrad_sm.json"]
        np.testing.assert_array_equal(archive["a0"], model[0].weight.data)
    header = json.loads(zipfile.ZipFile(tmp_path / "m.npz").read("tinygrad_sm.json"))
    assert header["format"] == "tinygrad_sm checkpoint" and header["version"] == 1


def test_files_from_the_first_version_of_save_still_load(tmp_path):
    model = two_layer(rng=4)
    np.savez(tmp_path / "old.npz", **{name: p.data for name, p in model.named_parameters()})
    target = load(tmp_path / "old.npz", two_layer(rng=8))
    for name, value in params_of(model).items():
        np.testing.assert_array_equal(params_of(target)[name], value)
    assert load_checkpoint(tmp_path / "old.npz")["optimizer"] is None


# ---------------------------------------------------------------- file mode and sync

@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_file_gets_the_umask_mode(tmp_path, umask_022):
    path = save(tmp_path / "m.npz", two_layer())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600])
def test_overwriting_keeps_the_file_mode(tmp_path, umask_022, mode):
    path = tmp_path / "m.npz"
    path.write_bytes(b"old")
    os.chmod(path, mode)
    save(path, two_layer())
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert sorted(load(path)) == ["0.bias", "0.weight", "2.bias", "2.weight"]


def test_the_folder_is_synced_after_the_rename(tmp_path, monkeypatch):
    events, real_fsync, real_replace = [], os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", stat.S_ISDIR(os.fstat(fd).st_mode)))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", None))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    save(tmp_path / "m.npz", two_layer())
    assert events == [("fsync", False), ("replace", None), ("fsync", True)]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = save(tmp_path / "m.npz", two_layer(rng=1))
    before = open(path, "rb").read()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", broken)
    with pytest.raises(OSError, match="disk full"):
        save(path, two_layer(rng=2))
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["m.npz"]


# ---------------------------------------------------------------- files that are not checkpoints

def test_an_empty_file(tmp_path):
    (tmp_path / "e.npz").write_bytes(b"")
    with pytest.raises(ValueError, match=r"load: '.*e\.npz' is empty \(0 bytes\)"):
        load(tmp_path / "e.npz")


def test_a_npy_file(tmp_path):
    np.save(tmp_path / "a.npy", np.ones(3))
    with pytest.raises(ValueError, match=r"load: '.*a\.npy' is a single \.npy array, not a checkpoint"):
        load(tmp_path / "a.npy")


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.99])
def test_a_truncated_file(tmp_path, keep):
    path = save(tmp_path / "m.npz", two_layer())
    data = open(path, "rb").read()
    (tmp_path / "cut.npz").write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(ValueError, match=r"load: '.*cut\.npz' is not a checkpoint written by save: no zip "
                                         r"directory found \(the file is truncated, or in another format\)"):
        load(tmp_path / "cut.npz")


def test_text_and_foreign_zip_files(tmp_path):
    (tmp_path / "t.npz").write_text("hello")
    with pytest.raises(ValueError, match=r"t\.npz' is not a checkpoint written by save"):
        load(tmp_path / "t.npz")
    with zipfile.ZipFile(tmp_path / "z.npz", "w") as archive:
        archive.writestr("readme.txt", "hi")
    with pytest.raises(ValueError, match=r"z\.npz' is a zip archive but not a checkpoint"):
        load(tmp_path / "z.npz")


def _rewrite_header(array, shape):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": np.lib.format.dtype_to_descr(array.dtype),
                                                  "fortran_order": False, "shape": shape})
    return buffer.getvalue() + array.tobytes()


def test_an_absurd_declared_size_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:  # like an old checkpoint, but one entry claims 8 EB
        archive.writestr("w.npy", _rewrite_header(np.ones(4), (10**18,)))
    with pytest.raises(ValueError, match=r"huge\.npz': entry w\.npy declares shape \(1000000000000000000,\) of "
                                         r"float64 \(8000000000000000000 bytes\) but holds 32 bytes"):
        load(path)


def central_directory_entry(data, name):
    """Offset of ``name``'s record in the zip's central directory."""
    start = data.find(b"PK\x01\x02")
    while start >= 0:
        name_length = int.from_bytes(data[start + 28:start + 30], "little")
        if data[start + 46:start + 46 + name_length] == name.encode():
            return start
        start = data.find(b"PK\x01\x02", start + 4)
    raise AssertionError(f"{name} not in the central directory")


def test_an_entry_whose_zip_size_lies_is_refused(tmp_path):
    path = save(tmp_path / "m.npz", two_layer())
    data = bytearray(open(path, "rb").read())
    record = central_directory_entry(data, "a0.npy")
    data[record + 24:record + 28] = (2**31).to_bytes(4, "little")  # the uncompressed size: 2 GiB
    (tmp_path / "lie.npz").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"lie\.npz': entry a0\.npy declares 2147483648 bytes in a \d+-byte file"):
        load(tmp_path / "lie.npz")


def test_a_corrupted_array_byte_is_caught_by_the_checksum(tmp_path):
    path = save(tmp_path / "m.npz", two_layer())
    data = bytearray(open(path, "rb").read())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("a0.npy")
    local = info.header_offset
    extra = int.from_bytes(data[local + 28:local + 30], "little")
    data[local + 30 + len("a0.npy") + extra + 128 + 10] ^= 0xFF  # a byte of the first array's values
    (tmp_path / "flip.npz").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"flip\.npz' is damaged \(truncated or corrupt\): Bad CRC-32"):
        load(tmp_path / "flip.npz")


def test_object_arrays_are_refused(tmp_path):
    path = tmp_path / "obj.npz"
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("w.npy", buffer.getvalue())
    with pytest.raises(ValueError, match=r"obj\.npz': entry w\.npy holds dtype object"):
        load(path)


def test_a_failed_load_changes_nothing_in_the_module(tmp_path):
    save(tmp_path / "wide.npz", nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)))
    (tmp_path / "empty.npz").write_bytes(b"")
    target = two_layer(rng=9)
    before = params_of(target)
    for name, error in (("wide.npz", ValueError), ("empty.npz", ValueError)):
        with pytest.raises(error):
            load(tmp_path / name, target)
        assert all(np.array_equal(params_of(target)[k], v) for k, v in before.items())


def test_a_newer_format_version_is_named(tmp_path):
    path = tmp_path / "new.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tinygrad_sm.json", json.dumps({"format": "tinygrad_sm checkpoint", "version": 2}))
    with pytest.raises(ValueError, match=r"new\.npz' is checkpoint format version 2; this tinygrad_sm reads "
                                         r"version 1"):
        load(path)


def test_an_absurd_npy_header_length_is_refused(tmp_path):
    path = tmp_path / "header.npz"
    entry = b"\x93NUMPY\x02\x00" + (2**32 - 1).to_bytes(4, "little") + b"{}"  # claims a 4 GiB header
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("w.npy", entry)
    with pytest.raises(ValueError, match=r"header\.npz': entry w\.npy is not a valid \.npy array"):
        load(path)


# ---------------------------------------------------------------- any names, any nesting (hypothesis)

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.text(max_size=8),
                   st.floats(allow_nan=False), st.builds(lambda n: np.arange(n, dtype=np.float32), st.integers(0, 4)))
TREES = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                     max_leaves=12)


def assert_same_tree(a, b):
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for key in a:
            assert_same_tree(a[key], b[key])
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_tree(x, y)
    else:
        assert type(a) is type(b) and a == b


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(min_size=0, max_size=12), min_size=1, max_size=4, unique=True), metadata=TREES)
def test_any_names_and_any_nested_metadata_round_trip(tmp_path, names, metadata):
    model = Named(names, rng=3)
    save(tmp_path / "h.npz", model, metadata={"tree": metadata})
    contents = load_checkpoint(tmp_path / "h.npz")
    assert list(contents["model"]) == names
    for name in names:
        np.testing.assert_array_equal(contents["model"][name], model.params[name].data)
    assert_same_tree(contents["metadata"], {"tree": metadata})
