"""PyTorch-like building blocks on the Tensor: Module, Linear, ReLU, Sequential, and the notes' losses.

More layers (Dropout, LayerNorm, BatchNorm1d, Embedding, ...), losses and ``clip_grad_norm_`` are in
``layers.py`` and ``nn.init`` in ``init.py``; this module re-exports them at its end.

A parameter is just a ``Tensor`` with ``requires_grad=True`` kept as an attribute of a
``Module``. ``Linear`` stores its weight as the notes do, ``W = [w_1 ... w_K] ∈ R^{d×K}``
(001_b606231dbf973e55.txt), so a batch of rows goes through one matmul: ``Z = X W + b``.

Losses take scores ``z`` (a Tensor) and targets (numpy arrays or lists) and return a
scalar Tensor (``reduction="mean"`` by default, as the notes' J(θ) = (1/N) Σ_i J_i(θ);
``"sum"`` and ``"none"`` are also accepted).
"""

from collections.abc import Mapping

import numpy as np

from .autograd import Tensor

REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------- modules

class Module:
    """Base class: subclasses set parameters (Tensors that require grad) and child Modules as attributes.

    ``parameters()`` walks the attributes in the order they were set, descending into child
    modules and into lists or tuples of them. Override ``forward``; call the module itself.
    """

    training = True

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def named_members(self):
        """(name, value) for each parameter-like Tensor and child Module among the attributes, in order.

        Lists and tuples are looked into: their items are named "attr.0", "attr.1", ...
        """
        for name, value in vars(self).items():
            if isinstance(value, (Tensor, Module)):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, (Tensor, Module)):
                        yield f"{name}.{i}", item

    def named_children(self):
        """(name, module) for every direct child module."""
        return ((name, value) for name, value in self.named_members() if isinstance(value, Module))

    def named_parameters(self, prefix=""):
        """(dotted name, tensor) for every parameter, in attribute order, each shared one listed once."""
        found, seen, stack = [], set(), [(prefix, iter(self.named_members()))]
        while stack:  # an explicit stack, so deep nets do not hit the recursion limit
            path, members = stack[-1]
            entry = next(members, None)
            if entry is None:
                stack.pop()
                continue
            name, value = entry
            if isinstance(value, Module):
                stack.append((path + name + ".", iter(value.named_members())))
            elif value.requires_grad and id(value) not in seen:
                seen.add(id(value))
                found.append((path + name, value))
        return found

    def parameters(self):
        """The parameters as a list, ready for ``optim.SGD(model.parameters(), lr=...)``."""
        return [p for _, p in self.named_parameters()]

    def modules(self):
        """This module and every module below it."""
        found, stack = [], [self]
        while stack:
            module = stack.pop()
            found.append(module)
            stack.extend(reversed([child for _, child in module.named_children()]))
        return found

    def zero_grad(self):
        """Forget the accumulated gradients (``p.grad = None`` for every parameter)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode=True):
        """Set training mode on this module and its children (Dropout and BatchNorm1d behave differently)."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    def register_buffer(self, name, value):
        """Keep ``value`` (an array) as a Tensor attribute that is state but not a parameter.

        Buffers (BatchNorm's running statistics, say) are in ``state_dict()`` and restored by
        ``load_state_dict``, but get no gradient and are not given to optimizers.
        """
        tensor = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
        if tensor.requires_grad:
            raise ValueError(f"register_buffer: buffer {name!r} must not require grad")
        setattr(self, name, tensor)
        names = self.__dict__.setdefault("_buffer_names", [])
        if name not in names:
            names.append(name)
        return tensor

    def named_buffers(self):
        """(dotted name, tensor) for every buffer of this module and the modules below it."""
        found, stack = [], [("", self)]
        while stack:
            prefix, module = stack.pop()
            found.extend((prefix + name, getattr(module, name)) for name in getattr(module, "_buffer_names", ()))
            stack.extend(reversed([(prefix + name + ".", child) for name, child in module.named_children()]))
        return found

    def _named_state(self):
        return dict(self.named_parameters()) | dict(self.named_buffers())

    def state_dict(self):
        """{dotted name: copy of the array} for every parameter, then every buffer."""
        return {name: t.data.copy() for name, t in self._named_state().items()}

    def load_state_dict(self, state):
        """Copy arrays from ``state`` into the parameters and buffers, in place.

        Raises TypeError when ``state`` is not a dict (a mapping of names to arrays), KeyError
        when a name is missing from ``state`` or ``state`` has a key this module does not,
        ValueError on a shape mismatch and TypeError on a dtype that cannot be cast (complex into
        float, say); nothing is changed in any of these cases.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a dict of {{name: array}} (as state_dict() returns), "
                            f"got {type(state).__name__}")
        params = self._named_state()
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if missing or unexpected:
            raise KeyError(f"load_state_dict: {type(self).__name__} state does not match: "
                           f"missing keys {missing}, unexpected keys {unexpected}")
        values = {name: np.asarray(state[name]) for name in params}
        for name, p in params.items():
            value = values[name]
            if value.shape != p.shape:
                raise ValueError(f"load_state_dict: parameter {name!r} has shape {p.shape} in the model "
                                 f"but {value.shape} in the state (was it saved from a model of another size?)")
            if not np.can_cast(value.dtype, p.data.dtype, casting="same_kind"):
                raise TypeError(f"load_state_dict: parameter {name!r} is {p.data.dtype} in the model "
                                f"but {value.dtype} in the state")
        for name, p in params.items():
            np.copyto(p.data, values[name], casting="same_kind")
            p._bump_version()  # a graph built before the load now refuses backward
        return self

    def __repr__(self):
        children = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ("\n" + "\n".join(children) + "\n)" if children else ")")

    def extra_repr(self):
        return ""


def _positive_int(owner, name, n):
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {n!r}")
    return int(n)


class Linear(Module):
    """z = x W + b, the notes' z = Wᵀx + b for a batch of rows x (001_b606231dbf973e55.txt).

    ``weight`` has shape (in_features, out_features): column k is the class-k weight vector
    w_k, as in W = [w_1 ... w_K] ∈ R^{d×K}; ``bias`` has shape (out_features,).
    Initialisation (LeCun): W_ij ~ N(0, 1 / in_features), b = 0, so each z_k starts with about
    the variance of one input feature. (He's 2 / in_features trained the digits network of
    issue 3 slightly worse with the default lr = 0.1 and momentum 0.9.)
    ``rng`` is a numpy Generator or a seed, for reproducible weights.
    """

    def __init__(self, in_features, out_features, bias=True, rng=None, dtype=np.float32):
        self.in_features = _positive_int("Linear", "in_features", in_features)
        self.out_features = _positive_int("Linear", "out_features", out_features)
        scale = np.sqrt(1.0 / self.in_features)
        weight = np.random.default_rng(rng).standard_normal((self.in_features, self.out_features)) * scale
        self.weight = Tensor(weight.astype(dtype), requires_grad=True, name="W")
        self.bias = Tensor(np.zeros(self.out_features, dtype=dtype), requires_grad=True, name="b") if bias else None

    def forward(self, x):
        z = x @ self.weight
        return z + self.bias if self.bias is not None else z

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    """relu(z) = max{0, z} elementwise (003_c7770d845551d3f5.txt)."""

    def forward(self, x):
        return x.relu()


class Tanh(Module):
    """tanh(z) elementwise."""

    def forward(self, x):
        return x.tanh()


class Sigmoid(Module):
    """σ(z) = 1 / (1 + e^{-z}) elementwise."""

    def forward(self, x):
        return x.sigmoid()


class Sequential(Module):
    """Modules applied one after the other; parameters are named "0.weight", "2.bias", ..."""

    def __init__(self, *layers):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} is a {type(layer).__name__}, not a Module")
        self.layers = list(layers)

    def named_members(self):
        return ((str(i), layer) for i, layer in enumerate(self.layers))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)


# ---------------------------------------------------------------- targets

def one_hot(y, num_classes):
    """Rows e_{y_i} ∈ {0,1}^K as float32: the notes' one-hot encoding Y (n × K) of labels 0..K-1 (001)."""
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    _positive_int("one_hot", "num_classes", num_classes)
    if y.ndim != 1 or (y.size and y.dtype.kind not in "iu"):
        raise ValueError(f"one_hot: labels must be a 1-D array of ints, got shape {y.shape} and dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"one_hot: labels must be in 0..{num_classes - 1}, got values from {y.min().item()} "
                         f"to {y.max().item()}")
    Y = np.zeros((y.size, num_classes), dtype=np.float32)
    Y[np.arange(y.size), y] = 1
    return Y


