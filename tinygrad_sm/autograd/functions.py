"""Module functions: ``where``, ``cat``/``concatenate``, ``stack``, ``one_hot`` and the creation functions.

Creation functions take PyTorch's signatures (sizes as ints or one tuple), ``dtype`` (float32 by
default, as PyTorch), ``requires_grad`` and, for random ones, ``rng``: a numpy Generator or an int
seed; None (the default) draws from the one global generator that ``manual_seed`` seeds.
``tensor(data)`` copies its data, as ``torch.tensor``; ``from_numpy(array)`` and ``Tensor(array)``
share the caller's array, as ``torch.from_numpy``.
"""

import numbers

import numpy as np

from . import more_ops
from .checks import DEFAULT_DTYPE, make_rng, numeric_dtype, one_axis, parse_shape, torch_name, whole_number
from .tensor import Tensor


def where(condition, a, b):
    """``a`` where ``condition`` is true, else ``b`` (broadcast together); dA = G ⊙ 1[c], dB = G ⊙ 1[¬c]."""
    return Tensor._where(condition, a, b)


def concatenate(tensors, axis=0, *, dim=None):
    """Tensors joined along an existing ``axis`` (PyTorch's ``dim``); the other axes must match."""
    axis = torch_name("concatenate", "axis", axis, "dim", dim, default=0)
    tensors = Tensor._as_tensors(tensors, "concatenate")
    ndim = tensors[0].ndim
    if ndim == 0 or any(t.ndim != ndim for t in tensors):
        raise ValueError(f"concatenate: tensors need the same number (>= 1) of axes, got shapes "
                         f"{[t.shape for t in tensors]}")
    axis = one_axis(axis, ndim, "concatenate")
    rest = {t.shape[:axis] + t.shape[axis + 1:] for t in tensors}
    if len(rest) > 1:
        raise ValueError(f"concatenate: shapes {[t.shape for t in tensors]} differ outside axis {axis}")
    return Tensor._apply(more_ops.Concatenate(), tensors, axis)


cat = concatenate


def stack(tensors, axis=0, *, dim=None):
    """Tensors of one shape stacked along a new ``axis`` (PyTorch's ``dim``)."""
    axis = torch_name("stack", "axis", axis, "dim", dim, default=0)
    tensors = Tensor._as_tensors(tensors, "stack")
    if len({t.shape for t in tensors}) > 1:
        raise ValueError(f"stack: tensors need the same shape, got {[t.shape for t in tensors]}")
    return Tensor._apply(more_ops.Stack(), tensors, one_axis(axis, tensors[0].ndim + 1, "stack"))


def one_hot(labels, num_classes, dtype=DEFAULT_DTYPE):
    """Rows e_{y_i} of the K × K identity for int labels 0..K-1, any shape (n,) → (n, K); no gradient."""
    labels = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if labels.size and labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be ints, got dtype {labels.dtype}")
    num_classes = whole_number(num_classes, "one_hot", "num_classes")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)].flat[0]
        raise ValueError(f"one_hot: label {bad} is out of range for {num_classes} classes")
    out = np.zeros(labels.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, labels.astype(np.intp)[..., None], 1, axis=-1)
    return Tensor(out)


# ---------------------------------------------------------------- creation

def arange(start, stop=None, step=1, dtype=None, requires_grad=False):
    """start, start + step, ... < stop, as ``np.arange``: int64 for int arguments, float32 (as PyTorch) for floats,
    unless ``dtype`` says otherwise."""
    for value in (start, stop, step):
        if value is not None and (not isinstance(value, numbers.Real) or not np.isfinite(value)):
            raise ValueError(f"arange: start, stop and step must be finite numbers, got {value!r}")
    if step == 0:
        raise ValueError("arange: step must not be 0")
    values = np.arange(start, stop, step, dtype=dtype)
    if dtype is None and values.dtype.kind == "f":
        values = values.astype(DEFAULT_DTYPE)
    return Tensor(values, requires_grad=requires_grad)


