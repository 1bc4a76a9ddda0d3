"""READ FIRST. The card's ops: each forward beside its closed-form backward, in the notes' notation.

An op works on numpy arrays. ``forward`` computes the result and keeps on ``self`` what the
backward needs; ``backward(G)`` takes G = dL/d(out) and returns one gradient per input (None for
an input that needs none). ``rule`` is the backward as the notes write it; the pictures and the
backward trace print it. A, B are the inputs, z the input of an elementwise function.

Broadcasting: where numpy stretched an input to the result's shape, its gradient is summed back
over the stretched axes by ``unbroadcast`` (the bias of ``X W + b`` gets G summed over the batch).

The rest of the op set (sigmoid, tanh, mean, max, reshape, indexing, softmax, ...) is written the
same way in ``more_ops.py``; the array tricks some ops call are named in ``kernels.py``.
"""

import numpy as np

from .kernels import dot, number, onehot_positions, softmax_minus_onehot, softmax_parts, sum_over


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes numpy broadcast to turn ``shape`` into ``grad.shape``."""
    if grad.shape == shape:
        return grad
    leading = grad.ndim - len(shape)
    if leading:  # axes numpy added in front
        grad = sum_over(grad, tuple(range(leading)))
    if 1 in shape:  # axes of size 1 numpy stretched
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        grad = sum_over(grad, stretched, keepdims=True) if stretched else grad
    return grad


def expand_reduced(grad, axes, keepdims):
    """Give a reduced gradient its reduced axes back, as size 1, so it broadcasts to the input's shape."""
    return grad if keepdims or grad.ndim == 0 else np.expand_dims(grad, axes)  # 0-d broadcasts as it is


def float_input(z):
    """Integer and bool arrays become float32, as in PyTorch (sigmoid of ints is not ints); floats pass."""
    return z if z.dtype.kind in "fc" else z.astype(np.float32)


class Op:
    """One node of the graph: the op that made a tensor, and the tensors it was made from.

    Each op lists in ``__slots__`` what its forward keeps for its backward; ``release`` drops
    exactly those. ``Tensor._apply`` sets ``parents``, ``needs_grad`` and ``released``.
    """

    __slots__ = ("parents", "needs_grad", "released", "by_backward")  # by_backward: see higher_order.py
    name = "op"
    rule = ""
    symbols = ("A", "B")  # the names ``rule`` gives the inputs, in order
    out_symbol = "out"    # the name ``rule`` gives the result
    constants = ()        # saved float arrays that do not depend on the inputs (higher_order.py)

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def release(self):
        """Drop the arrays kept for the backward pass (the graph's shape stays, for pictures)."""
        if self.__slots__ is Op.__slots__:  # a user's op class without __slots__ keeps its arrays in __dict__
            self.__dict__.clear()
        else:
            for key in self.__slots__:  # the op's own slots: what its forward saved
                try:
                    delattr(self, key)
                except AttributeError:  # never set
                    pass
        self.released = True


# ---------------------------------------------------------------- the operators: + - * / ** and unary -

class Add(Op):
    name, rule = "add", "dA = G, dB = G (summed over broadcast axes)"
    __slots__ = ("a_shape", "b_shape")

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return a + b

    def backward(self, g):
        """d(a + b)/da = 1, d(a + b)/db = 1."""
        need_a, need_b = self.needs_grad
        return (unbroadcast(g, self.a_shape) if need_a else None), (unbroadcast(g, self.b_shape) if need_b else None)


class Sub(Op):
    name, rule = "sub", "dA = G, dB = -G (summed over broadcast axes)"
    __slots__ = ("a_shape", "b_shape")

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return a - b

    def backward(self, g):
        """d(a - b)/da = 1, d(a - b)/db = -1."""
        need_a, need_b = self.needs_grad
        return (unbroadcast(g, self.a_shape) if need_a else None), (unbroadcast(-g, self.b_shape) if need_b else None)


class Mul(Op):
    name, rule = "mul", "dA = G ⊙ B, dB = G ⊙ A"
    __slots__ = ("a", "b")

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        """d(a ⊙ b)/da = b, d(a ⊙ b)/db = a."""
        need_a, need_b = self.needs_grad
        return (unbroadcast(g * self.b, self.a.shape) if need_a else None), \
            (unbroadcast(g * self.a, self.b.shape) if need_b else None)


class Div(Op):
    name, rule = "div", "dA = G / B, dB = -G ⊙ A / B²"
    __slots__ = ("a", "b")

    def forward(self, a, b):
        if a.dtype.kind not in "fc" and b.dtype.kind not in "fc":  # true division of integers: float32
            a, b = float_input(a), float_input(b)
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        """d(a / b)/da = 1/b, d(a / b)/db = -a/b²."""
        need_a, need_b = self.needs_grad
        return (unbroadcast(g / self.b, self.a.shape) if need_a else None), \
            (unbroadcast(-g * self.a / (self.b * self.b), self.b.shape) if need_b else None)


class Pow(Op):
    name, rule = "pow", "dA = G ⊙ B A^(B-1), dB = G ⊙ A^B log A"
    __slots__ = ("a", "b", "out")

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
        with np.errstate(divide="ignore", invalid="ignore"):  # 0^(-1) and log 0 are masked out just below
            slope = b * a ** (b - 1) if need_a else None
            log_a = np.log(np.where(a == 0, 1, a)) if need_b else None
        da = unbroadcast(g * np.where(b == 0, 0, slope), a.shape) if need_a else None
        db = unbroadcast(g * self.out * np.where(a == 0, 0, log_a), b.shape) if need_b else None
        return da, db


