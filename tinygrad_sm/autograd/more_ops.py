"""The extended op set, beside the design card's ops in ``ops.py`` and written the same way.

Each op keeps its forward and its closed-form backward side by side, with a one-line docstring
in the notes' notation and a ``rule`` the pictures and the backward trace print. ``symbols``
names the inputs the rule uses, in order: ``z`` for a one-input elementwise op, ``A``/``B``
for two inputs (``A`` for the one input of a reduction or a shape op). ``G`` is the incoming
gradient dL/d(out).

Elementwise float functions of integer arrays compute in float32, as PyTorch does
(``ops.float_input``); float arrays keep their dtype.
"""

import numpy as np

from .higher_order import scatter_add
from .ops import Op, expand_reduced, float_input, unbroadcast


# ---------------------------------------------------------------- elementwise, one input

class Sigmoid(Op):
    name, rule = "sigmoid", "dz = G ⊙ σ(z)(1 - σ(z))"
    symbols = ("z",)
    __slots__ = ("out",)  # what forward keeps for backward

    def forward(self, z):
        z = float_input(z)
        # exp of a non-positive number only, so no overflow for large |z|
        e = np.exp(-np.abs(z))
        self.out = np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype, copy=False)
        return self.out

    def backward(self, g):
        """dσ/dz = σ(z)(1 - σ(z))."""
        return (g * self.out * (1 - self.out),)


class Tanh(Op):
    name, rule = "tanh", "dz = G ⊙ (1 - tanh²(z))"
    symbols = ("z",)
    __slots__ = ("out",)  # what forward keeps for backward

    def forward(self, z):
        self.out = np.tanh(float_input(z))
        return self.out

    def backward(self, g):
        """d(tanh z)/dz = 1 - tanh²(z)."""
        return (g * (1 - self.out * self.out),)


class Softplus(Op):
    name, rule = "softplus", "dz = G ⊙ σ(z)"
    symbols = ("z",)
    __slots__ = ("z",)  # what forward keeps for backward

    def forward(self, z):
        self.z = z = float_input(z)
        with np.errstate(invalid="ignore"):  # NaN in gives NaN out, without a warning
            return np.logaddexp(0, z).astype(z.dtype, copy=False)  # log(1 + e^z), stable both ways

    def backward(self, g):
        """d log(1 + e^z)/dz = e^z / (1 + e^z) = σ(z)."""
        e = np.exp(-np.abs(self.z))
        sigma = np.where(self.z >= 0, 1 / (1 + e), e / (1 + e))  # z's dtype: e is, and 1 is a Python number
        return (g * sigma,)


class Abs(Op):
    name, rule = "abs", "dz = G ⊙ sign(z)"
    __slots__ = ("z",)
    symbols = ("z",)

    def forward(self, z):
        self.z = z
        return np.abs(z)

    def backward(self, g):
        """d|z|/dz = sign(z) (0 at z = 0, as PyTorch)."""
        return (g * np.sign(self.z),)


class Sqrt(Op):
    name, rule = "sqrt", "dz = G / (2√z)"
    __slots__ = ("out",)
    symbols = ("z",)

    def forward(self, z):
        self.out = np.sqrt(float_input(z))
        return self.out

    def backward(self, g):
        """d√z/dz = 1 / (2√z)."""
        return (g / (2 * self.out),)


class Square(Op):
    name, rule = "square", "dz = 2 G ⊙ z"
    __slots__ = ("z",)
    symbols = ("z",)

    def forward(self, z):
        self.z = z
        return z * z

    def backward(self, g):
        """d z²/dz = 2z."""
        return (2 * g * self.z,)


class Log1p(Op):
    name, rule = "log1p", "dz = G / (1 + z)"
    __slots__ = ("z",)
    symbols = ("z",)

    def forward(self, z):
        self.z = float_input(z)
        return np.log1p(self.z)

    def backward(self, g):
        """d log(1 + z)/dz = 1 / (1 + z)."""
        return (g / (1 + self.z),)


class Expm1(Op):
    name, rule = "expm1", "dz = G ⊙ e^z"
    __slots__ = ("out",)
    symbols = ("z",)

    def forward(self, z):
        self.out = np.expm1(float_input(z))
        return self.out

    def backward(self, g):
        """d(e^z - 1)/dz = e^z = expm1(z) + 1."""
        return (g * (self.out + 1),)


