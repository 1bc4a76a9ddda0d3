"""Pictures of the graph, and a step-by-step trace of the backward pass.

``draw_graph(loss)`` draws every tensor the loss depends on (its name, shape, dtype and a
glance at its value and gradient) and every op (its name and the backward rule it applies,
written as in the notes, e.g. ``matmul: dA = G Bᵀ, dB = Aᵀ G``). ``trace_backward(loss)`` runs
the backward pass and lists each step: the node, its rule, and the gradient handed to each
input. ``draw_backward_steps(loss, folder)`` writes one picture per step.

Only this module imports ``graphviz``; ``import tinygrad_sm`` does not. Drawing builds the DOT
text in Python (no ``dot`` program needed); rendering to SVG / PNG / PDF needs Graphviz's
``dot``, and says how to install it when it is missing. Every graph walk is iterative, so
graphs deeper than Python's recursion limit draw fine.
"""

import html
from collections import deque
from pathlib import Path

import graphviz
import numpy as np

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
    "grad": "#c0392b",      # gradient text and highlighted edges
    "current": "#ffb4a8",   # the op whose backward runs in this frame
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


# ---------------------------------------------------------------- a glance at an array

def glance(array, tiny=8):
    """A short text for an array: a scalar or a tiny array in full, otherwise min / mean / max."""
    a = np.asarray(array)
    if a.size == 0:
        return f"empty {a.shape}"
    if a.ndim == 0:
        return _number(a.item())
    if a.size <= tiny and a.ndim <= 2:
        rows = [a] if a.ndim == 1 else list(a)
        text = ["[" + ", ".join(_number(v) for v in row.tolist()) + "]" for row in rows]
        return text[0] if a.ndim == 1 else "[" + ", ".join(text) + "]"
    low, high, mean = a.min(), a.max(), a.mean()
    if abs(mean) < 1e-6 * max(abs(low), abs(high)):
        mean = 0  # rounding noise of a sum that is zero in exact arithmetic (e.g. ŷ - onehot rows)
    return f"min {_number(low)}  mean {_number(mean)}  max {_number(high)}"


def _number(x):
    return f"{float(x):.4g}"


def _shape_text(shape):
    return "scalar" if shape == () else str(tuple(shape))


# ---------------------------------------------------------------- walking the graph (iteratively)

def forward_order(root):
    """Every tensor ``root`` depends on (constants included), each after the tensors it was made from."""
    order, expanded, stack = [], set(), [(root, False)]
    while stack:
        tensor, done = stack.pop()
        if done:
            order.append(tensor)
            continue
        if id(tensor) in expanded:
            continue
        expanded.add(id(tensor))
        stack.append((tensor, True))
        if tensor.op is not None:
            stack.extend((p, False) for p in reversed(tensor.op.parents) if id(p) not in expanded)
    return order


def retain_grads(root):
    """Call retain_grad() on every intermediate tensor of the graph, so a picture after backward shows them all."""
    for tensor in forward_order(root):
        if tensor.op is not None:
            tensor.retain_grad()
    return root