class Neg(Op):
    name, rule, symbols = "neg", "dz = -G", ("z",)
    __slots__ = ()

    def forward(self, a):
        if a.dtype.kind == "b":
            raise TypeError("neg: a bool tensor cannot be negated; for a logical not use np.logical_not(t.data)")
        return -a

    def backward(self, g):
        """d(-a)/da = -1."""
        return (-g,)


class MatMul(Op):
    name, rule = "matmul", "dA = G Bᵀ, dB = Aᵀ G"
    __slots__ = ("a", "b")

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        """d(AB)/dA = G Bᵀ, d(AB)/dB = Aᵀ G."""
        a, b = self.a, self.b
        need_a, need_b = self.needs_grad
        if a.ndim == 2 and b.ndim == 2:
            return (dot(g, b.T) if need_a else None), (dot(a.T, g) if need_b else None)
        a2 = a[None, :] if a.ndim == 1 else a  # numpy treats a 1-D left operand as a row
        b2 = b[:, None] if b.ndim == 1 else b  # and a 1-D right operand as a column
        g2 = g.reshape(np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1]))
        da = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape) if need_a else None
        db = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape) if need_b else None
        return da, db


# ---------------------------------------------------------------- the card's functions

class ReLU(Op):
    name, rule, symbols = "relu", "dz = G ⊙ 1[z > 0]", ("z",)
    __slots__ = ("positive",)

    def forward(self, z):
        self.positive = z > 0
        return np.maximum(z, 0)  # keeps NaN, as IEEE wants

    def backward(self, g):
        """d relu(z)/dz = 1[z > 0]."""
        return (g * self.positive,)


class Exp(Op):
    name, rule, symbols = "exp", "dz = G ⊙ exp(z)", ("z",)
    __slots__ = ("out",)

    def forward(self, z):
        self.out = np.exp(float_input(z))
        return self.out

    def backward(self, g):
        """d exp(z)/dz = exp(z)."""
        return (g * self.out,)


class Log(Op):
    name, rule, symbols = "log", "dz = G / z", ("z",)
    __slots__ = ("z",)

    def forward(self, z):
        self.z = z = float_input(z)
        return np.log(z)

    def backward(self, g):
        """d log(z)/dz = 1/z."""
        return (g / self.z,)


class Sum(Op):
    name, rule, symbols = "sum", "dA = G broadcast back over the summed axes", ("A",)
    __slots__ = ("shape", "axes", "keepdims")

    def forward(self, a, axes, keepdims):
        self.shape, self.axes, self.keepdims = a.shape, axes, keepdims
        return np.asarray(a.sum(axis=axes, keepdims=keepdims))

    def backward(self, g):
        """d(Σ a)/da = 1 for every summed element."""
        return (np.broadcast_to(expand_reduced(g, self.axes, self.keepdims), self.shape),)


class SoftmaxCrossEntropy(Op):
    name, rule, symbols = "softmax_cross_entropy", "dz = (softmax(z) - onehot(y)) / n", ("z",)
    constants = ("rows",)  # the target probabilities
    __slots__ = ("shape", "probs", "ones_at", "rows", "reduction")

    def forward(self, z, labels, rows, reduction):
        """f_CE = -(1/n) Σ_i log softmax(z^(i))_{y_i}, softmax and cross-entropy fused (notes: Softmax regression;
        Multi-class classification with Softmax function).
        ``labels``: int classes y (n,), or None when ``rows`` holds probability rows t (n, K).
        """
        self.shape, self.rows, self.reduction, self.ones_at = z.shape, rows, reduction, None
        z = float_input(z) if z.ndim == 2 else float_input(z).reshape(1, -1)  # (K,) logits are one row
        shifted, self.probs, log_total = softmax_parts(z)  # z - max z, softmax(z), log Σ_k e^(z_k - max z)
        if labels is not None:  # -log softmax(z)_y = log Σ_k e^(z_k) - z_y
            self.ones_at = onehot_positions(labels, z.shape[1])  # where onehot(y) has its ones
            per_row = log_total - shifted.take(self.ones_at)
        else:  # -Σ_k t_k log softmax(z)_k, where 0 · log 0 counts as 0
            t = rows.reshape(z.shape)
            per_row = -(t * np.where(t == 0, 0, shifted - log_total[:, None])).sum(axis=1)
        if reduction == "none":
            return per_row.reshape(self.shape[:-1])
        n = len(per_row)
        if reduction == "sum":
            return sum_over(per_row)
        return sum_over(per_row) / n if n else z.dtype.type(np.nan)  # the mean over no rows is NaN, as in PyTorch

    def backward(self, g):
        """∇_z f_CE = (softmax(z) - onehot(y)) / n (Softmax regression); rows t: ŷ Σ_k t_k - t (Softmax function)."""
        probs = self.probs
        n = len(probs)
        scale = g.reshape(-1, 1) if self.reduction == "none" else number(g) / n if self.reduction == "mean" else number(g)
        if self.ones_at is not None:
            dz = softmax_minus_onehot(probs, self.ones_at, scale)  # (softmax(z) - onehot(y)) · scale
        else:
            t = self.rows.reshape(probs.shape)
            dz = (probs * t.sum(axis=1, keepdims=True) - t) * scale
        return (dz if dz.shape == self.shape else dz.reshape(self.shape),)

    def saved_from(self, z, out):
        """Under create_graph (higher_order.py): the saved probs as a Tensor, softmax(z)."""
        return {"probs": (z if z.shape == self.probs.shape else z.reshape(self.probs.shape)).softmax(axis=-1)}
