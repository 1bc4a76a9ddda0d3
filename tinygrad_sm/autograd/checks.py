"""Argument checks, each written once, with the messages users see. Skip this file on a first reading.

Every check names the op it checks for (``op``), so the same bad input gives the same exception
type and message wherever it is passed: a wrong *type* is a TypeError, a wrong *value* of the
right type (a negative size, an axis out of range, a negative seed) is a ValueError.
"""

import numpy as np

NUMERIC_KINDS = "biufc"  # bool, int, unsigned, float, complex: what a tensor may hold
REDUCTIONS = ("mean", "sum", "none")


def is_int(value):
    """True for a Python or numpy integer, but not a bool (True is an int to Python, not an axis)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def short(value, limit=60):
    """repr(value), cut to ``limit`` characters for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def whole_number(value, op, what, low=0):
    """``value`` as an int >= ``low``; TypeError for a non-int, ValueError for one that is too small."""
    if not is_int(value):
        raise TypeError(f"{op}: {what} must be an int >= {low}, got {value!r}")
    if value < low:
        raise ValueError(f"{op}: {what} must be an int >= {low}, got {value!r}")
    return int(value)


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


def one_axis(axis, ndim, op):
    """One axis (an int, as PyTorch's ``dim``) as a non-negative int, for a tensor with ``ndim`` axes (>= 1)."""
    if not is_int(axis):
        raise TypeError(f"{op}: axis must be one int, got {axis!r}")
    (axis,) = normalize_axis(int(axis), max(ndim, 1), op)
    return axis


def needs_an_axis(ndim, op):
    """Raise for a 0-d tensor, which has no axis to work along."""
    if ndim == 0:
        raise ValueError(f"{op}: needs at least one axis, got a 0-d tensor")


def sizes(args):
    """``f(2, 3)`` or ``f((2, 3))`` → (2, 3), unchecked (each caller has its own rules for -1)."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else tuple(args)


def parse_shape(args, op, allow_minus_one=False):
    """``(2, 3)`` from ``(2, 3)`` or ``((2, 3),)``; every entry an int >= 0 (or one -1 for reshape)."""
    shape = sizes(args)
    if not all(is_int(n) for n in shape):
        raise TypeError(f"{op}: shape {tuple(shape)!r} must be ints")
    shape = tuple(int(n) for n in shape)
    smallest = -1 if allow_minus_one else 0
    if any(n < smallest for n in shape) or (allow_minus_one and shape.count(-1) > 1):
        raise ValueError(f"{op}: shape {shape} has a negative size" +
                         (" (only one -1, meaning 'the rest', is allowed)" if allow_minus_one else ""))
    return shape


def make_rng(rng, op):
    """A numpy Generator from ``rng``: a Generator, an int seed >= 0, or None (a fresh seed)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is not None and not is_int(rng):
        raise TypeError(f"{op}: rng must be a numpy Generator, an int seed >= 0 or None, got {rng!r}")
    if rng is not None and rng < 0:
        raise ValueError(f"{op}: rng must be a numpy Generator, an int seed >= 0 or None, got {rng!r}")
    return np.random.default_rng(rng)


def numeric_dtype(dtype, op="Tensor"):
    """``np.dtype(dtype)``, refusing anything a tensor cannot hold."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: unknown dtype {dtype!r}; use a numpy dtype such as np.float32") from None
    if dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"{op}: dtype {dtype} is not numeric (use bool, int, float or complex)")
    return dtype


def reduction(value, op):
    """One of "mean", "sum", "none"."""
    if value not in REDUCTIONS:
        raise ValueError(f"{op}: unknown reduction {value!r}; use one of {REDUCTIONS}")
    return value