class Sin(Op):
    name, rule = "sin", "dz = G ⊙ cos z"
    __slots__ = ("z",)
    symbols = ("z",)

    def forward(self, z):
        self.z = float_input(z)
        return np.sin(self.z)

    def backward(self, g):
        """d sin z/dz = cos z."""
        return (g * np.cos(self.z),)


class Cos(Op):
    name, rule = "cos", "dz = -G ⊙ sin z"
    __slots__ = ("z",)
    symbols = ("z",)

    def forward(self, z):
        self.z = float_input(z)
        return np.cos(self.z)

    def backward(self, g):
        """d cos z/dz = -sin z."""
        return (-g * np.sin(self.z),)


class Clip(Op):
    name, rule = "clip", "dz = G ⊙ 1[lo ≤ z ≤ hi]"
    __slots__ = ("z", "low", "high")
    symbols = ("z",)

    def forward(self, z, low, high):
        self.z, self.low, self.high = z, low, high
        out = z if low is None else np.maximum(z, low)
        return out if high is None else np.minimum(out, high)

    def backward(self, g):
        """d clip(z)/dz = 1 inside [lo, hi] (the ends included, as PyTorch), 0 outside."""
        z, low, high = self.z, self.low, self.high
        if low is not None:
            g = g * (z >= low)
        return (g if high is None else g * (z <= high),)


class LeakyReLU(Op):
    name, rule = "leaky_relu", "dz = G ⊙ (1[z > 0] + s·1[z ≤ 0])"
    __slots__ = ("positive", "slope")
    symbols = ("z",)

    def forward(self, z, slope):
        z = float_input(z)
        self.positive, self.slope = z > 0, slope
        return np.where(self.positive, z, z * np.asarray(slope, dtype=z.dtype))

    def backward(self, g):
        """d leaky_relu(z)/dz = 1 for z > 0, s for z ≤ 0."""
        return (np.where(self.positive, g, g * np.asarray(self.slope, dtype=g.dtype)),)


class ELU(Op):
    name, rule = "elu", "dz = G ⊙ (1[z > 0] + (out + α)·1[z ≤ 0])"
    __slots__ = ("positive", "out", "alpha")
    constants = ("alpha",)
    symbols = ("z",)

    def forward(self, z, alpha):
        z = float_input(z)
        alpha = np.asarray(alpha, dtype=z.dtype)
        self.positive, self.alpha = z > 0, alpha
        self.out = np.where(self.positive, z, alpha * np.expm1(np.minimum(z, 0)))  # no overflow for large z
        return self.out

    def backward(self, g):
        """d elu(z)/dz = 1 for z > 0, α e^z = out + α for z ≤ 0."""
        return (np.where(self.positive, g, g * (self.out + self.alpha)),)


GELU_C = np.sqrt(2 / np.pi)


class GELU(Op):
    """GELU in its tanh form (PyTorch's ``gelu(approximate="tanh")``): z/2 (1 + tanh(c(z + 0.044715 z³)))."""

    name, rule = "gelu_tanh", "dz = G ⊙ (½(1 + t) + ½ z (1 - t²) c (1 + 3·0.044715 z²)), t = tanh(c(z + 0.044715 z³))"
    __slots__ = ("z", "t")
    symbols = ("z",)

    def forward(self, z):
        z = float_input(z)
        self.z = z
        self.t = np.tanh(GELU_C * (z + 0.044715 * z * z * z)).astype(z.dtype, copy=False)
        return 0.5 * z * (1 + self.t)

    def saved_from(self, z, out):
        """Under create_graph (higher_order.py): the saved t as a Tensor."""
        return {"t": (GELU_C * (z + 0.044715 * z * z * z)).tanh()}

    def backward(self, g):
        """d gelu/dz = ½(1 + t) + ½ z (1 - t²) c (1 + 0.134145 z²), c = √(2/π)."""
        z, t = self.z, self.t
        return (g * (0.5 * (1 + t) + 0.5 * z * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * z * z)),)


# ---------------------------------------------------------------- elementwise, two inputs

