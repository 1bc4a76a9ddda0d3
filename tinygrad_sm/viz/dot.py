"""Pictures of the graph with Graphviz: the whole graph, and one picture per backward step.

``draw_graph(loss)`` draws every tensor the loss depends on (its name, shape, dtype, its value
and its gradient: in full up to 6 × 6, else first entries, norm, min and max) and every op (its
name and the backward rule it applies, written with the picture's own names, e.g. ``matmul:
dX = G Wᵀ, dW = Xᵀ G``); a gradient that arrives along two paths shows both and their sum.
``draw_backward_steps(loss, folder)`` writes one picture per backward step, all laid out alike.

Only this module imports ``graphviz``; ``import tinygrad_sm`` does not. Drawing builds the DOT
text in Python (no ``dot`` program needed); rendering to SVG / PNG / PDF needs Graphviz's
``dot``, and says how to install it when it is missing. Every graph walk is iterative, so
graphs deeper than Python's recursion limit draw fine.
"""

from collections import deque
from pathlib import Path

import graphviz
import numpy as np

from ..autograd import higher_order, trace
from .escaping import dot_string, html_text
from .graph import FREED_NOTE, any_value_freed, check_root, edge_symbol, tensor_kind, value_freed
from .replay import GraphFreed, backward_walk, refuse_a_freed_graph

INSTALL_HINT = ("Install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu; `make graphviz` does this "
                "as root), `brew install graphviz` (macOS), `conda install -c conda-forge graphviz`, or see "
                "https://graphviz.org/download/. Without it, draw_graph(...).source and to_dot(...) still "
                "give the DOT text.")

COLORS = {
    "param": "#cfe3ff",     # a leaf that requires grad (a weight)
    "const": "#f2f2f2",     # a leaf that does not (data, labels, numbers)
    "value": "#ffffff",     # an intermediate result
    "root": "#ffd98e",      # the tensor we called draw_graph on (usually the loss)
    "op": "#e3f1d4",        # an op node
    "backward op": "#eadcf5",  # an op recorded by backward(create_graph=True): the backward graph
    "grad": "#c0392b",      # gradient text and highlighted edges
    "current": "#ffb4a8",   # the op whose backward runs in this frame
    "freed": "#888888",     # the text of a value that backward() freed
}


class GraphvizNotFound(graphviz.ExecutableNotFound):
    """Rendering needs the Graphviz program ``dot`` and it is not on PATH."""

    _msg = "cannot render the graph: the Graphviz program {!r} was not found on PATH. " + INSTALL_HINT


class Graph(graphviz.Digraph):
    """A graphviz.Digraph whose render / pipe (and Jupyter display) explain a missing Graphviz."""

    def pipe(self, *args, **kwargs):
        with _explain_missing_graphviz(self.engine):
            return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        with _explain_missing_graphviz(self.engine):
            return super().render(*args, **kwargs)


class _explain_missing_graphviz:
    """Turn graphviz.ExecutableNotFound into GraphvizNotFound, whose message says what to install."""

    def __init__(self, program):
        self.program = program

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, graphviz.ExecutableNotFound) and not isinstance(error, GraphvizNotFound):
            raise GraphvizNotFound([self.program]) from error
        return False


# ---------------------------------------------------------------- walking the graph (iteratively)

def _nearest_to_root(root, max_nodes):
    """Tensors breadth first from the root until the picture holds max_nodes nodes (a tensor with its op counts 2)."""
    picked, seen, queue, budget = [], {id(root)}, deque([root]), max_nodes
    while queue:
        tensor = queue.popleft()
        cost = 1 if tensor.op is None else 2
        if cost > budget and picked:
            break
        budget -= cost
        picked.append(tensor)
        if tensor.op is not None:
            for parent in tensor.op.parents:
                if id(parent) not in seen:
                    seen.add(id(parent))
                    queue.append(parent)
    return {id(t) for t in picked}


# ---------------------------------------------------------------- drawing

