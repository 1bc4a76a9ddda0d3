"""Every op differentiated twice (and the elementwise ones three times): gradgradcheck in float64, and PyTorch's
torch.autograd.grad(create_graph=True) where it is installed."""

import numpy as np
import pytest

import tinygrad_sm as tg
from tinygrad_sm import Tensor, autograd, gradgradcheck, nn

RNG = np.random.default_rng(17)
X23 = RNG.standard_normal((2, 3))
Y3 = RNG.standard_normal(3)
POS23 = 0.5 + RNG.random((2, 3))
NO_TIES = np.array([[0.3, -1.2, 2.1], [1.4, 0.2, -0.7]])

# name: (tinygrad_sm function, torch function, inputs). torch functions get torch tensors (float64).
ELEMENTWISE = {
    "neg": (lambda x: -x, lambda x: -x, [X23]),
    "exp": (lambda x: x.exp(), lambda x: x.exp(), [X23]),
    "log": (lambda x: x.log(), lambda x: x.log(), [POS23]),
    "relu": (lambda x: x.relu() * x, lambda x: x.relu() * x, [NO_TIES]),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid(), [X23]),
    "tanh": (lambda x: x.tanh(), lambda x: x.tanh(), [X23]),
    "softplus": (lambda x: x.softplus(), lambda x: __import__("torch").nn.functional.softplus(x), [X23]),
    "abs": (lambda x: x.abs() * x, lambda x: x.abs() * x, [NO_TIES]),
    "sqrt": (lambda x: x.sqrt(), lambda x: x.sqrt(), [POS23]),
    "square": (lambda x: x.square(), lambda x: x.square(), [X23]),
    "log1p": (lambda x: x.log1p(), lambda x: x.log1p(), [POS23]),
    "expm1": (lambda x: x.expm1(), lambda x: x.expm1(), [X23]),
    "sin": (lambda x: x.sin(), lambda x: x.sin(), [X23]),
    "cos": (lambda x: x.cos(), lambda x: x.cos(), [X23]),
    "clip": (lambda x: x.clip(-0.5, 0.5) * x, lambda x: x.clamp(-0.5, 0.5) * x, [NO_TIES]),
    "leaky_relu": (lambda x: x.leaky_relu(0.1) * x,
                   lambda x: __import__("torch").nn.functional.leaky_relu(x, 0.1) * x, [NO_TIES]),
    "elu": (lambda x: x.elu(), lambda x: __import__("torch").nn.functional.elu(x), [NO_TIES]),
    "gelu_tanh": (lambda x: x.gelu(approximate="tanh"),
                  lambda x: __import__("torch").nn.functional.gelu(x, approximate="tanh"), [X23]),
    "gelu": (lambda x: x.gelu(), lambda x: __import__("torch").nn.functional.gelu(x), [X23]),
    "erf": (lambda x: x.erf(), lambda x: __import__("torch").erf(x), [X23]),
    "normal_cdf": (lambda x: x.normal_cdf(), lambda x: __import__("torch").special.ndtr(x), [X23]),
    "pow_const": (lambda x: x ** 3, lambda x: x ** 3, [X23]),
    "pow": (lambda x, y: x ** y, lambda x, y: x ** y, [POS23, Y3]),
    "rpow": (lambda x: 2.0 ** x, lambda x: 2.0 ** x, [X23]),
    "add": (lambda x, y: (x + y) * x, lambda x, y: (x + y) * x, [X23, Y3]),
    "sub": (lambda x, y: (x - y) * y, lambda x, y: (x - y) * y, [X23, Y3]),
    "mul": (lambda x, y: x * y * x, lambda x, y: x * y * x, [X23, Y3]),
    "div": (lambda x, y: y / x, lambda x, y: y / x, [POS23, Y3]),
    "maximum": (lambda x, y: x.maximum(y) * x, lambda x, y: torch_max(x, y) * x, [NO_TIES, Y3]),
    "minimum": (lambda x, y: x.minimum(y) * x, lambda x, y: torch_min(x, y) * x, [NO_TIES, Y3]),
    "where": (lambda x, y: tg.where(NO_TIES > 0, x * x, y * x), lambda x, y: where_torch(x, y), [X23, Y3]),
    "zero_d": (lambda x: (x * x).exp(), lambda x: (x * x).exp(), [np.array(0.7)]),
}


def torch_max(x, y):
    return __import__("torch").maximum(x, y)


def torch_min(x, y):
    return __import__("torch").minimum(x, y)


def where_torch(x, y):
    torch = __import__("torch")
    return torch.where(torch.from_numpy(NO_TIES > 0), x * x, y * x)


