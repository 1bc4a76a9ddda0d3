"""Convolution and pooling on Tensors, with PyTorch's signatures (``torch.nn.functional``'s names).

Each function checks its arguments (``conv_checks.py``: a clear error before anything is computed),
works out the window geometry, and records one op of ``conv_ops.py``. An input without a batch axis
((C, H, W) for the 2-D ops, (C, L) for conv1d) is one image, as in PyTorch: the result has no batch
axis either (a reshape on each side of the op).
"""

from . import conv_ops
from .conv_checks import (adaptive_size, averaging_matrix, avg_divisor, conv_window, float_tensors, fold_window,
                          image_input, pool_window, sizes, transpose_window)
from .tensor import Tensor


def _tensor(value):
    return value if isinstance(value, Tensor) else Tensor(value)


def _batched(op, input, dims=2):
    """(the input as a batch, whether it was one unbatched image)."""
    shape, unbatched = image_input(op, input.shape, dims)
    return (input.reshape(shape) if unbatched else input), unbatched


def _unbatched(out, unbatched):
    return out.reshape(out.shape[1:]) if unbatched else out


def _parameters(input, weight, bias):
    """The tensors an op takes, bias last if there is one."""
    return (input, weight) if bias is None else (input, weight, bias)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """out[n, o] = b_o + Σ_{c,i,j} W[o, c, i, j] X[n, c, s·h + d·i - p, s·w + d·j - p], a cross-correlation as PyTorch's.

    input (N, C, H, W) or (C, H, W); weight (out, C / groups, kh, kw); bias (out,) or None. ``padding``:
    an int, a pair, "valid" (none) or "same" (output size = input size; stride 1 only; an even kernel
    pads total // 2 before and the rest after, as PyTorch).
    """
    input, weight, bias = _tensor(input), _tensor(weight), (None if bias is None else _tensor(bias))
    x, unbatched = _batched("conv2d", input)
    win = conv_window("conv2d", x.shape, weight.shape, None if bias is None else bias.shape,
                      stride, padding, dilation, groups)
    float_tensors("conv2d", input=x, weight=weight, bias=bias)
    out = Tensor._apply(conv_ops.Conv2d(), _parameters(x, weight, bias), win=win, groups=groups)
    return _unbatched(out, unbatched)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv2d along one axis: input (N, C, L) or (C, L), weight (out, C / groups, k); conv2d of images 1 pixel high."""
    input, weight, bias = _tensor(input), _tensor(weight), (None if bias is None else _tensor(bias))
    x, unbatched = _batched("conv1d", input, dims=1)
    win = conv_window("conv1d", x.shape, weight.shape, None if bias is None else bias.shape,
                      stride, padding, dilation, groups, dims=1)
    float_tensors("conv1d", input=x, weight=weight, bias=bias)
    images = x.reshape(x.shape[:2] + (1, x.shape[2]))
    kernels = weight.reshape(weight.shape[:2] + (1, weight.shape[2]))
    out = Tensor._apply(conv_ops.Conv1d(), _parameters(images, kernels, bias), win=win, groups=groups)
    return _unbatched(out.reshape(out.shape[:2] + (out.shape[3],)), unbatched)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of conv2d in X (its dX): input (N, C, H, W) or (C, H, W), weight (C, out / groups, kh, kw).

    Output size (H - 1)·s - 2p + d(kh - 1) + output_padding + 1 (and likewise for W), as PyTorch.
    """
    input, weight, bias = _tensor(input), _tensor(weight), (None if bias is None else _tensor(bias))
    x, unbatched = _batched("conv_transpose2d", input)
    win = transpose_window("conv_transpose2d", x.shape, weight.shape, None if bias is None else bias.shape,
                           stride, padding, output_padding, groups, dilation)
    float_tensors("conv_transpose2d", input=x, weight=weight, bias=bias)
    out = Tensor._apply(conv_ops.ConvTranspose2d(), _parameters(x, weight, bias), win=win, groups=groups)
    return _unbatched(out, unbatched)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """out[n, c, h, w] = the max of each window (stride defaults to kernel_size; padding counts as -∞).

    ``return_indices=True`` also returns, as PyTorch, each max's flat index h·W + w in its (H, W) image.
    """
    input = _tensor(input)
    x, unbatched = _batched("max_pool2d", input)
    win = pool_window("max_pool2d", x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    float_tensors("max_pool2d", input=x)
    op = conv_ops.MaxPool2d()
    out = _unbatched(Tensor._apply(op, (x,), win), unbatched)
    if not return_indices:
        return out
    indices = flat_indices(op.argmax, win)
    return out, Tensor._wrap(indices[0] if unbatched else indices)


def flat_indices(argmax, win):
    """Each window's chosen offset as the flat index y·W + x of that pixel in the unpadded image."""
    rows, cols = conv_ops.image_positions(argmax, win)
    return rows * win.in_size[1] + cols


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """out[n, c, h, w] = the mean of each window (stride defaults to kernel_size), PyTorch's divisor rules."""
    input = _tensor(input)
    x, unbatched = _batched("avg_pool2d", input)
    win = pool_window("avg_pool2d", x.shape, kernel_size, stride, padding, 1, ceil_mode)
    float_tensors("avg_pool2d", input=x)
    divisor = avg_divisor(win, count_include_pad, divisor_override, x.dtype)
    return _unbatched(Tensor._apply(conv_ops.AvgPool2d(), (x,), win, divisor), unbatched)


def adaptive_avg_pool2d(input, output_size):
    """The mean over PyTorch's adaptive windows, rows ⌊iH/Ho⌋ .. ⌈(i+1)H/Ho⌉ - 1; output_size 1 is global pooling."""
    input = _tensor(input)
    x, unbatched = _batched("adaptive_avg_pool2d", input)
    out_h, out_w = adaptive_size("adaptive_avg_pool2d", x.shape, output_size)
    float_tensors("adaptive_avg_pool2d", input=x)
    rows, cols = averaging_matrix(x.shape[2], out_h, x.dtype), averaging_matrix(x.shape[3], out_w, x.dtype)
    return _unbatched(Tensor._apply(conv_ops.AdaptiveAvgPool2d(), (x,), rows, cols), unbatched)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col, as PyTorch's F.unfold: (N, C, H, W) → (N, C·kh·kw, L), each kh × kw window one column.

    Row c·kh·kw + i·kw + j of column l holds X[c, s·h + d·i - p, s·w + d·j - p] of window l = h·Wo + w.
    """
    input = _tensor(input)
    x, unbatched = _batched("unfold", input)
    weight_shape = (1, x.shape[1]) + sizes(kernel_size, "unfold", "kernel_size", 1)
    win = conv_window("unfold", x.shape, weight_shape, None, stride, padding, dilation, 1)
    return _unbatched(Tensor._apply(conv_ops.Unfold(), (x,), win), unbatched)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, as PyTorch's F.fold: (N, C·kh·kw, L) → (N, C, H, W), each column added back onto its window."""
    input = _tensor(input)
    if input.ndim not in (2, 3):
        raise ValueError(f"fold: expected a 2-D (C·kh·kw, L) (unbatched) or 3-D (N, C·kh·kw, L) input, "
                         f"got shape {input.shape}")
    unbatched = input.ndim == 2
    cols = input.reshape((1,) + input.shape) if unbatched else input
    channels, win = fold_window("fold", cols.shape, output_size, kernel_size, dilation, padding, stride)
    return _unbatched(Tensor._apply(conv_ops.Fold(), (cols,), win, channels), unbatched)
