"""Checkpoints as safetensors (issue 20; issues 9 and 19 before it): any name round-trips, optimizer state and
metadata in one file that PyTorch and numpy read, atomic writes with faults injected at write, fsync and rename,
and one clear error naming the file for anything else, changing nothing."""

import json
import os
import resource
import stat
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import safetensors.numpy

from tinygrad_sm import Tensor, load, nn, optim, save
from tinygrad_sm.checkpoint import RESERVED, convert, load_checkpoint


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


def same_params(module, before):
    return all(np.array_equal(params_of(module)[k], v) for k, v in before.items())


def write_safetensors(path, header, payload):
    """A safetensors file by hand: 8-byte header length, the JSON header, the data bytes."""
    text = json.dumps(header).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + payload)


# ---------------------------------------------------------------- names and contents

@pytest.mark.parametrize("names", [["allow_pickle", "file"], ["a.b.c", "fix_imports", "mmap_mode"],
                                   ["gewicht_Ω", "权重", "with space", "x/y"], ["tinygrad_sm", "a0"]])
def test_any_parameter_name_round_trips_in_order(tmp_path, names):
    source, target = Named(names, rng=1), Named(names, rng=2)
    save(tmp_path / "m.safetensors", source)
    state = load(tmp_path / "m.safetensors")
    assert list(state) == names
    load(tmp_path / "m.safetensors", target)
    for name in names:
        np.testing.assert_array_equal(target.params[name].data, source.params[name].data)


@pytest.mark.parametrize("name", ["__metadata__", RESERVED + "optimizer.0"])
def test_a_reserved_name_is_refused_before_writing(tmp_path, name):
    with pytest.raises(ValueError, match="is reserved by the file format"):
        save(tmp_path / "m.safetensors", Named([name]))
    assert os.listdir(tmp_path) == []


def test_model_optimizer_and_metadata_in_one_file(tmp_path):
    model, momentum = two_layer(rng=3), np.arange(6, dtype=np.float32).reshape(2, 3)
    metadata = {"epoch": 3, "best": 0.25, "note": "ünïcode", "done": False, "tag": None,
                "history": [1.5, 1.25, [2, "x"]], "seed": np.int64(7), "ids": np.array([4, 5]), "zero_d": np.array(2.5)}
    save(tmp_path / "ckpt.safetensors", model, FakeOptimizer(momentum), metadata=metadata)
    contents = load_checkpoint(tmp_path / "ckpt.safetensors")
    assert set(contents) == {"model", "optimizer", "metadata"}
    assert list(contents["model"]) == list(model.state_dict())
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
    assert meta["zero_d"].shape == () and meta["zero_d"] == 2.5
    np.testing.assert_array_equal(meta["ids"], [4, 5])
    assert type(meta["epoch"]) is int and type(meta["done"]) is bool


def test_the_file_is_safetensors_with_the_documented_layout(tmp_path):
    model = two_layer()
    save(tmp_path / "m.safetensors", model, FakeOptimizer(), metadata={"ids": np.array([4, 5]), "epoch": 1})
    tensors = safetensors.numpy.load_file(tmp_path / "m.safetensors")
    assert sorted(tensors) == sorted(["0.weight", "0.bias", "2.weight", "2.bias",
                                      RESERVED + "optimizer.0", RESERVED + "metadata.0"])
    np.testing.assert_array_equal(tensors["0.weight"], model[0].weight.data)
    np.testing.assert_array_equal(tensors[RESERVED + "metadata.0"], [4, 5])
    with safetensors.safe_open(tmp_path / "m.safetensors", framework="numpy") as f:
        header = json.loads(f.metadata()["tinygrad_sm"])
    assert header["format"] == "tinygrad_sm checkpoint" and header["version"] == 2
    assert header["metadata"] == {"dict": [["ids", {"array": RESERVED + "metadata.0"}], ["epoch", {"value": 1}]]}


def test_a_real_optimizer_resumes_bit_for_bit(tmp_path):
    def run(model, opt, steps, seed):
        rng = np.random.default_rng(seed)
        for _ in range(steps):
            opt.zero_grad()
            x = Tensor(rng.standard_normal((5, 4)).astype(np.float32))
            model(x).square().mean().backward()
            opt.step()

    a = two_layer(rng=1)
    opt_a = optim.Adam(a.parameters(), lr=0.01)
    run(a, opt_a, 3, 0)
    save(tmp_path / "ckpt.safetensors", a, opt_a)
    b = two_layer(rng=7)
    opt_b = optim.Adam(b.parameters(), lr=0.01)
    load(tmp_path / "ckpt.safetensors", b, opt_b)
    run(a, opt_a, 3, 1)
    run(b, opt_b, 3, 1)
    for name, value in params_of(a).items():
        np.testing.assert_array_equal(params_of(b)[name], value)


