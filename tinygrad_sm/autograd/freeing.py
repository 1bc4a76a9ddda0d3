"""What backward frees and what it keeps. Skip on a first reading.

After a backward without ``retain_graph``, a kept output (``losses.append(loss)``) must not keep
every activation of its graph alive, yet ``draw_graph(loss)`` should still show the whole graph,
as PyTorch keeps ``grad_fn.next_functions`` and frees only the saved tensors. So each op's inputs
that hold values nobody needs any more are replaced by a ``FreedTensor``: the same node in the
picture (op, shape, dtype, name), without the array.
"""

import math

SMALL = 64  # a constant of at most this many elements keeps its value for the pictures


class FreedTensor:
    """A tensor's place in the graph after backward freed its value: its op, shape and name, no data."""

    __slots__ = ("_op", "_seq", "shape", "dtype", "name", "requires_grad")
    data = grad = None
    freed = True
    _retains_grad = False

    def __init__(self, tensor):
        self._op, self._seq, self.name, self.requires_grad = tensor._op, tensor._seq, tensor.name, tensor.requires_grad
        self.shape, self.dtype = tensor.data.shape, tensor.data.dtype

    op = property(lambda self: self._op)
    is_leaf = property(lambda self: self._op is None)
    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: math.prod(self.shape))

    def __repr__(self):
        what = f"grad_fn=<{self._op.name}>" if self._op is not None else "constant"
        return f"FreedTensor(shape={self.shape}, dtype={self.dtype}, {what}; its value was freed by backward)"


def forget_values(op, stand_ins):
    """Replace the op's inputs that hold values no one needs by FreedTensors (one per tensor)."""
    op.parents = tuple([_stand_in(p, stand_ins) if _forgettable(p) else p for p in op.parents])


def _forgettable(tensor):
    """Intermediate values, and constants too big to print; not parameters, nor what retain_grad() keeps."""
    if tensor._op is not None:
        return not tensor._retains_grad and tensor.data is not None
    return not tensor.requires_grad and tensor.data is not None and tensor.data.size > SMALL


def _stand_in(tensor, stand_ins):
    key = id(tensor)
    if key not in stand_ins:
        stand_ins[key] = FreedTensor(tensor)
    return stand_ins[key]