def draw_graph(root, *, params=None, show_values=True, show_grads=True, rankdir="TB", max_nodes=500, title=None,
               full=trace.FULL):
    """The graph that computed ``root`` as a graphviz.Digraph (displays inline in Jupyter).

    Tensor nodes show a name (from ``params`` — a dict, an nn.Module or (name, tensor) pairs —
    or the ``name=`` given to Tensor), shape and dtype, and when asked the value and ``.grad``
    (leaves get .grad from backward; call ``retain_grads(root)`` before backward to see every
    intermediate's gradient too). Arrays up to ``full`` × ``full`` appear in full, larger ones as
    their first entries, norm, min and max. Op nodes show the op and its backward rule written
    with the picture's own names. Where a gradient arrived along several paths and the graph is
    still held (``backward(retain_graph=True)``), the node shows the contributions and their sum.
    Weights (leaves that require grad) are blue, constants grey, the root orange; edges run in
    the direction the data flows (top to bottom by default; ``rankdir="LR"`` for left to right).
    Past ``max_nodes`` the nodes farthest from the root are left out and a note says how many.

    Render with ``.render("out/graph", format="svg")``; ``.source`` is the DOT text.
    """
    check_root(root, "draw_graph")
    return _build_graph(root, params=params, show_values=show_values, show_grads=show_grads, rankdir=rankdir,
                        max_nodes=max_nodes, title=title, full=full)


def to_dot(root, **options):
    """The DOT text of ``draw_graph(root, **options)``; needs no Graphviz program."""
    check_root(root, "to_dot")
    return draw_graph(root, **options).source


class _Layout:
    """Fixed node sizes and title width, so that every frame of draw_backward_steps lays out the same."""

    def __init__(self, sizes, title_width):
        self.sizes, self.title_width = sizes, title_width


def _build_graph(root, *, params, show_values, show_grads, rankdir, max_nodes, title, full, frame=None,
                 layout=None):
    """Build the Digraph. ``frame`` (from draw_backward_steps) overrides the gradients and highlights a step."""
    if max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be at least 1, got {max_nodes}")
    order = trace.forward_order(root)
    labels, names = trace.node_labels(order, params), trace.given_names(order, params)
    drawn = _nearest_to_root(root, max_nodes)
    index = {id(t): i for i, t in enumerate(order)}
    parts = {} if frame is not None or not show_grads else _paths_into(root, order)
    lines, cut_ops = [], []
    for tensor in order:
        if id(tensor) not in drawn:
            continue
        grad_rows = _grad_rows(tensor, show_grads, frame, parts, full)
        lines.append(_tensor_line(tensor, index, labels, tensor is root, show_values, grad_rows, frame, full))
        if tensor.op is not None:
            lines.extend(_op_lines(tensor, index, drawn, frame, trace.rule_with_names(tensor, names), names))
            if any(id(p) not in drawn for p in tensor.op.parents):
                cut_ops.append(index[id(tensor)])
    if cut_ops:
        lines.extend(_cut_note_lines(order, drawn, cut_ops, max_nodes))
    if any_value_freed(order):
        lines.extend(_freed_note_lines(root, index))
    if layout is not None:
        lines = [_fix_size(line, layout.sizes) for line in lines]
    graph_attr = {"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.3", "ranksep": "0.3"}
    if title:
        graph_attr.update(label=_title_label(title, layout), labelloc="t", fontsize="15")
    return Graph(graph_attr=graph_attr, node_attr={"fontname": "Helvetica", "fontsize": "11", "margin": "0.1,0.07"},
                 edge_attr={"fontname": "Helvetica", "fontsize": "10", "color": "#555555"},
                 body=[line + "\n" for line in lines])


def _title_label(title, layout):
    if layout is None:
        return f"<<B>{_escape(title)}</B>>"
    return (f'<<TABLE BORDER="0" FIXEDSIZE="TRUE" WIDTH="{layout.title_width}" HEIGHT="26"><TR><TD>'
            f"<B>{_escape(title)}</B></TD></TR></TABLE>>")