def test_load_into_a_model_and_an_optimizer(tmp_path):
    source, target, opt = two_layer(rng=3), two_layer(rng=9), FakeOptimizer()
    save(tmp_path / "ckpt.safetensors", source, FakeOptimizer(lr=0.5))
    assert load(tmp_path / "ckpt.safetensors", target, opt) is target
    assert same_params(target, params_of(source))
    assert opt.loaded["param_groups"][0]["lr"] == 0.5


def test_a_failing_optimizer_load_puts_the_model_back(tmp_path):
    save(tmp_path / "ckpt.safetensors", two_layer(rng=3), FakeOptimizer())
    target = two_layer(rng=9)
    before = params_of(target)
    with pytest.raises(ValueError, match="fake optimizer: refused"):
        load(tmp_path / "ckpt.safetensors", target, FakeOptimizer(fail_on_load=True))
    assert same_params(target, before)


def test_asking_for_optimizer_state_a_file_does_not_hold(tmp_path):
    save(tmp_path / "m.safetensors", two_layer())
    target = two_layer(rng=9)
    before = params_of(target)
    with pytest.raises(ValueError, match=r"m\.safetensors' holds no optimizer state"):
        load(tmp_path / "m.safetensors", target, FakeOptimizer())
    assert same_params(target, before)


def test_values_a_checkpoint_cannot_hold_are_refused_before_writing(tmp_path):
    path = tmp_path / "m.safetensors"
    with pytest.raises(TypeError, match=r"save: metadata\['fn'\] is a function"):
        save(path, two_layer(), metadata={"fn": lambda: 0})
    with pytest.raises(TypeError, match=r"save: metadata has a key \(1, 2\) of type tuple"):
        save(path, two_layer(), metadata={(1, 2): 0})
    with pytest.raises(TypeError, match=r"save: metadata\['names'\] is an array of dtype <U1"):
        save(path, two_layer(), metadata={"names": np.array(["a"])})
    with pytest.raises(TypeError, match=r"save: metadata\['z'\] is an array of dtype complex128"):
        save(path, two_layer(), metadata={"z": np.array([1j])})
    with pytest.raises(TypeError, match="save: optimizer must have a state_dict"):
        save(path, two_layer(), optimizer=object())
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("first", [lambda m: m.state_dict(), lambda m: m])
def test_pytorchs_argument_order_gets_a_clear_error(tmp_path, first):
    model = two_layer()
    with pytest.raises(TypeError, match=r"the path comes first: save\(path, module\), not PyTorch's "
                                        r"torch\.save\(obj, path\) order"):
        save(first(model), tmp_path / "m.safetensors")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- PyTorch reads ours, we read PyTorch's

def test_pytorch_reads_our_file_into_its_twin(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install tinygrad_sm[torch])")
    from safetensors.torch import load_file, save_file
    model = two_layer(rng=5)
    save(tmp_path / "m.safetensors", model)
    twin = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    twin.load_state_dict(load_file(tmp_path / "m.safetensors"))
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    np.testing.assert_allclose(twin(torch.from_numpy(x)).detach().numpy(), model(Tensor(x)).data, rtol=1e-6)
    with torch.no_grad():  # and the other way: PyTorch's file loads into ours
        twin[0].weight.mul_(2)
    save_file(twin.state_dict(), tmp_path / "torch.safetensors")
    load(tmp_path / "torch.safetensors", model)
    np.testing.assert_array_equal(model[0].weight.data, twin[0].weight.detach().numpy())
    assert load_checkpoint(tmp_path / "torch.safetensors")["optimizer"] is None


# ---------------------------------------------------------------- file mode, sync and interrupted saves

@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_file_gets_the_umask_mode(tmp_path, umask_022):
    path = save(tmp_path / "m.safetensors", two_layer())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600])
def test_overwriting_keeps_the_file_mode(tmp_path, umask_022, mode):
    path = tmp_path / "m.safetensors"
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
    save(tmp_path / "m.safetensors", two_layer())
    assert events == [("fsync", False), ("replace", None), ("fsync", True)]