def _signs(y, z, loss):
    """Labels y ∈ {-1, +1} as an array of z's dtype and shape."""
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if y.shape != z.shape:
        raise ValueError(f"{loss}: {y.shape} labels for scores of shape {z.shape}; they must have the same shape")
    if not np.all((y == 1) | (y == -1)):
        raise ValueError(f"{loss}: labels must be -1 or +1, got {np.unique(y)[:5]}")
    return y.astype(z.dtype)


def _reduce(per_example, reduction, loss):
    if reduction == "mean":
        return per_example.mean()
    if reduction == "sum":
        return per_example.sum()
    if reduction == "none":
        return per_example
    raise ValueError(f"{loss}: unknown reduction {reduction!r}; use one of {REDUCTIONS}")


# ---------------------------------------------------------------- losses

def cross_entropy(logits, target, reduction="mean"):
    """f_CE = -(1/n) Σ_i Σ_k y_k^(i) log softmax(z^(i))_k, fused: its gradient is (Ŷ - Y)/n (001, 002).

    ``target``: int labels (n,) or probability rows (n, K).
    """
    return logits.softmax_cross_entropy(target, reduction=reduction)


def mse(pred, target, reduction="mean"):
    """(1/N) Σ_i (y^(i) - z^(i))², the notes' regression loss (003); shapes must match exactly."""
    target_shape = target.shape if isinstance(target, Tensor) else np.shape(target)
    if tuple(target_shape) != pred.shape:
        raise ValueError(f"mse: prediction of shape {pred.shape} and target of shape {tuple(target_shape)} "
                         "differ (reshape one of them; broadcasting here is almost always a bug)")
    diff = pred - target
    return _reduce(diff * diff, reduction, "mse")