IDX = np.array([1, 0, 1])
LABELS = np.array([2, 0])
ROWS = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
OTHERS = {
    "matmul_2d": (lambda a, b: a @ b, lambda a, b: a @ b, [X23, RNG.standard_normal((3, 2))]),
    "matmul_1d_2d": (lambda a, b: a @ b, lambda a, b: a @ b, [Y3, RNG.standard_normal((3, 2))]),
    "matmul_2d_1d": (lambda a, b: a @ b, lambda a, b: a @ b, [X23, Y3]),
    "matmul_1d_1d": (lambda a, b: a @ b * (a @ b), lambda a, b: a @ b * (a @ b), [Y3, Y3 + 1]),
    "matmul_batched": (lambda a, b: a @ b, lambda a, b: a @ b,
                       [RNG.standard_normal((2, 2, 3)), RNG.standard_normal((3, 2))]),
    "sum_axis": (lambda x: x.sum(axis=1) ** 2, lambda x: x.sum(dim=1) ** 2, [X23]),
    "sum_keepdims": (lambda x: x * x.sum(axis=0, keepdims=True), lambda x: x * x.sum(dim=0, keepdim=True), [X23]),
    "mean_axis": (lambda x: x.mean(axis=0) ** 2, lambda x: x.mean(dim=0) ** 2, [X23]),
    "max_axis": (lambda x: x.max(axis=1) ** 2, lambda x: x.amax(dim=1) ** 2, [NO_TIES]),
    "min_axis": (lambda x: x.min(axis=0) ** 2, lambda x: x.amin(dim=0) ** 2, [NO_TIES]),
    "var": (lambda x: x.var(axis=1), lambda x: x.var(dim=1), [X23]),
    "std": (lambda x: x.std(axis=1), lambda x: x.std(dim=1), [X23]),
    "cumsum": (lambda x: x.cumsum(axis=1) ** 2, lambda x: x.cumsum(dim=1) ** 2, [X23]),
    "logsumexp": (lambda x: x.logsumexp(axis=1), lambda x: x.logsumexp(dim=1), [X23]),
    "softmax": (lambda x: x.softmax(axis=1), lambda x: x.softmax(dim=1), [X23]),
    "log_softmax": (lambda x: x.log_softmax(axis=0), lambda x: x.log_softmax(dim=0), [X23]),
    "cross_entropy_mean": (lambda z: z.softmax_cross_entropy(LABELS),
                           lambda z: cross_entropy(z, LABELS, reduction="mean"), [X23]),
    "cross_entropy_sum": (lambda z: z.softmax_cross_entropy(LABELS, reduction="sum") * 2,
                          lambda z: cross_entropy(z, LABELS, reduction="sum") * 2, [X23]),
    "cross_entropy_none": (lambda z: z.softmax_cross_entropy(LABELS, reduction="none"),
                           lambda z: cross_entropy(z, LABELS, reduction="none"), [X23]),
    "cross_entropy_rows": (lambda z: z.softmax_cross_entropy(ROWS), lambda z: cross_entropy(z, ROWS, reduction="mean"), [X23]),
    "cross_entropy_one_row": (lambda z: z.softmax_cross_entropy(np.array(1)) * z.sum(),
                              lambda z: cross_entropy(z[None], np.array([1]), "mean") * z.sum(), [Y3]),
    "reshape": (lambda x: x.reshape(3, 2) ** 3, lambda x: x.reshape(3, 2) ** 3, [X23]),
    "transpose": (lambda x: x.transpose() @ x, lambda x: x.T @ x, [X23]),
    "getitem_repeats": (lambda x: x[:, IDX] ** 3, lambda x: x[:, IDX] ** 3, [X23]),
    "getitem_row": (lambda x: x[1] ** 3, lambda x: x[1] ** 3, [X23]),
    "concatenate": (lambda x, y: tg.cat([x, x * y]) ** 2, lambda x, y: cat_torch(x, x * y) ** 2, [X23, Y3]),
    "stack": (lambda x, y: tg.stack([x, x * y]) ** 2, lambda x, y: stack_torch(x, x * y) ** 2, [X23, Y3]),
    "split": (lambda x: x.split(1)[1] ** 3, lambda x: x.split(1)[1] ** 3, [X23]),
    "broadcast_to": (lambda y: y.broadcast_to(2, 3) ** 3, lambda y: y.broadcast_to(2, 3) ** 3, [Y3]),
    "flip": (lambda x: x.flip(1) * x, lambda x: x.flip(1) * x, [X23]),
    "pad": (lambda x: x.pad(1) ** 3, lambda x: pad_torch(x) ** 3, [X23]),
    "tile": (lambda x: x.tile(2, 1) ** 3, lambda x: x.tile(2, 1) ** 3, [X23]),
    "take_along_axis": (lambda x: x.take_along_axis(np.array([[0, 0], [2, 1]]), axis=1) ** 3,
                        lambda x: take_torch(x) ** 3, [X23]),
    "clone": (lambda x: x.clone() ** 3, lambda x: x.clone() ** 3, [X23]),
    "astype": (lambda x: x.astype(np.float64) ** 3, lambda x: x.double() ** 3, [X23]),
    "empty": (lambda x: (x * x).sum(axis=0), lambda x: (x * x).sum(dim=0), [np.zeros((0, 3))]),
    "mse": (lambda x, y: nn.loss.mse(x * y, X23), lambda x, y: ((x * y - torch_of(X23)) ** 2).mean(), [X23, Y3]),
    "linear_tanh": (lambda x, w: (x @ w).tanh().sum(axis=1), lambda x, w: (x @ w).tanh().sum(dim=1),
                    [X23, RNG.standard_normal((3, 2))]),
}


