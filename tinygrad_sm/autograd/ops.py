"""The primitive operations: each op's forward and its closed-form backward, side by side.

An op works on numpy arrays only. ``forward`` computes the result and keeps what the
backward needs on ``self``; ``backward(g)`` takes the gradient ``g = dL/d(out)`` and returns
one gradient per input (``None`` for an input that does not need one). ``rule`` states the
backward in the notes' notation; the graph pictures and the backward trace print it.

Notation: G is the incoming gradient dL/d(out); A, B are the inputs; ``unbroadcast``
sums a gradient back to its input's shape wherever numpy broadcast that input.
"""

import numpy as np


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes numpy broadcast to turn ``shape`` into ``grad.shape``."""
    if grad.shape == shape:
        return grad
    leading = grad.ndim - len(shape)
    if leading:
        grad = grad.sum(axis=tuple(range(leading)))
    if 1 in shape:
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        if stretched:
            grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def float_input(z):
    """``z`` as a floating array: integer and bool arrays become float32, as in PyTorch.

    The float functions (exp, log, sigmoid, tanh, softplus, the softmax family, mean, true
    division) call it on their inputs, so sigmoid of the ints [0, 1, 5] is [0.5, 0.73, 0.99],
    not integers truncated to [0, 0, 0]. Float and complex arrays pass through untouched.
    """
    return z if z.dtype.kind in "fc" else z.astype(np.float32)


def is_int(value):
    """True for a Python or numpy integer, but not a bool (True is an int to Python, not an axis)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def normalize_axis(axis, ndim, op):
    """Turn ``axis`` (None, int or tuple of ints) into a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if is_int(axis) else axis
    if not isinstance(axes, (tuple, list)) or not all(is_int(a) for a in axes):
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
    if ndim == 0:  # a 0-d tensor has one element: axis 0 or -1 means "all of it", as in PyTorch
        if all(a in (0, -1) for a in axes):
            return ()
        raise ValueError(f"{op}: axis {axis!r} is out of range for a 0-d tensor")
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {axis!r} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: axis {axis!r} repeats an axis")
    return tuple(sorted(out))


def expand_reduced(grad, shape, axes, keepdims):
    """Give a reduced gradient back its reduced axes (as size 1) so it broadcasts to ``shape``."""
    if not keepdims:
        grad = np.expand_dims(grad, axes)
    return grad


class Op:
    """One node of the graph: the op that made a tensor, and the tensors it was made from.

    Each op lists in ``__slots__`` what its forward keeps for its backward; ``release``
    drops exactly those. ``Tensor._apply`` fills in ``parents``, ``needs_grad`` and ``released``
    when it records the op in a graph.
    """

    __slots__ = ("parents", "needs_grad", "released")
    name = "op"
    rule = ""
    symbols = ("A", "B")  # the names ``rule`` gives the inputs, in order; pictures put the tensors' names in
    out_symbol = "out"    # the name ``rule`` gives the op's output

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def release(self):
        """Drop the arrays kept for the backward pass; the graph's shape stays for pictures."""
        for key in self.__slots__:  # the subclass's own slots: what its forward saved
            try:
                delattr(self, key)
            except AttributeError:  # never set
                pass
        self.released = True


# ---------------------------------------------------------------- elementwise, two inputs

class Add(Op):
    name, rule = "add", "dA = G, dB = G (summed over broadcast axes)"
    __slots__ = ("a_shape", "b_shape")  # what forward keeps for backward

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return a + b

    def backward(self, g):
        """d(a + b)/da = 1, d(a + b)/db = 1."""
        need_a, need_b = self.needs_grad
        return (unbroadcast(g, self.a_shape) if need_a else None), (unbroadcast(g, self.b_shape) if need_b else None)


class Sub(Op):
    name, rule = "sub", "dA = G, dB = -G (summed over broadcast axes)"
    __slots__ = ("a_shape", "b_shape")  # what forward keeps for backward

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return a - b

    def backward(self, g):
        """d(a - b)/da = 1, d(a - b)/db = -1."""
        need_a, need_b = self.needs_grad
        return (unbroadcast(g, self.a_shape) if need_a else None), (unbroadcast(-g, self.b_shape) if need_b else None)


class Mul(Op):
    name, rule = "mul", "dA = G ⊙ B, dB = G ⊙ A"
    __slots__ = ("a", "b")  # what forward keeps for backward

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        """d(a ⊙ b)/da = b, d(a ⊙ b)/db = a."""
        need_a, need_b = self.needs_grad
        da = unbroadcast(g * self.b, self.a.shape) if need_a else None
        db = unbroadcast(g * self.a, self.b.shape) if need_b else None
        return da, db