def _fix_size(line, sizes):
    node = line.strip().split(" ", 1)[0]
    if " -> " in line or node not in sizes:
        return line
    width, height = sizes[node]
    return line[:-1] + f' width="{width:.3f}" height="{height:.3f}" fixedsize="true"]'


def _escape(text):
    """Text inside an HTML-like label (``<...>``); ``dot_string`` is for a quoted one (``"..."``)."""
    return html_text(text)


def _paths_into(root, order):
    """{id(t): [contribution arrays]} for the tensors whose gradient arrives along two or more paths.

    Empty unless the graph is still held and the contributions add up to each tensor's ``.grad``
    (the picture never shows a sum that is not the gradient it prints).
    """
    uses = {}
    for tensor in order:
        if tensor.op is not None:
            for parent in tensor.op.parents:
                if parent.requires_grad:
                    uses[id(parent)] = uses.get(id(parent), 0) + 1
    shared = {key for key, count in uses.items() if count > 1}
    if not shared or root.size != 1 or not root.requires_grad:
        return {}
    try:
        walk = backward_walk(root)
    except GraphFreed:
        return {}
    by_id = {id(t): t for t in order}
    found = {}
    for key in shared:
        parts = [array for _, array in walk.contributions.get(key, [])]
        grad = by_id[key].grad
        if len(parts) > 1 and grad is not None and np.shape(grad) == np.shape(walk.grads[key]) \
                and np.allclose(grad, walk.grads[key], rtol=1e-5, atol=1e-7):
            found[key] = parts
    return found


def _grad_rows(tensor, show_grads, frame, parts, full):
    """The gradient lines of a tensor node (empty when it has none to show)."""
    if not show_grads:
        return []
    if frame is not None:
        return frame.grad_rows(tensor, full)
    if tensor.grad is None:
        return []
    return _with_paths("grad", tensor.grad, parts.get(id(tensor), []), full)


def _with_paths(head, total, pieces, full):
    """'grad 4 + 4 = 8' for scalars reached along several paths; the sum, then its parts, for arrays."""
    if len(pieces) > 1 and all(np.size(p) == 1 for p in pieces):
        return [f"{head} " + " + ".join(trace.glance(p) for p in pieces) + f" = {trace.glance(total)}"]
    rows = _prefixed(head, trace.glance_lines(total, full))
    if len(pieces) > 1:
        texts = [trace.glance(p, full) for p in pieces]
        joined = " + ".join(texts)
        rows.append(f"= {joined}" if len(joined) <= 70 else f"= the sum of {len(pieces)} paths' gradients")
    return rows


def _prefixed(head, rows):
    pad = " " * (len(head) + 1)
    return [f"{head} {rows[0]}"] + [pad + row for row in rows[1:]]


def _tensor_line(tensor, index, labels, is_root, show_values, grad_rows, frame, full):
    label = labels[id(tensor)]
    named = bool(tensor.name) or not label.partition("#")[2].isdigit()
    head = [f"<B>{_escape(label)}</B>" if named else f"<I>{_escape(label)}</I>",
            f"{trace.shape_text(tensor.shape)} {tensor.dtype}"]
    rows = _prefixed("value", _value_lines(tensor, full)) if show_values else []
    value_color = f' COLOR="{COLORS["freed"]}"' if value_freed(tensor) else ""
    body = "".join(f'<FONT FACE="monospace" POINT-SIZE="10"{value_color}>{_escape(row)}</FONT><BR ALIGN="LEFT"/>'
                   for row in rows)
    body += "".join(f'<FONT FACE="monospace" POINT-SIZE="10" COLOR="{COLORS["grad"]}">{_escape(row)}</FONT>'
                    f'<BR ALIGN="LEFT"/>' for row in grad_rows)
    label_html = "<BR/>".join(head) + ("<BR/>" + body if body else "")
    kind = tensor_kind(tensor, is_root)
    style = '"filled,dashed"' if kind == "const" else '"filled"'
    extra = ' peripheries="2"' if is_root else ""
    if frame is not None and id(tensor) in frame.fresh:
        extra += f' color="{COLORS["grad"]}" penwidth="2.5"'
    return (f'\tt{index[id(tensor)]} [label=<{label_html}> shape="box" style={style} '
            f'fillcolor="{COLORS[kind]}"{extra}]')