class Maximum(Op):
    name, rule = "maximum", "dA = G ⊙ (1[A > B] + ½·1[A = B]), dB = G ⊙ (1[B > A] + ½·1[A = B])"
    __slots__ = ("a", "b")
    symbols = ("A", "B")

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.maximum(a, b)

    def backward(self, g):
        """d max(a, b)/da = 1 where a wins, ½ at a tie (as PyTorch); the rest goes to b."""
        return self._split(g, self.a > self.b)

    def _split(self, g, a_wins):
        a, b = self.a, self.b
        a_share = np.where(a == b, np.asarray(0.5, dtype=g.dtype), a_wins)
        need_a, need_b = self.needs_grad
        da = unbroadcast(g * a_share, a.shape) if need_a else None
        db = unbroadcast(g * (1 - a_share), b.shape) if need_b else None
        return da, db


class Minimum(Maximum):
    name, rule = "minimum", "dA = G ⊙ (1[A < B] + ½·1[A = B]), dB = G ⊙ (1[B < A] + ½·1[A = B])"
    __slots__ = ()

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.minimum(a, b)

    def backward(self, g):
        """d min(a, b)/da = 1 where a is smaller, ½ at a tie (as PyTorch); the rest goes to b."""
        return self._split(g, self.a < self.b)


class Where(Op):
    name, rule = "where", "dA = G ⊙ 1[c], dB = G ⊙ 1[¬c] (summed over broadcast axes)"
    __slots__ = ("condition", "a_shape", "b_shape")
    symbols = ("A", "B")

    def forward(self, a, b, condition):
        self.condition, self.a_shape, self.b_shape = condition, a.shape, b.shape
        return np.where(condition, a, b)

    def backward(self, g):
        """d where(c, a, b)/da = 1[c], /db = 1[not c]."""
        need_a, need_b = self.needs_grad
        zero = np.zeros((), dtype=g.dtype)
        da = unbroadcast(np.where(self.condition, g, zero), self.a_shape) if need_a else None
        db = unbroadcast(np.where(self.condition, zero, g), self.b_shape) if need_b else None
        return da, db


# ---------------------------------------------------------------- reductions

class Mean(Op):
    name, rule = "mean", "dA = G / n broadcast back over the averaged axes"
    symbols = ("A",)
    __slots__ = ("shape", "axes", "keepdims", "count")  # what forward keeps for backward

    def forward(self, a, axes, keepdims):
        self.shape, self.axes, self.keepdims = a.shape, axes, keepdims
        self.count = int(np.prod([a.shape[i] for i in axes]))
        if self.count == 0:  # the mean of nothing is NaN, as in PyTorch (numpy would also warn)
            shape = [1 if i in axes else n for i, n in enumerate(a.shape) if keepdims or i not in axes]
            return np.full(shape, np.nan, dtype=float_input(a[:0]).dtype)
        return np.asarray(float_input(a).mean(axis=axes, keepdims=keepdims))

    def backward(self, g):
        """d(Σ a / n)/da = 1/n for every averaged element."""
        g = expand_reduced(g, self.axes, self.keepdims)
        return (np.broadcast_to(g / max(self.count, 1), self.shape),)  # an empty axis gets an empty gradient


class Max(Op):
    name, rule = "max", "dA = G ⊙ 1[A = max A] / (number of tied maxima)"
    symbols = ("A",)
    __slots__ = ("shape", "axes", "keepdims", "is_max")  # what forward keeps for backward

    def forward(self, a, axes, keepdims):
        self.shape, self.axes, self.keepdims = a.shape, axes, keepdims
        top = a.max(axis=axes, keepdims=True)
        self.is_max = a == top
        return np.asarray(top if keepdims else top.reshape([n for i, n in enumerate(a.shape) if i not in axes]))

    def backward(self, g):
        """d(max a)/da = 1[a = max], shared equally among ties (as torch.amax)."""
        g = expand_reduced(g, self.axes, self.keepdims)
        ties = self.is_max.sum(axis=self.axes, keepdims=True)
        return (g * self.is_max / ties,)


class Min(Max):
    name, rule = "min", "dA = G ⊙ 1[A = min] / (number of tied minima)"
    __slots__ = ()  # Max's: the shape, the axes and the mask of the winners

    def forward(self, a, axes, keepdims):
        """The smallest value; ``is_max`` marks the tied minima, so Max's backward shares G among them."""
        self.shape, self.axes, self.keepdims = a.shape, axes, keepdims
        low = a.min(axis=axes, keepdims=True)
        self.is_max = a == low
        return np.asarray(low if keepdims else low.reshape([n for i, n in enumerate(a.shape) if i not in axes]))


