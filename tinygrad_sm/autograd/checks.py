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


class AxisError(ValueError, IndexError):
    """An axis out of range: an IndexError as PyTorch raises, and a ValueError as numpy's AxisError also is."""


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
        raise AxisError(f"{op}: axis {axis!r} is out of range for a 0-d tensor")
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise AxisError(f"{op}: axis {axis!r} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: axis {axis!r} repeats an axis")
    return tuple(sorted(out))


def torch_name(op, numpy_name, numpy_value, torch_name, torch_value, default=None):
    """The value of ``axis=``/``keepdims=`` or of PyTorch's twin ``dim=``/``keepdim=`` (either spelling; not both)."""
    if torch_value is None:
        return numpy_value
    if not (numpy_value is default or (is_int(default) and is_int(numpy_value) and numpy_value == default)):
        raise TypeError(f"{op}: got both {numpy_name}={numpy_value!r} (numpy's name) and {torch_name}={torch_value!r} "
                        f"(PyTorch's name) for the same argument; give one of them")
    return torch_value


def axis_args(ndim, op, axis, keepdims, dim=None, keepdim=None):
    """(sorted axes, keepdims) of a reduction, from numpy's axis/keepdims or PyTorch's dim/keepdim."""
    if dim is not None or keepdim is not None:
        axis = torch_name(op, "axis", axis, "dim", dim)
        keepdims = torch_name(op, "keepdims", keepdims, "keepdim", keepdim, default=False)
    return normalize_axis(axis, ndim, op), bool(keepdims)


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


def size_args(args):
    """``f(2, 3)`` or ``f((2, 3))`` → (2, 3), unchecked (each caller has its own rules for -1)."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else tuple(args)


def parse_shape(args, op, allow_minus_one=False):
    """``(2, 3)`` from ``(2, 3)`` or ``((2, 3),)``; every entry an int >= 0 (or one -1 for reshape)."""
    shape = size_args(args)
    if not all(is_int(n) for n in shape):
        raise TypeError(f"{op}: shape {tuple(shape)!r} must be ints")
    shape = tuple(int(n) for n in shape)
    smallest = -1 if allow_minus_one else 0
    if any(n < smallest for n in shape) or (allow_minus_one and shape.count(-1) > 1):
        raise ValueError(f"{op}: shape {shape} has a negative size" +
                         (" (only one -1, meaning 'the rest', is allowed)" if allow_minus_one else ""))
    return shape


GLOBAL_RNG = np.random.default_rng()  # what rng=None means everywhere; manual_seed(n) re-seeds it in place


def manual_seed(seed):
    """Seed every random default (layer initialisation, Dropout, randn, rand, shuffling), as torch.manual_seed."""
    seed = whole_number(seed, "manual_seed", "seed")
    GLOBAL_RNG.bit_generator.state = type(GLOBAL_RNG.bit_generator)(seed).state
    return GLOBAL_RNG


def make_rng(rng, op):
    """A numpy Generator from ``rng``: a Generator, an int seed >= 0, or None (the global one of manual_seed).

    What else ``np.random.default_rng`` takes passes too: a list or array of int seeds >= 0
    (``[seed, epoch]``), a SeedSequence or a BitGenerator.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return GLOBAL_RNG
    if isinstance(rng, (np.random.SeedSequence, np.random.BitGenerator)):
        return np.random.default_rng(rng)
    seeds = list(rng) if isinstance(rng, (list, tuple, np.ndarray)) and np.ndim(rng) == 1 else [rng]
    if not seeds or not all(is_int(seed) for seed in seeds):
        raise TypeError(f"{op}: rng must be a numpy Generator, an int seed >= 0 or None, got {rng!r}")
    if any(seed < 0 for seed in seeds):
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


# ---------------------------------------------------------------- making a tensor

DEFAULT_DTYPE = np.float32  # Python numbers and lists become float32, as in PyTorch


