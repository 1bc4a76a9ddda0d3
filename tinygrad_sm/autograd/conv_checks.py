"""The window geometry of the convolution and pooling ops, and their argument checks. Skip on a first reading.

Each check raises before anything is computed, naming the op and the offending shapes or values;
the messages follow PyTorch's where PyTorch has one. Sizes follow PyTorch's formulas:
out = ⌊(in + 2p - d(k - 1) - 1) / s⌋ + 1 (⌈⌉ with ``ceil_mode``).
"""

import numpy as np

from .checks import is_int, whole_number


class Window:
    """Where the windows of an op lie: each field a pair (rows, columns); padding ((top, bottom), (left, right)).

    ``in_size`` is the unpadded image, ``out_size`` the number of window positions (Ho, Wo).
    """

    __slots__ = ("kernel", "stride", "dilation", "padding", "in_size", "out_size")

    def __init__(self, kernel, stride, dilation, padding, in_size, out_size):
        self.kernel, self.stride, self.dilation = tuple(kernel), tuple(stride), tuple(dilation)
        self.padding, self.in_size, self.out_size = tuple(map(tuple, padding)), tuple(in_size), tuple(out_size)

    def __repr__(self):
        return "Window(" + ", ".join(f"{key}={getattr(self, key)}" for key in self.__slots__) + ")"

    def inside_offsets(self):
        """(kh·kw, Ho, Wo) bool: does kernel offset (i, j) of window (h, w) land inside the unpadded image?"""
        rows = [_inside(self, 0, i) for i in range(self.kernel[0])]
        cols = [_inside(self, 1, j) for j in range(self.kernel[1])]
        return np.array([r[:, None] & c[None, :] for r in rows for c in cols])


def _inside(win, axis, offset):
    position = np.arange(win.out_size[axis]) * win.stride[axis] + offset * win.dilation[axis] - win.padding[axis][0]
    return (position >= 0) & (position < win.in_size[axis])


