"""Pictures of the graph, the backward pass step by step, and the explorer page.

``draw_graph(loss)`` / ``to_dot(loss)``: the graph with every value, gradient and backward rule
(``dot.py``, the only module that imports graphviz). ``trace_backward(loss)`` and
``backward_walk(loss)``: the backward pass step by step (``replay.py``, on the engine's own
walk). ``to_html(loss)`` / ``explore(loss)``: the explorer page, stepping through both passes
in a browser (``explorer.py``; needs no Graphviz). The text helpers (``glance``, the trace
printed by ``loss.backward(trace=True)``) live in the engine, ``tinygrad_sm.autograd.trace``.

Drawing after a plain ``loss.backward()`` shows the whole graph; the values backward freed are
marked, with a note saying how to keep them.
"""

from ..autograd import trace
from .dot import (COLORS, INSTALL_HINT, Graph, GraphvizNotFound, draw_backward_steps, draw_graph, to_dot)
from .explorer import Explorer, explore, explorer_data, to_html
from .graph import FREED_NOTE, check_root, edge_symbol, retain_grads, tensor_kind
from .replay import BackwardWalk, GraphFreed, backward_walk, trace_backward

# the text helpers, written once in the engine's trace module
FULL = trace.FULL
BackwardTrace, BackwardSteps, format_step = trace.BackwardTrace, trace.BackwardSteps, trace.format_step
glance, glance_lines, shape_text = trace.glance, trace.glance_lines, trace.shape_text
forward_order, node_labels, given_names = trace.forward_order, trace.node_labels, trace.given_names
rule_with_names = trace.rule_with_names

__all__ = ["draw_graph", "to_dot", "draw_backward_steps", "Graph", "GraphvizNotFound", "INSTALL_HINT", "COLORS",
           "to_html", "explore", "explorer_data", "Explorer",
           "trace_backward", "backward_walk", "BackwardWalk", "GraphFreed",
           "retain_grads", "check_root", "tensor_kind", "edge_symbol", "FREED_NOTE",
           "BackwardTrace", "BackwardSteps", "format_step", "glance", "glance_lines", "shape_text", "FULL",
           "forward_order", "node_labels", "given_names", "rule_with_names"]
