"""Convolution and pooling ops, each forward beside its closed-form backward. Skip on a first reading.

Layout as PyTorch: images (N, C, H, W), conv weights (out, in / groups, kh, kw). The argument
checks and the window geometry (``Window``) are in ``conv_checks.py``; the Tensor-level functions
(``conv2d``, ``max_pool2d``, ...) in ``conv_functions.py``. docs/convolutions.md derives every rule.

Everything rests on two linear maps, each the other's adjoint:

- ``unfold`` (im2col): copy each kh × kw window of X into one column, (N, C, H, W) → (N, C·kh·kw, L),
  L = Ho·Wo windows. A convolution is then one matmul: out = W unfold(X).
- ``fold`` (col2im): add each column back onto the pixels it came from. A pixel in several windows
  gets the sum, which is why fold is the backward of unfold, and unfold the backward of fold.

Under ``backward(create_graph=True)`` G is a Tensor, and ``unfold_columns`` / ``fold_columns`` record
the Unfold / Fold ops on it, so each rule below runs on Tensors unchanged and is recorded as a graph
(docs/second-order.md): every op here can be differentiated again.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .higher_order import scatter_add
from .ops import Op


# ---------------------------------------------------------------- the two array maps

def pad_image(x, padding, value=0.0):
    """X with ``padding`` = ((top, bottom), (left, right)) rows and columns of ``value`` around each image."""
    if not any(padding[0]) and not any(padding[1]):
        return x
    return np.pad(x, ((0, 0), (0, 0), *padding), constant_values=value)


def window_views(padded, win):
    """The (N, C, Ho, Wo, kh, kw) view of each window of a padded image: no copy (stride tricks)."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = win.kernel, win.stride, win.dilation, win.out_size
    views = sliding_window_view(padded, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3))
    return views[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :ho, :wo]


def offset_view(padded, win, i, j):
    """The (N, C, Ho, Wo) view of the pixel at kernel offset (i, j) of every window."""
    (sh, sw), (dh, dw), (ho, wo) = win.stride, win.dilation, win.out_size
    return padded[:, :, i * dh: i * dh + sh * (ho - 1) + 1: sh, j * dw: j * dw + sw * (wo - 1) + 1: sw]


def im2col(x, win):
    """unfold on arrays: (N, C, H, W) → (N, C·kh·kw, Ho·Wo), each window one column (one copy)."""
    n, c = x.shape[:2]
    views = window_views(pad_image(x, win.padding), win)
    columns = (n, c * win.kernel[0] * win.kernel[1], views.shape[2] * views.shape[3])
    return views.transpose(0, 1, 4, 5, 2, 3).reshape(columns)


