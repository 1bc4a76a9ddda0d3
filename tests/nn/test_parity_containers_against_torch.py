"""Issue 16, the containers: ModuleList, ModuleDict, Parameter, apply, children, named_modules, Sequential's
append and slicing; state_dict keys and shapes of a small model equal its PyTorch twin's, and the twin's weights
loaded into ours give the same outputs. A plain dict of modules is refused at assignment."""

import numpy as np
import pytest

import tinygrad_sm as tg
from tinygrad_sm import nn

torch = pytest.importorskip("torch", reason="torch is not installed")


# ---------------------------------------------------------------- a small model and its PyTorch twin

class Ours(nn.Module):
    def __init__(self):
        self.stem = nn.Sequential(nn.Linear(4, 6, dtype=np.float64), nn.ReLU(), nn.LayerNorm(6, dtype=np.float64))
        self.layers = nn.ModuleList([nn.Linear(6, 6, dtype=np.float64), nn.BatchNorm1d(6, dtype=np.float64)])
        self.blocks = nn.ModuleDict({"a": nn.Linear(6, 3, dtype=np.float64), "drop": nn.Dropout(0.5)})
        self.scale = nn.Parameter(np.ones(3))

    def forward(self, x):
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x)
        return self.blocks["drop"](self.blocks["a"](x)) * self.scale


class Theirs(torch.nn.Module):
    def __init__(self):
        super().__init__()
        tn = torch.nn
        self.stem = tn.Sequential(tn.Linear(4, 6), tn.ReLU(), tn.LayerNorm(6))
        self.layers = tn.ModuleList([tn.Linear(6, 6), tn.BatchNorm1d(6)])
        self.blocks = tn.ModuleDict({"a": tn.Linear(6, 3), "drop": tn.Dropout(0.5)})
        self.scale = tn.Parameter(torch.ones(3))

    def forward(self, x):
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x)
        return self.blocks["drop"](self.blocks["a"](x)) * self.scale


def test_state_dict_keys_and_shapes_equal_the_pytorch_twins():
    ours, theirs = Ours().state_dict(), Theirs().double().state_dict()
    theirs.pop("layers.1.num_batches_tracked")  # PyTorch's step counter, not state of ours
    assert sorted(ours) == sorted(theirs)  # the order differs: PyTorch lists a module's own parameters first
    assert {k: v.shape for k, v in ours.items()} == {k: tuple(v.shape) for k, v in theirs.items()}


def test_the_twins_weights_loaded_into_ours_give_its_outputs_and_gradients():
    torch.manual_seed(0)
    theirs = Theirs().double().eval()
    with torch.no_grad():
        theirs.layers[1].running_mean.uniform_(-1, 1)
        theirs.layers[1].running_var.uniform_(0.5, 2)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items() if not k.endswith("num_batches_tracked")}
    ours = Ours().load_state_dict(state).eval()
    x = np.random.default_rng(1).standard_normal((5, 4))
    out = ours(tg.tensor(x))
    out.sum().backward()
    out_t = theirs(torch.from_numpy(x))
    out_t.sum().backward()
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    theirs_grads = {name: p.grad.numpy() for name, p in theirs.named_parameters()}
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, theirs_grads[name], rtol=1e-10, atol=1e-12)


def test_named_modules_and_children_use_pytorchs_names_each_module_once():
    ours, theirs = Ours(), Theirs()
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [type(m).__name__ for m in ours.children()] == ["Sequential", "ModuleList", "ModuleDict"]
    shared = nn.Linear(2, 2)
    twice = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in twice.named_modules()] == ["", "0", "1"]  # the shared layer once, as PyTorch
    assert len(twice.parameters()) == 2
    assert [n for n, _ in twice.named_modules(prefix="net")] == ["net", "net.0", "net.1"]


def test_apply_visits_children_first_in_order_then_self_and_returns_self():
    ours, theirs = Ours(), Theirs()
    seen, seen_t = [], []
    assert ours.apply(lambda m: seen.append(type(m).__name__)) is ours
    theirs.apply(lambda m: seen_t.append(type(m).__name__))
    assert seen[:-1] == seen_t[:-1] and seen[-1] == "Ours"


def test_apply_can_initialise_every_linear_layer():
    model = Ours()

    def zero_linear(module):
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.weight)

    model.apply(zero_linear)
    assert all(not m.weight.data.any() for m in model.modules() if isinstance(m, nn.Linear))


# ---------------------------------------------------------------- ModuleList

def test_module_list_behaves_as_a_list_and_its_parameters_are_found():
    a, b, c = nn.Linear(2, 2), nn.Linear(2, 3), nn.ReLU()
    ml = nn.ModuleList([a])
    assert ml.append(b) is ml
    ml.extend([c])
    ml.insert(0, nn.Identity())
    assert len(ml) == 4 and ml[1] is a and ml[-1] is c and list(ml)[2] is b
    assert isinstance(ml[1:3], nn.ModuleList) and list(ml[1:3]) == [a, b]
    ml[0] = nn.Tanh()
    ml += [nn.Sigmoid()]
    assert [type(m).__name__ for m in ml] == ["Tanh", "Linear", "Linear", "ReLU", "Sigmoid"]
    del ml[0]
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_module_list_matches_torch_on_insert_and_negative_indices():
    ours, theirs = nn.ModuleList([nn.ReLU(), nn.Tanh()]), torch.nn.ModuleList([torch.nn.ReLU(), torch.nn.Tanh()])
    ours.insert(1, nn.Sigmoid())
    theirs.insert(1, torch.nn.Sigmoid())
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    assert type(ours[-2]).__name__ == type(theirs[-2]).__name__


