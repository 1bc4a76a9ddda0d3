"""Ops that exist so that PyTorch's spellings give PyTorch's results. Skip on a first reading.

``sign`` is in the graph with gradient 0 (so a loss through it still backpropagates), and
``t[index] = value`` on a tensor in the graph is recorded as the out-of-place op ``SetItem``
(``tensor_more.py`` then writes its result into the tensor's own memory, as every recorded
in-place change does).
"""

import numpy as np

from .ops import Op, unbroadcast


class Sign(Op):
    name, rule, symbols = "sign", "dz = 0 (sign is flat wherever it has a derivative)", ("z",)
    __slots__ = ("shape",)  # what forward keeps for backward

    def forward(self, z):
        self.shape = z.shape
        return np.sign(z)

    def backward(self, g):
        """d sign(z)/dz = 0 away from 0, and PyTorch's 0 at 0 too."""
        return (np.zeros(self.shape, dtype=g.dtype),)


class SetItem(Op):
    name, rule = "setitem", "dA = G with the written places set to 0, dB = G at the written places"
    __slots__ = ("index", "b_shape")  # what forward keeps for backward

    def forward(self, a, b, index):
        self.index, self.b_shape = index, b.shape
        out = a.copy()
        out[index] = b
        return out

    def backward(self, g):
        """The written places come from B, every other place from A; B's values may have been broadcast."""
        need_a, need_b = self.needs_grad
        da = None
        if need_a:
            da = g.copy()
            da[self.index] = 0
        return da, (unbroadcast(np.array(g[self.index]), self.b_shape) if need_b else None)