def torch_of(a):
    return __import__("torch").tensor(a)


def cross_entropy(z, target, reduction):
    torch = __import__("torch")
    target = torch.tensor(target) if target.dtype.kind == "i" else torch.tensor(target)
    return torch.nn.functional.cross_entropy(z, target, reduction=reduction)


def cat_torch(a, b):
    return __import__("torch").cat([a, b.expand_as(a)])


def stack_torch(a, b):
    return __import__("torch").stack([a, b.expand_as(a)])


def pad_torch(x):
    return __import__("torch").nn.functional.pad(x, (1, 1, 1, 1))


def take_torch(x):
    return __import__("torch").take_along_dim(x, __import__("torch").tensor([[0, 0], [2, 1]]), dim=1)


ALL = {**ELEMENTWISE, **OTHERS}


def leaves(arrays):
    return [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]


@pytest.mark.parametrize("name", sorted(ALL))
def test_second_derivatives_match_finite_differences(name):
    fn, _, arrays = ALL[name]
    assert gradgradcheck(fn, *leaves(arrays))


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_third_derivatives_match_finite_differences(name):
    """gradgradcheck of the engine's gradient function checks the engine's third derivatives."""
    fn, _, arrays = ELEMENTWISE[name]

    def gradient(*inputs):
        return autograd.grad((fn(*inputs) * 0.5).sum(), inputs[0], create_graph=True)[0]
    assert gradgradcheck(gradient, *leaves(arrays))


def nested_gradients(fn, inputs, weights, grad, times):
    """[∇(Σ fn ⊙ W), ∇ Σ (∇ ...)·S, ...]: the first ``times`` derivatives, each reduced with fixed weights."""
    out = (fn(*inputs) * weights).sum()
    results = []
    for k in range(times):
        found = grad(out, inputs) if out.requires_grad else [None] * len(inputs)
        grads = [x * 0 if g is None else g for g, x in zip(found, inputs)]
        results.append(grads)
        if k + 1 < times:
            out = sum((g * (0.3 + 0.1 * i)).sum() for i, g in enumerate(grads))
    return results


@pytest.mark.parametrize("name", sorted(ALL))
def test_second_and_third_derivatives_match_torch(name):
    torch = pytest.importorskip("torch")
    fn, torch_fn, arrays = ALL[name]
    times = 3 if name in ELEMENTWISE else 2
    ours = leaves(arrays)
    weights = np.random.default_rng(3).standard_normal(fn(*ours).shape)
    theirs = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    mine = nested_gradients(fn, ours, weights, lambda o, xs: autograd.grad(o, xs, create_graph=True,
                                                                             allow_unused=True), times)
    reference = nested_gradients(torch_fn, theirs, torch.tensor(weights),
                                 lambda o, xs: torch.autograd.grad(o, xs, create_graph=True, allow_unused=True),
                                 times)
    for level, (a, b) in enumerate(zip(mine, reference)):
        assert len(a) == len(b), f"derivative {level + 1}: {len(a)} gradients, torch gives {len(b)}"
        for g, h in zip(a, b):
            np.testing.assert_allclose(g.data, h.detach().numpy(force=True), rtol=1e-9, atol=1e-10,
                                       err_msg=f"derivative {level + 1}")


def test_prod_is_not_twice_differentiable_and_says_so():
    x = Tensor(X23, requires_grad=True)
    with pytest.raises(autograd.NotTwiceDifferentiable, match="prod"):
        autograd.grad(x.prod(), x, create_graph=True)
    assert autograd.grad(x.prod(), x)[0].shape == (2, 3)  # once is fine


def test_float32_second_derivatives_keep_float32():
    x = Tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    g, = autograd.grad((x.softplus() * x.sigmoid()).sum(), x, create_graph=True)
    h, = autograd.grad(g.sum(), x)
    assert g.dtype == np.float32 and h.dtype == np.float32
