"""Convolution and pooling layers with PyTorch's constructor arguments, parameter names and initialisation.

Each layer calls the engine's function of the same name (``tinygrad_sm.autograd.conv2d``, ...), whose op
keeps its closed-form backward (docs/convolutions.md). Weights are (out, in / groups, kh, kw) as PyTorch,
(in, out / groups, kh, kw) for ConvTranspose2d, so ``state_dict`` keys and shapes match PyTorch's.

Initialisation, as PyTorch: weight ~ kaiming_uniform(a = √5), which is U(-1/√fan_in, 1/√fan_in), and
bias ~ U(-1/√fan_in, 1/√fan_in), with fan_in = weight.shape[1]·kh·kw (in / groups·kh·kw for a conv;
PyTorch's ConvTranspose2d reads the same axis, out / groups). ``rng``: a numpy Generator, a seed, or
None (the global generator of ``manual_seed``).
"""

import math

import numpy as np

from ..autograd import (Tensor, adaptive_avg_pool2d, avg_pool2d, checks, conv1d, conv2d, conv_checks,
                        conv_transpose2d, max_pool2d)
from .module import Module, positive_int, same_dtype

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What Conv1d, Conv2d and ConvTranspose2d share: the checks, the parameters and their initialisation."""

    op = "Conv2d"
    dims = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", rng=None, dtype=np.float32):
        name, dims = self.op, self.dims
        self.in_channels = positive_int(name, "in_channels", in_channels)
        self.out_channels = positive_int(name, "out_channels", out_channels)
        self.groups = positive_int(name, "groups", groups)
        for what, channels in (("in_channels", self.in_channels), ("out_channels", self.out_channels)):
            if channels % self.groups:
                raise ValueError(f"{name}: {what} ({channels}) must be divisible by groups ({self.groups})")
        self.kernel_size = conv_checks.sizes(kernel_size, name, "kernel_size", 1, dims)
        self.stride = conv_checks.sizes(stride, name, "stride", 1, dims)
        self.dilation = conv_checks.sizes(dilation, name, "dilation", 1, dims)
        self.padding = self._padding(padding)
        self.padding_mode = _padding_mode(name, padding_mode)
        in_axis, out_axis = (self.out_channels, self.in_channels) if self.transposed else \
            (self.in_channels, self.out_channels)
        shape = (out_axis, in_axis // self.groups) + self.kernel_size
        rng = checks.make_rng(rng, name)
        bound = 1 / math.sqrt(shape[1] * math.prod(self.kernel_size))  # kaiming_uniform(a=√5): √(1/3)·√(3/fan_in)
        self.weight = Tensor(rng.uniform(-bound, bound, shape).astype(dtype), requires_grad=True, name="W")
        self.bias = None
        if bias:
            values = rng.uniform(-bound, bound, self.out_channels).astype(dtype)
            self.bias = Tensor(values, requires_grad=True, name="b")

    def _padding(self, padding):
        if isinstance(padding, str):
            conv_checks.conv_padding(self.op, padding, self.kernel_size, self.stride, self.dilation)
            return padding
        return conv_checks.sizes(padding, self.op, "padding", 0, self.dims)

    def forward(self, x):
        same_dtype(self, x, self.weight)
        return self.function(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self.dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if getattr(self, "output_padding", (0,) * self.dims) != (0,) * self.dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


def _padding_mode(owner, mode):
    if mode not in PADDING_MODES:
        raise ValueError(f"{owner}: padding_mode must be one of {PADDING_MODES}, got {mode!r}")
    if mode != "zeros":
        raise NotImplementedError(f"{owner}: padding_mode={mode!r} is not implemented; only 'zeros' is")
    return mode


class Conv2d(_ConvNd):
    """out = W ⋆ x + b, a cross-correlation over (N, C, H, W) images (``tinygrad_sm.autograd.conv2d``)."""

    function = staticmethod(conv2d)


class Conv1d(_ConvNd):
    """out = W ⋆ x + b along one axis of (N, C, L) sequences (``tinygrad_sm.autograd.conv1d``)."""

    op, dims, function = "Conv1d", 1, staticmethod(conv1d)


class ConvTranspose2d(_ConvNd):
    """The adjoint of Conv2d in its input: each pixel spreads W times its value over a kh × kw patch.

    weight (in, out / groups, kh, kw), as PyTorch. ``forward(x, output_size=None)``: a wanted output size
    (H, W) picks the output_padding, as PyTorch's.
    """

    op, transposed = "ConvTranspose2d", True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", rng=None, dtype=np.float32):
        if isinstance(padding, str):
            raise ValueError(f"ConvTranspose2d: padding must be an int or 2 ints, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, rng, dtype)
        self.output_padding = conv_checks.sizes(output_padding, self.op, "output_padding", 0)

    def forward(self, x, output_size=None):
        same_dtype(self, x, self.weight)
        extra = self.output_padding if output_size is None else self._output_padding_for(x, output_size)
        return conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, extra, self.groups,
                                self.dilation)

    def _output_padding_for(self, x, output_size):
        """The output_padding that gives ``output_size`` (its last two entries), or a ValueError."""
        wanted = tuple(output_size)[-2:]
        smallest = tuple((n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in
                         zip(x.shape[-2:], self.stride, self.padding, self.dilation, self.kernel_size))
        extra = tuple(w - n for w, n in zip(wanted, smallest))
        if len(wanted) != 2 or any(not 0 <= e < max(s, d) for e, s, d in zip(extra, self.stride, self.dilation)):
            raise ValueError(f"ConvTranspose2d: requested output_size {tuple(output_size)} is not reachable from "
                             f"input {x.shape}: each size must be between {smallest} and that plus "
                             f"max(stride, dilation) - 1")
        return extra


class MaxPool2d(Module):
    """The max of each kernel_size window (``tinygrad_sm.autograd.max_pool2d``); stride defaults to kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        self.kernel_size, self.padding, self.dilation = kernel_size, padding, dilation
        self.stride = kernel_size if stride is None else stride
        self.return_indices, self.ceil_mode = bool(return_indices), ceil_mode
        conv_checks.sizes(kernel_size, "MaxPool2d", "kernel_size", 1)
        conv_checks.sizes(self.stride, "MaxPool2d", "stride", 1)

    def forward(self, x):
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """The mean of each kernel_size window (``tinygrad_sm.autograd.avg_pool2d``); stride defaults to kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override
        conv_checks.sizes(kernel_size, "AvgPool2d", "kernel_size", 1)
        conv_checks.sizes(self.stride, "AvgPool2d", "stride", 1)

    def forward(self, x):
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """The mean over output_size adaptive windows; ``AdaptiveAvgPool2d(1)`` is global average pooling."""

    def __init__(self, output_size):
        self.output_size = output_size

    def forward(self, x):
        return adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