def _value_lines(tensor, full):
    return ["freed by backward()"] if value_freed(tensor) else trace.glance_lines(tensor.data, full)


def _op_lines(tensor, index, drawn, frame, rule, names):
    """The op node, its edge to the result, and the edges from each drawn input."""
    op, i = tensor.op, index[id(tensor)]
    current = frame is not None and frame.current is tensor
    kind = "backward op" if higher_order.recorded_by_backward(tensor) else "op"  # create_graph's ops stand apart
    fill = COLORS["current"] if current else COLORS[kind]
    rule_html = f'<BR/><FONT POINT-SIZE="10">{_escape(rule)}</FONT>' if rule else ""
    lines = [f'\top{i} [label=<<B>{_escape(op.name)}</B>{rule_html}> shape="box" style="rounded,filled" '
             f'fillcolor="{fill}"{" penwidth=2.5" if current else ""}]',
             f"\top{i} -> t{i}"]
    for position, parent in enumerate(op.parents):
        if id(parent) not in drawn:
            continue
        # an input without a name of its own is called by the rule's symbol: the edge says which one
        symbol = edge_symbol(op, position, parent, names)
        attrs = [f'label="{dot_string(symbol)}"'] if symbol else []
        if current and parent.requires_grad:
            attrs.append(f'color="{COLORS["grad"]}" penwidth="2.5"')
        lines.append(f"\tt{index[id(parent)]} -> op{i}" + (f" [{' '.join(attrs)}]" if attrs else ""))
    return lines


def _cut_note_lines(order, drawn, cut_ops, max_nodes):
    hidden = [t for t in order if id(t) not in drawn]
    hidden_ops = sum(t.op is not None for t in hidden)
    note = (f"… {len(hidden)} more tensors and {hidden_ops} ops not drawn "
            f"(max_nodes={max_nodes}; pass a larger max_nodes to see them)")
    lines = [f'\tcut [label="{dot_string(note)}" shape="note" style="dashed" fontcolor="#777777"]']
    lines.extend(f'\tcut -> op{i} [style="dashed" color="#999999"]' for i in cut_ops)
    return lines


def _freed_note_lines(root, index):
    """A note below the root: backward() freed the intermediate values, and how to keep them."""
    text = dot_string(FREED_NOTE).replace(". ", ".\\n")  # \n in a DOT label: a centred line break
    return [f'\tfreed [label="{text}" shape="note" style="filled" fillcolor="#fff6d5" fontcolor="#7a5b00"]',
            f'\tt{index[id(root)]} -> freed [style="dotted" arrowhead="none" color="#c9a227"]']


# ---------------------------------------------------------------- one picture per backward step

class _Frame:
    """What one picture of draw_backward_steps shows: the gradients reached so far and this step's op."""

    def __init__(self, expected):
        self.expected = expected  # {id(t): how many contributions t receives in the whole pass}
        self.parts, self.totals, self.fresh, self.current = {}, {}, set(), None

    def advance(self, node, grad, input_grads):
        """Move on by one backward step: node's gradient is complete; its inputs receive theirs."""
        self.current, self.fresh = node, {id(node)}
        self.totals.setdefault(id(node), grad)  # the root's seed; for any other node, the sum it already shows
        for parent, parent_grad in zip(node.op.parents, input_grads):
            if parent_grad is None or not parent.requires_grad:
                continue
            key = id(parent)
            self.parts.setdefault(key, []).append(parent_grad)
            self.totals[key] = self.totals[key] + parent_grad if key in self.totals else parent_grad
            self.fresh.add(key)

    def grad_rows(self, tensor, full):
        key = id(tensor)
        if key not in self.totals:
            return []
        parts, expected = self.parts.get(key, []), self.expected.get(key, 0)
        if len(parts) < expected:
            return _prefixed("grad so far", trace.glance_lines(self.totals[key], full)) + \
                [f"({len(parts)} of {expected} paths arrived)"]
        return _with_paths("grad", self.totals[key], parts, full)


