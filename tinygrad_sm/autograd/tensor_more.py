"""The rest of the Tensor's methods, beyond the card's: Tensor inherits them. Skip on a first reading.

One line per method, as in ``tensor.py``: check the arguments (``checks.py``), then hand the
arrays to an op of ``ops.py`` or ``more_ops.py``. Names are PyTorch's, arguments the engine's
numpy-style ``axis``/``keepdims``; where PyTorch and numpy disagree the docstring says which
one is followed (docs/numpy-and-pytorch.md). The methods reach the Tensor class through
``self`` and ``cls``, so this file never imports ``tensor.py``.
"""

import numbers

import numpy as np

from . import more_ops, ops, parity_ops, special
from .checks import (DEFAULT_DTYPE, NUMERIC_KINDS, AxisError, axis_args, is_int, make_rng, needs_an_axis,
                     normalize_axis, numeric_dtype, one_axis, parse_shape, short, size_args, torch_name, whole_number)
from .custom import check_results
from .grad_mode import _mode as _grad_mode
from .versions import clock, record_in_place_change, remember_earlier_version

class ValuesAndIndices(tuple):
    """What ``x.max(dim)`` and ``x.min(dim)`` return: the pair (values, indices), as torch.return_types.max."""

    __slots__ = ()
    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])
    op = "max"

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    def __repr__(self):
        return f"return_types.{self.op}(values={self.values!r}, indices={self.indices!r})"


class MinValuesAndIndices(ValuesAndIndices):
    """The pair (values, indices) of ``x.min(dim)``."""

    __slots__ = ()
    op = "min"


max_result, min_result = ValuesAndIndices, MinValuesAndIndices


class ElementCount(int):
    """``t.size``: the number of elements (numpy's ``a.size``), and callable as PyTorch's ``t.size()`` / ``t.size(d)``."""

    def __new__(cls, count, shape):
        self = super().__new__(cls, count)
        self.shape = shape
        return self

    def __call__(self, dim=None):
        """The shape (PyTorch's torch.Size is a tuple too), or the length of dimension ``dim``."""
        if dim is None:
            return self.shape
        if not self.shape:
            raise AxisError(f"size: dimension {dim!r} is out of range for a 0-d tensor")
        return self.shape[one_axis(dim, len(self.shape), "size")]


def _index_array(index):
    """Turn Tensors inside an index into their numpy arrays, copying arrays and lists.

    GetItem's backward scatters into the places the index names; a copy made now means changing
    the caller's index array before backward cannot send the gradient to other rows.
    """
    if isinstance(index, MoreTensorMethods):
        return index.data.copy()
    if isinstance(index, np.ndarray):
        return index.copy()
    if isinstance(index, list):
        array = np.array(index)
        return array if array.dtype.kind in "biu" else index
    if isinstance(index, tuple):
        return tuple(_index_array(i) for i in index)
    return index


def _assign(array, value, out, casting):
    """The ufunc-shaped form of ``out[...] = value`` (for fill_ and copy_)."""
    np.copyto(out, value, casting=casting)


def _no_grad_result(tensor, array):
    """A result with no gradient (sign, argmax, //): a new leaf outside the graph, of ``tensor``'s class."""
    return tensor._wrap(array)