def binary_logistic(z, y, reduction="mean"):
    """L(z, y) = log(1 + e^{-yz}) for y ∈ {-1, +1} (003), as softplus(-yz) so it stays finite for large |z|."""
    u = z * -_signs(y, z, "binary_logistic")
    return _reduce(u.softplus(), reduction, "binary_logistic")


def perceptron_loss(z, y, reduction="mean"):
    """L(z, y) = max{0, -yz} for y ∈ {-1, +1} (003); SGD with m = 1, η = 1 on it is the perceptron.

    The notes' algorithm counts y wᵀx <= 0 as a mistake, so at yz = 0 (every sample when
    w = 0) the subgradient taken is -y ∂z, not relu's 0: written as -yz · 1[yz <= 0], whose
    value is max{0, -yz} everywhere. With relu, SGD started at w = 0 would never move.
    """
    yz = z * _signs(y, z, "perceptron_loss")
    mistakes = (yz.data <= 0).astype(z.dtype)
    return _reduce(-yz * mistakes, reduction, "perceptron_loss")


def multiclass_perceptron_loss(z, y, reduction="mean"):
    """L(z, y) = max_k z_k - z_y per row of scores z (n, K), labels y ∈ 0..K-1 (003_c7770d845551d3f5.txt).

    It is zero when y scores highest. At a tie the subgradient follows the notes' rule: unless
    y is the *only* argmax, ŷ is the first wrong class among the argmax, so the gradient is
    e_ŷ - e_y, and SGD with m = 1, η = 1 gives w_ŷ -= x, w_y += x exactly as the algorithm does.
    """
    scores = z.data
    if scores.ndim != 2 or scores.shape[1] < 2:
        raise ValueError(f"multiclass_perceptron_loss: scores must be (n, K) with K >= 2, got shape {z.shape}")
    labels = np.asarray(y)
    n, num_classes = scores.shape
    if labels.shape != (n,) or (n and labels.dtype.kind not in "iu"):
        raise ValueError(f"multiclass_perceptron_loss: need {n} int labels, got shape {labels.shape}, "
                         f"dtype {labels.dtype}")
    if n and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"multiclass_perceptron_loss: labels must be in 0..{num_classes - 1}, got values from "
                         f"{labels.min().item()} to {labels.max().item()}")
    rows = np.arange(n)
    rivals = scores.copy()
    rivals[rows, labels] = -np.inf
    best_rival = rivals.argmax(axis=1)
    y_hat = np.where(rivals[rows, best_rival] >= scores[rows, labels], best_rival, labels)
    return _reduce(z[rows, y_hat] - z[rows, labels], reduction, "multiclass_perceptron_loss")


# ---------------------------------------------------------------- more layers, losses and init (issue 10)

from . import init  # noqa: E402  (nn.init.xavier_uniform_, ...)
from .layers import (BatchNorm1d, Dropout, ELU, Embedding, Flatten, GELU, Identity, LayerNorm, LeakyReLU,  # noqa: E402
                     LogSoftmax, Softmax, Softplus, binary_cross_entropy, binary_cross_entropy_with_logits,
                     clip_grad_norm_, huber_loss, nll_loss, smooth_l1_loss)
