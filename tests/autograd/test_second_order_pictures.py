"""Pictures of a gradient made with create_graph=True: the backward ops stand apart from the forward graph."""

import gc
import sys
import weakref

import numpy as np

from tinygrad_sm import Tensor, autograd
from tinygrad_sm.autograd import higher_order
from tinygrad_sm.viz import COLORS, to_dot


def test_backward_ops_are_marked_and_drawn_in_their_own_colour():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    h = x.exp()
    y = (h * x).sum()
    g, = autograd.grad(y, x, create_graph=True)
    assert not higher_order.recorded_by_backward(h) and not higher_order.recorded_by_backward(y)
    assert higher_order.recorded_by_backward(g) and not higher_order.recorded_by_backward(x)
    source = to_dot(g)
    assert source.count(f'fillcolor="{COLORS["backward op"]}"') == 4  # G⊙x, G⊙h, (G⊙x)⊙h for exp, and their sum
    assert source.count(f'fillcolor="{COLORS["op"]}"') == 1  # the forward exp, whose output the rule reads


def test_the_backward_trace_runs_under_create_graph():
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    steps = []
    (x.tanh() * x).sum().backward(create_graph=True, trace=lambda node, g, grads: steps.append(node.op.name))
    assert steps == ["sum", "mul", "tanh"] and x.grad.requires_grad


def _module_level_sizes():
    """len() of every container held at module level by the engine's modules (after a garbage collection)."""
    gc.collect()
    modules = [m for name, m in sys.modules.items() if name.startswith("tinygrad_sm.autograd")]
    return {f"{m.__name__}.{key}": len(value) for m in modules for key, value in vars(m).items()
            if isinstance(value, (list, dict, set, weakref.WeakSet, weakref.WeakKeyDictionary))}


def test_ten_thousand_create_graph_passes_grow_no_module_level_structure():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    autograd.grad((x * x.exp()).sum(), x, create_graph=True)  # every op class met once (the twins' plans)
    before = _module_level_sizes()
    for _ in range(10_000):
        g, = autograd.grad((x * x.exp()).sum(), x, create_graph=True)
        x.grad = None
        (g * g).sum().backward(create_graph=True)  # .grad accumulation and a third-order graph too
    del g
    x.grad = None
    assert _module_level_sizes() == before
    kept, = autograd.grad((x * x).sum(), x, create_graph=True)  # the marks still work for a gradient alive
    assert higher_order.recorded_by_backward(kept) and not higher_order.recorded_by_backward(x)


def test_a_leafs_grad_accumulated_under_create_graph_is_a_backward_op():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).sum().backward(create_graph=True)
    (x * x).sum().backward(create_graph=True)
    assert x.grad.op.name == "add" and higher_order.recorded_by_backward(x.grad)
    np.testing.assert_allclose(x.grad.data, 4 * x.data)
