"""What every picture reads off a graph: the root check, each box's kind, edge symbols, and what backward freed.

After a plain ``loss.backward()`` the graph keeps its structure, but each value of more than
64 entries (an activation, a batch) is replaced in its ops' inputs by a ``FreedTensor`` that
keeps only its op, shape, dtype and name (``freed`` is True, ``data`` None), so that a kept loss
pins no activations. The pictures draw such a node like any other and say, in ``FREED_NOTE``,
how to keep the values.
"""

from ..autograd import Tensor, trace

FREED_NOTE = ("The intermediate values were freed by backward(). To keep them, call retain_grads(loss) "
              "before loss.backward(), or use loss.backward(retain_graph=True).")


def check_root(root, function):
    """Raise a TypeError naming ``function`` unless ``root`` is a Tensor (a picture needs a graph to draw)."""
    if not isinstance(root, Tensor):
        raise TypeError(f"{function}: expected a Tensor (the output whose graph to show), "
                        f"got {type(root).__name__} {root!r:.60}")


def value_freed(tensor):
    """True for a stand-in left by backward(): the tensor's structure is known, its value is gone."""
    return tensor.freed


def any_value_freed(order):
    """True when backward() freed the value of some tensor of the graph (``order`` from forward_order)."""
    return any(value_freed(tensor) for tensor in order)


def retain_grads(root):
    """Call retain_grad() on every intermediate tensor of the graph, so a picture after backward shows them all."""
    check_root(root, "retain_grads")
    for tensor in trace.forward_order(root):
        if tensor.op is not None and not value_freed(tensor):
            tensor.retain_grad()
    return root


def tensor_kind(tensor, is_root):
    """Which colour a tensor's box gets: root, value (an op's result), param (a leaf that requires grad) or const."""
    return "root" if is_root else "value" if tensor.op is not None else "param" if tensor.requires_grad else "const"


def edge_symbol(op, position, parent, names):
    """The rule's symbol for ``op``'s input at ``position``, shown on its edge; None when the input has a name."""
    return op.symbols[position] if position < len(op.symbols) and id(parent) not in names else None