def as_array(data, dtype):
    """numpy array for ``data``: arrays keep their dtype, Python numbers and lists become float32."""
    if dtype is not None:
        dtype = numeric_dtype(dtype)
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
                                 f"{short(data)}") from None
            raise ValueError(f"Tensor: cannot convert {short(data)} to dtype {dtype}: {e}") from None
        except TypeError as e:
            raise TypeError(f"Tensor: cannot make a tensor of dtype {dtype} from {short(data)}: {e}") from None
        if dtype is None and not isinstance(data, np.ndarray) and array.dtype.kind in "biuf":
            array = array.astype(DEFAULT_DTYPE)
    if array.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__} of numpy dtype {array.dtype} "
                        "(tensors hold numbers: bool, int, float or complex)")
    return array


def operand_array(other, dtype, op):
    """The array for a raw number or array combined with a tensor of ``dtype``: a float tensor's dtype wins."""
    try:
        array = np.asarray(other)
    except ValueError:
        array = np.empty(0, dtype=object)  # a ragged list: reported just below
    if array.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"{op}: cannot combine a tensor with {type(other).__name__} {short(other)}")
    if dtype.kind == "f" and array.dtype != dtype and array.dtype.kind in "biuf":
        array = array.astype(dtype)
    return array


def can_require_grad(tensor, flag):
    """Only floating-point leaves can be marked as parameters."""
    if flag and tensor.data.dtype.kind != "f":  # complex needs the conjugate convention, which we do not implement
        raise TypeError(f"Tensor: only floating-point tensors can require grad, got dtype {tensor.data.dtype}"
                        + (" (complex gradients are not supported)" if tensor.data.dtype.kind == "c" else ""))
    if not flag and tensor._op is not None:
        raise RuntimeError("requires_grad_: a non-leaf tensor always requires grad; use detach() instead")


# ---------------------------------------------------------------- the card's ops

def binary_operands(op, a, b, error):
    """Re-raise numpy's error for ``op`` on tensors ``a`` and ``b`` with their shapes or dtypes named."""
    if isinstance(error, ValueError) and "broadcast" in str(error):
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together") from None
    if isinstance(error, TypeError):  # numpy refuses the dtypes, e.g. bool - bool
        raise TypeError(f"{op}: not supported for dtypes {a.dtype} and {b.dtype} ({error})") from None
    raise error


def no_complex_gradient(result):
    """A complex result in the graph (x * 1j) would get its gradient cast to real silently: refuse it.

    Only an operand can bring complex values in (real inputs give real results), so the binary
    ops and matmul check their results, not every op.
    """
    if result.requires_grad and result.data.dtype.kind == "c":
        raise TypeError(f"{result._op.name}: the result is complex ({result.dtype}) and an input requires grad; "
                        "gradients of complex values are not supported")


def matmul_shapes(a_shape, b_shape):
    """Raise unless ``a @ b`` is defined: at least 1-D each, inner dimensions equal."""
    if not a_shape or not b_shape:
        raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {a_shape} and {b_shape}")
    inner_a, inner_b = a_shape[-1], b_shape[-2 if len(b_shape) > 1 else 0]
    if inner_a != inner_b:
        raise ValueError(f"matmul: shapes {a_shape} and {b_shape} do not align ({inner_a} != {inner_b})")


def cross_entropy_targets(logits, target):
    """(None, probability rows) for float targets shaped like the logits, else (int64 labels, None).

    The op keeps a copy of the rows and only positions computed from the labels, so changing the
    caller's array before backward cannot change the gradient.
    """
    if logits.ndim not in (1, 2):
        raise ValueError(f"softmax_cross_entropy: logits must be (n, K) or (K,), got shape {logits.shape}")
    target = np.asarray(target)
    num_classes = logits.shape[-1]
    if num_classes == 0:
        raise ValueError(f"softmax_cross_entropy: logits of shape {logits.shape} have no classes (K = 0)")
    if target.shape == logits.shape and target.dtype.kind == "f":
        return None, target.astype(logits.dtype if logits.dtype.kind in "fc" else np.float32)
    label_shape = logits.shape[:-1]
    if target.shape != label_shape:
        what = f"{target.size} labels for {label_shape[0]} rows" if target.ndim == 1 and logits.ndim == 2 else \
            f"target of shape {target.shape}"
        raise ValueError(f"softmax_cross_entropy: {what} of logits with shape {logits.shape}; expected int labels "
                         f"of shape {label_shape} or probability rows of shape {logits.shape}")
    return integer_labels(target, num_classes), None


