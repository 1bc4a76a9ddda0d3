"""Pictures of a gradient made with create_graph=True: the backward ops stand apart from the forward graph."""

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