def draw_backward_steps(loss, folder, *, params=None, format="png", show_values=True, rankdir="TB",
                        max_nodes=200, retain_graph=False, full=trace.FULL):
    """Run ``loss.backward()`` and write one picture per step into ``folder``; return the file paths.

    Picture 0 is the graph before backward. Picture k highlights the op whose rule runs at step
    k (red fill), the edges its gradient flows back along, and the tensors that just received a
    gradient; every tensor shows its value and the gradient it has accumulated so far (a tensor
    reached along two paths says how many have arrived). Every picture has the same size and
    the same node placement, so flipping through them the graph stands still. Leaf .grad fills
    in as with a plain backward. Without Graphviz's ``dot`` it writes each step's DOT source
    (``step_00.gv``, ...) and raises GraphvizNotFound.
    """
    check_root(loss, "draw_backward_steps")
    refuse_a_freed_graph(loss, "draw_backward_steps")
    recorder = trace.BackwardTrace(params=params, keep_arrays=True)
    loss.backward(trace=recorder, retain_graph=retain_graph)
    expected = {}
    for node, _, input_grads in recorder.steps:
        for parent, parent_grad in zip(node.op.parents, input_grads):
            if parent_grad is not None and parent.requires_grad:
                expected[id(parent)] = expected.get(id(parent), 0) + 1
    options = dict(params=params, show_values=show_values, show_grads=True, rankdir=rankdir, max_nodes=max_nodes,
                   full=full)
    frames, titles, frame = [], [], _Frame(expected)
    for k, (node, grad, input_grads) in enumerate([(None, None, ())] + recorder.steps):
        if node is not None:
            frame.advance(node, grad, input_grads)
            row = recorder.rows[k - 1]
            inputs = ", ".join(i["label"] for i in row["inputs"])
            titles.append(f"backward step {k} of {len(recorder.steps)}: {row['node']} = {row['op']}({inputs});  "
                          f"{row['rule']}")
        else:
            titles.append(f"before backward: every value computed, no gradient yet ({len(recorder.steps)} steps follow)")
        frames.append(_snapshot(frame))
    graphs = [_build_graph(loss, title=title, frame=f, **options) for f, title in zip(frames, titles)]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        layout = _common_layout(graphs, titles)
    except GraphvizNotFound:  # no pictures without dot, but the DOT text of every step is still useful
        for k, graph in enumerate(graphs):
            graph.save(folder / f"step_{k:02d}.gv")
        raise
    paths = []
    for k, (f, title) in enumerate(zip(frames, titles)):
        graph = _build_graph(loss, title=title, frame=f, layout=layout, **options)
        paths.append(graph.render(folder / f"step_{k:02d}", format=format, cleanup=True))
    return paths


def _snapshot(frame):
    copy = _Frame(frame.expected)
    copy.parts = {key: list(parts) for key, parts in frame.parts.items()}
    copy.totals, copy.fresh, copy.current = dict(frame.totals), set(frame.fresh), frame.current
    return copy


def _common_layout(graphs, titles):
    """The largest size each node takes in any frame (from Graphviz's own layout), and a title width for all."""
    sizes = {}
    for graph in graphs:
        plain = graph.pipe(format="plain").decode("utf-8")
        for line in plain.splitlines():
            parts = line.split()
            if parts and parts[0] == "node":
                width, height = float(parts[4]), float(parts[5])
                old = sizes.get(parts[1], (0.0, 0.0))
                sizes[parts[1]] = (max(old[0], width), max(old[1], height))
    title_width = int(max(len(t) for t in titles) * 9.5) + 30  # points, at the title's 15 pt bold
    return _Layout(sizes, title_width)
