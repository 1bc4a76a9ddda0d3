"""The Tensor: a numpy array that remembers the op that made it, and runs reverse-mode backprop.

Every method that computes something is one line that hands numpy arrays to an op in
``ops.py``, where the forward and its closed-form backward sit side by side.
"""

import itertools
from operator import attrgetter

import numpy as np

from . import ops
from .grad_mode import _mode as _grad_mode
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401 (re-exported)
from .tensor_more import MoreTensorMethods
from .versions import latest_change  # [clock tick of the newest in-place change]
from .versions import check_saved_arrays_unchanged, record_in_place_change

DEFAULT_DTYPE = np.float32
REDUCTIONS = ("mean", "sum", "none")


NUMERIC_KINDS = "biufc"  # bool, int, unsigned, float, complex: what a tensor may hold


def _as_array(data, dtype):
    """numpy array for ``data``: float arrays keep their dtype, Python numbers and lists become float32."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dtype = _numeric_dtype(dtype)
    if type(data) is np.ndarray and dtype is None:  # the common case: no copy, no conversion
        array = data
    elif isinstance(data, (np.ndarray, np.generic)) and dtype is None:
        array = np.asarray(data)
    else:
        try:
            array = np.array(data, dtype=dtype)
        except ValueError as e:
            if "inhomogeneous" in str(e) or "sequence" in str(e):
                raise ValueError(f"Tensor: ragged nested lists (rows of different lengths) cannot make a tensor: "
                                 f"{_short(data)}") from None
            raise ValueError(f"Tensor: cannot convert {_short(data)} to dtype {dtype}: {e}") from None
        except TypeError as e:
            raise TypeError(f"Tensor: cannot make a tensor of dtype {dtype} from {_short(data)}: {e}") from None
        if dtype is None and not isinstance(data, np.ndarray) and array.dtype.kind in "biuf":
            array = array.astype(DEFAULT_DTYPE)  # Python bools, ints and floats: float32, as in PyTorch
    if array.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__} of numpy dtype {array.dtype} "
                        "(tensors hold numbers: bool, int, float or complex)")
    return array


def _numeric_dtype(dtype):
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"Tensor: unknown dtype {dtype!r}; use a numpy dtype such as np.float32") from None
    if dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"Tensor: dtype {dtype} is not numeric (use bool, int, float or complex)")
    return dtype


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _index_array(index):
    """Turn Tensors inside an index into their numpy arrays, copying arrays and lists.

    GetItem's backward scatters into the places the index names; a copy made now means changing
    the caller's index array before backward cannot send the gradient to other rows.
    """
    if isinstance(index, Tensor):
        return index.data.copy()
    if isinstance(index, np.ndarray):
        return index.copy()
    if isinstance(index, list):
        array = np.array(index)
        return array if array.dtype.kind in "biu" else index
    if isinstance(index, tuple):
        return tuple(_index_array(i) for i in index)
    return index


class Tensor(MoreTensorMethods):
    """An n-dimensional array with an optional gradient.

    ``Tensor(data, requires_grad=False, dtype=None, name=None)``: ``data`` is anything numpy
    accepts. A numpy floating array keeps its dtype; Python numbers and lists become float32.
    Integer tensors are fine (labels, indices) but cannot require grad.
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "_op", "_seq", "_retains_grad", "_version", "__weakref__")
    __array_ufunc__ = None  # ndarray + Tensor defers to Tensor.__radd__ instead of looping over it

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        self.data = _as_array(data, dtype)
        self.grad = None
        self.name = name
        self._op = None
        self._seq = -1  # leaves come last in backward's order; see _reverse_topological_order
        self._retains_grad = False
        self._version = 0  # bumped by every in-place change through the Tensor API
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(data, requires_grad=False):
        """Fast constructor for results of ops: no conversion, no checks (a staticmethod: no binding per call)."""
        t = object.__new__(Tensor)
        t.data = data if type(data) is np.ndarray else np.asarray(data)
        t.grad, t.name, t._op, t._seq, t._retains_grad, t.requires_grad, t._version = \
            None, None, None, -1, False, requires_grad, 0
        return t

    def requires_grad_(self, flag=True):
        """Mark a leaf tensor as a parameter whose gradient backward() fills in."""
        if flag and self.data.dtype.kind != "f":  # complex needs the conjugate convention, which we do not implement
            raise TypeError(f"Tensor: only floating-point tensors can require grad, got dtype {self.data.dtype}"
                            + (" (complex gradients are not supported)" if self.data.dtype.kind == "c" else ""))
        if not flag and self._op is not None:
            raise RuntimeError("requires_grad_: a non-leaf tensor always requires grad; use detach() instead")
        self.requires_grad = bool(flag)
        return self

    # ------------------------------------------------------------ constructors

    @staticmethod
    def _shape(shape, op="shape", allow_minus_one=False):
        """``(2, 3)`` from ``(2, 3)`` or ``((2, 3),)``; every entry an int >= 0 (or one -1 for reshape)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        if not all(ops.is_int(n) for n in shape):
            raise TypeError(f"{op}: shape {tuple(shape)!r} must be ints")
        shape = tuple(int(n) for n in shape)
        smallest = -1 if allow_minus_one else 0
        if any(n < smallest for n in shape) or (allow_minus_one and shape.count(-1) > 1):
            raise ValueError(f"{op}: shape {shape} has a negative size" +
                             (" (only one -1, meaning 'the rest', is allowed)" if allow_minus_one else ""))
        return shape

    @classmethod
    def zeros(cls, *shape, dtype=DEFAULT_DTYPE, requires_grad=False, name=None):
        """A tensor of zeros: ``Tensor.zeros(2, 3)`` or ``Tensor.zeros((2, 3))``."""
        return cls(np.zeros(cls._shape(shape, "zeros"), dtype=_numeric_dtype(dtype)),
                   requires_grad=requires_grad, name=name)

    @classmethod
    def ones(cls, *shape, dtype=DEFAULT_DTYPE, requires_grad=False, name=None):
        """A tensor of ones."""
        return cls(np.ones(cls._shape(shape, "ones"), dtype=_numeric_dtype(dtype)),
                   requires_grad=requires_grad, name=name)

    @classmethod
    def randn(cls, *shape, dtype=DEFAULT_DTYPE, requires_grad=False, rng=None, name=None):
        """Standard normal samples; ``rng`` is a numpy Generator, an int seed or None."""
        shape, dtype = cls._shape(shape, "randn"), _numeric_dtype(dtype)
        if not (rng is None or ops.is_int(rng) or isinstance(rng, np.random.Generator)):
            raise TypeError(f"randn: rng must be a numpy Generator, an int seed or None, got {rng!r}")
        try:
            data = np.random.default_rng(rng).standard_normal(shape)
        except ValueError as e:  # a negative seed
            raise ValueError(f"randn: bad seed {rng!r}: {e}") from None
        return cls(data.astype(dtype), requires_grad=requires_grad, name=name)

    # ------------------------------------------------------------ plain attributes

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
    is_leaf = property(lambda self: self._op is None)
    op = property(lambda self: self._op, doc="The op that made this tensor (None for a leaf).")

    def numpy(self):
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a Python number, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        """The values as nested Python lists (a Python number for a 0-d tensor), as ndarray.tolist()."""
        return self.data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(f"__index__: only a one-element integer tensor can be used as an index, "
                            f"got dtype {self.dtype} and shape {self.shape}")
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(t)`` is the tensor's own array (not an object array of tensors)."""
        if copy is False and dtype is not None and np.dtype(dtype) != self.data.dtype:
            raise ValueError(f"__array__: cannot give a {dtype} array of a {self.dtype} tensor without a copy")
        array = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return array.copy() if copy else array

    def __format__(self, spec):
        """``f"{loss:.3f}"`` formats a one-element tensor as its number; an empty spec is str(t)."""
        if not spec:
            return str(self)
        if self.data.size != 1:
            raise TypeError(f"format: the spec {spec!r} needs a one-element tensor, got shape {self.shape} "
                            "(format t.data or t.tolist() instead)")
        return format(self.data.item(), spec)

    def __iter__(self):
        """Iterating yields the rows ``t[0], t[1], ...`` (in the graph, like indexing); a 0-d tensor is not iterable."""
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor (use t.item())")
        return (self[i] for i in range(self.shape[0]))

    def detach(self):
        """A tensor sharing this one's data, outside the graph."""
        return Tensor._wrap(self.data)

    def clone(self):
        """A copy of the data that stays in the graph: the gradient flows back to this tensor."""
        return Tensor._apply(ops.Clone(), (self,))

    def astype(self, dtype):
        """A copy converted to ``dtype`` (as numpy's astype); a float-to-float cast stays in the graph."""
        dtype = _numeric_dtype(dtype)
        if dtype.kind != "f" or self.data.dtype.kind != "f":
            return Tensor._wrap(self.data.astype(dtype))  # integers, bools and complex have no gradient here
        return Tensor._apply(ops.Cast(), (self,), dtype)

    def float(self):
        """float32, as PyTorch's ``t.float()``: this tensor itself if it already is."""
        return self if self.data.dtype == np.float32 else self.astype(np.float32)

    def double(self):
        """float64, as PyTorch's ``t.double()``: this tensor itself if it already is."""
        return self if self.data.dtype == np.float64 else self.astype(np.float64)

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward (for pictures and traces)."""
        self._retains_grad = True
        return self

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; "
                             "use t.data.any() or t.data.all()")
        return bool(self.data)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # Comparisons are elementwise and give bool tensors outside the graph, as in PyTorch and numpy.
    # Defining __eq__ would make the class unhashable; tensors stay hashable by identity.
    __hash__ = object.__hash__

    def _compare(self, other, ufunc, name):
        try:
            other = self._lift(other, name)
        except TypeError:
            return NotImplemented  # t == None or t == "a" is False, as in PyTorch; t < "a" a TypeError
        try:
            return Tensor._wrap(ufunc(self.data, other.data))
        except ValueError:
            raise ValueError(f"{name}: shapes {self.shape} and {other.shape} cannot be broadcast together") from None

    def __eq__(self, other): return self._compare(other, np.equal, "eq")
    def __ne__(self, other): return self._compare(other, np.not_equal, "ne")
    def __lt__(self, other): return self._compare(other, np.less, "lt")
    def __le__(self, other): return self._compare(other, np.less_equal, "le")
    def __gt__(self, other): return self._compare(other, np.greater, "gt")
    def __ge__(self, other): return self._compare(other, np.greater_equal, "ge")

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

    # ------------------------------------------------------------ building the graph

    def _lift(self, other, op):
        """A Tensor for ``other``; raw numbers and arrays take this tensor's float dtype."""
        if isinstance(other, Tensor):
            return other
        if type(other) is float and self.data.dtype.kind == "f":  # the common `h * 0.9`: one conversion
            return Tensor._wrap(np.array(other, dtype=self.data.dtype))
        try:
            array = np.asarray(other)
        except ValueError:
            array = np.empty(0, dtype=object)  # a ragged list: reported just below
        if array.dtype.kind not in NUMERIC_KINDS:
            raise TypeError(f"{op}: cannot combine a tensor with {type(other).__name__} {_short(other)}")
        if self.data.dtype.kind == "f" and array.dtype != self.data.dtype and array.dtype.kind in "biuf":
            array = array.astype(self.data.dtype)
        return Tensor._wrap(array)

    @staticmethod
    def _apply(op, inputs, *args, **options):
        """Run ``op`` forward on the inputs' arrays; record it in the graph if any input needs a gradient."""
        result = Tensor._wrap(op.forward(*[t.data for t in inputs], *args, **options))
        if _grad_mode.enabled:
            needs_grad = tuple([t.requires_grad for t in inputs])
            if True in needs_grad:
                op.parents, op.needs_grad, op.released = inputs, needs_grad, False
                result._op, result._seq, result.requires_grad = op, next(_op_counter), True
        return result

    def _binary(self, op, other, reflected=False):
        other = self._lift(other, op.name)
        a, b = (other, self) if reflected else (self, other)
        try:
            result = Tensor._apply(op, (a, b))
        except ValueError as e:
            if "broadcast" not in str(e):
                raise
            raise ValueError(f"{op.name}: shapes {a.shape} and {b.shape} cannot be broadcast together") from None
        except TypeError as e:  # numpy refuses the dtypes, e.g. bool - bool
            raise TypeError(f"{op.name}: not supported for dtypes {a.dtype} and {b.dtype} ({e})") from None
        if result.requires_grad and result.data.dtype.kind == "c":  # only an operand brings complex values in
            _refuse_complex_gradient(result)
        return result

    # ------------------------------------------------------------ arithmetic

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
        a_shape, b_shape = a.data.shape, b.data.shape
        if not a_shape or not b_shape:
            raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {a_shape} and {b_shape}")
        inner_a, inner_b = a_shape[-1], b_shape[-2 if len(b_shape) > 1 else 0]
        if inner_a != inner_b:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align ({inner_a} != {inner_b})")
        try:
            result = Tensor._apply(ops.MatMul(), (a, b))
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of shapes {a.shape} and {b.shape} "
                             "cannot be broadcast together") from None
        if result.requires_grad and result.data.dtype.kind == "c":
            _refuse_complex_gradient(result)
        return result

    # ------------------------------------------------------------ in-place updates

    def add_(self, other): return self._in_place(np.add, other, "add_")
    def sub_(self, other): return self._in_place(np.subtract, other, "sub_")
    def mul_(self, other): return self._in_place(np.multiply, other, "mul_")
    def div_(self, other): return self._in_place(np.true_divide, other, "div_")
    def pow_(self, other): return self._in_place(np.power, other, "pow_")
    def fill_(self, value): return self._in_place(_assign, value, "fill_")
    def copy_(self, source): return self._in_place(_assign, source, "copy_")
    def zero_(self): return self.fill_(0)

    __iadd__, __isub__, __imul__, __itruediv__, __ipow__ = add_, sub_, mul_, div_, pow_

    def __imatmul__(self, other):  # without it, `W @= M` would silently rebind W to a new tensor
        raise TypeError("@=: matmul cannot be done in place (the result may change shape); write W = W @ M")

    def _in_place(self, ufunc, other, name):
        """Change this tensor's own array (no new tensor), then bump its version.

        Recording an in-place change in a graph is not supported: with grad mode on, a tensor
        that requires grad (or an update that would need one) raises, like PyTorch's leaf rule.
        """
        other_array = other.data if isinstance(other, Tensor) else other
        if isinstance(other_array, (list, tuple)):
            other_array = np.asarray(other_array)
        if np.asarray(other_array).dtype.kind not in NUMERIC_KINDS:
            raise TypeError(f"{name}: cannot update a tensor in place with {type(other).__name__} {_short(other)}")
        self._check_in_place(other, other_array, name)
        try:
            ufunc(self.data, other_array, out=self.data, casting="same_kind")
        except TypeError:  # numpy checks the cast before it writes anything
            raise TypeError(f"{name}: the result for a {np.asarray(other_array).dtype} operand cannot be stored in "
                            f"place in a {self.dtype} tensor") from None
        self._bump_version()
        return self

    def _check_in_place(self, other, other_array, name):
        if _grad_mode.enabled and (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)):
            if self.requires_grad and self._op is None:
                raise RuntimeError(f"{name}: a leaf tensor that requires grad is being used in an in-place "
                                   "operation; update parameters inside `with no_grad():` (as optimizers do)")
            raise RuntimeError(f"{name}: in-place operations are not recorded in the graph; with grad mode on, "
                               f"write the out-of-place form (x = x + y) for a tensor that requires grad")
        if not self.data.flags.writeable:
            raise ValueError(f"{name}: the tensor's array is read-only (shape {self.shape})")
        other_shape = np.shape(other_array)
        try:
            stretched = np.broadcast_shapes(self.shape, other_shape) != self.shape
        except ValueError:
            stretched = True
        if stretched:
            raise ValueError(f"{name}: shape {other_shape} cannot be broadcast to the tensor's shape {self.shape} "
                             "(an in-place update keeps the shape)")

    def _bump_version(self):
        """Record an in-place change of ``self.data``: backward then refuses ops that saved the old values."""
        self._version += 1
        record_in_place_change(self, next(_op_counter))

    # ------------------------------------------------------------ elementwise functions

    def relu(self): return Tensor._apply(ops.ReLU(), (self,))
    def exp(self): return Tensor._apply(ops.Exp(), (self,))
    def log(self): return Tensor._apply(ops.Log(), (self,))
    def sigmoid(self): return Tensor._apply(ops.Sigmoid(), (self,))
    def tanh(self): return Tensor._apply(ops.Tanh(), (self,))
    def softplus(self): return Tensor._apply(ops.Softplus(), (self,))

    # ------------------------------------------------------------ reductions

    def sum(self, axis=None, keepdims=False):
        return Tensor._apply(ops.Sum(), (self,), ops.normalize_axis(axis, self.ndim, "sum"), keepdims)

    def mean(self, axis=None, keepdims=False):
        return Tensor._apply(ops.Mean(), (self,), ops.normalize_axis(axis, self.ndim, "mean"), keepdims)

    def max(self, axis=None, keepdims=False):
        """Largest value; the gradient is shared equally among tied maxima."""
        axes = ops.normalize_axis(axis, self.ndim, "max")
        empty = [a for a in axes if self.shape[a] == 0]
        if empty or (self.size == 0 and not axes):
            raise ValueError(f"max: cannot reduce over axis {empty[0] if empty else axis!r} of size 0 "
                             f"(shape {self.shape}); the max of nothing is undefined")
        return Tensor._apply(ops.Max(), (self,), axes, keepdims)

    # ------------------------------------------------------------ shape

    def reshape(self, *shape):
        """The same values in a new shape, numpy's rules (one -1 means "the rest")."""
        shape = self._shape(shape, "reshape", allow_minus_one=True)
        try:
            return Tensor._apply(ops.Reshape(), (self,), shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {self.shape} ({self.size} elements) "
                             f"into shape {shape}") from None

    def transpose(self, *axes):
        """Permute the axes like numpy; with no arguments, reverse them."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(reversed(range(self.ndim)))
        if not all(ops.is_int(a) for a in axes):
            raise TypeError(f"transpose: axes must be ints, got {axes!r}")
        n = self.ndim
        if len(axes) != n or any(not -n <= a < n for a in axes) or len({a % n for a in axes}) != n:
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {n} axes of shape {self.shape}")
        return Tensor._apply(ops.Transpose(), (self,), tuple(int(a) % n for a in axes))

    T = property(lambda self: self.transpose())

    def __getitem__(self, index):
        index = _index_array(index)
        try:
            return Tensor._apply(ops.GetItem(), (self,), index)
        except IndexError as e:
            raise IndexError(f"getitem: index {index!r} does not fit a tensor of shape {self.shape}: {e}") from None

    # ------------------------------------------------------------ softmax family

    def softmax(self, axis=-1):
        """softmax(z)_k = exp(z_k) / Σ_j exp(z_j) along ``axis``."""
        return Tensor._apply(ops.Softmax(), (self,), self._one_axis(axis, "softmax"))

    def log_softmax(self, axis=-1):
        """log softmax(z), computed through log-sum-exp."""
        return Tensor._apply(ops.LogSoftmax(), (self,), self._one_axis(axis, "log_softmax"))

    def _one_axis(self, axis, op):
        """The one axis softmax normalises over (as PyTorch's dim: an int, not None or a tuple)."""
        if not ops.is_int(axis):
            raise TypeError(f"{op}: axis must be one int (the axis the probabilities sum over), got {axis!r}")
        if self.ndim == 0:
            raise ValueError(f"{op}: needs at least one axis, got a 0-d tensor")
        (axis,) = ops.normalize_axis(axis, self.ndim, op)
        return axis

    def logsumexp(self, axis=-1, keepdims=False):
        """log Σ_j exp(z_j), stable for large z."""
        axes = ops.normalize_axis(axis, self.ndim, "logsumexp")
        return Tensor._apply(ops.LogSumExp(), (self,), axes, keepdims)

    def softmax_cross_entropy(self, target, reduction="mean"):
        """Cross-entropy of softmax(self) against ``target``, fused into one op.

        ``self``: logits (n, K), or (K,) for one example. ``target``: int class labels (n,)
        or rows of probabilities / one-hot (n, K). ``reduction``: "mean", "sum" or "none".
        """
        if reduction not in REDUCTIONS:
            raise ValueError(f"softmax_cross_entropy: unknown reduction {reduction!r}; use one of {REDUCTIONS}")
        if self.data.ndim not in (1, 2):
            raise ValueError(f"softmax_cross_entropy: logits must be (n, K) or (K,), got shape {self.shape}")
        targets, labels = _cross_entropy_targets(self.data, target)
        return Tensor._apply(ops.SoftmaxCrossEntropy(), (self,), targets, labels, reduction)

    # ------------------------------------------------------------ backward

    def backward(self, grad=None, *, retain_graph=False, trace=False):
        """Fill ``.grad`` of every leaf that requires grad with d(self)/d(leaf), accumulating.

        ``grad`` seeds the pass (needed unless self is a scalar). Afterwards the ops forget what
        they saved and their inputs, so a kept output does not keep the activations alive;
        ``retain_graph=True`` keeps both (to run backward again, or to draw the graph), and so
        do a ``trace`` and ``retain_grad()`` for the nodes they cover. ``trace=True`` prints
        each step; a callable is called as ``trace(node, grad, input_grads)``.
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no grad_fn "
                               "(create the leaves with requires_grad=True)")
        seed = self._seed_gradient(grad)
        if trace is True:
            from .trace import BackwardTrace
            trace = BackwardTrace(echo=True)
        grads = {id(self): seed}
        owned = set()  # keys whose gradient array nothing else holds: it may be kept or added into in place
        forget_inputs = not (retain_graph or trace)
        for node in _reverse_topological_order(self):  # which also checks everything that could fail
            g = grads.pop(id(node), None)
            if g is None:
                continue
            op = node._op
            if op is None:  # a leaf: its gradient is complete
                node._accumulate(g, owned=id(node) in owned)
                continue
            if node._retains_grad:
                node._accumulate(g)
            parents, input_grads = op.parents, op.backward(g)
            if not retain_graph:
                op.release()  # the arrays the op saved for this backward
            if trace:
                trace(node, g, input_grads)
            if forget_inputs and not node._retains_grad:
                op.parents = ()  # forget the inputs, so a kept output does not keep every activation alive
            for parent, parent_grad in zip(parents, input_grads):
                if parent_grad is not None and parent.requires_grad:
                    key = id(parent)
                    if key not in grads:
                        grads[key] = parent_grad
                        if parent._op is None and not retain_graph and _is_fresh(parent_grad, g, input_grads):
                            owned.add(key)
                    elif key in owned and grads[key].dtype == parent_grad.dtype \
                            and grads[key].shape == parent_grad.shape:
                        grads[key] += parent_grad  # a second path into the same node: add in place
                    else:
                        grads[key] = grads[key] + parent_grad
                        owned.add(key)

    def _seed_gradient(self, grad):
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for scalar outputs; "
                                   f"this tensor has shape {self.shape}, so pass grad= of that shape")
            return np.ones(self.data.shape, dtype=self.data.dtype)  # d(self)/d(self) = 1
        seed = grad.data if isinstance(grad, Tensor) else grad
        if not isinstance(seed, (np.ndarray, np.generic, int, float, list, tuple)) or isinstance(seed, bool) \
                or np.asarray(seed).dtype.kind not in "biuf":
            raise TypeError(f"backward: grad must be a real array or Tensor of shape {self.shape}, "
                            f"got {type(grad).__name__} {_short(grad)}")
        seed = np.array(seed, dtype=self.dtype)  # a copy: backward may add into it
        if seed.shape != self.shape:
            raise ValueError(f"backward: grad of shape {seed.shape} does not match the tensor's shape {self.shape}")
        return seed

    def _accumulate(self, g, owned=False):
        if self.grad is None:
            if owned and g.dtype == self.data.dtype:
                self.grad = g  # a fresh array that no one else holds: keep it, no copy
            else:
                self.grad = np.array(g, dtype=self.data.dtype)  # a copy: g may be shared or read-only
        else:
            self.grad += g


def _refuse_complex_gradient(result):
    """A complex result in the graph (x * 1j) would get its gradient cast to real silently: refuse it.

    Only an operand can bring complex values in (real inputs give real results), so the binary
    ops and matmul check their results, not every op.
    """
    raise TypeError(f"{result._op.name}: the result is complex ({result.dtype}) and an input requires grad; "
                    "gradients of complex values are not supported")


def _check_grad_slot(leaf):
    """Raise unless a hand-set ``.grad`` is a writable float array of the leaf's shape (backward adds into it)."""
    grad = leaf.grad
    if type(grad) is not np.ndarray or grad.shape != leaf.shape or grad.dtype.kind != "f" \
            or not grad.flags.writeable:
        what = f"a {type(grad).__name__}" if type(grad) is not np.ndarray else \
            f"an array of shape {grad.shape} and dtype {grad.dtype}" + ("" if grad.flags.writeable else ", read-only")
        raise RuntimeError(f"backward: the .grad of {leaf.name or 'a leaf'} (shape {leaf.shape}, dtype {leaf.dtype}) "
                           f"was set to {what}; set it to None or to a writable float array of shape "
                           f"{leaf.shape} before backward adds into it")


def _assign(array, value, out, casting):
    """The ufunc-shaped form of ``out[...] = value`` (for fill_ and copy_)."""
    np.copyto(out, value, casting=casting)


def _is_fresh(parent_grad, g, input_grads):
    """True if an op's backward made ``parent_grad`` as a new array, just for this one parent.

    Not fresh: the incoming gradient passed straight through (add), a view of some array
    (reshape, transpose, broadcast_to), or one array handed to two parents.
    """
    if parent_grad is g or parent_grad.base is not None or not parent_grad.flags.writeable:
        return False
    return sum(other is parent_grad for other in input_grads) == 1


_op_counter = itertools.count()  # numbers the recorded ops in the order they are made


def _reverse_topological_order(root):
    """Nodes that need a gradient, each after every node that uses it; iterative, so no recursion limit.

    An op's inputs always exist before it is made, so a tensor's number (``_seq``, from
    ``_op_counter``) is larger than its inputs'. Newest first is therefore a valid order: every
    node comes after all its users. Leaves (number -1) come last. On the way it raises for a
    freed graph, a changed saved array or a bad hand-set ``.grad``, before backward writes anything.
    """
    nodes, seen, stack = [], {id(root)}, [root]
    latest = latest_change[0]  # ops made after the newest in-place change need no version check
    while stack:
        node = stack.pop()
        nodes.append(node)
        op = node._op
        if op is None:
            if node.grad is not None:
                _check_grad_slot(node)
            continue
        if op.released:  # the checks that can fail run before any .grad changes
            raise RuntimeError(f"backward: trying to backward through the {op.name} node a second time; "
                               "its saved arrays were freed (pass retain_graph=True to the first backward)")
        if latest > node._seq:  # something changed in place after this op ran
            check_saved_arrays_unchanged(node)
        for parent in op.parents:
            if parent.requires_grad and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    nodes.sort(key=attrgetter("_seq"), reverse=True)
    return nodes


def _cross_entropy_targets(logits, target):
    """(probability rows, None) for float targets shaped like the logits, else (None, int64 labels).

    The op keeps a copy of the rows and only positions computed from the labels, so changing the
    caller's array before backward cannot change the gradient.
    """
    target = np.asarray(target.data if isinstance(target, Tensor) else target)
    num_classes = logits.shape[-1]
    if num_classes == 0:
        raise ValueError(f"softmax_cross_entropy: logits of shape {logits.shape} have no classes (K = 0)")
    if target.shape == logits.shape and target.dtype.kind == "f":
        return target.astype(ops.float_input(logits).dtype), None
    label_shape = logits.shape[:-1]
    if target.shape != label_shape:
        what = f"{target.size} labels for {label_shape[0]} rows" if target.ndim == 1 and logits.ndim == 2 else \
            f"target of shape {target.shape}"
        raise ValueError(f"softmax_cross_entropy: {what} of logits with shape {logits.shape}; expected int labels "
                         f"of shape {label_shape} or probability rows of shape {logits.shape}")
    return None, _integer_labels(target, num_classes)


def _integer_labels(target, num_classes):
    """Labels as an int64 array, one per row; out-of-range labels are reported as the caller gave them."""
    if target.dtype.kind not in "iuf":
        raise TypeError(f"softmax_cross_entropy: class labels must be integers, got dtype {target.dtype}")
    if target.dtype.kind == "f":
        if not np.all(np.isfinite(target)) or np.any(target != np.round(target)):
            raise ValueError(f"softmax_cross_entropy: class labels must be whole numbers, got {target.flat[:5]}")
        if target.size and (target.min() < 0 or target.max() >= num_classes):  # before int64 could wrap 1e20
            _raise_label_out_of_range(target, num_classes)
    labels = target.reshape(-1).astype(np.int64, copy=False)  # the op keeps only picks made from it, not it
    # Seen as unsigned, a negative label is huge: one max finds labels below 0 and above K - 1 alike.
    if labels.size and np.maximum.reduce(labels.view(np.uint64)) >= num_classes:
        _raise_label_out_of_range(target, num_classes)
    return labels


def _raise_label_out_of_range(target, num_classes):
    bad = (target < 0) | (target >= num_classes)
    raise ValueError(f"softmax_cross_entropy: label {target[bad].flat[0].item()!r} is out of range for "
                     f"{num_classes} classes (labels must be in 0..{num_classes - 1})")