def col2im(cols, win, channels):
    """fold on arrays: each column added back onto its window's pixels; a loop over the kh·kw offsets only."""
    n = cols.shape[0]
    (kh, kw), (ho, wo), (h, w) = win.kernel, win.out_size, win.in_size
    (top, bottom), (left, right) = win.padding
    cols = cols.reshape(n, channels, kh, kw, ho, wo)
    padded = np.zeros((n, channels, h + top + bottom, w + left + right), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            offset_view(padded, win, i, j)[...] += cols[:, :, i, j]
    return padded[:, :, top: top + h, left: left + w]


def unfold_columns(x, win):
    """unfold of an array, or of a Tensor (recording the Unfold op, for create_graph)."""
    if isinstance(x, np.ndarray):
        return im2col(x, win)
    return type(x)._apply(Unfold(), (x,), win)


def fold_columns(cols, win, channels):
    """fold of an array, or of a Tensor (recording the Fold op, for create_graph)."""
    if isinstance(cols, np.ndarray):
        return col2im(cols, win, channels)
    return type(cols)._apply(Fold(), (cols,), win, channels)


def by_group(array, groups, length):
    """(N, groups, rows per group, length): the columns (or channels) of each group as one matrix."""
    return array.reshape((array.shape[0], groups, array.shape[1] // groups, length))


class Unfold(Op):
    name, rule, symbols = "unfold", "dX = fold(G): each column entry added back to the pixel it copied", ("X",)
    __slots__ = ("win", "channels")

    def forward(self, x, win):
        """out[n, (c, i, j), l] = X[n, c, s·hₗ + d·i - p, s·wₗ + d·j - p] (zero outside X)."""
        self.win, self.channels = win, x.shape[1]
        return im2col(x, win)

    def backward(self, g):
        """Each entry of X was copied into every column whose window covers it: its gradient is their sum."""
        return (fold_columns(g, self.win, self.channels),)


class Fold(Op):
    name, rule, symbols = "fold", "dA = unfold(G): each column entry reads the pixel it was added to", ("A",)
    __slots__ = ("win",)

    def forward(self, cols, win, channels):
        """out[n, c, y, x] = Σ over the (window l, offset (i, j)) that land on (y, x) of A[n, (c, i, j), l]."""
        self.win = win
        return col2im(cols, win, channels)

    def backward(self, g):
        """Each column entry was added to one pixel: its gradient is G at that pixel."""
        return (unfold_columns(g, self.win),)


# ---------------------------------------------------------------- convolutions

def transposed_conv(g, w, win, groups):
    """fold(Wᵀ G), the transposed convolution: conv2d's dX and conv_transpose2d's forward, for arrays or Tensors.

    G (N, O, Ho, Wo) and W (O, C / groups, kh, kw) give (N, C, H, W): each window's G times W added onto
    the window's pixels. On arrays it never forms Wᵀ G, (N, C·kh·kw, Ho·Wo): one matmul per kernel
    offset, added in place, gives the same sums in 1/(kh·kw) of the memory and, at (100, 8, 32, 32)
    with a 3 × 3 kernel, 8 → 16 channels, in 6 ms instead of 17 (one thread). On Tensors (create_graph)
    it is the formula itself, fold(Wᵀ G), recorded as MatMul and Fold.
    """
    n, out_channels = g.shape[:2]
    g_by_group = g.reshape((n, groups, out_channels // groups, g.shape[2] * g.shape[3]))
    channels = w.shape[1] * groups
    if not (isinstance(g, np.ndarray) and isinstance(w, np.ndarray)):
        w_by_group = w.reshape((groups, out_channels // groups, -1))
        cols = np.swapaxes(w_by_group, -1, -2) @ g_by_group  # (N, groups, C/g·kh·kw, L)
        return fold_columns(cols.reshape((n, groups * cols.shape[2], cols.shape[3])), win, channels)
    (h, width), (top, bottom), (left, right) = win.in_size, *win.padding
    padded = np.zeros((n, channels, h + top + bottom, width + left + right), dtype=np.result_type(g, w))
    for i, j in np.ndindex(*win.kernel):
        w_ij = np.swapaxes(w[:, :, i, j].reshape(groups, out_channels // groups, -1), -1, -2)  # (groups, C/g, O/g)
        offset_view(padded, win, i, j)[...] += (w_ij @ g_by_group).reshape((n, channels) + win.out_size)
    return padded[:, :, top: top + h, left: left + width]


# conv2d's cost per image grew with the batch: 165 µs at batch 100, 200 µs at 200 (8 → 8 channels, 32 × 32,
# 3 × 3, one thread), because the batch's columns, (N, C·kh·kw, Ho·Wo), were made, multiplied and kept whole:
# 59 MB at batch 200, past the 32 MB cache and past what malloc reuses, so each call streamed them through
# memory and faulted their pages in afresh. On arrays conv2d now goes through the batch in chunks of at most
# CHUNK_BYTES of columns, each multiplied while in cache; the columns are kept for dW only if all of them fit
# in KEEP_BYTES, else made again chunk by chunk in the backward (at batch 200: 31-33 ms; kept: 43-45).
# 8 MB chunks measured best of 1, 2, 4, 8, 12 and 16 MB.
CHUNK_BYTES = 2 ** 23
KEEP_BYTES = 2 ** 25


def columns_bytes(x, win):
    """The bytes of one image's im2col columns, C·kh·kw · Ho·Wo entries."""
    return x.shape[1] * win.kernel[0] * win.kernel[1] * win.out_size[0] * win.out_size[1] * x.itemsize


def batch_chunks(x, win):
    """Even slices of the batch whose columns take at most CHUNK_BYTES each (at least one image each).

    A batch whose columns take at most twice that stays whole: splitting it cost more than it saved.
    """
    total = columns_bytes(x, win) * x.shape[0]
    count = 1 if total <= 2 * CHUNK_BYTES else -(-total // CHUNK_BYTES)
    step = max(1, -(-x.shape[0] // count))
    return [slice(start, start + step) for start in range(0, x.shape[0] or 1, step)]  # an empty batch: one chunk


def conv_columns(w, cols, groups, out):
    """W unfold(X) of one chunk's columns, written into its ``out`` (N, O, Ho, Wo): one matmul per image and group."""
    n, length = cols.shape[0], cols.shape[-1]
    by_out = out.reshape((n, groups, w.shape[0] // groups, length))
    np.matmul(w.reshape((groups, w.shape[0] // groups, -1)), by_group(cols, groups, length), out=by_out)


def weight_grad(g, cols, w_shape, groups):
    """dW = Σₙ G unfold(X)ᵀ, for G (N, O, Ho, Wo) and the columns of the same images.

    Computed as (Σₙ unfold(X) Gᵀ)ᵀ: the same sums, but BLAS reads the columns row by row, which at
    64 × 64 images (8 channels, 3 × 3) takes half the time of G unfold(X)ᵀ.
    """
    n, length = g.shape[0], cols.shape[-1]
    g_by_group = g.reshape((n, groups, w_shape[0] // groups, length))
    per_image = by_group(cols, groups, length) @ np.swapaxes(g_by_group, -1, -2)  # (N, groups, C/g·kh·kw, O/g)
    return np.swapaxes(per_image.sum(axis=0), -1, -2).reshape(w_shape)


class Conv2d(Op):
    name = "conv2d"
    rule = ("dX = fold(Wᵀ G): G correlated with the flipped kernel, dW = Σₙ G unfold(X)ᵀ, "
            "db = Σ_{n,h,w} G")
    symbols = ("X", "W", "b")
    __slots__ = ("x", "w", "cols", "win", "groups")

    def forward(self, x, w, b=None, *, win, groups):
        """out[n, o] = b_o + Σ_{c,i,j} W[o, c, i, j] X[n, c, s·h + d·i - p, s·w + d·j - p]: W times unfold(X)."""
        self.x, self.w, self.win, self.groups = x, w, win, groups
        out = np.empty((x.shape[0], w.shape[0]) + win.out_size, dtype=np.result_type(x, w))
        keep = columns_bytes(x, win) * x.shape[0] <= KEEP_BYTES
        self.cols = []  # each chunk's columns, or none (see CHUNK_BYTES)
        for chunk in batch_chunks(x, win):
            cols = im2col(x[chunk], win)
            conv_columns(w, cols, groups, out[chunk])
            if keep:
                self.cols.append(cols)
        if b is not None:
            out += b.reshape(-1, 1, 1)
        return out

    def backward(self, g):
        """dX = fold(Wᵀ G) (a transposed convolution), dW = Σₙ G unfold(X)ᵀ, db = Σ_{n,h,w} G."""
        need_x, need_w = self.needs_grad[:2]
        if all(isinstance(a, np.ndarray) for a in (g, self.x, self.w)):
            dx, dw = self.chunked_grads(g, need_x, need_w)
        else:  # Tensors (create_graph): the formulas themselves, recorded as Unfold, MatMul and Fold
            dx = transposed_conv(g, self.w, self.win, self.groups) if need_x else None
            dw = weight_grad(g, unfold_columns(self.x, self.win), self.w.shape, self.groups) if need_w else None
        if len(self.needs_grad) == 2:
            return dx, dw
        return dx, dw, (g.sum(axis=(0, 2, 3)) if self.needs_grad[2] else None)

    def chunked_grads(self, g, need_x, need_w):
        """dX and dW on arrays, a chunk of the batch at a time (see CHUNK_BYTES)."""
        x, w, win, groups = self.x, self.w, self.win, self.groups
        dx_parts, dw_parts = [], []
        for k, chunk in enumerate(batch_chunks(x, win)):
            if need_x:
                dx_parts.append(transposed_conv(g[chunk], w, win, groups))
            if need_w:
                cols = self.cols[k] if self.cols else im2col(x[chunk], win)
                dw_parts.append(weight_grad(g[chunk], cols, w.shape, groups))
        dx = (dx_parts[0] if len(dx_parts) == 1 else np.concatenate(dx_parts)) if need_x else None
        return dx, (sum(dw_parts[1:], dw_parts[0]) if need_w else None)


class Conv1d(Conv2d):
    """conv2d on images one pixel high: conv1d's function reshapes (N, C, L) to (N, C, 1, L) around it."""
    name = "conv1d"


class ConvTranspose2d(Op):
    name = "conv_transpose2d"
    rule = "dX = W unfold(G) (a conv2d of G), dW = Σₙ X unfold(G)ᵀ, db = Σ_{n,h,w} G"
    symbols = ("X", "W", "b")
    __slots__ = ("x", "w", "win", "groups")

    def forward(self, x, w, b=None, *, win, groups):
        """out = fold(Wᵀ X): each input pixel spreads W times its value over a kh × kw patch of out (conv2d's dX)."""
        self.x, self.w, self.win, self.groups = x, w, win, groups
        out = transposed_conv(x, w, win, groups)
        if b is not None:
            out = out + b.reshape(-1, 1, 1)
        return out

    def backward(self, g):
        """dX = W unfold(G), dW = Σₙ X unfold(G)ᵀ, db = Σ_{n,h,w} G: the adjoint of conv2d's dX rule."""
        need_x, need_w = self.needs_grad[:2]
        groups, x, w = self.groups, self.x, self.w
        length = x.shape[2] * x.shape[3]
        g_cols = by_group(unfold_columns(g, self.win), groups, length)
        dx = dw = None
        if need_x:
            dx = (w.reshape((groups, w.shape[0] // groups, -1)) @ g_cols).reshape(x.shape)
        if need_w:
            dw = (by_group(x, groups, length) @ np.swapaxes(g_cols, -1, -2)).sum(axis=0).reshape(w.shape)
        if len(self.needs_grad) == 2:
            return dx, dw
        return dx, dw, (g.sum(axis=(0, 2, 3)) if self.needs_grad[2] else None)


# ---------------------------------------------------------------- pooling

def spread_over_windows(per_offset, win, channels):
    """fold of (N, C, Ho, Wo, kh·kw) values, one per window and offset: each added back to its pixel."""
    moved = np.moveaxis(per_offset, -1, 2)  # (N, C, kh·kw, Ho, Wo)
    if isinstance(moved, np.ndarray):
        return col2im(moved, win, channels)  # a view even of a broadcast array: no kh·kw-fold copy
    n, length = per_offset.shape[0], win.out_size[0] * win.out_size[1]
    return fold_columns(moved.reshape((n, channels * per_offset.shape[-1], length)), win, channels)


def window_maxima(x, win):
    """(max of each window, the offset k = i·kw + j of its first max in row-major order), as PyTorch's scan.

    PyTorch's loop keeps an entry if it is larger than the best so far or NaN: so the first max wins a
    tie, the last NaN wins among NaNs, and padding (-∞ here) never wins over an entry of the image.
    """
    padded = pad_image(x, win.padding, -np.inf)
    views = [offset_view(padded, win, i, j) for i, j in np.ndindex(*win.kernel)]
    best = views[0].copy()
    for view in views[1:]:
        np.maximum(best, view, out=best)  # NaN propagates, as in PyTorch
    argmax = np.zeros(best.shape, dtype=np.int64)
    for k in range(len(views) - 1, -1, -1):  # downwards, so the first offset holding the max is the one left
        np.copyto(argmax, k, where=views[k] == best)
    if any(win.padding[0] + win.padding[1]):  # a window of -∞ only: its first entry inside the image
        first_inside = np.argmax(win.inside_offsets(), axis=0)
        np.copyto(argmax, first_inside, where=best == -np.inf)
    nan = np.isnan(best)
    if nan.any():
        for k, view in enumerate(views):
            np.copyto(argmax, k, where=nan & np.isnan(view))
    return best, argmax


def image_positions(argmax, win):
    """The (row, column) in the unpadded image of each window's chosen offset k = i·kw + j."""
    i, j = np.divmod(argmax, win.kernel[1])
    rows = (win.stride[0] * np.arange(win.out_size[0]))[:, None] + i * win.dilation[0] - win.padding[0][0]
    cols = (win.stride[1] * np.arange(win.out_size[1]))[None, :] + j * win.dilation[1] - win.padding[1][0]
    return rows, cols


class MaxPool2d(Op):
    name, rule, symbols = "max_pool2d", "dX = G routed to the arg-max of each window (the first, on ties)", ("X",)
    __slots__ = ("argmax", "win", "x_shape")

    def forward(self, x, win):
        """out[n, c, h, w] = max of X over window (h, w)."""
        self.win, self.x_shape = win, x.shape
        best, self.argmax = window_maxima(x, win)
        return best

    def backward(self, g):
        """d max / d X[y, x] = 1 for the window's arg-max, 0 elsewhere; an entry that is the max of several
        windows gets the sum of their G."""
        n, c, h, w = self.x_shape
        rows, cols = image_positions(self.argmax, self.win)
        images = np.arange(n * c).reshape(n, c, 1, 1)  # flat positions: np.add.at is far faster on them
        flat = (images * h + rows) * w + cols
        return (scatter_add(g, (n * c * h * w,), flat, g.dtype).reshape(self.x_shape),)


class AvgPool2d(Op):
    name, rule, symbols = "avg_pool2d", "dX = G / (window size), spread evenly over each window", ("X",)
    __slots__ = ("divisor", "win", "channels")
    constants = ("divisor",)  # the window sizes: a function of the shapes only

    def forward(self, x, win, divisor):
        """out[n, c, h, w] = (Σ of X over window (h, w)) / divisor[h, w]."""
        self.win, self.channels, self.divisor = win, x.shape[1], divisor
        padded = pad_image(x, win.padding)
        total = np.zeros(x.shape[:2] + win.out_size, dtype=x.dtype)
        for i, j in np.ndindex(*win.kernel):
            total += offset_view(padded, win, i, j)
        return total / divisor

    def backward(self, g):
        """d out[h, w] / d X[y, x] = 1 / divisor[h, w] for each (y, x) in window (h, w)."""
        kernel_size = self.win.kernel[0] * self.win.kernel[1]
        share = (g / self.divisor).reshape(g.shape + (1,))
        return (spread_over_windows(np.broadcast_to(share, g.shape + (kernel_size,)), self.win, self.channels),)


class AdaptiveAvgPool2d(Op):
    name, rule, symbols = "adaptive_avg_pool2d", "dX = Pₕᵀ G P_w: G / (window size) spread over each window", ("X",)
    __slots__ = ("rows", "cols")
    constants = ("rows", "cols")  # the averaging matrices: functions of the shapes only

    def forward(self, x, rows, cols):
        """out = Pₕ X P_wᵀ: Pₕ[i, y] = 1/|window i| for rows y = ⌊iH/Ho⌋ .. ⌈(i+1)H/Ho⌉ - 1 (P_w likewise)."""
        self.rows, self.cols = rows, cols
        return rows @ x @ cols.T

    def backward(self, g):
        """out is linear in X: dX = Pₕᵀ G P_w."""
        return (self.rows.T @ g @ self.cols,)
