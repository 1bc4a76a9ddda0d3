"""Differential tests of the extended ops against PyTorch: same inputs, same values, same gradients (float64)."""

import numpy as np
import pytest

import tinygrad_sm as tg
from tinygrad_sm import Tensor

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0)")

X = np.random.default_rng(3).uniform(-2, 2, (3, 4))
X[np.abs(X) < 0.1] += 0.3  # no value on the kink of abs, relu-likes or clip
Y = np.random.default_rng(4).uniform(-2, 2, (3, 4))
POSITIVE = np.abs(X) + 0.2
IDX = np.array([[0, 3, 1], [2, 2, 0], [1, 0, 3]])
TIES = np.array([[1.0, 1.0, 0.5], [2.0, -1.0, 2.0]])

# name: (tinygrad_sm function, torch function, inputs); the functions take one tensor per input
CASES = {
    "abs": (lambda x: x.abs(), torch.abs, [X]),
    "sqrt": (lambda x: x.sqrt(), torch.sqrt, [POSITIVE]),
    "square": (lambda x: x.square(), torch.square, [X]),
    "log1p": (lambda x: x.log1p(), torch.log1p, [POSITIVE]),
    "expm1": (lambda x: x.expm1(), torch.expm1, [X]),
    "sin": (lambda x: x.sin(), torch.sin, [X]),
    "cos": (lambda x: x.cos(), torch.cos, [X]),
    "clip": (lambda x: x.clip(-1.0, 0.5), lambda x: x.clamp(-1.0, 0.5), [X]),
    "clip at its ends": (lambda x: x.clip(-1.0, 1.0), lambda x: x.clamp(-1.0, 1.0), [np.array([-1.0, 0.0, 1.0, 3.0])]),
    "leaky_relu": (lambda x: x.leaky_relu(0.2), lambda x: torch.nn.functional.leaky_relu(x, 0.2), [X]),
    "elu": (lambda x: x.elu(0.5), lambda x: torch.nn.functional.elu(x, 0.5), [X]),
    "gelu (tanh form)": (lambda x: x.gelu(approximate="tanh"), lambda x: torch.nn.functional.gelu(x, approximate="tanh"),
                         [X]),
    "gelu (exact)": (lambda x: x.gelu(), lambda x: torch.nn.functional.gelu(x), [X]),
    "erf": (lambda x: x.erf(), lambda x: torch.erf(x), [X]),
    "maximum": (lambda a, b: a.maximum(b), torch.maximum, [X, Y]),
    "minimum broadcast": (lambda a, b: a.minimum(b), torch.minimum, [X, Y[:1]]),
    "maximum ties": (lambda a, b: a.maximum(b), torch.maximum, [TIES, TIES[::-1].copy()]),
    "where": (lambda a, b: tg.where(X > 0, a, b), lambda a, b: torch.where(torch.tensor(X > 0), a, b), [X, Y[0]]),
    "min": (lambda x: x.min(axis=1), lambda x: x.amin(dim=1), [X]),
    "min ties": (lambda x: x.min(axis=-1, keepdims=True), lambda x: x.amin(dim=-1, keepdim=True), [TIES]),
    "var": (lambda x: x.var(axis=0), lambda x: x.var(dim=0), [X]),
    "var correction 0 keepdims": (lambda x: x.var(axis=-1, correction=0, keepdims=True),
                                  lambda x: x.var(dim=-1, correction=0, keepdim=True), [X]),
    "std": (lambda x: x.std(), lambda x: x.std(), [X]),
    "std axes": (lambda x: x.std(axis=(0, 1), correction=0), lambda x: x.std(dim=(0, 1), correction=0), [X]),
    "prod": (lambda x: x.prod(axis=1), lambda x: x.prod(dim=1), [X]),
    "prod with a zero": (lambda x: x.prod(axis=-1), lambda x: x.prod(dim=-1),
                         [np.array([[0.0, 2.0, 3.0], [1.0, -2.0, 0.5]])]),
    "cumsum": (lambda x: x.cumsum(axis=-1), lambda x: x.cumsum(dim=-1), [X]),
    "cat": (lambda a, b: tg.cat([a, b], axis=1), lambda a, b: torch.cat([a, b], dim=1), [X, Y]),
    "stack": (lambda a, b: tg.stack([a, b], axis=-1), lambda a, b: torch.stack([a, b], dim=-1), [X, Y]),
    "split": (lambda x: x.split(3, axis=1)[1], lambda x: x.split(3, dim=1)[1], [X]),
    "chunk": (lambda x: x.chunk(2)[1], lambda x: x.chunk(2)[1], [X]),
    "squeeze": (lambda x: x.squeeze(0), lambda x: x.squeeze(0), [X[None]]),
    "unsqueeze": (lambda x: x.unsqueeze(-1), lambda x: x.unsqueeze(-1), [X]),
    "flatten": (lambda x: x.flatten(0, 1), lambda x: x.flatten(0, 1), [X[:, :, None]]),
    "expand": (lambda x: x.expand(2, -1, 4), lambda x: x.expand(2, -1, 4), [X[:, :1]]),
    "permute": (lambda x: x.permute(1, 0), lambda x: x.permute(1, 0), [X]),
    "flip": (lambda x: x.flip(0), lambda x: x.flip(0), [X]),
    "pad": (lambda x: x.pad(((1, 0), (2, 1)), value=0.5),
            lambda x: torch.nn.functional.pad(x, (2, 1, 1, 0), value=0.5), [X]),
    "repeat": (lambda x: x.repeat(2, 1, 3), lambda x: x.repeat(2, 1, 3), [X]),
    "gather": (lambda x: x.gather(1, IDX), lambda x: x.gather(1, torch.tensor(IDX)), [X]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_and_gradients_match_pytorch(case):
    ours, theirs, arrays = CASES[case]
    weights = np.random.default_rng(5)
    mine = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    reference = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = ours(*mine), theirs(*reference)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    seed = weights.standard_normal(out.shape)
    out.backward(seed)
    expected.backward(torch.tensor(seed))
    for t, r in zip(mine, reference):
        np.testing.assert_allclose(t.grad, r.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_argmax_argmin_sign_floor_divide_match_pytorch():
    t = torch.tensor(X)
    np.testing.assert_array_equal(Tensor(X).argmax(axis=1).data, t.argmax(dim=1).numpy())
    np.testing.assert_array_equal(Tensor(X).argmin(axis=0).data, t.argmin(dim=0).numpy())
    np.testing.assert_array_equal(Tensor(X).sign().data, t.sign().numpy())
    ints = np.array([-7, -1, 0, 5])
    np.testing.assert_array_equal((Tensor(ints) // 2).data, (torch.tensor(ints) // 2).numpy())


def test_one_hot_matches_pytorch():
    labels = np.array([3, 0, 2])
    expected = torch.nn.functional.one_hot(torch.tensor(labels), 4).numpy()
    np.testing.assert_array_equal(tg.one_hot(labels, 4).data, expected)