class BrokenFile:
    """A file whose write fails half-way: the first half of the bytes land, then the disk is full."""

    def __init__(self, f):
        self.f = f

    def write(self, data):
        self.f.write(data[:len(data) // 2])
        raise OSError("disk full")

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def break_write(monkeypatch):
    real = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda *a, **k: BrokenFile(real(*a, **k)))


def break_fsync(monkeypatch):
    def fsync(fd):
        raise OSError("fsync: I/O error")
    monkeypatch.setattr(os, "fsync", fsync)


def break_rename(monkeypatch):
    def replace(src, dst):
        raise KeyboardInterrupt("power cut before the rename")
    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("fault, error", [(break_write, OSError), (break_fsync, OSError),
                                          (break_rename, KeyboardInterrupt)])
def test_an_interrupted_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch, fault, error):
    old = two_layer(rng=1)
    path = save(tmp_path / "m.safetensors", old)
    before = open(path, "rb").read()
    fault(monkeypatch)
    with pytest.raises(error):
        save(path, two_layer(rng=2))
    monkeypatch.undo()
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["m.safetensors"]
    np.testing.assert_array_equal(load(path)["0.weight"], old.state_dict()["0.weight"])


# ---------------------------------------------------------------- files that are not checkpoints

def test_an_empty_file(tmp_path):
    (tmp_path / "e.safetensors").write_bytes(b"")
    with pytest.raises(ValueError, match=r"load: '.*e\.safetensors' is empty \(0 bytes\)"):
        load(tmp_path / "e.safetensors")


def test_a_npy_file(tmp_path):
    np.save(tmp_path / "a.npy", np.ones(3))
    with pytest.raises(ValueError, match=r"load: '.*a\.npy' is a single \.npy array, not a checkpoint"):
        load(tmp_path / "a.npy")


@pytest.mark.parametrize("keep", [0.05, 0.5, 0.9, 0.99])
def test_a_truncated_file(tmp_path, keep):
    path = save(tmp_path / "m.safetensors", two_layer())
    data = open(path, "rb").read()
    (tmp_path / "cut.safetensors").write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(ValueError, match=r"load: '.*cut\.safetensors' is not a readable safetensors checkpoint "
                                         r"\(truncated, corrupt or another format\)"):
        load(tmp_path / "cut.safetensors")


def test_a_text_file(tmp_path):
    (tmp_path / "t.safetensors").write_text("hello, this is not a checkpoint")
    with pytest.raises(ValueError, match=r"t\.safetensors' is not a readable safetensors checkpoint"):
        load(tmp_path / "t.safetensors")


def test_a_1_mb_file_claiming_a_1_gb_tensor_is_refused_without_allocating_it(tmp_path):
    path = tmp_path / "huge.safetensors"
    write_safetensors(path, {"w": {"dtype": "F32", "shape": [2**28], "data_offsets": [0, 2**30]}}, bytes(2**20))
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with pytest.raises(ValueError, match=r"huge\.safetensors' is not a readable safetensors checkpoint"):
        load(path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 256 * 1024


def test_a_header_claiming_a_huge_length_is_refused(tmp_path):
    path = tmp_path / "header.safetensors"
    path.write_bytes((2**62).to_bytes(8, "little") + b"{}")
    with pytest.raises(ValueError, match=r"header\.safetensors' is not a readable safetensors checkpoint"):
        load(path)


def nested(depth):
    """Our header's JSON for a list in a list ... ``depth`` deep (written as text: json.dumps would recurse)."""
    return '{"list":[' * depth + '{"value":1}' + ']}' * depth


@pytest.mark.parametrize("depth", [600, 100_000])
def test_a_header_nested_deep_is_a_clear_error_not_a_recursion_error(tmp_path, depth):
    ours = '{"format":"tinygrad_sm checkpoint","version":2,"model":[],"optimizer":null,"metadata":' \
        + nested(depth) + "}"
    path = tmp_path / "deep.safetensors"
    write_safetensors(path, {"__metadata__": {"tinygrad_sm": ours}}, b"")
    with pytest.raises(ValueError, match=r"deep\.safetensors'.*(nests deeper than 64 levels|not valid JSON)"):
        load_checkpoint(path)


def test_a_safetensors_header_nested_600_deep_is_a_clear_error(tmp_path):
    path = tmp_path / "deep.safetensors"
    text = ("[" * 600 + "]" * 600).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text)
    with pytest.raises(ValueError, match=r"deep\.safetensors' is not a readable safetensors checkpoint"):
        load(path)


