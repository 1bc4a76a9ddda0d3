"""PyTorch's spellings give PyTorch's results (issue 16): transpose, max/min, dim=/keepdim=, the vocabulary."""

import numpy as np
import pytest

import tinygrad_sm as tg
from tinygrad_sm import Tensor

torch = pytest.importorskip("torch")

X = np.array([[0.5, -1.0, 2.0], [3.0, 3.0, -0.25]])  # a tie in row 1


def both(array=X):
    return Tensor(array.copy(), requires_grad=True), torch.tensor(array.copy(), requires_grad=True)


def check(ours, theirs, a, b):
    """Equal values, and equal gradients of a weighted sum of the outputs."""
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-6)
    weights = np.random.default_rng(0).standard_normal(ours.shape)
    (ours * weights).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda t: t.transpose(0, 1), lambda t: t.transpose(1, 0), lambda t: t.transpose(-1, 0), lambda t: t.t(),
    lambda t: t.T, lambda t: t.permute(1, 0), lambda t: t.view(3, 2), lambda t: t.view(-1),
    lambda t: t.sum(dim=0), lambda t: t.sum(dim=1, keepdim=True), lambda t: t.mean(1, keepdim=True),
    lambda t: t.mean(dim=(0, 1)), lambda t: t.softmax(dim=1), lambda t: t.log_softmax(dim=0),
    lambda t: t.logsumexp(dim=1, keepdim=True), lambda t: t.var(dim=1), lambda t: t.std(dim=0, keepdim=True),
    lambda t: t.var(1, unbiased=False), lambda t: t.prod(dim=1), lambda t: t.cumsum(dim=1),
    lambda t: t.amax(dim=1), lambda t: t.amin(dim=0, keepdim=True), lambda t: t.amax(),
    lambda t: t.max(1).values, lambda t: t.min(dim=1, keepdim=True).values, lambda t: t.max(0)[0],
    lambda t: t.flip(dims=(1,)), lambda t: t.unsqueeze(dim=0), lambda t: t.flatten(start_dim=0),
    lambda t: t.to(t.dtype), lambda t: t.sign() * t,
])
def test_spelling_gives_pytorchs_values_and_gradients(call):
    a, b = both()
    check(call(a), call(b), a, b)


def test_transpose_of_3d_swaps_two_dimensions():
    data = np.arange(24.0).reshape(2, 3, 4)
    a, b = both(data)
    check(a.transpose(1, 2), b.transpose(1, 2), a, b)
    assert Tensor(data).transpose((2, 0, 1)).shape == (4, 2, 3)  # numpy's full permutation stays
    with pytest.raises(ValueError, match=r"not a permutation.*give two dimensions to swap"):
        Tensor(data).transpose((1, 2))


def test_max_and_min_with_a_dimension_are_pytorchs_named_tuple():
    for name in ("max", "min"):
        ours, theirs = getattr(Tensor(X), name)(1), getattr(torch.tensor(X), name)(1)
        values, indices = ours
        assert type(ours).__name__.endswith("ValuesAndIndices") and ours.values is values
        np.testing.assert_array_equal(values.data, theirs.values.numpy())
        np.testing.assert_array_equal(indices.data, theirs.indices.numpy())
        assert repr(ours).startswith(f"return_types.{name}(values=")
    assert Tensor(X).max(axis=1).shape == (2,) and not isinstance(Tensor(X).max(axis=1), tuple)  # numpy's stays
    np.testing.assert_array_equal(Tensor(X).max(Tensor(np.zeros(3))).data, np.maximum(X, 0))


def test_max_with_a_dimension_sends_the_gradient_to_the_index_amax_shares_it():
    for method in ("max", "amax"):
        a, b = both()
        out_a = a.max(1).values if method == "max" else a.amax(1)
        out_b = b.max(1).values if method == "max" else b.amax(1)
        out_a.sum().backward()
        out_b.sum().backward()
        np.testing.assert_array_equal(a.grad, b.grad.numpy())


def test_both_spellings_of_one_argument_is_a_clear_error():
    with pytest.raises(TypeError, match=r"sum: got both axis=0 \(numpy's name\) and dim=1 \(PyTorch's name\)"):
        Tensor(X).sum(axis=0, dim=1)
    with pytest.raises(TypeError, match="mean: got both keepdims=True"):
        Tensor(X).mean(keepdims=True, keepdim=True)


def test_size_numel_dim_grad_fn_item_tolist():
    a, b = both()
    assert a.size() == tuple(b.size()) and a.size(1) == b.size(1) and a.size(-1) == 3
    assert a.size == 6 and a.numel() == b.numel() and a.dim() == b.dim()  # .size stays numpy's count too
    c = a * 2
    assert c.grad_fn is c.op and c.grad_fn.name == "mul" and a.grad_fn is None
    assert Tensor(2.5).item() == 2.5 and a.tolist() == b.tolist()
    assert a.to(np.float32).dtype == np.float32 and a.to("cpu") is a
    with pytest.raises(IndexError, match="size: axis 2 is out of range"):
        a.size(2)


def test_module_functions_take_torchs_signatures():
    assert tg.zeros(2, 3).shape == tuple(torch.zeros(2, 3).shape) == tg.zeros((2, 3)).shape
    np.testing.assert_array_equal(tg.ones(2, dtype=np.float64).data, torch.ones(2, dtype=torch.float64).numpy())
    assert tg.full((2, 2), 7.0).tolist() == torch.full((2, 2), 7.0).tolist()
    assert tg.empty(3).shape == (3,) and tg.randn(2, 3, requires_grad=True).requires_grad
    assert tg.rand(4).dtype == np.float32 and tg.randn(4).dtype == np.float32


def test_tensor_copies_from_numpy_shares():
    array = np.zeros(3, dtype=np.float32)
    copied, shared = tg.tensor(array), tg.from_numpy(array)
    array[0] = 5
    assert copied.data[0] == torch.tensor(array.copy() * 0)[0].item() and shared.data[0] == 5
    assert Tensor(array).data is array  # Tensor(ndarray) shares, as from_numpy (docs/numpy-and-pytorch.md)
    with pytest.raises(TypeError, match="from_numpy: expected a numpy array"):
        tg.from_numpy([1.0])


def test_manual_seed_makes_every_random_default_repeat():
    def draw():
        tg.manual_seed(3)
        layer = tg.nn.Linear(3, 2)
        drop = tg.nn.Dropout(0.5)
        drop.train()
        return [layer.weight.data.copy(), tg.randn(4).data, tg.rand(4).data, drop(Tensor(np.ones(8))).data]
    for first, second in zip(draw(), draw()):
        np.testing.assert_array_equal(first, second)
    assert not np.array_equal(tg.randn(4, rng=1).data, tg.randn(4, rng=2).data)  # the per-call rng= stays
    np.testing.assert_array_equal(tg.randn(4, rng=1).data, tg.randn(4, rng=1).data)