def eye(n, m=None, dtype=DEFAULT_DTYPE, requires_grad=False):
    """The n × m identity (m = n by default)."""
    n = whole_number(n, "eye", "n")
    m = n if m is None else whole_number(m, "eye", "m")
    return Tensor(np.eye(n, m, dtype=dtype), requires_grad=requires_grad)


def full(shape, value, dtype=DEFAULT_DTYPE, requires_grad=False):
    """A tensor of ``shape`` (an int or a tuple) filled with ``value``, as ``torch.full(size, fill_value)``."""
    shape = (shape,) if not isinstance(shape, (tuple, list)) else (tuple(shape),)
    return Tensor(np.full(parse_shape(shape, "full"), value, dtype=numeric_dtype(dtype, "full")),
                  requires_grad=requires_grad)


def tensor(data, dtype=None, requires_grad=False):
    """A new tensor holding a copy of ``data``, as ``torch.tensor``: changing one never changes the other."""
    data = data.data if isinstance(data, Tensor) else data
    return Tensor(np.array(data, copy=True) if isinstance(data, (np.ndarray, np.generic)) else data,
                  dtype=dtype, requires_grad=requires_grad)


def from_numpy(array):
    """A tensor sharing ``array``'s memory and dtype, as ``torch.from_numpy``: a change to one shows in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}")
    return Tensor(array)


def zeros(*size, dtype=DEFAULT_DTYPE, requires_grad=False):
    """Zeros of ``size`` (ints or one tuple), as ``torch.zeros``."""
    return Tensor.zeros(*size, dtype=dtype, requires_grad=requires_grad)


def ones(*size, dtype=DEFAULT_DTYPE, requires_grad=False):
    """Ones of ``size``, as ``torch.ones``."""
    return Tensor.ones(*size, dtype=dtype, requires_grad=requires_grad)


def empty(*size, dtype=DEFAULT_DTYPE, requires_grad=False):
    """A tensor of ``size`` to be filled in; zeros here (PyTorch leaves the memory as it was)."""
    return Tensor.zeros(*size, dtype=dtype, requires_grad=requires_grad)


def randn(*size, dtype=DEFAULT_DTYPE, requires_grad=False, rng=None):
    """Standard normal samples of ``size``, as ``torch.randn``; ``rng`` as the other random functions."""
    return Tensor.randn(*size, dtype=dtype, requires_grad=requires_grad, rng=rng)


def full_like(t, value, dtype=None, requires_grad=False):
    """Like ``t``'s shape (and dtype unless given), filled with ``value``."""
    t = t if isinstance(t, Tensor) else Tensor(t)
    return Tensor(np.full(t.shape, value, dtype=dtype or t.dtype), requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return full_like(t, 0, dtype, requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return full_like(t, 1, dtype, requires_grad)


def uniform(*shape, low=0.0, high=1.0, dtype=DEFAULT_DTYPE, requires_grad=False, rng=None, _op="uniform"):
    """Samples from U[low, high)."""
    if not (np.isfinite(low) and np.isfinite(high) and low <= high):
        raise ValueError(f"uniform: need finite low <= high, got low={low!r}, high={high!r}")
    data = make_rng(rng, _op).uniform(low, high, parse_shape(shape, _op))
    return Tensor(data.astype(dtype), requires_grad=requires_grad)


def rand(*shape, dtype=DEFAULT_DTYPE, requires_grad=False, rng=None):
    """Samples from U[0, 1)."""
    return uniform(*shape, dtype=dtype, requires_grad=requires_grad, rng=rng, _op="rand")


def randint(low, high, shape=(), dtype=np.int64, rng=None):
    """Integers from low (inclusive) to high (exclusive)."""
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (low, high)) or low >= high:
        raise ValueError(f"randint: need ints low < high, got low={low!r}, high={high!r}")
    shape = parse_shape((shape,) if not isinstance(shape, (tuple, list)) else (tuple(shape),), "randint")
    return Tensor(make_rng(rng, "randint").integers(low, high, shape, dtype=dtype))