@pytest.mark.parametrize("bad", [lambda ml: ml.append(3), lambda ml: ml.extend([nn.ReLU(), "x"]),
                                 lambda ml: ml.__setitem__(0, np.ones(2)), lambda ml: ml.insert(0, None)])
def test_module_list_refuses_what_is_not_a_module_and_changes_nothing(bad):
    ml = nn.ModuleList([nn.ReLU()])
    with pytest.raises(TypeError, match="not a Module"):
        bad(ml)
    assert len(ml) == 1 and isinstance(ml[0], nn.ReLU)


def test_module_list_index_errors_and_no_forward():
    ml = nn.ModuleList([nn.ReLU()])
    with pytest.raises(IndexError, match="index 1 is out of range for 1"):
        ml[1]
    with pytest.raises(TypeError, match="ints or slices"):
        ml["0"]
    with pytest.raises(NotImplementedError, match="no forward"):
        ml(tg.tensor([1.0]))
    assert len(nn.ModuleList()) == 0 and nn.ModuleList().parameters() == []


# ---------------------------------------------------------------- ModuleDict

def test_module_dict_has_the_dict_api_and_pytorchs_keys():
    md = nn.ModuleDict({"a": nn.Linear(2, 2)})
    md["b"] = nn.Linear(2, 1, bias=False)
    md.update([("c", nn.ReLU())])
    md.update({"a": nn.Linear(2, 4)})  # replaces, keeps the position
    assert list(md) == list(md.keys()) == ["a", "b", "c"] and len(md) == 3
    assert "b" in md and "z" not in md
    assert [type(v).__name__ for v in md.values()] == ["Linear", "Linear", "ReLU"]
    assert md["a"].out_features == 4 and [k for k, _ in md.items()] == ["a", "b", "c"]
    assert list(md.state_dict()) == ["a.weight", "a.bias", "b.weight"]
    assert isinstance(md.pop("c"), nn.ReLU) and "c" not in md
    del md["b"]
    assert list(md) == ["a"]


@pytest.mark.parametrize("key, value, error, match", [
    (1, nn.ReLU(), TypeError, "keys must be strings"),
    ("a.b", nn.ReLU(), KeyError, "without '.'"),
    ("a", 3.0, TypeError, "not a Module"),
])
def test_module_dict_refuses_bad_keys_and_values(key, value, error, match):
    md = nn.ModuleDict()
    with pytest.raises(error, match=match):
        md[key] = value
    with pytest.raises(error, match=match):
        md.update({"ok": nn.ReLU(), key: value})
    assert len(md) == 0  # update checks every pair before adding any


# ---------------------------------------------------------------- a plain dict of modules

def test_a_plain_dict_of_modules_is_refused_at_assignment_naming_the_attribute():
    class Net(nn.Module):
        def __init__(self):
            self.heads = {"a": nn.Linear(2, 2)}

    with pytest.raises(TypeError, match=r"Net\.heads: a plain dict.*nn\.ModuleDict"):
        Net()


def test_a_plain_dict_filled_after_assignment_is_refused_when_parameters_are_asked():
    class Net(nn.Module):
        def __init__(self):
            self.heads = {}
            self.heads["a"] = nn.Linear(2, 2)

    with pytest.raises(TypeError, match="nn.ModuleDict"):
        Net().parameters()
    with pytest.raises(TypeError, match="nn.ModuleDict"):
        Net().state_dict()


def test_a_dict_of_plain_values_stays_allowed():
    class Net(nn.Module):
        def __init__(self):
            self.config = {"width": 3, "table": tg.tensor([1.0])}  # no module, no parameter
            self.fc = nn.Linear(2, 2)

    assert [n for n, _ in Net().named_parameters()] == ["fc.weight", "fc.bias"]


# ---------------------------------------------------------------- Parameter and Sequential

def test_parameter_requires_grad_shares_data_and_is_found_by_the_module():
    data = np.arange(3.0)
    p = nn.Parameter(data)
    assert p.requires_grad and p.data is data or np.shares_memory(p.data, data)
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    assert isinstance(p, tg.Tensor) and type(p * 2) is tg.Tensor
    assert repr(p).startswith("Parameter containing:")
    assert nn.Parameter().shape == (0,)
    with pytest.raises((TypeError, ValueError)):
        nn.Parameter(np.arange(3))  # ints cannot require grad

    class Scale(nn.Module):
        def __init__(self):
            self.s = nn.Parameter(tg.tensor([2.0]))

        def forward(self, x):
            return x * self.s

    model = Scale()
    model(tg.tensor([3.0])).sum().backward()
    assert model.parameters()[0] is model.s and model.s.grad.tolist() == [3.0]


def test_sequential_append_returns_self_and_slicing_gives_a_sequential():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a)
    assert seq.append(b).append(c) is seq and len(seq) == 3
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, b] and head[0] is a
    assert list(seq[::-1]) == [c, b, a] and seq[-1] is c
    x = tg.tensor(np.ones((2, 2), np.float32))
    np.testing.assert_array_equal(seq(x).data, c(head(x)).data)
    with pytest.raises(TypeError, match="expected a Module"):
        seq.append(np.ones(2))
    assert len(seq) == 3