class Div(Op):
    name, rule = "div", "dA = G / B, dB = -G ⊙ A / B²"
    __slots__ = ("a", "b")  # what forward keeps for backward

    def forward(self, a, b):
        if a.dtype.kind not in "fc" and b.dtype.kind not in "fc":  # true division of integers: float32
            a, b = float_input(a), float_input(b)
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        """d(a / b)/da = 1/b, d(a / b)/db = -a/b²."""
        need_a, need_b = self.needs_grad
        da = unbroadcast(g / self.b, self.a.shape) if need_a else None
        db = unbroadcast(-g * self.a / (self.b * self.b), self.b.shape) if need_b else None
        return da, db


class Pow(Op):
    name, rule = "pow", "dA = G ⊙ B A^(B-1), dB = G ⊙ A^B log A"
    __slots__ = ("a", "b", "out")  # what forward keeps for backward

    def forward(self, a, b):
        if a.dtype.kind in "biu" and b.dtype.kind in "biu" and np.any(b < 0):
            raise ValueError(f"pow: an integer tensor ({a.dtype}) to a negative integer power "
                             f"({b[b < 0].flat[0]}) is not an integer; convert the base to float first")
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, g):
        """d(a^b)/da = b a^(b-1) (0 where b = 0, even at a = 0), d(a^b)/db = a^b log a (0 where a = 0)."""
        need_a, need_b = self.needs_grad
        a, b = self.a, self.b
        da = None
        if need_a:
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = b * a ** (b - 1)
            da = unbroadcast(g * np.where(b == 0, 0, slope), a.shape)  # a^0 = 1 is flat: 0 · 0^(-1) is not NaN
        db = None
        if need_b:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where(a == 0, 0, np.log(np.where(a == 0, 1, a)))
            db = unbroadcast(g * self.out * log_a, b.shape)
        return da, db


def matmul_2d(x, y):
    """x @ y for 2-D arrays. With inner dimension 1 (one example: Xᵀ G is (d×1)(1×K)) numpy's
    matmul skips BLAS and loops in C, ~5x slower than np.dot, which gives the same numbers."""
    return np.dot(x, y) if x.shape[1] == 1 else x @ y


class MatMul(Op):
    name, rule = "matmul", "dA = G Bᵀ, dB = Aᵀ G"
    __slots__ = ("a", "b")  # what forward keeps for backward

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        """d(AB)/dA = G Bᵀ, d(AB)/dB = Aᵀ G (numpy's 1-D and batched rules included)."""
        a, b = self.a, self.b
        need_a, need_b = self.needs_grad
        if a.ndim == 2 and b.ndim == 2:  # the common case, spelled out
            return (matmul_2d(g, b.T) if need_a else None), (matmul_2d(a.T, g) if need_b else None)
        a2 = a[None, :] if a.ndim == 1 else a  # numpy treats a 1-D left operand as a row
        b2 = b[:, None] if b.ndim == 1 else b  # and a 1-D right operand as a column
        g2 = g.reshape(np.matmul(a2[..., :1, :], b2[..., :, :1]).shape[:-2] + (a2.shape[-2], b2.shape[-1]))
        da = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape) if need_a else None
        db = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape) if need_b else None
        return da, db


# ---------------------------------------------------------------- elementwise, one input

class Neg(Op):
    name, rule = "neg", "dz = -G"
    symbols = ("z",)
    __slots__ = ()  # what forward keeps for backward

    def forward(self, a):
        if a.dtype.kind == "b":
            raise TypeError("neg: a bool tensor cannot be negated; for a logical not use np.logical_not(t.data)")
        return -a

    def backward(self, g):
        """d(-a)/da = -1."""
        return (-g,)


class ReLU(Op):
    name, rule = "relu", "dz = G ⊙ 1[z > 0]"
    symbols = ("z",)
    __slots__ = ("positive",)  # what forward keeps for backward

    def forward(self, z):
        self.positive = z > 0
        return np.maximum(z, 0)  # keeps NaN, as IEEE wants

    def backward(self, g):
        """d(relu)/dz = 1[z > 0]."""
        return (g * self.positive,)


class Exp(Op):
    name, rule = "exp", "dz = G ⊙ exp(z)"
    symbols = ("z",)
    __slots__ = ("out",)  # what forward keeps for backward

    def forward(self, z):
        self.out = np.exp(float_input(z))
        return self.out

    def backward(self, g):
        """d(exp z)/dz = exp(z)."""
        return (g * self.out,)


class Log(Op):
    name, rule = "log", "dz = G / z"
    symbols = ("z",)
    __slots__ = ("z",)  # what forward keeps for backward

    def forward(self, z):
        self.z = z = float_input(z)
        return np.log(z)

    def backward(self, g):
        """d(log z)/dz = 1/z."""
        return (g / self.z,)


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
        sigma = np.where(self.z >= 0, 1 / (1 + e), e / (1 + e))
        return ((g * sigma).astype(self.z.dtype, copy=False),)


# ---------------------------------------------------------------- reductions