class MoreTensorMethods:
    """Mixed into ``Tensor``: every method beyond the card's."""

    __slots__ = ()

    # ------------------------------------------------------------ a public way to add an op

    @classmethod
    def apply(cls, op, *inputs, **options):
        """Run a user-written op: ``Tensor.apply(MyOp, x, y, scale=2.0)``.

        ``op`` is an ``Op`` subclass (or an instance); ``inputs`` are Tensors (numbers and arrays
        become constants); ``options`` go to ``forward`` as keywords, after the arrays. The op is
        recorded in the graph when an input requires grad, exactly as the built-in ops. What forward
        and backward return is checked as PyTorch's autograd.Function checks it (custom.py).
        """
        op = op() if isinstance(op, type) and issubclass(op, ops.Op) else op
        if not isinstance(op, ops.Op):
            raise TypeError(f"Tensor.apply: expected a subclass of tinygrad_sm.autograd.Op, got {op!r}")
        tensors = tuple(x if isinstance(x, cls) else cls(x) for x in inputs)
        if not tensors:
            raise ValueError(f"Tensor.apply: {type(op).__name__} needs at least one input tensor")
        result = cls._apply(check_results(op), tensors, **options)
        if result._op is not None and result.data.dtype.kind not in "fc":  # ints and bools carry no gradient
            result._op, result.requires_grad = None, False
        return result

    # ------------------------------------------------------------ constructors

    @classmethod
    def zeros(cls, *shape, dtype=DEFAULT_DTYPE, requires_grad=False, name=None):
        """A tensor of zeros: ``Tensor.zeros(2, 3)`` or ``Tensor.zeros((2, 3))``."""
        return cls(np.zeros(parse_shape(shape, "zeros"), dtype=numeric_dtype(dtype)),
                   requires_grad=requires_grad, name=name)

    @classmethod
    def ones(cls, *shape, dtype=DEFAULT_DTYPE, requires_grad=False, name=None):
        """A tensor of ones."""
        return cls(np.ones(parse_shape(shape, "ones"), dtype=numeric_dtype(dtype)),
                   requires_grad=requires_grad, name=name)

    @classmethod
    def randn(cls, *shape, dtype=DEFAULT_DTYPE, requires_grad=False, rng=None, name=None):
        """Standard normal samples; ``rng`` is a numpy Generator, an int seed or None."""
        shape, dtype = parse_shape(shape, "randn"), numeric_dtype(dtype)
        data = make_rng(rng, "randn").standard_normal(shape)
        return cls(data.astype(dtype), requires_grad=requires_grad, name=name)

    # ------------------------------------------------------------ PyTorch's names for what numpy spells otherwise

    size = property(lambda self: ElementCount(self.data.size, self.data.shape),
                    doc="The number of elements as numpy's a.size; t.size() is the shape and t.size(d) one length.")

    def numel(self):
        """The number of elements."""
        return self.data.size

    def dim(self):
        """The number of dimensions (``ndim``)."""
        return self.data.ndim

    def view(self, *shape):
        """PyTorch's ``view``: ``reshape`` (a copy only where numpy must make one; PyTorch would refuse there)."""
        return self.reshape(*shape)

    def t(self):
        """The transpose of a tensor of at most 2 dimensions, as PyTorch's ``t()``."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor with <= 2 dimensions, got shape {self.shape}; "
                             "use transpose(d0, d1) or permute")
        return self.transpose()

    def to(self, dtype):
        """``to(dtype)`` is ``astype``; ``to("cpu")`` is the tensor itself (there is no other device)."""
        if isinstance(dtype, str) and dtype.split(":")[0] == "cpu":
            return self
        return self if np.dtype(numeric_dtype(dtype, "to")) == self.data.dtype else self.astype(dtype)


    # ------------------------------------------------------------ Python and numpy protocols

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

    def clone(self):
        """A copy of the data that stays in the graph: the gradient flows back to this tensor."""
        return self._apply(more_ops.Clone(), (self,))

    def astype(self, dtype):
        """A copy converted to ``dtype`` (as numpy's astype); a float-to-float cast stays in the graph."""
        dtype = numeric_dtype(dtype)
        if dtype.kind != "f" or self.data.dtype.kind != "f":
            return self._wrap(self.data.astype(dtype))  # integers, bools and complex have no gradient here
        return self._apply(more_ops.Cast(), (self,), dtype)

    def float(self):
        """float32, as PyTorch's ``t.float()``: this tensor itself if it already is."""
        return self if self.data.dtype == np.float32 else self.astype(np.float32)

    def double(self):
        """float64, as PyTorch's ``t.double()``: this tensor itself if it already is."""
        return self if self.data.dtype == np.float64 else self.astype(np.float64)

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
            return self._wrap(ufunc(self.data, other.data))
        except ValueError:
            raise ValueError(f"{name}: shapes {self.shape} and {other.shape} cannot be broadcast together") from None

    def __eq__(self, other): return self._compare(other, np.equal, "eq")
    def __ne__(self, other): return self._compare(other, np.not_equal, "ne")
    def __lt__(self, other): return self._compare(other, np.less, "lt")
    def __le__(self, other): return self._compare(other, np.less_equal, "le")
    def __gt__(self, other): return self._compare(other, np.greater, "gt")
    def __ge__(self, other): return self._compare(other, np.greater_equal, "ge")

    # ------------------------------------------------------------ in-place updates
    # PyTorch's rules: with grad mode on, a leaf that requires grad refuses (parameters are updated under
    # no_grad, as optimizers do); any other tensor in a graph (or one updated with a value that requires
    # grad) records the change: it becomes the result of the out-of-place op applied to its old version,
    # written into its own memory. Otherwise the change is plain numpy, in place.

    def add_(self, other): return self._in_place(np.add, other, "add_", ops.Add)
    def sub_(self, other): return self._in_place(np.subtract, other, "sub_", ops.Sub)
    def mul_(self, other): return self._in_place(np.multiply, other, "mul_", ops.Mul)
    def div_(self, other): return self._in_place(np.true_divide, other, "div_", ops.Div)
    def pow_(self, other): return self._in_place(np.power, other, "pow_", ops.Pow)
    def fill_(self, value): return self._in_place(_assign, value, "fill_", None)
    def copy_(self, source): return self._in_place(_assign, source, "copy_", None)
    def zero_(self): return self.fill_(0)

    __iadd__, __isub__, __imul__, __itruediv__, __ipow__ = add_, sub_, mul_, div_, pow_

    def __imatmul__(self, other):  # without it, `W @= M` would silently rebind W to a new tensor
        raise TypeError("@=: matmul cannot be done in place (the result may change shape); write W = W @ M")

    def __setitem__(self, index, value):
        """``t[index] = value``: an in-place change under the same rules as ``add_`` (recorded in a graph)."""
        index = _index_array(index)
        value_array = self._in_place_operand(value, "setitem")
        try:
            target_shape = np.shape(self.data[index])
        except IndexError as e:
            raise IndexError(f"setitem: index {index!r} does not fit a tensor of shape {self.shape}: {e}") from None
        if self._records_in_place(value):
            return self._record_in_place(
                "setitem", value, lambda before, v: before._apply(parity_ops.SetItem(), (before, v), index))
        self._check_in_place(value_array, "setitem", target_shape)
        if not np.can_cast(np.asarray(value_array).dtype, self.data.dtype, "same_kind"):  # as the ufuncs' rule
            raise TypeError(f"setitem: a {np.asarray(value_array).dtype} value cannot be stored in a {self.dtype} "
                            "tensor")
        self.data[index] = value_array
        written = self.data[index]  # a view for a basic index: only that part is logged as changed
        self._bump_version(written if isinstance(written, np.ndarray) and written.base is not None else None)

    def _in_place(self, ufunc, other, name, op_class):
        """Change this tensor's own array (no new tensor), then bump its version; recorded in a graph."""
        other_array = self._in_place_operand(other, name)
        if self._records_in_place(other):
            if op_class is None:  # fill_ / copy_: the old values get no gradient, the source gets it summed back
                keep_none = np.zeros(self.shape, dtype=bool)
                return self._record_in_place(name, other, lambda before, v: self._where(keep_none, before, v))
            return self._record_in_place(name, other, lambda before, v: before._binary(op_class(), v))
        self._check_in_place(other_array, name, self.shape)
        try:
            ufunc(self.data, other_array, out=self.data, casting="same_kind")
        except TypeError:  # numpy checks the cast before it writes anything
            raise TypeError(f"{name}: the result for a {np.asarray(other_array).dtype} operand cannot be stored in "
                            f"place in a {self.dtype} tensor") from None
        self._bump_version()
        return self

    def _in_place_operand(self, other, name):
        """The operand's array, refusing non-numbers and Python ints that the tensor's int dtype cannot hold."""
        other_array = other.data if isinstance(other, MoreTensorMethods) else other
        if isinstance(other_array, (list, tuple)):
            other_array = np.asarray(other_array)
        if np.asarray(other_array).dtype.kind not in NUMERIC_KINDS:
            raise TypeError(f"{name}: cannot update a tensor in place with {type(other).__name__} {short(other)}")
        if is_int(other_array) and self.data.dtype.kind in "iu":
            limits = np.iinfo(self.data.dtype)
            if not limits.min <= other_array <= limits.max:
                raise RuntimeError(f"{name}: value {other_array} cannot be converted to type {self.dtype} "
                                   f"without overflow (it holds {limits.min}..{limits.max})")
        return other_array

    def _records_in_place(self, other):
        return _grad_mode.enabled and (self.requires_grad or
                                       (isinstance(other, MoreTensorMethods) and other.requires_grad))

    def _record_in_place(self, name, other, compute):
        """PyTorch's in-place op in a graph: this tensor becomes ``compute(its old version, other)``, in its memory.

        Ops recorded earlier that read this tensor keep its old version (versions.py hands it to them
        at backward), and the version check still refuses an op that saved the array now overwritten.
        """
        if self.requires_grad and self._op is None:
            raise RuntimeError(f"{name}: a leaf tensor that requires grad is being used in an in-place operation; "
                               "update parameters inside `with no_grad():` (as optimizers do)")
        self._refuse_view_in_graph(name)
        before = self._wrap(self.data.copy(), self.requires_grad)  # the old version, as PyTorch's original self
        before._op, before._seq, before.name = self._op, self._seq, self.name
        operand = before if other is self else other if isinstance(other, MoreTensorMethods) else \
            self._lift(other, name)
        result = compute(before, operand)
        if result.shape != self.shape:
            raise ValueError(f"{name}: shape {operand.shape} cannot be broadcast to the tensor's shape {self.shape} "
                             "(an in-place update keeps the shape)")
        if not np.can_cast(result.dtype, self.data.dtype, "same_kind"):
            raise TypeError(f"{name}: the {result.dtype} result cannot be stored in place in a {self.dtype} tensor")
        if not self.data.flags.writeable:
            raise ValueError(f"{name}: the tensor's array is read-only (shape {self.shape})")
        np.copyto(self.data, result.data, casting="same_kind")
        remember_earlier_version(self, before)
        self._op, self._seq, self.requires_grad = result._op, result._seq, True
        self._bump_version()
        return self

    def _refuse_view_in_graph(self, name):
        """A recorded change of a view would also change the tensor it views, which the graph would not know."""
        for parent in self._op.parents if self._op is not None else ():
            if parent.data is not None and np.may_share_memory(parent.data, self.data):
                whose = "a leaf tensor that requires grad" if parent.requires_grad and parent._op is None else \
                    "another tensor in the graph"
                raise RuntimeError(f"{name}: this tensor is a view of {whose} (it shares its memory), and an "
                                   "in-place change of a view is not recorded here; write it out of place, or "
                                   "change a clone(), or do it inside `with no_grad():` for a parameter")

    def _check_in_place(self, other_array, name, target_shape):
        """A plain (unrecorded) in-place change: the array must be writable and keep its shape."""
        if not self.data.flags.writeable:
            raise ValueError(f"{name}: the tensor's array is read-only (shape {self.shape})")
        other_shape = np.shape(other_array)
        try:
            stretched = np.broadcast_shapes(target_shape, other_shape) != target_shape
        except ValueError:
            stretched = True
        if stretched:
            raise ValueError(f"{name}: shape {other_shape} cannot be broadcast to the tensor's shape {target_shape} "
                             "(an in-place update keeps the shape)")

    def _bump_version(self, changed=None):
        """Record an in-place change of ``self.data`` (or of its part ``changed``): backward then refuses ops that
        saved the old values."""
        self._version += 1
        record_in_place_change(self, next(clock), changed)

    # ------------------------------------------------------------ elementwise

    def sigmoid(self): return self._apply(more_ops.Sigmoid(), (self,))
    def tanh(self): return self._apply(more_ops.Tanh(), (self,))
    def softplus(self): return self._apply(more_ops.Softplus(), (self,))

    def abs(self): return self._apply(more_ops.Abs(), (self,))
    def sqrt(self): return self._apply(more_ops.Sqrt(), (self,))
    def square(self): return self._apply(more_ops.Square(), (self,))
    def log1p(self): return self._apply(more_ops.Log1p(), (self,))
    def expm1(self): return self._apply(more_ops.Expm1(), (self,))
    def sin(self): return self._apply(more_ops.Sin(), (self,))
    def cos(self): return self._apply(more_ops.Cos(), (self,))
    def erf(self): return self._apply(special.Erf(), (self,))
    def normal_cdf(self): return self._apply(special.NormalCDF(), (self,))  # Φ, torch.special.ndtr

    def gelu(self, approximate="none"):
        """z Φ(z) (PyTorch's default, exact), or its tanh form with ``approximate="tanh"``."""
        if approximate == "none":
            return self._apply(special.GELUExact(), (self,))
        if approximate == "tanh":
            return self._apply(more_ops.GELU(), (self,))
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")

    __abs__ = abs

    def leaky_relu(self, slope=0.01):
        """z for z > 0, slope·z otherwise."""
        return self._apply(more_ops.LeakyReLU(), (self,), float(slope))

    def elu(self, alpha=1.0):
        """z for z > 0, α(e^z - 1) otherwise."""
        return self._apply(more_ops.ELU(), (self,), float(alpha))

    def clip(self, min=None, max=None):
        """Values limited to [min, max] (either may be None); the gradient passes where min ≤ z ≤ max."""
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and (not isinstance(bound, numbers.Real) or np.isnan(bound)):
                raise TypeError(f"clip: {name} must be a number or None, got {bound!r}")
        if min is None and max is None:
            raise ValueError("clip: give at least one of min and max")
        return self._apply(more_ops.Clip(), (self,), min, max)

    clamp = clip

    def maximum(self, other):
        """Elementwise max(a, b), broadcast; at a tie each side gets half the gradient (as PyTorch)."""
        return self._binary(more_ops.Maximum(), other)

    def minimum(self, other):
        """Elementwise min(a, b), broadcast; at a tie each side gets half the gradient (as PyTorch)."""
        return self._binary(more_ops.Minimum(), other)

    def where(self, condition, other):
        """``where(condition, self, other)``, as PyTorch's ``x.where(condition, y)``."""
        return self._where(condition, self, other)

    @classmethod
    def _where(cls, condition, a, b):
        """``a`` where ``condition`` is true, else ``b`` (broadcast together); dA = G ⊙ 1[c], dB = G ⊙ 1[¬c]."""
        condition = np.asarray(condition.data if isinstance(condition, cls) else condition)
        if condition.dtype != bool:
            raise TypeError(f"where: condition must be boolean, got dtype {condition.dtype}")
        a, b = cls._as_tensors((a, b), "where")
        try:
            np.broadcast_shapes(condition.shape, a.shape, b.shape)
        except ValueError:
            raise ValueError(f"where: shapes {condition.shape} (condition), {a.shape} and {b.shape} cannot be "
                             "broadcast together") from None
        return cls._apply(more_ops.Where(), (a, b), condition.copy())

    @classmethod
    def _as_tensors(cls, items, op):
        """Tensors for ``items``; constants (ints, lists) take the float dtype of the tensors beside them."""
        items = list(items)
        if not items:
            raise ValueError(f"{op}: needs at least one tensor")
        tensors = [t if isinstance(t, cls) else cls(t) for t in items]
        floats = [t.dtype for t in tensors if t.dtype.kind == "f"]
        if floats:
            dtype = np.result_type(*floats)
            tensors = [t if t.dtype.kind == "f" else cls(t.data.astype(dtype)) for t in tensors]
        return tuple(tensors)

    def sign(self):
        """-1, 0 or +1 elementwise; its gradient is 0 (in the graph, as PyTorch's, so a loss through it runs)."""
        return self._apply(parity_ops.Sign(), (self,))

    def floor_divide(self, other):
        """a // b rounded toward -∞ (numpy, Python and PyTorch's ``//``); no gradient."""
        other = other.data if isinstance(other, MoreTensorMethods) else other
        return _no_grad_result(self, np.floor_divide(self.data, other))

    __floordiv__ = floor_divide

    def __rfloordiv__(self, other): return _no_grad_result(self, np.floor_divide(other, self.data))

    # ------------------------------------------------------------ reductions
    # Each takes numpy's axis=/keepdims= or PyTorch's dim=/keepdim= (one of the two spellings).

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return self._apply(more_ops.Mean(), (self,), *axis_args(self.ndim, "mean", axis, keepdims, dim, keepdim))

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """With a dimension (``max(1)``, ``max(dim=1)``): the named tuple (values, indices) of PyTorch, the
        gradient going to the index; else (``max()``, ``max(axis=...)``) the largest values, as ``amax``.
        ``max(other_tensor)`` is ``maximum``."""
        if isinstance(dim, MoreTensorMethods):
            return self.maximum(dim)
        if dim is None:
            return self._extreme(more_ops.Max(), "max", axis, bool(keepdims) or keepdim)
        torch_name("max", "dim", dim, "axis", axis)
        return self._reduce_with_indices(dim, keepdim or bool(keepdims), np.argmax, max_result, "max")

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """As ``max``: (values, indices) with a dimension, else the smallest values (``amin``)."""
        if isinstance(dim, MoreTensorMethods):
            return self.minimum(dim)
        if dim is None:
            return self._extreme(more_ops.Min(), "min", axis, bool(keepdims) or keepdim)
        torch_name("min", "dim", dim, "axis", axis)
        return self._reduce_with_indices(dim, keepdim or bool(keepdims), np.argmin, min_result, "min")

    def amax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Largest values over the axes; the gradient is shared equally among tied maxima (as torch.amax)."""
        return self._extreme(more_ops.Max(), "amax", axis, keepdims, dim, keepdim)

    def amin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Smallest values over the axes; the gradient is shared equally among tied minima (as torch.amin)."""
        return self._extreme(more_ops.Min(), "amin", axis, keepdims, dim, keepdim)

    def _extreme(self, op, name, axis, keepdims, dim=None, keepdim=None):
        axes, keepdims = axis_args(self.ndim, name, axis, keepdims, dim, keepdim)
        self._nonempty_axes(axes, name)
        return self._apply(op, (self,), axes, keepdims)

    def _nonempty_axes(self, axes, name):
        """The max of nothing is undefined: refuse to reduce over an axis of size 0 (other axes may be empty)."""
        empty = [a for a in axes if self.shape[a] == 0]
        if empty or (self.size == 0 and not axes and self.ndim):
            raise ValueError(f"{name}: cannot reduce over axis {empty[0] if empty else None!r} of size 0 "
                             f"(shape {self.shape}); the {name[-3:]} of nothing is undefined")

    def _reduce_with_indices(self, dim, keepdim, arg, result, name):
        """(values, indices) along one dimension; the values are picked at the indices, so is their gradient."""
        if not is_int(dim):
            raise TypeError(f"{name}: dim must be one int for (values, indices), got {dim!r}; "
                            f"a{name[1:]}(dim=...) reduces over several")
        axis = one_axis(dim, self.ndim, name)
        if self.ndim == 0:
            return result(self.reshape(()), self._wrap(np.array(0)))
        self._nonempty_axes((axis,), name)
        indices = arg(self.data, axis=axis, keepdims=True)
        values = self.take_along_axis(indices, axis)
        if not keepdim:
            values, indices = values.squeeze(axis), indices.squeeze(axis)
        return result(values, _no_grad_result(self, indices))

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Index of the largest value (the first of ties; over the flattened tensor for axis=None); no gradient."""
        return self._arg_reduce(np.argmax, "argmax", axis, keepdims, dim, keepdim)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Index of the smallest value (the first of ties); no gradient."""
        return self._arg_reduce(np.argmin, "argmin", axis, keepdims, dim, keepdim)

    def _arg_reduce(self, fn, name, axis, keepdims, dim, keepdim):
        axis = torch_name(name, "axis", axis, "dim", dim)
        keepdims = bool(torch_name(name, "keepdims", keepdims, "keepdim", keepdim, default=False))
        if axis is not None:
            axis = one_axis(axis, self.ndim, name) if self.ndim else None
        if self.size == 0 and (axis is None or self.shape[axis] == 0):
            raise ValueError(f"{name}: cannot reduce an empty tensor of shape {self.shape} over "
                             f"{'all of it' if axis is None else f'axis {axis} of size 0'}")
        return _no_grad_result(self, np.asarray(fn(self.data, axis=axis, keepdims=keepdims)))

    def var(self, axis=None, correction=1, keepdims=False, *, dim=None, keepdim=None, unbiased=None):
        """Σ(a - ā)² / (n - correction): correction=1 (the default, as PyTorch) is the unbiased estimate."""
        axes, correction, keepdims = self._var_args(axis, correction, keepdims, dim, keepdim, unbiased, "var")
        return self._apply(more_ops.Var(), (self,), axes, keepdims, correction)

    def std(self, axis=None, correction=1, keepdims=False, *, dim=None, keepdim=None, unbiased=None):
        """√var, with the same ``correction`` (numpy's ddof; PyTorch's unbiased=False is correction=0)."""
        axes, correction, keepdims = self._var_args(axis, correction, keepdims, dim, keepdim, unbiased, "std")
        return self._apply(more_ops.Std(), (self,), axes, keepdims, correction)

    def _var_args(self, axis, correction, keepdims, dim, keepdim, unbiased, name):
        axes, keepdims = axis_args(self.ndim, name, axis, keepdims, dim, keepdim)
        if unbiased is not None:
            correction = torch_name(name, "correction", correction, "unbiased", int(bool(unbiased)), default=1)
        return axes, whole_number(correction, name, "correction"), keepdims

    def prod(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Product over the axes; the gradient is the product of the others (exact with zeros)."""
        return self._apply(more_ops.Prod(), (self,), *axis_args(self.ndim, "prod", axis, keepdims, dim, keepdim))

    def cumsum(self, axis=None, *, dim=None):
        """Running sum along ``axis``; axis=None runs over the flattened tensor (numpy's default); 0-d stays 0-d."""
        axis = torch_name("cumsum", "axis", axis, "dim", dim)
        if self.ndim == 0:
            if axis is not None:
                one_axis(axis, 0, "cumsum")
            return self._apply(more_ops.Cumsum(), (self.reshape(1),), 0).reshape(())
        if axis is None:
            return self._apply(more_ops.Cumsum(), (self.reshape(-1),), 0)
        return self._apply(more_ops.Cumsum(), (self,), one_axis(axis, self.ndim, "cumsum"))

    # ------------------------------------------------------------ shape
    def reshape(self, *shape):
        """The same values in a new shape, numpy's rules (one -1 means "the rest")."""
        shape = parse_shape(shape, "reshape", allow_minus_one=True)
        try:
            return self._apply(more_ops.Reshape(), (self,), shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {self.shape} ({self.size} elements) "
                             f"into shape {shape}") from None

    def transpose(self, *axes):
        """``transpose(d0, d1)`` swaps two dimensions (PyTorch); ``transpose()`` reverses all of them and
        ``transpose((2, 0, 1))``, a full permutation as one tuple, permutes them (numpy)."""
        n = self.ndim
        if len(axes) == 2 and all(is_int(a) for a in axes):
            if any(not -max(n, 1) <= a < max(n, 1) for a in axes):  # a 0-d tensor takes 0 and -1, as PyTorch
                raise AxisError(f"transpose: dimensions {axes} are out of range for a tensor with {n} dimensions; "
                                "transpose(d0, d1) swaps two dimensions as PyTorch (numpy's permutation is one "
                                "tuple of all of them: transpose((1, 0, 2)), or permute(1, 0, 2))")
            first, second = (int(a) % max(n, 1) for a in axes)
            swapped = list(range(n))
            if n:
                swapped[first], swapped[second] = second, first
            return self._apply(more_ops.Transpose(), (self,), tuple(swapped))
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(reversed(range(n)))
        if not all(is_int(a) for a in axes):
            raise TypeError(f"transpose: axes must be ints, got {axes!r}")
        if len(axes) != n or any(not -n <= a < n for a in axes) or len({a % n for a in axes}) != n:
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {n} axes of shape {self.shape}; "
                             "give two dimensions to swap, transpose(0, 1) as PyTorch, or all of them as one "
                             "tuple, transpose((2, 0, 1)) as numpy (or permute(2, 0, 1))")
        return self._apply(more_ops.Transpose(), (self,), tuple(int(a) % n for a in axes))

    def swapaxes(self, axis1, axis2):
        """numpy's name for ``transpose(d0, d1)``."""
        return self.transpose(axis1, axis2)

    # all axes reversed is always a valid permutation: no checks (matmul's backward under create_graph takes Bᵀ)
    T = property(lambda self: self._apply(more_ops.Transpose(), (self,), tuple(range(self.ndim - 1, -1, -1))))

    def __getitem__(self, index):
        index = _index_array(index)
        try:
            return self._apply(more_ops.GetItem(), (self,), index)
        except IndexError as e:
            raise IndexError(f"getitem: index {index!r} does not fit a tensor of shape {self.shape}: {e}") from None


    def squeeze(self, axis=None, *, dim=None):
        """Drop axes of size 1 (all of them for axis=None). As numpy, an axis whose size is not 1 is an
        error (PyTorch silently leaves it)."""
        axis = torch_name("squeeze", "axis", axis, "dim", dim)
        axes = normalize_axis(axis, self.ndim, "squeeze")
        if axis is None:
            axes = tuple(i for i in axes if self.shape[i] == 1)
        wide = [i for i in axes if self.shape[i] != 1]
        if wide:
            raise ValueError(f"squeeze: axis {wide[0]} of shape {self.shape} has size {self.shape[wide[0]]}, not 1")
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, axis=None, *, dim=None):
        """A new axis of size 1 at ``axis`` (-1 appends), as ``np.expand_dims``."""
        axis = one_axis(torch_name("unsqueeze", "axis", axis, "dim", dim), self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def flatten(self, start=0, end=-1, *, start_dim=None, end_dim=None):
        """Merge axes start..end (inclusive, as PyTorch's start_dim/end_dim) into one; a 0-d tensor becomes (1,)."""
        start = torch_name("flatten", "start", start, "start_dim", start_dim, default=0)
        end = torch_name("flatten", "end", end, "end_dim", end_dim, default=-1)
        if self.ndim == 0:
            return self.reshape(1)
        start, end = one_axis(start, self.ndim, "flatten"), one_axis(end, self.ndim, "flatten")
        if start > end:
            raise ValueError(f"flatten: start axis {start} comes after end axis {end} (shape {self.shape})")
        merged = int(np.prod(self.shape[start:end + 1]))
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1:])

    def broadcast_to(self, *shape):
        """The tensor repeated along new or size-1 axes, as ``np.broadcast_to``."""
        shape = size_args(shape)
        try:
            np.broadcast_shapes(self.shape, shape)
            if len(shape) < self.ndim or np.broadcast_shapes(self.shape, shape) != shape:
                raise ValueError
        except (ValueError, TypeError):
            raise ValueError(f"broadcast_to: shape {self.shape} cannot be broadcast to {shape}") from None
        return self._apply(more_ops.BroadcastTo(), (self,), shape)

    def expand(self, *shape):
        """PyTorch's name for ``broadcast_to``; -1 keeps an axis's size."""
        shape = size_args(shape)
        offset = len(shape) - self.ndim
        return self.broadcast_to(tuple(self.shape[i - offset] if n == -1 and i >= offset else n
                                       for i, n in enumerate(shape)))

    def permute(self, *dims):
        """All the dimensions in a new order: ``permute(2, 0, 1)`` or ``permute((2, 0, 1))``."""
        return self.transpose(size_args(dims))

    def flip(self, axis=None, *, dims=None):
        """Reverse the order along ``axis`` (int or tuple; all axes for None), as ``np.flip``; PyTorch's ``dims=``."""
        axis = torch_name("flip", "axis", axis, "dims", dims)
        return self._apply(more_ops.Flip(), (self,), normalize_axis(axis, self.ndim, "flip"))

    def pad(self, widths, value=0.0):
        """Constant padding with numpy's ``pad_width``: n, (before, after) or one pair per axis; a negative
        width crops, as PyTorch's. (PyTorch's ``F.pad`` lists pairs from the last axis backwards; this follows numpy.)
        """
        needs_an_axis(self.ndim, "pad")
        try:
            pairs = np.broadcast_to(np.asarray(widths), (self.ndim, 2))
        except ValueError:
            raise ValueError(f"pad: widths {widths!r} do not fit a tensor of shape {self.shape}; give n, "
                             "(before, after) or one (before, after) pair per axis") from None
        if pairs.dtype.kind not in "iu":
            raise ValueError(f"pad: widths must be ints, got {widths!r}")
        cropped = self
        if (pairs < 0).any():
            crops = np.maximum(-pairs, 0)
            if (crops.sum(axis=1) > np.array(self.shape)).any():
                raise ValueError(f"pad: negative widths {widths!r} crop more than the shape {self.shape} holds")
            cropped = self[tuple(slice(int(b), n - int(a)) for (b, a), n in zip(crops, self.shape))]
        widths = tuple(map(tuple, np.maximum(pairs, 0).tolist()))
        return cropped._apply(more_ops.Pad(), (cropped,), widths, value)

    def tile(self, *reps):
        """The tensor repeated ``reps`` times along each axis, as ``np.tile``."""
        reps = size_args(reps)
        for r in reps:
            whole_number(r, "tile", "each repetition count")
        reps = (1,) * (self.ndim - len(reps)) + tuple(int(r) for r in reps)
        return self._apply(more_ops.Tile(), (self,), reps)

    def repeat(self, *reps):
        """PyTorch's ``repeat``, which is ``np.tile`` (not ``np.repeat``, which repeats each element)."""
        reps = size_args(reps)
        if len(reps) < self.ndim:
            raise ValueError(f"repeat: {len(reps)} repetition counts for a tensor with {self.ndim} axes")
        return self.tile(*reps)

    def take_along_axis(self, indices, axis=None, *, dim=None):
        """``np.take_along_axis``: out[..., i, ...] = a[..., indices[..., i, ...], ...] along ``axis``."""
        axis = torch_name("take_along_axis", "axis", axis, "dim", dim)
        indices = np.asarray(indices.data if isinstance(indices, MoreTensorMethods) else indices)
        needs_an_axis(self.ndim, "take_along_axis")
        axis = one_axis(axis, self.ndim, "take_along_axis")
        if indices.dtype.kind not in "iu" or indices.ndim != self.ndim:
            raise ValueError(f"take_along_axis: indices must be ints with {self.ndim} axes like the tensor, "
                             f"got dtype {indices.dtype} and shape {indices.shape}")
        size = self.shape[axis]
        if indices.size and (indices.min() < -size or indices.max() >= size):
            raise IndexError(f"take_along_axis: an index is out of range for axis {axis} of size {size}")
        try:
            return self._apply(more_ops.TakeAlongAxis(), (self,), indices.copy(), axis)
        except (ValueError, IndexError):  # numpy's message for indices that do not broadcast
            raise ValueError(f"take_along_axis: indices of shape {indices.shape} do not broadcast with "
                             f"shape {self.shape} outside axis {axis}") from None

    def gather(self, dim, index):
        """PyTorch's ``gather(dim, index)`` with numpy's ``take_along_axis`` rules (index broadcasts)."""
        return self.take_along_axis(index, dim)

    def split(self, sizes, axis=0, *, dim=None):
        """Pieces along ``axis`` as PyTorch's ``split``: an int is the size of each piece (the last may be
        smaller), a list gives every piece's size. (``np.split`` takes a number of pieces; use ``chunk``.)"""
        needs_an_axis(self.ndim, "split")
        axis = one_axis(torch_name("split", "axis", axis, "dim", dim, default=0), self.ndim, "split")
        length = self.shape[axis]
        if not isinstance(sizes, (list, tuple)):  # one piece size
            step = whole_number(sizes, "split", "the piece size", low=1)
            sizes = [min(step, length - start) for start in range(0, length, step)] or [0]
        sizes = [whole_number(n, "split", "each piece size") for n in sizes]
        if sum(sizes) != length:
            raise ValueError(f"split: sizes {sizes} add up to {sum(sizes)}, not to {length} (axis {axis} of {self.shape})")
        bounds = np.cumsum([0] + sizes).tolist()
        return tuple(self._apply(more_ops.Narrow(), (self,), axis, start, stop)
                     for start, stop in zip(bounds[:-1], bounds[1:]))

    def chunk(self, chunks, axis=0, *, dim=None):
        """At most ``chunks`` pieces of equal size along ``axis`` (the last may be smaller), as PyTorch."""
        axis = torch_name("chunk", "axis", axis, "dim", dim, default=0)
        chunks = whole_number(chunks, "chunk", "chunks", low=1)
        needs_an_axis(self.ndim, "chunk")
        length = self.shape[one_axis(axis, self.ndim, "chunk")]
        return self.split(max(-(-length // chunks), 1), axis)


    # ------------------------------------------------------------ softmax family

    def softmax(self, axis=-1, *, dim=None):
        """softmax(z)_k = exp(z_k) / Σ_j exp(z_j) along ``axis``; of a 0-d tensor 1, as PyTorch."""
        return self._along_one_axis(more_ops.Softmax(), torch_name("softmax", "axis", axis, "dim", dim, -1), "softmax")

    def log_softmax(self, axis=-1, *, dim=None):
        """log softmax(z), computed through log-sum-exp; of a 0-d tensor 0, as PyTorch."""
        axis = torch_name("log_softmax", "axis", axis, "dim", dim, -1)
        return self._along_one_axis(more_ops.LogSoftmax(), axis, "log_softmax")

    def _along_one_axis(self, op, axis, name):
        """Run ``op`` along the one axis it normalises over (PyTorch's dim: an int); a 0-d tensor counts as (1,)."""
        axis = one_axis(axis, self.ndim, name)
        if self.ndim == 0:
            return self._apply(op, (self.reshape(1),), 0).reshape(())
        return self._apply(op, (self,), axis)

    def logsumexp(self, axis=-1, keepdims=False, *, dim=None, keepdim=None):
        """log Σ_j exp(z_j), stable for large z."""
        axis = torch_name("logsumexp", "axis", axis, "dim", dim, -1)
        axes, keepdims = axis_args(self.ndim, "logsumexp", axis, keepdims, keepdim=keepdim)
        return self._apply(more_ops.LogSumExp(), (self,), axes, keepdims)

