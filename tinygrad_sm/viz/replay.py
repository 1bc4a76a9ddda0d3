"""The backward pass step by step: replayed without touching ``.grad`` (backward_walk), or run and recorded.

``backward_walk(loss)`` gives every gradient the backward pass hands on, op by op in the
engine's order, computed by each op's own backward; the explorer and the pictures of paths
use it. ``trace_backward(loss)`` runs the real backward and returns its recorded steps.
Both need the ops' saved arrays: after a plain ``loss.backward()`` they raise GraphFreed (the
engine's class), saying how to keep the graph.
"""

import numpy as np

from ..autograd import GraphFreed, run_backward, trace
from .graph import check_root


def graph_released(root):
    """True when an earlier backward() freed what some op of ``root``'s graph saved (it cannot run again)."""
    return any(t.op is not None and t.op.released for t in trace.forward_order(root))


def refuse_a_freed_graph(root, function):
    """Raise GraphFreed, saying how to keep the graph, when ``function`` would need to replay a freed one."""
    if graph_released(root):
        raise GraphFreed(f"{function}: an earlier backward() freed the arrays this graph's ops saved, so its "
                         f"backward pass cannot be replayed; call {function} before loss.backward(), or keep "
                         "them with loss.backward(retain_graph=True)")


class BackwardWalk:
    """The backward pass of a graph replayed op by op, in the engine's order; no ``.grad`` is touched.

    ``steps``: (node, G, input_grads) per op node, root first. ``contributions``: {id(t): [(node,
    array), ...]}, every gradient handed to t, in the order it arrives (a tensor reached along two
    paths has two). ``grads``: {id(t): dL/dt}, the sum of its contributions (the seed for the root),
    cast to a leaf's dtype as the engine's ``.grad`` is.
    """

    def __init__(self):
        self.steps, self.contributions, self.grads = [], {}, {}

    def record(self, node, g, input_grads):
        """The engine's on_step callback: keep the step, and add each input's gradient to its sum."""
        self.steps.append((node, g, input_grads))
        for parent, parent_grad in zip(node.op.parents, input_grads):
            if parent_grad is None or not parent.requires_grad:
                continue
            key = id(parent)
            self.contributions.setdefault(key, []).append((node, parent_grad))
            self.grads[key] = parent_grad if key not in self.grads else self.grads[key] + parent_grad


def backward_walk(root, seed=None):
    """Replay the backward pass of ``root`` (seeded with ones unless ``seed`` is given) as a BackwardWalk.

    The engine's own walk runs with ``write_grads=False``, so the numbers are the engine's and no
    ``.grad`` changes; raises GraphFreed when a backward without ``retain_graph=True`` has already
    freed what the ops saved.
    """
    check_root(root, "backward_walk")
    refuse_a_freed_graph(root, "backward_walk")
    walk = BackwardWalk()
    if not root.requires_grad:
        return walk
    seed = np.ones(root.shape, root.dtype) if seed is None else np.asarray(seed, root.dtype)
    walk.grads[id(root)] = seed
    run_backward(root, seed, retain_graph=True, on_step=walk.record, write_grads=False)
    for tensor in trace.forward_order(root):
        if tensor.op is None and id(tensor) in walk.grads:  # a leaf's .grad has the leaf's dtype
            walk.grads[id(tensor)] = walk.grads[id(tensor)].astype(tensor.dtype, copy=False)
    return walk


def trace_backward(loss, echo=True, params=None, retain_graph=False):
    """Run ``loss.backward()`` and return its steps (see BackwardTrace): dicts holding the gradient arrays.

    ``print(steps)`` (or ``echo=True``, the default) shows the text view.
    """
    check_root(loss, "trace_backward")
    refuse_a_freed_graph(loss, "trace_backward")
    recorder = trace.BackwardTrace(echo=echo, params=params)
    loss.backward(trace=recorder, retain_graph=retain_graph)
    return recorder.rows
