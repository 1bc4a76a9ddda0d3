"""The rest of the Tensor's methods, beyond the card's: Tensor inherits them. Skip on a first reading.

One line per method, as in ``tensor.py``: check the arguments (``checks.py``), then hand the
arrays to an op of ``ops.py`` or ``more_ops.py``. Names are PyTorch's, arguments the engine's
numpy-style ``axis``/``keepdims``; where PyTorch and numpy disagree the docstring says which
one is followed (docs/numpy-and-pytorch.md). The methods reach the Tensor class through
``self`` and ``cls``, so this file never imports ``tensor.py``.
"""

import numbers

import numpy as np

from . import more_ops, ops
from .checks import (DEFAULT_DTYPE, NUMERIC_KINDS, is_int, make_rng, needs_an_axis, normalize_axis, numeric_dtype,
                     one_axis, parse_shape, short, size_args, whole_number)
from .custom import check_results
from .grad_mode import _mode as _grad_mode
from .versions import clock, record_in_place_change


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
        other_array = other.data if isinstance(other, MoreTensorMethods) else other
        if isinstance(other_array, (list, tuple)):
            other_array = np.asarray(other_array)
        if np.asarray(other_array).dtype.kind not in NUMERIC_KINDS:
            raise TypeError(f"{name}: cannot update a tensor in place with {type(other).__name__} {short(other)}")
        self._check_in_place(other, other_array, name)
        try:
            ufunc(self.data, other_array, out=self.data, casting="same_kind")
        except TypeError:  # numpy checks the cast before it writes anything
            raise TypeError(f"{name}: the result for a {np.asarray(other_array).dtype} operand cannot be stored in "
                            f"place in a {self.dtype} tensor") from None
        self._bump_version()
        return self

    def _check_in_place(self, other, other_array, name):
        if _grad_mode.enabled and (self.requires_grad or (isinstance(other, MoreTensorMethods) and other.requires_grad)):
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
        record_in_place_change(self, next(clock))

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
    def gelu(self): return self._apply(more_ops.GELU(), (self,))

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
        """-1, 0 or +1 elementwise; no gradient (the result is a constant outside the graph)."""
        return _no_grad_result(self, np.sign(self.data))

    def floor_divide(self, other):
        """a // b rounded toward -∞ (numpy, Python and PyTorch's ``//``); no gradient."""
        other = other.data if isinstance(other, MoreTensorMethods) else other
        return _no_grad_result(self, np.floor_divide(self.data, other))

    __floordiv__ = floor_divide

    def __rfloordiv__(self, other): return _no_grad_result(self, np.floor_divide(other, self.data))

    # ------------------------------------------------------------ reductions
    def mean(self, axis=None, keepdims=False):
        return self._apply(more_ops.Mean(), (self,), normalize_axis(axis, self.ndim, "mean"), keepdims)

    def max(self, axis=None, keepdims=False):
        """Largest value; the gradient is shared equally among tied maxima."""
        axes = normalize_axis(axis, self.ndim, "max")
        empty = [a for a in axes if self.shape[a] == 0]
        if empty or (self.size == 0 and not axes):
            raise ValueError(f"max: cannot reduce over axis {empty[0] if empty else axis!r} of size 0 "
                             f"(shape {self.shape}); the max of nothing is undefined")
        return self._apply(more_ops.Max(), (self,), axes, keepdims)


    def min(self, axis=None, keepdims=False):
        """Smallest value; the gradient is shared equally among tied minima (as ``max``)."""
        axes = normalize_axis(axis, self.ndim, "min")
        if self.size == 0:
            raise ValueError(f"min: cannot reduce an empty tensor of shape {self.shape}")
        return self._apply(more_ops.Min(), (self,), axes, keepdims)

    def argmax(self, axis=None, keepdims=False):
        """Index of the largest value (the first of ties; over the flattened tensor for axis=None); no gradient."""
        return self._arg_reduce(np.argmax, "argmax", axis, keepdims)

    def argmin(self, axis=None, keepdims=False):
        """Index of the smallest value (the first of ties); no gradient."""
        return self._arg_reduce(np.argmin, "argmin", axis, keepdims)

    def _arg_reduce(self, fn, name, axis, keepdims):
        if axis is not None:
            axis = one_axis(axis, self.ndim, name) if self.ndim else None
        if self.size == 0:
            raise ValueError(f"{name}: cannot reduce an empty tensor of shape {self.shape}")
        return _no_grad_result(self, np.asarray(fn(self.data, axis=axis, keepdims=keepdims)))

    def var(self, axis=None, correction=1, keepdims=False):
        """Σ(a - ā)² / (n - correction): correction=1 (the default, as PyTorch) is the unbiased estimate."""
        axes, correction = self._var_args(axis, correction, "var")
        return self._apply(more_ops.Var(), (self,), axes, keepdims, correction)

    def std(self, axis=None, correction=1, keepdims=False):
        """√var, with the same ``correction`` (numpy's ddof)."""
        axes, correction = self._var_args(axis, correction, "std")
        return self._apply(more_ops.Std(), (self,), axes, keepdims, correction)

    def _var_args(self, axis, correction, name):
        axes = normalize_axis(axis, self.ndim, name)
        return axes, whole_number(correction, name, "correction")

    def prod(self, axis=None, keepdims=False):
        """Product over the axes; the gradient is the product of the others (exact with zeros)."""
        return self._apply(more_ops.Prod(), (self,), normalize_axis(axis, self.ndim, "prod"), keepdims)

    def cumsum(self, axis=None):
        """Running sum along ``axis``; axis=None runs over the flattened tensor (numpy's default)."""
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
        """Permute the axes like numpy; with no arguments, reverse them."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(reversed(range(self.ndim)))
        if not all(is_int(a) for a in axes):
            raise TypeError(f"transpose: axes must be ints, got {axes!r}")
        n = self.ndim
        if len(axes) != n or any(not -n <= a < n for a in axes) or len({a % n for a in axes}) != n:
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {n} axes of shape {self.shape}")
        return self._apply(more_ops.Transpose(), (self,), tuple(int(a) % n for a in axes))

    T = property(lambda self: self.transpose())

    def __getitem__(self, index):
        index = _index_array(index)
        try:
            return self._apply(more_ops.GetItem(), (self,), index)
        except IndexError as e:
            raise IndexError(f"getitem: index {index!r} does not fit a tensor of shape {self.shape}: {e}") from None


    def squeeze(self, axis=None):
        """Drop axes of size 1 (all of them for axis=None). As numpy, an axis whose size is not 1 is an
        error (PyTorch silently leaves it)."""
        axes = normalize_axis(axis, self.ndim, "squeeze")
        if axis is None:
            axes = tuple(i for i in axes if self.shape[i] == 1)
        wide = [i for i in axes if self.shape[i] != 1]
        if wide:
            raise ValueError(f"squeeze: axis {wide[0]} of shape {self.shape} has size {self.shape[wide[0]]}, not 1")
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, axis):
        """A new axis of size 1 at ``axis`` (-1 appends), as ``np.expand_dims``."""
        axis = one_axis(axis, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def flatten(self, start=0, end=-1):
        """Merge axes start..end (inclusive, as PyTorch's start_dim/end_dim) into one; a 0-d tensor becomes (1,)."""
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

    def permute(self, *axes):
        """PyTorch's name for ``transpose(*axes)``."""
        return self.transpose(*axes)

    def flip(self, axis=None):
        """Reverse the order along ``axis`` (int or tuple; all axes for None), as ``np.flip``."""
        return self._apply(more_ops.Flip(), (self,), normalize_axis(axis, self.ndim, "flip"))

    def pad(self, widths, value=0.0):
        """Constant padding with numpy's ``pad_width``: n, (before, after) or one pair per axis.

        (PyTorch's ``F.pad`` lists pairs from the last axis backwards; this follows numpy.)
        """
        needs_an_axis(self.ndim, "pad")
        try:
            pairs = np.broadcast_to(np.asarray(widths), (self.ndim, 2))
        except ValueError:
            raise ValueError(f"pad: widths {widths!r} do not fit a tensor of shape {self.shape}; give n, "
                             "(before, after) or one (before, after) pair per axis") from None
        if pairs.dtype.kind not in "iu" or (pairs < 0).any():
            raise ValueError(f"pad: widths must be non-negative ints, got {widths!r}")
        return self._apply(more_ops.Pad(), (self,), tuple(map(tuple, pairs.tolist())), value)

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

    def take_along_axis(self, indices, axis):
        """``np.take_along_axis``: out[..., i, ...] = a[..., indices[..., i, ...], ...] along ``axis``."""
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

    def gather(self, axis, index):
        """PyTorch's ``gather(dim, index)`` with numpy's ``take_along_axis`` rules (index broadcasts)."""
        return self.take_along_axis(index, axis)

    def split(self, sizes, axis=0):
        """Pieces along ``axis`` as PyTorch's ``split``: an int is the size of each piece (the last may be
        smaller), a list gives every piece's size. (``np.split`` takes a number of pieces; use ``chunk``.)"""
        needs_an_axis(self.ndim, "split")
        axis = one_axis(axis, self.ndim, "split")
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

    def chunk(self, chunks, axis=0):
        """At most ``chunks`` pieces of equal size along ``axis`` (the last may be smaller), as PyTorch."""
        chunks = whole_number(chunks, "chunk", "chunks", low=1)
        needs_an_axis(self.ndim, "chunk")
        length = self.shape[one_axis(axis, self.ndim, "chunk")]
        return self.split(max(-(-length // chunks), 1), axis)


    # ------------------------------------------------------------ softmax family

    def softmax(self, axis=-1):
        """softmax(z)_k = exp(z_k) / Σ_j exp(z_j) along ``axis``."""
        return self._apply(more_ops.Softmax(), (self,), self._softmax_axis(axis, "softmax"))

    def log_softmax(self, axis=-1):
        """log softmax(z), computed through log-sum-exp."""
        return self._apply(more_ops.LogSoftmax(), (self,), self._softmax_axis(axis, "log_softmax"))

    def _softmax_axis(self, axis, op):
        """The one axis softmax normalises over (as PyTorch's dim: an int, not None or a tuple)."""
        axis = one_axis(axis, self.ndim, op)
        needs_an_axis(self.ndim, op)
        return axis

    def logsumexp(self, axis=-1, keepdims=False):
        """log Σ_j exp(z_j), stable for large z."""
        axes = normalize_axis(axis, self.ndim, "logsumexp")
        return self._apply(more_ops.LogSumExp(), (self,), axes, keepdims)