class Var(Op):
    name, rule = "var", "dA = G ⊙ 2(A - mean(A)) / (n - c)"
    __slots__ = ("centered", "axes", "keepdims", "dof")
    symbols = ("A",)

    def forward(self, a, axes, keepdims, correction):
        a = float_input(a)
        self.axes, self.keepdims = axes, keepdims
        self.dof = int(np.prod([a.shape[i] for i in axes])) - correction
        self.centered = a - a.mean(axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):  # n - c ≤ 0 gives inf/NaN, as numpy and PyTorch
            out = (self.centered * self.centered).sum(axis=axes, keepdims=keepdims) / max(self.dof, 0)
        return np.asarray(out, dtype=a.dtype)

    def backward(self, g):
        """d/da_i of Σ_j (a_j - ā)² / (n - c) = 2(a_i - ā) / (n - c) (the ā terms sum to zero)."""
        g = expand_reduced(g, self.axes, self.keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):  # n = c: a NaN gradient, as PyTorch (not ZeroDivision)
            return (g * self.centered * (self.centered.dtype.type(2) / max(self.dof, 0)),)

    def saved_from(self, a, out):
        """Under create_graph (higher_order.py): the saved a - mean(a) as a Tensor."""
        return {"centered": a - a.mean(axis=self.axes, keepdims=True)}


class Std(Var):
    name, rule = "std", "dA = G ⊙ (A - mean(A)) / ((n - c) · out)"
    __slots__ = ("out",)

    def forward(self, a, axes, keepdims, correction):
        self.out = np.sqrt(super().forward(a, axes, keepdims, correction))
        return self.out

    def backward(self, g):
        """d√v/da = (dv/da) / (2√v) = (a - ā) / ((n - c) std)."""
        g = expand_reduced(g, self.axes, self.keepdims)
        out = expand_reduced(self.out, self.axes, self.keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):  # std = 0 (no spread): gradient 0, as PyTorch
            return (np.where(out == 0, 0, g * self.centered / (max(self.dof, 0) * out)),)


class Prod(Op):
    name, rule = "prod", "dA_i = G ⊙ Π_{j≠i} A_j"
    twice_differentiable = False  # cumprod has no Tensor op yet (higher_order.py)
    __slots__ = ("a", "axes", "keepdims")
    symbols = ("A",)

    def forward(self, a, axes, keepdims):
        self.a, self.axes, self.keepdims = a, axes, keepdims
        return np.asarray(a.prod(axis=axes, keepdims=keepdims))

    def backward(self, g):
        """d(Π_j a_j)/da_i = Π_{j≠i} a_j, from products to the left and right of i (exact with zeros)."""
        a, axes = self.a, self.axes
        if a.size == 0:
            return (np.zeros(a.shape, dtype=g.dtype),)
        kept = [i for i in range(a.ndim) if i not in axes]
        moved = np.transpose(a, kept + list(axes))  # the reduced axes last, flattened into one
        flat = moved.reshape(moved.shape[:len(kept)] + (-1,))
        ones = np.ones(flat.shape[:-1] + (1,), dtype=flat.dtype)
        left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = (left * right).reshape(moved.shape)
        others = np.transpose(others, np.argsort(kept + list(axes)))
        return (expand_reduced(g, axes, self.keepdims) * others,)


class Cumsum(Op):
    name, rule = "cumsum", "dA_i = Σ_{j ≥ i} G_j along the axis"
    __slots__ = ("axis",)
    symbols = ("A",)

    def forward(self, a, axis):
        self.axis = axis
        return np.cumsum(a, axis=axis)

    def backward(self, g):
        """out_j = Σ_{i ≤ j} a_i, so a_i reaches every out_j with j ≥ i: a reversed cumulative sum of G."""
        flipped = np.flip(g, self.axis)
        return (np.flip(np.cumsum(flipped, axis=self.axis), self.axis),)


# ---------------------------------------------------------------- shape and indexing

class Reshape(Op):
    name, rule = "reshape", "dA = G reshaped to A's shape"
    symbols = ("A",)
    __slots__ = ("shape",)  # what forward keeps for backward

    def forward(self, a, shape):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, g):
        """Reshaping moves no value, so the gradient is only reshaped back."""
        return (g.reshape(self.shape),)


class Transpose(Op):
    name, rule = "transpose", "dA = G with the axes permuted back"
    symbols = ("A",)
    __slots__ = ("axes",)  # what forward keeps for backward

    def forward(self, a, axes):
        self.axes = axes
        return np.transpose(a, axes)

    def backward(self, g):
        """The gradient goes through the inverse permutation."""
        inverse = tuple(sorted(range(len(self.axes)), key=self.axes.__getitem__))  # argsort, without an array
        return (g.transpose(inverse),)


