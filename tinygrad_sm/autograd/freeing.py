"""What backward frees and what it keeps. Skip on a first reading.

After a backward without ``retain_graph``, a kept output (``losses.append(loss)``) must not keep
the activations of its graph alive, yet ``draw_graph(loss)`` should still show the whole graph,
as PyTorch keeps ``grad_fn.next_functions`` and frees only the saved tensors. So where an op's
input holds a value nobody needs any more, a ``FreedTensor`` takes its place: the same node in
the picture (op, shape, dtype, name), without the array. One stand-in per tensor, shared by all
the ops that used it, so a diamond stays a diamond.

Values of at most SMALL elements stay: what a kept loss holds then does not grow with the batch
(a few hundred bytes a node, as PyTorch's kept ``grad_fn`` nodes), the pictures of the small
examples a learner draws after backward still show every number, and a long chain of small ops
makes no stand-ins: the "backward per node" rows of ``make bench`` pay only a size check per input.
"""

import math

SMALL = 64  # a value of at most this many elements (512 bytes in float64) stays in the graph


class FreedTensor:
    """A tensor's place in the graph after backward freed its value: its op, shape and name, no data."""

    __slots__ = ("_op", "_seq", "name", "shape", "dtype")
    data = grad = None
    freed = True
    _retains_grad = False

    def __init__(self, tensor):
        self._op, self._seq, self.name, self.shape, self.dtype = \
            tensor._op, tensor._seq, tensor.name, tensor.data.shape, tensor.data.dtype

    op = property(lambda self: self._op)
    is_leaf = property(lambda self: self._op is None)
    requires_grad = property(lambda self: self._op is not None)  # parameters are never forgotten
    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: math.prod(self.shape))

    def __repr__(self):
        what = f"grad_fn=<{self._op.name}>" if self._op is not None else "constant"
        return f"FreedTensor(shape={self.shape}, dtype={self.dtype}, {what}; its value was freed by backward)"


def forget_values(ops):
    """In each op's inputs, put FreedTensors in place of the values no one needs any more.

    Forgotten: values of more than SMALL elements, intermediates and constants (a batch). Kept:
    parameters, what retain_grad() asked for, and small values.
    """
    stand_ins = {}  # one per tensor, shared by every op that used it
    for op in ops:
        if not op.released:  # no gradient reached it, so it can still run: it needs its inputs' values
            continue
        op.parents = tuple([p if p.data is None or p.data.size <= SMALL or p._retains_grad or
                            (p._op is None and p.requires_grad) else
                            stand_ins.get(id(p)) or stand_ins.setdefault(id(p), FreedTensor(p)) for p in op.parents])
