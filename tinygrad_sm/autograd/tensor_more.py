"""The Tensor methods of the extended op set (``more_ops.py``); ``Tensor`` inherits them.

One line per method: check the arguments, then hand the arrays to the op. Names are PyTorch's,
arguments the engine's numpy-style ``axis``/``keepdims``. Where PyTorch and numpy disagree the
numpy meaning wins (the engine is numpy), except where a method carries PyTorch's name for a
different numpy function; each such case is said in its docstring and in the README.
"""

import numbers

import numpy as np

from . import more_ops, ops


def _axis(axis, ndim, op):
    """One axis as a non-negative int (``ops.normalize_axis`` for a single int)."""
    if not ops.is_int(axis):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    (axis,) = ops.normalize_axis(int(axis), max(ndim, 1), op)
    return axis


def _whole_number(value, op, what, low=0):
    if not ops.is_int(value) or value < low:
        raise ValueError(f"{op}: {what} must be an int >= {low}, got {value!r}")
    return int(value)


def _sizes(args):
    """``f(2, 3)`` or ``f((2, 3))`` → (2, 3), checked by the caller (each op has its own rules for -1)."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else tuple(args)


def _needs_an_axis(tensor, op):
    if tensor.ndim == 0:
        raise ValueError(f"{op}: a 0-d tensor has no axis to {op} along")


def _no_grad_result(tensor_type, array):
    """A result with no gradient (sign, argmax, //): a new leaf outside the graph."""
    return tensor_type._wrap(array)


class MoreTensorMethods:
    """Mixed into ``Tensor``: the ops beyond the design card."""

    __slots__ = ()

    # ------------------------------------------------------------ a public way to add an op

    @staticmethod
    def apply(op, *inputs, **options):
        """Run a user-written op: ``Tensor.apply(MyOp, x, y, scale=2.0)``.

        ``op`` is an ``ops.Op`` subclass (or an instance); ``inputs`` are Tensors (numbers and
        arrays become constants); ``options`` go to ``forward`` as keywords, after the arrays.
        The op is recorded in the graph when an input requires grad, exactly as the built-in ops.
        """
        from .tensor import Tensor  # tensor.py imports this module
        op = op() if isinstance(op, type) and issubclass(op, ops.Op) else op
        if not isinstance(op, ops.Op):
            raise TypeError(f"Tensor.apply: expected a subclass of tinygrad_sm.autograd.Op, got {op!r}")
        tensors = tuple(x if isinstance(x, Tensor) else Tensor(x) for x in inputs)
        if not tensors:
            raise ValueError(f"Tensor.apply: {type(op).__name__} needs at least one input tensor")
        return Tensor._apply(op, tensors, **options)  # recorded exactly as the built-in ops are

    # ------------------------------------------------------------ elementwise

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
        from .functions import where
        return where(condition, self, other)

    def sign(self):
        """-1, 0 or +1 elementwise; no gradient (the result is a constant outside the graph)."""
        return _no_grad_result(type(self), np.sign(self.data))

    def floor_divide(self, other):
        """a // b rounded toward -∞ (numpy, Python and PyTorch's ``//``); no gradient."""
        other = other.data if isinstance(other, MoreTensorMethods) else other
        return _no_grad_result(type(self), np.floor_divide(self.data, other))

    __floordiv__ = floor_divide

    def __rfloordiv__(self, other): return _no_grad_result(type(self), np.floor_divide(other, self.data))

    # ------------------------------------------------------------ reductions

    def min(self, axis=None, keepdims=False):
        """Smallest value; the gradient is shared equally among tied minima (as ``max``)."""
        axes = ops.normalize_axis(axis, self.ndim, "min")
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
            axis = _axis(axis, self.ndim, name) if self.ndim else None
        if self.size == 0:
            raise ValueError(f"{name}: cannot reduce an empty tensor of shape {self.shape}")
        return _no_grad_result(type(self), np.asarray(fn(self.data, axis=axis, keepdims=keepdims)))

    def var(self, axis=None, correction=1, keepdims=False):
        """Σ(a - ā)² / (n - correction): correction=1 (the default, as PyTorch) is the unbiased estimate."""
        axes, correction = self._var_args(axis, correction, "var")
        return self._apply(more_ops.Var(), (self,), axes, keepdims, correction)

    def std(self, axis=None, correction=1, keepdims=False):
        """√var, with the same ``correction`` (numpy's ddof)."""
        axes, correction = self._var_args(axis, correction, "std")
        return self._apply(more_ops.Std(), (self,), axes, keepdims, correction)

    def _var_args(self, axis, correction, name):
        axes = ops.normalize_axis(axis, self.ndim, name)
        return axes, _whole_number(correction, name, "correction")

    def prod(self, axis=None, keepdims=False):
        """Product over the axes; the gradient is the product of the others (exact with zeros)."""
        return self._apply(more_ops.Prod(), (self,), ops.normalize_axis(axis, self.ndim, "prod"), keepdims)

    def cumsum(self, axis=None):
        """Running sum along ``axis``; axis=None runs over the flattened tensor (numpy's default)."""
        if axis is None:
            return self._apply(more_ops.Cumsum(), (self.reshape(-1),), 0)
        return self._apply(more_ops.Cumsum(), (self,), _axis(axis, self.ndim, "cumsum"))

    # ------------------------------------------------------------ shape

    def squeeze(self, axis=None):
        """Drop axes of size 1 (all of them for axis=None). As numpy, an axis whose size is not 1 is an
        error (PyTorch silently leaves it)."""
        axes = ops.normalize_axis(axis, self.ndim, "squeeze")
        if axis is None:
            axes = tuple(i for i in axes if self.shape[i] == 1)
        wide = [i for i in axes if self.shape[i] != 1]
        if wide:
            raise ValueError(f"squeeze: axis {wide[0]} of shape {self.shape} has size {self.shape[wide[0]]}, not 1")
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, axis):
        """A new axis of size 1 at ``axis`` (-1 appends), as ``np.expand_dims``."""
        axis = _axis(axis, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def flatten(self, start=0, end=-1):
        """Merge axes start..end (inclusive, as PyTorch's start_dim/end_dim) into one; a 0-d tensor becomes (1,)."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = _axis(start, self.ndim, "flatten"), _axis(end, self.ndim, "flatten")
        if start > end:
            raise ValueError(f"flatten: start axis {start} comes after end axis {end} (shape {self.shape})")
        merged = int(np.prod(self.shape[start:end + 1]))
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1:])

    def broadcast_to(self, *shape):
        """The tensor repeated along new or size-1 axes, as ``np.broadcast_to``."""
        shape = _sizes(shape)
        try:
            np.broadcast_shapes(self.shape, shape)
            if len(shape) < self.ndim or np.broadcast_shapes(self.shape, shape) != shape:
                raise ValueError
        except (ValueError, TypeError):
            raise ValueError(f"broadcast_to: shape {self.shape} cannot be broadcast to {shape}") from None
        return self._apply(more_ops.BroadcastTo(), (self,), shape)

    def expand(self, *shape):
        """PyTorch's name for ``broadcast_to``; -1 keeps an axis's size."""
        shape = _sizes(shape)
        offset = len(shape) - self.ndim
        return self.broadcast_to(tuple(self.shape[i - offset] if n == -1 and i >= offset else n
                                       for i, n in enumerate(shape)))

    def permute(self, *axes):
        """PyTorch's name for ``transpose(*axes)``."""
        return self.transpose(*axes)

    def flip(self, axis=None):
        """Reverse the order along ``axis`` (int or tuple; all axes for None), as ``np.flip``."""
        return self._apply(more_ops.Flip(), (self,), ops.normalize_axis(axis, self.ndim, "flip"))

    def pad(self, widths, value=0.0):
        """Constant padding with numpy's ``pad_width``: n, (before, after) or one pair per axis.

        (PyTorch's ``F.pad`` lists pairs from the last axis backwards; this follows numpy.)
        """
        _needs_an_axis(self, "pad")
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
        reps = _sizes(reps)
        for r in reps:
            _whole_number(r, "tile", "each repetition count")
        reps = (1,) * (self.ndim - len(reps)) + tuple(int(r) for r in reps)
        return self._apply(more_ops.Tile(), (self,), reps)

    def repeat(self, *reps):
        """PyTorch's ``repeat``, which is ``np.tile`` (not ``np.repeat``, which repeats each element)."""
        reps = _sizes(reps)
        if len(reps) < self.ndim:
            raise ValueError(f"repeat: {len(reps)} repetition counts for a tensor with {self.ndim} axes")
        return self.tile(*reps)

    def take_along_axis(self, indices, axis):
        """``np.take_along_axis``: out[..., i, ...] = a[..., indices[..., i, ...], ...] along ``axis``."""
        indices = np.asarray(indices.data if isinstance(indices, MoreTensorMethods) else indices)
        _needs_an_axis(self, "take_along_axis")
        axis = _axis(axis, self.ndim, "take_along_axis")
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
        _needs_an_axis(self, "split")
        axis = _axis(axis, self.ndim, "split")
        length = self.shape[axis]
        if ops.is_int(sizes):
            step = _whole_number(sizes, "split", "the piece size", low=1)
            sizes = [min(step, length - start) for start in range(0, length, step)] or [0]
        sizes = [_whole_number(n, "split", "each piece size") for n in sizes]
        if sum(sizes) != length:
            raise ValueError(f"split: sizes {sizes} add up to {sum(sizes)}, not to {length} (axis {axis} of {self.shape})")
        bounds = np.cumsum([0] + sizes).tolist()
        return tuple(self._apply(more_ops.Narrow(), (self,), axis, start, stop)
                     for start, stop in zip(bounds[:-1], bounds[1:]))

    def chunk(self, chunks, axis=0):
        """At most ``chunks`` pieces of equal size along ``axis`` (the last may be smaller), as PyTorch."""
        chunks = _whole_number(chunks, "chunk", "chunks", low=1)
        _needs_an_axis(self, "chunk")
        length = self.shape[_axis(axis, self.ndim, "chunk")]
        return self.split(max(-(-length // chunks), 1), axis)