class GetItem(Op):
    name, rule = "getitem", "dA = G scattered back to the picked places (np.add.at)"
    symbols = ("A",)
    __slots__ = ("shape", "dtype", "index")  # what forward keeps for backward

    def forward(self, a, index):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return np.asarray(a[index])

    def backward(self, g):
        """Each picked element gets its gradient; an element picked twice gets both."""
        return (scatter_add(g, self.shape, self.index, np.result_type(self.dtype, g.dtype)),)


class Concatenate(Op):
    name, rule = "concatenate", "dA, dB, … = the slices of G where A, B, … sit along the axis"
    __slots__ = ("axis", "bounds")
    symbols = ("A", "B")  # the first two of any number of inputs

    def forward(self, *arrays_and_axis):
        *arrays, self.axis = arrays_and_axis
        self.bounds = np.cumsum([a.shape[self.axis] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=self.axis)

    def backward(self, g):
        """Concatenation moves values without changing them: each input gets back its own slice."""
        return tuple(np.split(g, self.bounds, axis=self.axis))


class Stack(Op):
    name, rule = "stack", "dA, dB, … = G[0], G[1], … along the new axis"
    __slots__ = ("axis",)
    symbols = ("A", "B")  # the first two of any number of inputs

    def forward(self, *arrays_and_axis):
        *arrays, self.axis = arrays_and_axis
        return np.stack(arrays, axis=self.axis)

    def backward(self, g):
        """Input k sits at index k of the new axis, so it gets G there."""
        return tuple(np.moveaxis(g, self.axis, 0))


class Narrow(Op):
    name, rule = "narrow", "dA = G placed at the kept slice, 0 elsewhere"
    __slots__ = ("shape", "index")
    symbols = ("A",)

    def forward(self, a, axis, start, stop):
        self.shape = a.shape
        self.index = (slice(None),) * axis + (slice(start, stop),)
        return a[self.index]

    def backward(self, g):
        """A basic slice picks each element once: its gradient goes back to that place."""
        return (scatter_add(g, self.shape, self.index, g.dtype),)


class BroadcastTo(Op):
    name, rule = "broadcast_to", "dA = G summed over the broadcast axes"
    __slots__ = ("shape",)
    symbols = ("A",)

    def forward(self, a, shape):
        self.shape = a.shape
        return np.broadcast_to(a, shape)

    def backward(self, g):
        """Each input element is copied to many places: it collects all their gradients."""
        return (unbroadcast(g, self.shape),)


class Flip(Op):
    name, rule = "flip", "dA = G flipped back"
    __slots__ = ("axes",)
    symbols = ("A",)

    def forward(self, a, axes):
        self.axes = axes
        return np.flip(a, axes)

    def backward(self, g):
        """Reversing the order is its own inverse."""
        return (np.flip(g, self.axes),)


class Pad(Op):
    name, rule = "pad", "dA = G without the padding"
    __slots__ = ("inner",)
    symbols = ("A",)

    def forward(self, a, widths, value):
        self.inner = tuple(slice(before, before + n) for (before, _), n in zip(widths, a.shape))
        return np.pad(a, widths, mode="constant", constant_values=value)

    def backward(self, g):
        """The padding is constant; the input's values sit unchanged in the middle."""
        return (g[self.inner],)


class Tile(Op):
    name, rule = "tile", "dA = G summed over the copies"
    __slots__ = ("shape", "reps")
    symbols = ("A",)

    def forward(self, a, reps):
        self.shape, self.reps = a.shape, reps
        return np.tile(a, reps)

    def backward(self, g):
        """Split G into the copies, (r_1, n_1, r_2, n_2, ...), and sum over the r axes."""
        shape = (1,) * (len(self.reps) - len(self.shape)) + self.shape
        split = [n for pair in zip(self.reps, shape) for n in pair]
        summed = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return (summed.reshape(self.shape),)


class TakeAlongAxis(Op):
    name, rule = "take_along_axis", "dA = G scattered back to the taken places (np.add.at)"
    __slots__ = ("shape", "places")
    symbols = ("A",)

    def forward(self, a, indices, axis):
        self.shape = a.shape
        out = np.take_along_axis(a, indices, axis=axis)
        # numpy's own index arrays for each taken element (an axis of size 1 in ``a`` is read at 0)
        grid = list(np.ix_(*[np.arange(n) if a.shape[k] == n else np.zeros(n, dtype=np.intp)
                             for k, n in enumerate(out.shape)]))
        grid[axis] = indices
        self.places = tuple(grid)
        return out

    def backward(self, g):
        """Each taken element gets its gradient; an element taken twice gets both."""
        return (scatter_add(g, self.shape, self.places, g.dtype),)


# ---------------------------------------------------------------- softmax family

def log_softmax_array(z, axis=-1):
    """log softmax(z) through log-sum-exp: z - max - log Σ exp(z - max), finite for any finite z.

    A -inf entry (a masked class) gets probability 0; an empty axis gives an empty result.
    """
    with np.errstate(over="ignore", divide="ignore"):  # ±3e38: z - max overflows to -inf (exp 0); empty: log 0
        shifted = z - z.max(axis=axis, keepdims=True, initial=-np.inf)
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Op):
    name, rule = "softmax", "dz = ŷ ⊙ (G - Σ_j G_j ŷ_j)  [from ∂ŷ_i/∂z_j = ŷ_i(δ_ij - ŷ_j)]"
    symbols = ("z",)
    out_symbol = "ŷ"
    __slots__ = ("axis", "y")  # what forward keeps for backward

    def forward(self, z, axis):
        self.axis = axis
        self.y = np.exp(log_softmax_array(float_input(z), axis))
        return self.y

    def backward(self, g):
        """dy_i/dz_j = y_i(δ_ij - y_j) (notes: Multi-class classification with Softmax function): y ⊙ (G - ⟨G, y⟩)."""
        y = self.y
        return (y * (g - (g * y).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Op):
    name, rule = "log_softmax", "dz = G - softmax(z) Σ_j G_j"
    symbols = ("z",)
    __slots__ = ("axis", "probs")  # what forward keeps for backward

    def forward(self, z, axis):
        self.axis = axis
        out = log_softmax_array(float_input(z), axis)
        self.probs = np.exp(out)
        return out

    def saved_from(self, z, out):
        """Under create_graph (higher_order.py): the saved probs as a Tensor, e^out."""
        return {"probs": out.exp()}

    def backward(self, g):
        """d log y_i / dz_j = δ_ij - y_j."""
        return (g - self.probs * g.sum(axis=self.axis, keepdims=True),)


class LogSumExp(Op):
    name, rule = "logsumexp", "dz = G ⊙ softmax(z)"
    symbols = ("z",)
    __slots__ = ("shape", "axes", "keepdims", "probs")  # what forward keeps for backward

    def forward(self, z, axis, keepdims):
        self.shape, self.axes, self.keepdims = z.shape, axis, keepdims
        z = float_input(z)
        top = z.max(axis=axis, keepdims=True, initial=-np.inf)  # -inf over an empty axis, as PyTorch
        top = np.where(np.isfinite(top), top, 0)
        with np.errstate(divide="ignore", over="ignore"):  # log 0 = -inf for an empty or all -inf axis
            out = np.log(np.exp(z - top).sum(axis=axis, keepdims=True)) + top
            self.probs = np.exp(z - out)
        return out if keepdims else np.squeeze(out, axis=axis)

    def saved_from(self, z, out):
        """Under create_graph (higher_order.py): the saved probs as a Tensor, e^(z - out)."""
        return {"probs": (z - expand_reduced(out, self.axes, self.keepdims)).exp()}

    def backward(self, g):
        """d log Σ_j e^{z_j} / dz_i = softmax(z)_i."""
        g = expand_reduced(g, self.axes, self.keepdims)
        return (g * self.probs,)


# ---------------------------------------------------------------- copies

class Clone(Op):
    name, rule, symbols = "clone", "dA = G", ("A",)
    __slots__ = ()  # what forward keeps for backward: nothing

    def forward(self, a):
        return a.copy()

    def backward(self, g):
        """A copy passes the gradient through unchanged."""
        return (g,)


class Cast(Op):
    name, rule, symbols = "astype", "dA = G cast back to A's dtype", ("A",)
    __slots__ = ("dtype",)  # what forward keeps for backward

    def forward(self, a, dtype):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g):
        """Changing the precision moves no value: the gradient only changes dtype back."""
        return (g.astype(self.dtype),)
