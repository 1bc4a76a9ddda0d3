"""READ SECOND. The Tensor: a numpy array that remembers the op that made it.

Every method that computes something is one line handing numpy arrays to an op of ``ops.py``,
through ``Tensor._apply``, which runs the op forward and, when an input needs a gradient,
records it in the graph. ``backward()`` hands the graph to the walk in ``backward.py``.

The card's methods are here; the rest (sigmoid, mean, reshape, indexing, in-place updates,
comparisons, ...) are one-liners of the same kind in ``tensor_more.py``, which Tensor inherits.
"""

import numpy as np

from . import checks, higher_order, ops
from .backward import run_backward
from .checks import DEFAULT_DTYPE
from .grad_mode import _mode as _grad_mode
from .tensor_more import MoreTensorMethods
from .trace import BackwardTrace
from .versions import clock


class Tensor(MoreTensorMethods):
    """An n-dimensional array with an optional gradient.

    ``Tensor(data, requires_grad=False, dtype=None, name=None)``: ``data`` is anything numpy
    accepts. A numpy array keeps its dtype; Python numbers and lists become float32. Integer
    tensors are fine (labels, indices) but cannot require grad.
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "_op", "_seq", "_retains_grad", "_version", "__weakref__")
    # numpy calls given a Tensor (ndarray + t, np.log(t), np.where(c, t, 0)) become Tensor ops: higher_order.py
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return higher_order.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return higher_order.array_function(func, args, kwargs)
    freed = False  # see freeing.py: after backward, a graph may hold FreedTensors in place of values

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        self.data = checks.as_array(data.data if isinstance(data, Tensor) else data, dtype)
        self.grad = None  # dL/d(this tensor), filled in by backward()
        self.name = name
        self._op = None  # the op that made this tensor; None for a leaf
        self._seq = -1  # when the op was recorded: backward visits the newest first
        self._retains_grad = False
        self._version = 0  # bumped by every in-place change (versions.py)
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(data, requires_grad=False):
        """Fast constructor for the results of ops: no conversion, no checks."""
        t = object.__new__(Tensor)
        t.data = data if type(data) is np.ndarray else np.asarray(data)
        t.grad, t.name, t._op, t._seq, t._retains_grad, t.requires_grad, t._version = \
            None, None, None, -1, False, requires_grad, 0
        return t

    def requires_grad_(self, flag=True):
        """Mark a leaf tensor as a parameter whose gradient backward() fills in."""
        checks.can_require_grad(self, flag)
        self.requires_grad = bool(flag)
        return self

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    grad_fn = property(lambda self: self._op, doc="PyTorch's name for ``op``.")
    is_leaf = property(lambda self: self._op is None)
    op = property(lambda self: self._op, doc="The op that made this tensor (None for a leaf).")

    def numpy(self):
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a Python number, got shape {self.shape}")
        return self.data.item()

    def detach(self):
        """A tensor sharing this one's data, outside the graph."""
        return Tensor._wrap(self.data)

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient (and value) after backward, for pictures and traces."""
        self._retains_grad = True
        return self

    def __repr__(self):
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20, prefix="Tensor(")
        extras = [f"dtype={self.dtype}"] if self.dtype != DEFAULT_DTYPE else []
        if self.name:
            extras.append(f"name={self.name!r}")
        if self._op is not None:
            extras.append(f"grad_fn=<{self._op.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "Tensor(" + ", ".join([body] + extras) + ")"

    # ------------------------------------------------------------ recording an op

    @staticmethod
    def _apply(op, inputs, *args, **options):
        """Run ``op`` forward on the inputs' arrays; record it in the graph if an input needs a gradient."""
        result = Tensor._wrap(op.forward(*[t.data for t in inputs], *args, **options))
        if _grad_mode.enabled:
            needs_grad = tuple([t.requires_grad for t in inputs])
            if True in needs_grad:
                op.parents, op.needs_grad, op.released = inputs, needs_grad, False
                result._op, result._seq, result.requires_grad = op, next(clock), True
        return result

    def _lift(self, other, op):
        """A Tensor for ``other``; raw numbers and arrays take this tensor's float dtype."""
        if isinstance(other, Tensor):
            return other
        if type(other) is float and self.data.dtype.kind == "f":  # the common `h * 0.9`: one conversion
            return Tensor._wrap(np.array(other, dtype=self.data.dtype))
        return Tensor._wrap(checks.operand_array(other, self.data.dtype, op))

    def _binary(self, op, other, reflected=False):
        other = self._lift(other, op.name)
        a, b = (other, self) if reflected else (self, other)
        try:
            result = Tensor._apply(op, (a, b))
        except (ValueError, TypeError) as error:
            checks.binary_operands(op.name, a, b, error)
        if result.data.dtype.kind == "c":  # only an operand can bring complex values in
            checks.no_complex_gradient(result)
        return result

    # ------------------------------------------------------------ the operators

    def add(self, other): return self._binary(ops.Add(), other)
    def sub(self, other): return self._binary(ops.Sub(), other)
    def mul(self, other): return self._binary(ops.Mul(), other)
    def div(self, other): return self._binary(ops.Div(), other)
    def pow(self, other): return self._binary(ops.Pow(), other)
    def neg(self): return Tensor._apply(ops.Neg(), (self,))

    __add__, __sub__, __mul__, __truediv__, __pow__, __neg__ = add, sub, mul, div, pow, neg
    def __radd__(self, other): return self._binary(ops.Add(), other, reflected=True)
    def __rsub__(self, other): return self._binary(ops.Sub(), other, reflected=True)
    def __rmul__(self, other): return self._binary(ops.Mul(), other, reflected=True)
    def __rtruediv__(self, other): return self._binary(ops.Div(), other, reflected=True)
    def __rpow__(self, other): return self._binary(ops.Pow(), other, reflected=True)

    def matmul(self, other):
        """Matrix product with numpy's rules: 1-D operands and broadcast batch dimensions."""
        return Tensor._matmul(self, self._lift(other, "matmul"))

    __matmul__ = matmul
    def __rmatmul__(self, other): return Tensor._matmul(self._lift(other, "matmul"), self)

    @staticmethod
    def _matmul(a, b):
        checks.matmul_shapes(a.data.shape, b.data.shape)
        try:
            result = Tensor._apply(ops.MatMul(), (a, b))
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of shapes {a.shape} and {b.shape} "
                             "cannot be broadcast together") from None
        if result.data.dtype.kind == "c":
            checks.no_complex_gradient(result)
        return result

    # ------------------------------------------------------------ the card's functions

    def relu(self): return Tensor._apply(ops.ReLU(), (self,))
    def exp(self): return Tensor._apply(ops.Exp(), (self,))
    def log(self): return Tensor._apply(ops.Log(), (self,))

    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):  # dim, keepdim: PyTorch's names
        return Tensor._apply(ops.Sum(), (self,), *checks.axis_args(self.ndim, "sum", axis, keepdims, dim, keepdim))

    def softmax_cross_entropy(self, target, reduction="mean"):
        """Cross-entropy of softmax(self) against ``target``, fused into one op.

        ``self``: logits (n, K), or (K,) for one example. ``target``: int class labels (n,)
        or rows of probabilities / one-hot (n, K). ``reduction``: "mean", "sum" or "none".
        """
        checks.reduction(reduction, "softmax_cross_entropy")
        labels, rows = checks.cross_entropy_targets(self.data, target)
        return Tensor._apply(ops.SoftmaxCrossEntropy(), (self,), labels, rows, reduction)

    # ------------------------------------------------------------ backward

    def backward(self, grad=None, *, retain_graph=None, create_graph=False, trace=False):
        """Fill ``.grad`` of every leaf that requires grad with d(self)/d(leaf), accumulating.

        ``grad`` seeds the pass (needed unless self has one element). Afterwards the ops free
        what they saved, and values no one needs are forgotten, so a kept output keeps no
        activation alive; the graph's structure stays for pictures. ``retain_graph=True`` keeps
        everything, to run backward again. ``trace=True`` prints each step; a callable is
        called as ``trace(node, grad, input_grads)``. ``create_graph=True`` records the backward
        pass itself: each ``.grad`` is then a Tensor you can differentiate (retain_graph defaults to it).
        """
        seed = checks.seed_gradient(self, grad.data if isinstance(grad, Tensor) else grad)
        if create_graph and isinstance(grad, Tensor):
            seed = grad  # checked above; kept as a Tensor, so the gradient may depend on it
        if trace is True:
            trace = BackwardTrace(echo=True)
        retain_graph = create_graph if retain_graph is None else retain_graph
        run_backward(self, seed, retain_graph=retain_graph, on_step=trace or None, create_graph=create_graph)

    def _accumulate(self, g, owned=False):
        """Add the gradient ``g`` into ``.grad`` (keeping ``g`` itself when the walk owns it)."""
        if isinstance(g, Tensor) or isinstance(self.grad, Tensor):
            self.grad = g if self.grad is None else higher_order.recorded_sum(self.grad, g)  # create_graph: recorded
        elif self.grad is None:
            if owned and g.dtype == self.data.dtype:
                self.grad = g  # a fresh array that no one else holds: keep it, no copy
            else:
                self.grad = np.array(g, dtype=self.data.dtype)  # a copy: g may be shared or read-only
        else:
            self.grad += g