class Sum(Op):
    name, rule = "sum", "dA = G broadcast back over the summed axes"
    symbols = ("A",)
    __slots__ = ("shape", "axes", "keepdims")  # what forward keeps for backward

    def forward(self, a, axes, keepdims):
        self.shape, self.axes, self.keepdims = a.shape, axes, keepdims
        return np.asarray(a.sum(axis=axes, keepdims=keepdims))

    def backward(self, g):
        """d(Σ a)/da = 1 for every summed element."""
        g = expand_reduced(g, self.shape, self.axes, self.keepdims)
        return (np.broadcast_to(g, self.shape),)


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
        g = expand_reduced(g, self.shape, self.axes, self.keepdims)
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
        g = expand_reduced(g, self.shape, self.axes, self.keepdims)
        ties = self.is_max.sum(axis=self.axes, keepdims=True)
        return (g * self.is_max / ties,)


# ---------------------------------------------------------------- shape

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
        return (np.transpose(g, np.argsort(self.axes)),)


class GetItem(Op):
    name, rule = "getitem", "dA = G scattered back to the picked places (np.add.at)"
    symbols = ("A",)
    __slots__ = ("shape", "dtype", "index")  # what forward keeps for backward

    def forward(self, a, index):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return np.asarray(a[index])

    def backward(self, g):
        """Each picked element gets its gradient; an element picked twice gets both."""
        grad = np.zeros(self.shape, dtype=np.result_type(self.dtype, g.dtype))
        np.add.at(grad, self.index, g)
        return (grad,)


# ---------------------------------------------------------------- softmax family

# z - max for logits near the float limit (float32 ±3e38) overflows to -inf, whose exp is rightly 0:
# no warning. Decorating (not a `with` block per call) halves errstate's cost, and stays per thread.
subtract_quietly = np.errstate(over="ignore")(np.subtract)


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
        """dy_i/dz_j = y_i(δ_ij - y_j) (002), applied as y ⊙ (G - ⟨G, y⟩)."""
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

    def backward(self, g):
        """d log Σ_j e^{z_j} / dz_i = softmax(z)_i."""
        g = expand_reduced(g, self.shape, self.axes, self.keepdims)
        return (g * self.probs,)


class SoftmaxCrossEntropy(Op):
    name, rule = "softmax_cross_entropy", "dz = (softmax(z) - onehot(y)) / n"
    symbols = ("z",)
    __slots__ = ("shape", "probs", "picks", "targets", "reduction")  # what forward keeps for backward

    def forward(self, z, targets, labels, reduction):
        """Cross-entropy -Σ_k t_k log softmax(z)_k per row, for int labels y (n,) or probability rows t (n, K).

        With labels, each row's -log softmax(z)_y = log Σ_k e^{z_k} - z_y is picked by index: no
        one-hot matrix and no K × K identity, and a masked class (logit -inf) never enters.
        """
        self.shape, self.targets, self.reduction = z.shape, targets, reduction
        z = float_input(z)
        if z.ndim != 2:
            z = z.reshape(1, -1)  # (K,) logits are one row
        n, classes = z.shape
        shifted = subtract_quietly(z, np.maximum.reduce(z, axis=1, keepdims=True))
        probs = np.exp(shifted)
        total = np.add.reduce(probs, axis=1, keepdims=True)
        self.probs = np.divide(probs, total, out=probs)  # softmax(z), n × K
        log_total = np.log(total.reshape(n))
        if labels is not None:
            self.picks = np.arange(0, n * classes, classes) + labels  # flat index of (i, y_i): onehot(y)'s ones
            per_row = log_total - shifted.take(self.picks)  # log Σ_k e^{z_k - max} - (z_y - max)
        else:  # 0 · log 0 = 0: a class with target 0 adds nothing, even where its logit is -inf
            self.picks = None
            rows = targets.reshape(z.shape)
            per_row = -np.add.reduce(rows * np.where(rows == 0, 0, shifted - log_total[:, None]), axis=1)
        if reduction == "none":
            return per_row.reshape(self.shape[:-1])
        loss = np.add.reduce(per_row, axis=None)  # a numpy scalar of z's dtype; the Tensor makes it 0-d
        if reduction == "mean":
            loss = loss / n if n else z.dtype.type(np.nan)  # the mean over no rows is NaN, as in PyTorch
        return loss

    def backward(self, g):
        """dξ/dz = y Σt - t = y - t (002), so ∇_z f_CE = (softmax(z) - onehot(y)) / n for the mean (001)."""
        probs = self.probs
        if self.reduction == "none":
            scale = g.reshape(-1, 1)  # one incoming gradient per row
        else:
            scale = g.item() / len(probs) if self.reduction == "mean" else g.item()
        if self.picks is not None:  # (softmax - onehot) · scale: scale every entry, then take scale off at the labels
            delta = probs * scale
            delta.put(self.picks, delta.take(self.picks) - (scale if self.reduction != "none" else scale[:, 0]))
        else:
            targets = self.targets.reshape(probs.shape)
            delta = probs * targets.sum(axis=1, keepdims=True) - targets  # Σ_k t_k need not be 1
            delta *= scale
        return (delta if delta.shape == self.shape else delta.reshape(self.shape),)


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
        return (g.astype(self.dtype, copy=False),)
