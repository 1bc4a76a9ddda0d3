"""The array tricks behind a few ops and the backward walk, each behind a name. Skip on a first reading.

Each one gives the numbers the plain formula gives; its docstring says which ``make bench`` row
(benchmarks/results/latest.md) it is there for.
"""

import numpy as np


def dot(x, y):
    """x @ y for 2-D arrays.

    With inner dimension 1 (one example: Xᵀ G is (d×1)(1×K)) numpy's matmul skips BLAS and loops
    in C, about 5x slower than np.dot, which gives the same numbers. Row: "784-128-10 relu net,
    batch 1" (122 µs vs 24 µs for a 784×1 by 1×128 product).
    """
    return np.dot(x, y) if x.shape[1] == 1 else x @ y


# z - max for logits near the float limit (float32 ±3e38) overflows to -inf, whose exp is rightly 0:
# no warning. Decorating (not a `with` block per call) halves errstate's cost, and stays per thread.
_subtract_quietly = np.errstate(over="ignore")(np.subtract)


def softmax_parts(z):
    """(z - max z, softmax(z), log Σ_k e^(z_k - max z)) for (n, K) logits, with one pass of exp.

    Subtracting each row's max keeps exp from overflowing (log-sum-exp). The ufuncs' own reduce and
    ``out=`` save a temporary n × K array and a few µs a call. Row: "softmax regression, batch 1".
    """
    shifted = _subtract_quietly(z, np.maximum.reduce(z, axis=1, keepdims=True))
    probs = np.exp(shifted)
    total = np.add.reduce(probs, axis=1, keepdims=True)
    probs = np.divide(probs, total, out=probs)
    return shifted, probs, np.log(total.reshape(len(z)))


def sum_over(values, axes=None, keepdims=False):
    """``values.sum(axis=axes, keepdims=keepdims)`` (all entries for axes=None), a numpy scalar or array.

    ``np.add.reduce`` skips the Python wrapper ndarray.sum goes through: ~0.4 µs a call, paid by
    every bias gradient and every mean loss. Rows: "softmax regression, batch 1" and "batch 32".
    """
    return np.add.reduce(values, axis=axes, keepdims=keepdims)


def onehot_positions(labels, classes):
    """Flat indices of the ones of onehot(y) in an n × K array: row i, column y_i.

    The ones are all the one-hot matrix holds, so keeping their n positions (not n × K zeros and
    ones, and never a K × K identity) keeps the cost n·K. Row: "softmax regression, batch 256".
    """
    return np.arange(0, len(labels) * classes, classes) + labels


def softmax_minus_onehot(probs, positions, scale):
    """(probs - onehot(y)) · scale, with onehot(y) given by ``onehot_positions``; ``scale`` a number or (n, 1).

    Scales every entry, then takes ``scale`` off at the n label positions: no n × K one-hot array is
    made, one pass over n × K instead of three. Row: "softmax regression, batch 1" (~1 µs a step).
    """
    if not isinstance(probs, np.ndarray):  # Tensors, under create_graph (higher_order.py): the plain formula
        onehot = np.zeros(probs.shape, dtype=probs.dtype)
        onehot.put(positions, 1)
        return (probs - onehot) * scale
    delta = probs * scale
    at_labels = scale if type(scale) is float else scale[:, 0]
    delta.put(positions, delta.take(positions) - at_labels)
    return delta


def number(g):
    """A one-element gradient as a Python float (cheaper to scale by); a Tensor (create_graph) stays one, 0-d,
    if it requires grad (a constant seed needs no recorded steps). Row: second_order.py "hvp"."""
    if isinstance(g, (np.ndarray, np.generic)):
        return g.item()
    return g.reshape(()) if g.requires_grad else g.data.item()


def accumulate(grads, owned, parents, input_grads, g, may_own):
    """Hand each of an op's inputs its gradient: ``grads[id(input)]`` is dL/d(input) summed so far.

    The trick: an array that the walk made and nothing else holds is *owned* (its key is in
    ``owned``); a second gradient arriving at that node is added into it in place (no new array),
    and a leaf keeps it as its ``.grad`` without a copy. Not owned: a gradient passed straight
    through (add), a view (reshape, transpose, broadcast_to), or one array handed to two inputs.
    ``g`` is the gradient the op received; ``may_own`` is False with retain_graph (the arrays may
    be needed again). Rows: "backward per node" and "784-128-10 relu net, batch 32".
    """
    for parent, parent_grad in zip(parents, input_grads):
        if parent_grad is None or not parent.requires_grad:
            continue
        key = id(parent)
        if key not in grads:
            grads[key] = parent_grad
            if may_own and parent._op is None and _is_fresh(parent_grad, g, input_grads):
                owned.add(key)
        elif key in owned and grads[key].dtype == parent_grad.dtype and grads[key].shape == parent_grad.shape:
            grads[key] += parent_grad  # a second path into the same node: add in place
        else:
            grads[key] = grads[key] + parent_grad
            owned.add(key)


def _is_fresh(parent_grad, g, input_grads):
    """True if an op's backward made ``parent_grad`` as a new array, just for this one input."""
    if parent_grad is g or parent_grad.base is not None or not parent_grad.flags.writeable:
        return False
    return sum(other is parent_grad for other in input_grads) == 1
