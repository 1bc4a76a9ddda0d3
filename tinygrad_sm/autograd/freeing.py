"""What backward frees and what it keeps. Skip on a first reading.

After a backward without ``retain_graph``, a kept output (``losses.append(loss)``) must not keep
every activation of its graph alive, yet ``draw_graph(loss)`` should still show the whole graph,
as PyTorch keeps ``grad_fn.next_functions`` and frees only the saved tensors. So each op's inputs
that hold values nobody needs any more are replaced by a ``FreedTensor``: the same node in the
picture (op, shape, dtype, name), without the array.

Backward visits each node after all its users, so the first user makes the node's stand-in and
the others share it; once visited, the node itself is let go, so an activation no one else holds
is freed during the backward pass, not after it.
"""

import math

SMALL = 64  # a constant of at most this many elements keeps its value for the pictures


class FreedTensor:
    """A tensor's place in the graph after backward freed its value: its op, shape and name, no data."""

    __slots__ = ("_op", "_seq", "shape", "dtype", "name", "requires_grad")
    data = grad = None
    freed = True
    _retains_grad = False

    op = property(lambda self: self._op)
    is_leaf = property(lambda self: self._op is None)
    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: math.prod(self.shape))

    def __repr__(self):
        what = f"grad_fn=<{self._op.name}>" if self._op is not None else "constant"
        return f"FreedTensor(shape={self.shape}, dtype={self.dtype}, {what}; its value was freed by backward)"


def forget_values(op, stand_ins):
    """Replace the op's inputs whose values no one needs any more by FreedTensors (one per tensor).

    Forgotten: every intermediate value (unless retain_grad() kept it) and every constant of more
    than SMALL elements (a batch). Kept: parameters, and constants a picture can print in full.
    """
    op.parents = tuple([p if p.data is None or p._retains_grad or
                        (p._op is None and (p.requires_grad or p.data.size <= SMALL))
                        else stand_ins.get(id(p)) or _stand_in(p, stand_ins) for p in op.parents])


def _stand_in(tensor, stand_ins):
    """The FreedTensor of ``tensor``, made once (field by field: backward makes one per node)."""
    freed = object.__new__(FreedTensor)
    freed._op, freed._seq, freed.name, freed.requires_grad = tensor._op, tensor._seq, tensor.name, tensor.requires_grad
    freed.shape, freed.dtype = tensor.data.shape, tensor.data.dtype
    stand_ins[id(tensor)] = freed
    return freed