def sizes(value, op, what, low, dims=2):
    """An int or a sequence of ``dims`` ints, each >= ``low``, as a tuple of ``dims`` ints."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    if len(values) != dims:
        raise ValueError(f"{op}: {what} must be an int or {dims} ints, got {value!r}")
    return tuple(whole_number(v, op, what, low) for v in values)


def lift(values, fill):
    """A 1-D geometry as 2-D: images one pixel high (``fill`` for the height axis)."""
    return (fill,) + tuple(values) if len(values) == 1 else tuple(values)


def image_input(op, shape, dims=2):
    """(batched shape, unbatched?) of an input with ``dims`` image axes; no batch axis means one image, as PyTorch."""
    names = {1: "(C, L)", 2: "(C, H, W)"}[dims]
    if len(shape) not in (dims + 1, dims + 2):
        raise ValueError(f"{op}: expected a {dims + 1}-D {names} (unbatched) or {dims + 2}-D (N, {names[1:]} "
                         f"input, got shape {shape}")
    unbatched = len(shape) == dims + 1
    return ((1,) + tuple(shape) if unbatched else tuple(shape)), unbatched


def float_tensors(op, **tensors):
    """The tensors must hold floats of one dtype (PyTorch refuses a float32 input with a float64 weight)."""
    given = {name: t.dtype for name, t in tensors.items() if t is not None}
    for name, dtype in given.items():
        if dtype.kind != "f":
            raise TypeError(f"{op}: {name} must be a float tensor, got dtype {dtype}")
    if len(set(given.values())) > 1:
        raise TypeError(f"{op}: input, weight and bias must have the same dtype, got "
                        + ", ".join(f"{name} {dtype}" for name, dtype in given.items()))


def conv_padding(op, padding, kernel, stride, dilation):
    """((top, bottom), (left, right)) from an int, a pair, "valid" or "same" (left total // 2, the rest right)."""
    dims = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * dims
        if padding != "same":
            raise ValueError(f"{op}: padding must be an int, {dims} ints, 'same' or 'valid', got {padding!r}")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions (stride={stride})")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((total // 2, total - total // 2) for total in totals)
    return tuple((p, p) for p in sizes(padding, op, "padding", 0, dims))


def windows_along(op, size, kernel, stride, dilation, before, after, what="input"):
    """The number of window positions along one axis; an error if the kernel does not fit the padded size."""
    reach = dilation * (kernel - 1) + 1
    if size + before + after < reach:
        raise ValueError(f"{op}: the kernel ({kernel}, dilation {dilation}: reach {reach}) is larger than the padded "
                         f"{what} ({size} + padding {before + after} = {size + before + after})")
    return (size + before + after - reach) // stride + 1


def conv_window(op, x_shape, w_shape, b_shape, stride, padding, dilation, groups, dims=2):
    """The Window of conv1d / conv2d (as 2-D), after checking the shapes against each other."""
    kernel = _weight_and_groups(op, x_shape, w_shape, b_shape, groups, dims, in_axis=1, out_axis=0)
    stride, dilation = sizes(stride, op, "stride", 1, dims), sizes(dilation, op, "dilation", 1, dims)
    pads = conv_padding(op, padding, kernel, stride, dilation)
    spatial = x_shape[2:]
    out = tuple(windows_along(op, n, k, s, d, *p) for n, k, s, d, p in zip(spatial, kernel, stride, dilation, pads))
    return Window(lift(kernel, 1), lift(stride, 1), lift(dilation, 1), lift(pads, (0, 0)), lift(spatial, 1),
                  lift(out, 1))


def _weight_and_groups(op, x_shape, w_shape, b_shape, groups, dims, in_axis, out_axis):
    """The kernel size, after checking the weight's rank, groups, the channels and the bias."""
    names = {1: "kw", 2: "kh, kw"}[dims]
    if len(w_shape) != dims + 2:
        layout = "(out, in / groups, " if out_axis == 0 else "(in, out / groups, "
        raise ValueError(f"{op}: weight must be {dims + 2}-D {layout}{names}), got shape {w_shape}")
    groups = whole_number(groups, op, "groups", 1)
    per_group = w_shape[1]
    x_channels, group_axis_size = x_shape[1], w_shape[0]
    if group_axis_size % groups:
        which = "out_channels" if out_axis == 0 else "in_channels"
        raise ValueError(f"{op}: groups={groups} does not divide {which}={group_axis_size} (weight shape {w_shape})")
    expected = per_group * groups if in_axis == 1 else w_shape[0]
    if x_channels != expected:
        raise ValueError(f"{op}: input of shape {x_shape} has {x_channels} channels, but weight of shape {w_shape} "
                         f"with groups={groups} expects {expected}")
    out_channels = w_shape[0] if out_axis == 0 else w_shape[1] * groups
    if b_shape is not None and tuple(b_shape) != (out_channels,):
        raise ValueError(f"{op}: bias must have shape ({out_channels},) (one per output channel), got {b_shape}")
    if 0 in w_shape[2:]:
        raise ValueError(f"{op}: the kernel cannot be empty, got weight shape {w_shape}")
    return w_shape[2:]


def transpose_window(op, x_shape, w_shape, b_shape, stride, padding, output_padding, groups, dilation):
    """The Window of conv_transpose2d: the conv2d whose dX it is, from the output (in_size) to the input (out_size)."""
    kernel = _weight_and_groups(op, x_shape, w_shape, b_shape, groups, 2, in_axis=0, out_axis=1)
    stride, dilation = sizes(stride, op, "stride", 1), sizes(dilation, op, "dilation", 1)
    pads = sizes(padding, op, "padding", 0)
    extra = sizes(output_padding, op, "output_padding", 0)
    if any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(f"{op}: output_padding {extra} must be smaller than either stride {stride} or "
                         f"dilation {dilation}")
    spatial = x_shape[2:]
    out = tuple((n - 1) * s - 2 * p + d * (k - 1) + e + 1
                for n, s, p, d, k, e in zip(spatial, stride, pads, dilation, kernel, extra))
    if any(o < 1 for o in out):
        raise ValueError(f"{op}: the output size {out} is too small (input {spatial}, kernel {kernel}, "
                         f"stride {stride}, padding {pads})")
    return Window(kernel, stride, dilation, tuple((p, p) for p in pads), out, spatial)


def pool_window(op, x_shape, kernel_size, stride, padding, dilation, ceil_mode):
    """The Window of a 2-D pooling, with PyTorch's output sizes (ceil_mode: a last window must start inside)."""
    kernel = sizes(kernel_size, op, "kernel_size", 1)
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    stride = kernel if no_stride else sizes(stride, op, "stride", 1)
    pads, dilation = sizes(padding, op, "padding", 0), sizes(dilation, op, "dilation", 1)
    if isinstance(ceil_mode, str) or ceil_mode not in (True, False):
        raise TypeError(f"{op}: ceil_mode must be a bool, got {ceil_mode!r}")
    ceil_mode = bool(ceil_mode)
    for k, p, d in zip(kernel, pads, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise ValueError(f"{op}: padding should be at most half of the effective kernel size, got padding={pads}, "
                             f"kernel_size={kernel} and dilation={dilation}")
    out, padding = [], []
    for n, k, s, p, d in zip(x_shape[2:], kernel, stride, pads, dilation):
        reach = d * (k - 1) + 1
        size = (n + 2 * p - reach + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (size - 1) * s >= n + p:
            size -= 1
        if size < 1:
            raise ValueError(f"{op}: input of shape {x_shape} gives output size {size} < 1 along an image axis "
                             f"(kernel_size={kernel}, stride={stride}, padding={pads}, dilation={dilation})")
        out.append(size)
        padding.append((p, max(p, (size - 1) * s + reach - n - p)))  # room for a ceil_mode window
    return Window(kernel, stride, dilation, tuple(padding), tuple(x_shape[2:]), tuple(out))


def avg_divisor(win, count_include_pad, divisor_override, dtype):
    """(Ho, Wo): each window's divisor as PyTorch's avg_pool2d counts it (padding, but not a ceil_mode overhang)."""
    if divisor_override is not None:
        if not is_int(divisor_override) or divisor_override == 0:
            raise ValueError(f"avg_pool2d: divisor_override must be a non-zero int, got {divisor_override!r}")
        return np.full(win.out_size, divisor_override, dtype=dtype)
    counts = []
    for axis in (0, 1):
        pad = win.padding[axis][0]
        start = np.arange(win.out_size[axis]) * win.stride[axis] - pad
        end = np.minimum(start + win.kernel[axis], win.in_size[axis] + pad)
        inside = np.minimum(end, win.in_size[axis]) - np.maximum(start, 0)
        counts.append(end - start if count_include_pad else inside)
    return np.outer(*counts).astype(dtype)


def averaging_matrix(n_in, n_out, dtype):
    """(n_out, n_in): row i averages entries ⌊i·n_in/n_out⌋ .. ⌈(i+1)·n_in/n_out⌉ - 1 (PyTorch's adaptive windows)."""
    i = np.arange(n_out)
    start, end = (i * n_in) // n_out, ((i + 1) * n_in + n_out - 1) // n_out
    inside = (np.arange(n_in) >= start[:, None]) & (np.arange(n_in) < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_size(op, x_shape, output_size):
    """(Ho, Wo) from an int, a pair, or a pair with None (keep that axis' size), as PyTorch."""
    values = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(values) != 2:
        raise ValueError(f"{op}: output_size must be an int or 2 ints, got {output_size!r}")
    out = tuple(n if v is None else whole_number(v, op, "output_size", 1) for v, n in zip(values, x_shape[2:]))
    if 0 in x_shape[1:]:
        raise ValueError(f"{op}: expected an input with non-zero channel and image sizes, got shape {x_shape}")
    return out


def fold_window(op, cols_shape, output_size, kernel_size, dilation, padding, stride):
    """(channels, Window) of fold, after checking that the columns fit ``output_size``."""
    kernel = sizes(kernel_size, op, "kernel_size", 1)
    out_hw = sizes(output_size, op, "output_size", 1)
    stride, dilation = sizes(stride, op, "stride", 1), sizes(dilation, op, "dilation", 1)
    pads = sizes(padding, op, "padding", 0)
    per_column = kernel[0] * kernel[1]
    if cols_shape[1] % per_column:
        raise ValueError(f"{op}: the input's dimension 1 ({cols_shape[1]}, shape {cols_shape}) must be divisible by "
                         f"the product of kernel_size {kernel} ({per_column})")
    blocks = tuple(windows_along(op, n, k, s, d, p, p, "output_size")
                   for n, k, s, d, p in zip(out_hw, kernel, stride, dilation, pads))
    if blocks[0] * blocks[1] != cols_shape[2]:
        raise ValueError(f"{op}: the input has {cols_shape[2]} blocks (shape {cols_shape}), but output_size {out_hw} "
                         f"with kernel_size {kernel}, dilation {dilation}, padding {pads}, stride {stride} gives "
                         f"{blocks[0]} × {blocks[1]} = {blocks[0] * blocks[1]}")
    return cols_shape[1] // per_column, Window(kernel, stride, dilation, tuple((p, p) for p in pads), out_hw, blocks)
