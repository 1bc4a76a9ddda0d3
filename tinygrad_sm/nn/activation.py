"""Activation modules: each applies one elementwise (or per-row) function of the Tensor, with no parameters.

The backward of each is the op's closed-form rule (``ops.py`` and ``more_ops.py`` in the engine).
"""

from .module import Module


class ReLU(Module):
    """relu(z) = max{0, z} elementwise (notes: Classification)."""

    def forward(self, x):
        return x.relu()


class Tanh(Module):
    """tanh(z) elementwise."""

    def forward(self, x):
        return x.tanh()


class Sigmoid(Module):
    """σ(z) = 1 / (1 + e^{-z}) elementwise."""

    def forward(self, x):
        return x.sigmoid()


class LeakyReLU(Module):
    """z for z > 0, slope·z otherwise."""

    def __init__(self, negative_slope=0.01):
        self.negative_slope = negative_slope

    def forward(self, x):
        return x.leaky_relu(self.negative_slope)


class ELU(Module):
    """z for z > 0, α(e^z - 1) otherwise."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        return x.elu(self.alpha)


class GELU(Module):
    """z Φ(z) with the exact normal CDF Φ (PyTorch's default), or its tanh form with ``approximate="tanh"``."""

    def __init__(self, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return x.gelu(approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}" if self.approximate != "none" else ""


class Softplus(Module):
    """log(1 + e^z)."""

    def forward(self, x):
        return x.softplus()


class Softmax(Module):
    """softmax along ``axis``."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        return x.softmax(self.axis)


class LogSoftmax(Module):
    """log softmax along ``axis``."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        return x.log_softmax(self.axis)