def test_a_dtype_numpy_cannot_hold_is_named(tmp_path):
    path = tmp_path / "bf16.safetensors"
    write_safetensors(path, {"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, bytes(4))
    with pytest.raises(ValueError, match=r"bf16\.safetensors': tensor 'w' has dtype BF16, which numpy cannot hold"):
        load(path)


def test_a_newer_format_version_is_named(tmp_path):
    path = tmp_path / "new.safetensors"
    write_safetensors(path, {"__metadata__": {"tinygrad_sm": json.dumps({"format": "tinygrad_sm checkpoint",
                                                                         "version": 3})}}, b"")
    with pytest.raises(ValueError, match=r"new\.safetensors' is checkpoint format version 3; this tinygrad_sm "
                                         r"reads version 2"):
        load(path)


# ---------------------------------------------------------------- files that do not fit the model

def spoiled(state, how):
    state = dict(state)
    if how == "wrong shape":
        state["2.weight"] = np.zeros((5, 3), np.float32)
    elif how == "wrong dtype":
        state["0.bias"] = np.array([True, False, True])
    elif how == "extra key":
        state["3.weight"] = np.zeros(2, np.float32)
    elif how == "missing key":
        del state["2.bias"]
    return state


@pytest.mark.parametrize("how, error, match", [
    ("wrong shape", ValueError, r"'2\.weight' has shape \(2, 3\) in the model but \(5, 3\) in the state"),
    ("wrong dtype", TypeError, r"tensor '0\.bias' is bool in the file but float32 in the model"),
    ("extra key", KeyError, r"missing keys \[\], unexpected keys \['3\.weight'\]"),
    ("missing key", KeyError, r"missing keys \['2\.bias'\], unexpected keys \[\]")])
def test_a_file_that_does_not_fit_names_key_and_shapes_and_changes_nothing(tmp_path, how, error, match):
    state = spoiled(two_layer(rng=1).state_dict(), how)
    safetensors.numpy.save_file(state, tmp_path / "other.safetensors")
    target = two_layer(rng=9)
    before = params_of(target)
    with pytest.raises(error, match=r"load: '.*other\.safetensors' does not fit Sequential: .*" + match):
        load(tmp_path / "other.safetensors", target)
    assert same_params(target, before)


# ---------------------------------------------------------------- the old .npz format and its converter

def write_old_checkpoint(path, model, optimizer_state, metadata):
    """tinygrad_sm's old zip format, written the way its save did (a JSON entry and a0.npy, a1.npy, ...)."""
    arrays = []

    def encode(value):
        if isinstance(value, dict):
            return {"dict": [[k, encode(v)] for k, v in value.items()]}
        if isinstance(value, list):
            return {"list": [encode(v) for v in value]}
        if isinstance(value, np.ndarray):
            arrays.append(value)
            return {"array": len(arrays) - 1}
        return {"value": value}

    header = {"format": "tinygrad_sm checkpoint", "version": 1, "model": encode(model.state_dict()),
              "optimizer": encode(optimizer_state), "metadata": encode(metadata)}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tinygrad_sm.json", json.dumps(header))
        for i, array in enumerate(arrays):
            with archive.open(f"a{i}.npy", "w") as entry:
                np.lib.format.write_array(entry, array)


def test_an_old_npz_checkpoint_names_the_converter_and_the_converter_works(tmp_path):
    model = two_layer(rng=4)
    old = tmp_path / "old.npz"
    write_old_checkpoint(old, model, FakeOptimizer().state_dict(), {"epoch": 5})
    target = two_layer(rng=8)
    before = params_of(target)
    with pytest.raises(ValueError, match=r"old\.npz' is a checkpoint in tinygrad_sm's old \.npz format .* Convert it "
                                         r"once with: python -m tinygrad_sm\.checkpoint convert .*old\.npz "
                                         r".*old\.safetensors"):
        load(old, target)
    assert same_params(target, before)
    completed = subprocess.run([sys.executable, "-m", "tinygrad_sm.checkpoint", "convert", str(old),
                                str(tmp_path / "new.safetensors")], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    contents = load_checkpoint(tmp_path / "new.safetensors")
    assert contents["metadata"] == {"epoch": 5} and contents["optimizer"]["step"] == 7
    load(tmp_path / "new.safetensors", target)
    assert same_params(target, params_of(model))


def test_the_converter_reads_the_first_plain_savez_files_too(tmp_path):
    model = two_layer(rng=4)
    np.savez(tmp_path / "first.npz", **model.state_dict())
    convert(tmp_path / "first.npz", tmp_path / "first.safetensors")
    assert same_params(load(tmp_path / "first.safetensors", two_layer(rng=8)), params_of(model))


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


NAMES = st.text(min_size=1, max_size=12).filter(lambda s: s != "__metadata__" and not s.startswith(RESERVED))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(NAMES, min_size=1, max_size=4, unique=True), metadata=TREES)
def test_any_names_and_any_nested_metadata_round_trip(tmp_path, names, metadata):
    model = Named(names, rng=3)
    save(tmp_path / "h.safetensors", model, metadata={"tree": metadata})
    contents = load_checkpoint(tmp_path / "h.safetensors")
    assert list(contents["model"]) == names
    for name in names:
        np.testing.assert_array_equal(contents["model"][name], model.params[name].data)
    assert_same_tree(contents["metadata"], {"tree": metadata})