def _parameter_names(params):
    """{id(tensor): name} from a dict, an nn.Module (named_parameters) or (name, tensor) pairs."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = params.named_parameters()
    pairs = list(params.items() if hasattr(params, "items") else params)
    if not all(isinstance(pair, tuple) and len(pair) == 2 for pair in pairs):
        raise TypeError("draw_graph: params must be a dict {name: tensor}, an nn.Module, or (name, tensor) "
                        "pairs such as module.named_parameters(); a plain list of tensors has no names")
    return {id(tensor): str(name) for name, tensor in pairs}


def node_labels(order, params=None):
    """{id(tensor): label}: its name if it has one, else the op (or leaf kind) numbered in forward order."""
    names = _parameter_names(params)
    labels, counts = {}, {}
    for tensor in order:
        name = names.get(id(tensor)) or tensor.name
        if not name:
            kind = tensor.op.name if tensor.op is not None else ("param" if tensor.requires_grad else "const")
            counts[kind] = counts.get(kind, 0) + 1
            name = f"{kind}#{counts[kind]}"
        labels[id(tensor)] = name
    return labels


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

def draw_graph(root, *, params=None, show_values=True, show_grads=True, rankdir="LR", max_nodes=500, title=None):
    """The graph that computed ``root`` as a graphviz.Digraph (displays inline in Jupyter).

    Tensor nodes show a name (from ``params`` — a dict, an nn.Module or (name, tensor) pairs —
    or the ``name=`` given to Tensor), shape and dtype, and when asked a glance at the value and
    at ``.grad`` (leaves get .grad from backward; call ``retain_grads(root)`` before backward to
    see every intermediate's gradient too). Op nodes show the op and its backward rule. Weights
    (leaves that require grad) are blue, constants grey, the root orange; edges run in the
    direction the data flows, labelled A, B when an op has several inputs. Past ``max_nodes``
    the nodes farthest from the root are left out and a note says how many.

    Render with ``.render("out/graph", format="svg")``; ``.source`` is the DOT text.
    """
    return _build_graph(root, params=params, show_values=show_values, show_grads=show_grads, rankdir=rankdir,
                        max_nodes=max_nodes, title=title)


def to_dot(root, **options):
    """The DOT text of ``draw_graph(root, **options)``; needs no Graphviz program."""
    return draw_graph(root, **options).source


def _build_graph(root, *, params, show_values, show_grads, rankdir, max_nodes, title, frame=None):
    """Build the Digraph. ``frame`` (from draw_backward_steps) overrides the gradients and highlights a step."""
    if max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be at least 1, got {max_nodes}")
    order = forward_order(root)
    labels = node_labels(order, params)
    drawn = _nearest_to_root(root, max_nodes)
    index = {id(t): i for i, t in enumerate(order)}
    lines, cut_ops = [], []
    for tensor in order:
        if id(tensor) not in drawn:
            continue
        grad = _gradient_to_show(tensor, show_grads, frame)
        lines.append(_tensor_line(tensor, index, labels, tensor is root, show_values, grad, frame))
        if tensor.op is not None:
            lines.extend(_op_lines(tensor, index, drawn, frame))
            if any(id(p) not in drawn for p in tensor.op.parents):
                cut_ops.append(index[id(tensor)])
    if cut_ops:
        lines.extend(_cut_note_lines(order, drawn, cut_ops, max_nodes))
    graph_attr = {"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.25", "ranksep": "0.35"}
    if title:
        graph_attr.update(label=f"<<B>{_escape(title)}</B>>", labelloc="t", fontsize="16")
    return Graph(graph_attr=graph_attr, node_attr={"fontname": "Helvetica", "fontsize": "11"},
                 edge_attr={"fontname": "Helvetica", "fontsize": "10", "color": "#555555"},
                 body=[line + "\n" for line in lines])


def _escape(text):
    return html.escape(str(text), quote=True)


def _gradient_to_show(tensor, show_grads, frame):
    if not show_grads:
        return None
    if frame is not None:
        return frame.grads.get(id(tensor))
    return tensor.grad


def _tensor_line(tensor, index, labels, is_root, show_values, grad, frame):
    label = labels[id(tensor)]
    named = bool(tensor.name) or not label.partition("#")[2].isdigit()
    rows = [f"<B>{_escape(label)}</B>" if named else f"<I>{_escape(label)}</I>",
            f"{_shape_text(tensor.shape)} {tensor.dtype}"]
    if show_values:
        rows.append(_escape(f"value {glance(tensor.data)}"))
    if grad is not None:
        rows.append(f'<FONT COLOR="{COLORS["grad"]}">{_escape("grad " + glance(grad))}</FONT>')
    kind = "root" if is_root else "value" if tensor.op is not None else "param" if tensor.requires_grad else "const"
    style = '"filled,dashed"' if kind == "const" else '"filled"'
    extra = ' peripheries="2"' if is_root else ""
    if frame is not None and id(tensor) in frame.fresh:
        extra += f' color="{COLORS["grad"]}" penwidth="2.5"'
    return (f'\tt{index[id(tensor)]} [label=<{"<BR/>".join(rows)}> shape="box" style={style} '
            f'fillcolor="{COLORS[kind]}"{extra}]')


def _op_lines(tensor, index, drawn, frame):
    """The op node, its edge to the result, and the edges from each drawn input."""
    op, i = tensor.op, index[id(tensor)]
    current = frame is not None and frame.current is tensor
    fill = COLORS["current"] if current else COLORS["op"]
    rule = f'<BR/><FONT POINT-SIZE="10">{_escape(op.rule)}</FONT>' if op.rule else ""
    lines = [f'\top{i} [label=<<B>{_escape(op.name)}</B>{rule}> shape="box" style="rounded,filled" '
             f'fillcolor="{fill}"{" penwidth=2.5" if current else ""}]',
             f"\top{i} -> t{i}"]
    roles = "ABCDEFGH" if len(op.parents) > 1 else ""
    for position, parent in enumerate(op.parents):
        if id(parent) not in drawn:
            continue
        attrs = [f'label="{roles[position]}"'] if position < len(roles) else []
        if current and parent.requires_grad:
            attrs.append(f'color="{COLORS["grad"]}" penwidth="2.5"')
        lines.append(f"\tt{index[id(parent)]} -> op{i}" + (f" [{' '.join(attrs)}]" if attrs else ""))
    return lines


def _cut_note_lines(order, drawn, cut_ops, max_nodes):
    hidden = [t for t in order if id(t) not in drawn]
    hidden_ops = sum(t.op is not None for t in hidden)
    note = (f"… {len(hidden)} more tensors and {hidden_ops} ops not drawn "
            f"(max_nodes={max_nodes}; pass a larger max_nodes to see them)")
    lines = [f'\tcut [label="{_escape(note)}" shape="note" style="dashed" fontcolor="#777777"]']
    lines.extend(f'\tcut -> op{i} [style="dashed" color="#999999"]' for i in cut_ops)
    return lines


# ---------------------------------------------------------------- the backward trace

class BackwardTrace:
    """A callable for ``loss.backward(trace=...)`` that records (and with ``echo=True`` prints) each step.

    The engine calls it as ``trace(node, grad, input_grads)`` once per op node, root first.
    ``rows`` holds one dict per step: ``step``, ``node`` (label), ``op``, ``rule``,
    ``grad_shape``, ``grad`` (a glance at the gradient reaching the node) and ``inputs``: one
    dict per input with ``label``, ``shape`` and ``grad`` (a glance at the gradient passed to
    it; None for an input that needs none). ``keep_arrays=True`` also keeps the raw arrays in
    ``steps`` as (node, grad, input_grads), for draw_backward_steps.
    """

    def __init__(self, echo=False, params=None, keep_arrays=False, printer=print):
        self.echo, self.params, self.keep_arrays, self.printer = echo, params, keep_arrays, printer
        self.rows, self.steps, self.labels = [], [], None

    def __call__(self, node, grad, input_grads):
        if self.labels is None:  # the first node the backward visits is the root
            self.labels = node_labels(forward_order(node), self.params)
        row = self._row(node, grad, input_grads)
        self.rows.append(row)
        if self.keep_arrays:
            self.steps.append((node, grad, tuple(input_grads)))
        if self.echo:
            self.printer(format_step(row))

    def _row(self, node, grad, input_grads):
        op = node.op
        inputs = []
        for parent, parent_grad in zip(op.parents, input_grads):
            needed = parent_grad is not None and parent.requires_grad
            inputs.append({"label": self._label(parent), "shape": parent.shape,
                           "grad_shape": np.shape(parent_grad) if needed else None,
                           "grad": glance(parent_grad) if needed else None})
        return {"step": len(self.rows) + 1, "node": self._label(node), "op": op.name, "rule": op.rule,
                "grad_shape": np.shape(grad), "grad": glance(grad), "inputs": inputs}

    def _label(self, tensor):
        return self.labels.get(id(tensor)) or tensor.name or "?"

    def __str__(self):
        return "\n".join(format_step(row) for row in self.rows)


def format_step(row):
    """Three or more lines for one backward step: the node and its gradient, the rule, each input's gradient."""
    inputs = ", ".join(i["label"] for i in row["inputs"])
    lines = [f"step {row['step']:>2}  {row['node']} = {row['op']}({inputs})    "
             f"G = dL/d{row['node']}: {_shape_text(row['grad_shape'])}  {row['grad']}",
             f"         rule: {row['rule']}"]
    for item in row["inputs"]:
        if item["grad"] is None:
            lines.append(f"         -> {item['label']}: no gradient needed")
        else:
            lines.append(f"         -> {item['label']}: {_shape_text(item['grad_shape'])}  {item['grad']}")
    return "\n".join(lines)


def trace_backward(loss, echo=True, params=None, retain_graph=False):
    """Run ``loss.backward()`` and return its steps as rows (see BackwardTrace); print them when ``echo``."""
    trace = BackwardTrace(echo=echo, params=params)
    loss.backward(trace=trace, retain_graph=retain_graph)
    return trace.rows


# ---------------------------------------------------------------- one picture per backward step

class _Frame:
    """What one picture of draw_backward_steps highlights: the gradients reached so far and this step's op."""

    def __init__(self):
        self.grads, self.fresh, self.current = {}, set(), None


def draw_backward_steps(loss, folder, *, params=None, format="png", show_values=False, rankdir="LR",
                        max_nodes=200, retain_graph=False):
    """Run ``loss.backward()`` and write one picture per step into ``folder``; return the file paths.

    Picture 0 is the graph before backward. Picture k highlights the op whose rule runs at step
    k (red fill), the edges its gradient flows back along, and the tensors that just received a
    gradient; every tensor shows the gradient it has accumulated so far. Leaf .grad fills in
    as with a plain backward.
    """
    trace = BackwardTrace(params=params, keep_arrays=True)
    loss.backward(trace=trace, retain_graph=retain_graph)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frame, paths = _Frame(), []
    options = dict(params=params, show_values=show_values, show_grads=True, rankdir=rankdir, max_nodes=max_nodes)
    for k, (node, grad, input_grads) in enumerate([(None, None, ())] + trace.steps):
        title = "before backward" if node is None else f"step {k}: {trace.rows[k - 1]['node']} " \
                                                        f"({node.op.name}: {node.op.rule})"
        if node is not None:
            _advance(frame, node, grad, input_grads)
        graph = _build_graph(loss, title=title, frame=frame, **options)
        paths.append(graph.render(folder / f"step_{k:02d}", format=format, cleanup=True))
    return paths


def _advance(frame, node, grad, input_grads):
    """Move the frame on by one backward step: node's gradient is complete; its inputs receive theirs."""
    frame.current, frame.fresh = node, {id(node)}
    frame.grads[id(node)] = grad
    for parent, parent_grad in zip(node.op.parents, input_grads):
        if parent_grad is None or not parent.requires_grad:
            continue
        key = id(parent)
        frame.grads[key] = frame.grads[key] + parent_grad if key in frame.grads else parent_grad
        frame.fresh.add(key)