def integer_labels(target, num_classes):
    """Labels as an int64 array, one per row; out-of-range labels are reported as the caller gave them."""
    if target.dtype.kind not in "iuf":
        raise TypeError(f"softmax_cross_entropy: class labels must be integers, got dtype {target.dtype}")
    if target.dtype.kind == "f":
        if not np.all(np.isfinite(target)) or np.any(target != np.round(target)):
            raise ValueError(f"softmax_cross_entropy: class labels must be whole numbers, got {target.flat[:5]}")
        if target.size and (target.min() < 0 or target.max() >= num_classes):  # before int64 could wrap 1e20
            label_out_of_range(target, num_classes)
    labels = target.reshape(-1).astype(np.int64, copy=False)  # the op keeps only picks made from it, not it
    # Seen as unsigned, a negative label is huge: one max finds labels below 0 and above K - 1 alike.
    if labels.size and np.maximum.reduce(labels.view(np.uint64)) >= num_classes:
        label_out_of_range(target, num_classes)
    return labels


def label_out_of_range(target, num_classes, op="softmax_cross_entropy"):
    """Raise for the first label outside 0..K-1, reported as the caller gave it (before any cast to int64)."""
    bad = (target < 0) | (target >= num_classes)
    raise ValueError(f"{op}: label {target[bad].flat[0].item()!r} is out of range for "
                     f"{num_classes} classes (labels must be in 0..{num_classes - 1})")


# ---------------------------------------------------------------- backward

def seed_gradient(tensor, grad):
    """The array backward starts from: ones for a one-element output, else ``grad`` checked and copied."""
    if not tensor.requires_grad:
        raise RuntimeError("backward: this tensor does not require grad and has no grad_fn "
                           "(create the leaves with requires_grad=True)")
    if grad is None:
        if tensor.data.size != 1:
            raise RuntimeError(f"backward: grad can be implicitly created only for scalar outputs; "
                               f"this tensor has shape {tensor.shape}, so pass grad= of that shape")
        if tensor.data.ndim == 0:  # a loss: np.array is ~1 µs faster than np.ones, which is Python code
            return np.array(1, dtype=tensor.data.dtype)  # d(self)/d(self) = 1
        return np.ones(tensor.data.shape, dtype=tensor.data.dtype)
    seed = grad  # a Tensor's array, unwrapped by the caller
    if not isinstance(seed, (np.ndarray, np.generic, int, float, list, tuple)) or isinstance(seed, bool) \
            or np.asarray(seed).dtype.kind not in "biuf":
        raise TypeError(f"backward: grad must be a real array or Tensor of shape {tensor.shape}, "
                        f"got {type(grad).__name__} {short(grad)}")
    seed = np.array(seed, dtype=tensor.dtype)  # a copy: backward may add into it
    if seed.shape != tensor.shape:
        raise ValueError(f"backward: grad of shape {seed.shape} does not match the tensor's shape {tensor.shape}")
    return seed


def check_grad_slot(leaf):
    """Raise unless a hand-set ``.grad`` is a writable float array of the leaf's shape (backward adds into it)."""
    grad = leaf.grad
    if type(grad) is not np.ndarray or grad.shape != leaf.shape or grad.dtype.kind != "f" \
            or not grad.flags.writeable:
        what = f"a {type(grad).__name__}" if type(grad) is not np.ndarray else \
            f"an array of shape {grad.shape} and dtype {grad.dtype}" + ("" if grad.flags.writeable else ", read-only")
        raise RuntimeError(f"backward: the .grad of {leaf.name or 'a leaf'} (shape {leaf.shape}, dtype {leaf.dtype}) "
                           f"was set to {what}; set it to None or to a writable float array of shape "
                           f"{leaf.shape} before backward adds into it")
