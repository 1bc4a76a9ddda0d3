"""READ THIRD. The backward walk: the chain rule applied once to every node of the graph.

``loss.backward()`` seeds dL/dL = 1 at the loss, then visits the nodes newest first, so that a
node's gradient is complete (every path through it has arrived) before its op hands gradients
on to its inputs. A node reached by two paths gets the sum of both: dL/dx = Σ over x's users.
The picture replay and the backward trace run this same walk.
"""

from operator import attrgetter

from .checks import check_grad_slot
from .freeing import SMALL, forget_values
from .grad_mode import set_grad_enabled
from .higher_order import add_tensor_grads, seed_tensor, tensor_backward
from .kernels import accumulate
from .versions import check_saved_arrays_unchanged, latest_change


_newest_first = attrgetter("_seq")


class GraphFreed(RuntimeError):
    """The graph's saved arrays were freed by a backward without ``retain_graph=True``."""


def run_backward(root, seed, *, retain_graph=False, on_step=None, write_grads=True, create_graph=False, into=None):
    """Give every leaf that requires grad its d(root)/d(leaf), added into ``.grad``.

    ``seed`` is dL/d(root). ``on_step(node, G, input_grads)`` is called once per op, root first
    (the trace). Without ``retain_graph`` each op then frees the arrays it saved, and at the end
    the values no one needs are forgotten (``freeing.py``); the structure stays for pictures.
    ``write_grads=False`` replays the walk for a picture: no ``.grad`` is written, nothing freed.
    ``create_graph=True`` runs the same rules on Tensors (higher_order.py), so the gradients are
    Tensors whose backward pass is recorded. ``into``, a dict {id(tensor): None}, receives the
    gradients of those tensors in place of any ``.grad`` (autograd.grad).
    """
    if create_graph:
        with set_grad_enabled(True):  # the rules' Tensor steps are recorded, even in no_grad
            return _walk(root, seed_tensor(root, seed), retain_graph, on_step, write_grads, into, True)
    return _walk(root, seed, retain_graph, on_step, write_grads, into, False)


def _walk(root, seed, retain_graph, on_step, write_grads, into, create_graph):
    free, add_up = write_grads and not retain_graph, add_tensor_grads if create_graph else accumulate
    grads, owned = {id(root): seed}, set()  # dL/d(node) for the nodes reached so far; see accumulate
    order, holding_values = reverse_topological_order(root, check_grads=write_grads and into is None)
    for node in order:
        g = grads.pop(id(node), None)  # complete: every user of the node has been visited
        if g is None:
            continue
        op = node._op
        if into is not None and id(node) in into:  # autograd.grad: collected, no .grad written
            into[id(node)] = g
        elif op is None:  # a leaf: every path has arrived, so its gradient is complete
            if write_grads and into is None:
                node._accumulate(g, id(node) in owned)
            continue
        elif write_grads and node._retains_grad and into is None:
            node._accumulate(g)
        if op is None:
            continue
        input_grads = tensor_backward(node, g) if create_graph else op.backward(g)  # the op's closed form (ops.py)
        if on_step is not None:
            on_step(node, g, input_grads)
        add_up(grads, owned, op.parents, input_grads, g, free)  # dL/d(input) += G · d(node)/d(input)
        if free:
            op.release()  # the arrays it saved for this backward
    if free and on_step is None and holding_values:  # (a trace reads the values after the walk)
        forget_values(holding_values)  # so that a kept loss keeps no activation alive


def reverse_topological_order(root, check_grads=True):
    """Nodes that need a gradient, each after every node that uses it; iterative, so no recursion limit.

    An op's inputs exist before it is made, so a node's number (``_seq``, counted as ops are
    recorded) is larger than its inputs'. Newest first is therefore a valid order; leaves (-1)
    come last. On the way it raises for a freed graph, a changed saved array or a bad hand-set
    ``.grad``, before backward writes anything. It also lists the ops whose inputs hold more than
    a few numbers, for ``forget_values``.
    """
    nodes, seen, stack, holding_values = [], {root}, [root], []  # tensors hash by identity
    latest = latest_change[0]  # ops made after the newest in-place change need no version check
    while stack:
        node = stack.pop()
        nodes.append(node)
        op = node._op
        if op is None:
            if check_grads and node.grad is not None and type(node.grad) is not type(node):  # Tensors: added anew
                check_grad_slot(node)
            continue
        if op.released:
            raise GraphFreed(f"backward: trying to backward through the {op.name} node a second time; its saved "
                             "arrays were freed (pass retain_graph=True to the first backward)")
        if latest > node._seq:  # something changed in place after this op ran
            check_saved_arrays_unchanged(node)
        holds_values = False
        for parent in op.parents:
            holds_values = holds_values or parent.data.size > SMALL
            if parent.requires_grad and parent not in seen:
                seen.add(parent)
                stack.append(parent)
        if holds_values:
            holding_values.append(op)
    nodes.sort(key=_newest_first, reverse=True)
    return nodes, holding_values
