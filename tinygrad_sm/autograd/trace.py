"""The text trace that ``loss.backward(trace=True)`` prints, and the text helpers the pictures share.

``BackwardTrace`` is the callable the backward walk calls once per op node, root first: it
records each step (the node, its rule in the graph's own names, the gradient reaching it and
the gradient handed to each input) and with ``echo=True`` prints it. ``glance`` writes an
array in one short line; ``forward_order``, ``node_labels`` and ``rule_with_names`` name a
graph's tensors and rules as a picture does. Plain text only: no Graphviz, nothing from viz.
"""

import re

import numpy as np

# ---------------------------------------------------------------- a glance at an array

FULL = 6  # arrays up to 6 × 6 appear in full; larger ones as a summary (pass full= to change it)
MAPS = 4  # (N, C, H, W) images with at most this many H × W maps (and H, W <= full) appear as grids


def glance(array, full=FULL):
    """A short one-line text for an array: in full up to ``full`` × ``full``, else a few entries, norm, min, max."""
    return ", ".join(line.strip() for line in glance_lines(array, full))


def glance_lines(array, full=FULL):
    """The lines of ``glance``: one per row for a small matrix, one summary line for anything larger."""
    a = np.asarray(array)
    if a.size == 0:
        return [f"empty {a.shape}"]
    if a.ndim == 0:
        return [_number(a.item())]
    if a.ndim <= 2 and max(a.shape) <= full:
        rows = [a] if a.ndim == 1 else list(a)
        text = ["[" + ", ".join(_number(v) for v in row.tolist()) + "]" for row in rows]
        if a.ndim == 1:
            return text
        return ["[" + text[0]] + [" " + row for row in text[1:-1]] + [" " + text[-1] + "]"] if len(text) > 1 \
            else ["[" + text[0] + "]"]
    if a.ndim == 4 and max(a.shape[2:]) <= full and a.shape[0] * a.shape[1] <= MAPS:
        return _feature_maps(a, full)
    return [_summary(a)]


def _feature_maps(a, full):
    """A small batch of images (N, C, H, W) as its H × W grids, each headed by its (n, c) when there are several."""
    if a.shape[0] * a.shape[1] == 1:
        return glance_lines(a[0, 0], full)
    lines = []
    for n, c in np.ndindex(*a.shape[:2]):
        lines += [f"[{n}, {c}]:"] + glance_lines(a[n, c], full)
    return lines


def _summary(a):
    """What identifies a large array: its first entries, its norm, its smallest and largest entry."""
    first = ", ".join(_number(v) for v in a.ravel()[:3].tolist())
    with np.errstate(over="ignore", invalid="ignore"):
        norm = np.linalg.norm(a.ravel().astype(np.float64)) if a.dtype.kind in "biuf" else float("nan")
    return f"[{first}, …]  norm {_number(norm)}  min {_number(a.min())}  max {_number(a.max())}"


def _number(x):
    text = f"{float(x):.4g}"
    return "0" if text == "-0" else text  # -0.0 prints as 0: a learner should never see -0


def shape_text(shape):
    """``scalar`` for (), else the shape as Python writes a tuple: ``(5,)``, ``(4, 2)``."""
    return "scalar" if tuple(shape) == () else str(tuple(shape))


# ---------------------------------------------------------------- the graph's tensors, their names and rules

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
        labels[id(tensor)] = str(name)  # (a name may be any object: name=123)
    return labels


def given_names(order, params=None):
    """{id(tensor): name} for the tensors that have a name of their own (from ``params`` or ``name=``)."""
    names = _parameter_names(params)
    found = {}
    for tensor in order:
        name = names.get(id(tensor)) or tensor.name
        if name:
            found[id(tensor)] = str(name)
    return found


def _symbol_pattern(symbols):
    """Matches each symbol as a whole token, with an optional leading d (its gradient): dA, A, Aᵀ, A_j."""
    alternatives = "|".join(re.escape(s) for s in sorted(symbols, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_])(d?)({alternatives})(?![A-Za-z0-9])")


def rule_with_names(tensor, names):
    """The backward rule of ``tensor``'s op with its symbols replaced by the tensors' names.

    ``names`` maps id(tensor) to a name; a tensor missing from it keeps the rule's own symbol.
    A relu whose input is called h reads ``dh = G ⊙ 1[h > 0]``; softmax's output symbol ŷ
    becomes the output's name when it has one.
    """
    op = tensor.op
    if not op.rule:
        return ""
    rule = _without_absent_inputs(op)
    symbols = dict(zip(op.symbols, op.parents))
    replace = {s: names[id(t)] for s, t in symbols.items() if id(t) in names}
    if id(tensor) in names:
        replace.setdefault(op.out_symbol, names[id(tensor)])
    if not replace:
        return rule
    pattern = _symbol_pattern(replace)
    return pattern.sub(lambda m: m.group(1) + replace[m.group(2)], rule)


def _without_absent_inputs(op):
    """The rule without the clauses of optional inputs the op was not given (a conv2d without a bias has no db)."""
    rule = op.rule
    for symbol in op.symbols[len(op.parents):]:
        rule = re.sub(rf",\s*d{re.escape(symbol)} = .*?(?=, d\w+ = |$)", "", rule)
    return rule


# ---------------------------------------------------------------- the backward trace

class BackwardTrace:
    """A callable for ``loss.backward(trace=...)`` that records (and with ``echo=True`` prints) each step.

    The engine calls it as ``trace(node, grad, input_grads)`` once per op node, root first.
    ``rows`` holds one dict per step: ``step``, ``node`` (label), ``op``, ``rule`` (in the
    graph's own names), ``grad_shape``, ``grad`` (the gradient reaching the node, a numpy array)
    and ``inputs``: one dict per input with ``label``, ``shape``, ``grad_shape`` and ``grad`` (the
    array passed to it; None for an input that needs none). The arrays are copies, safe to
    keep. ``str(trace)`` is the text view. ``keep_arrays=True`` also keeps (node, grad,
    input_grads) in ``steps``, for draw_backward_steps.
    """

    def __init__(self, echo=False, params=None, keep_arrays=False, printer=print):
        self.echo, self.params, self.keep_arrays, self.printer = echo, params, keep_arrays, printer
        self.rows, self.steps, self.labels, self.names = BackwardSteps(), [], None, None

    def __call__(self, node, grad, input_grads):
        if self.labels is None:  # the first node the backward visits is the root
            order = forward_order(node)
            self.labels, self.names = node_labels(order, self.params), given_names(order, self.params)
        grad = np.array(grad, copy=True)
        input_grads = tuple(None if g is None else np.array(g, copy=True) for g in input_grads)
        row = self._row(node, grad, input_grads)
        self.rows.append(row)
        if self.keep_arrays:
            self.steps.append((node, grad, input_grads))
        if self.echo:
            self.printer(format_step(row))

    def _row(self, node, grad, input_grads):
        op = node.op
        inputs = []
        for parent, parent_grad in zip(op.parents, input_grads):
            needed = parent_grad is not None and parent.requires_grad
            inputs.append({"label": self._label(parent), "shape": parent.shape,
                           "grad_shape": np.shape(parent_grad) if needed else None,
                           "grad": parent_grad if needed else None})
        return {"step": len(self.rows) + 1, "node": self._label(node), "op": op.name,
                "rule": rule_with_names(node, self.names), "grad_shape": np.shape(grad), "grad": grad,
                "inputs": inputs}

    def _label(self, tensor):
        return self.labels.get(id(tensor)) or tensor.name or "?"

    def __str__(self):
        return str(self.rows)


class BackwardSteps(list):
    """The rows of a BackwardTrace (a list of dicts holding the gradient arrays); ``str()`` is the text view."""

    def __str__(self):
        return "\n".join(format_step(row) for row in self)


def format_step(row):
    """Three or more lines for one backward step: the node and its gradient, the rule, each input's gradient."""
    inputs = ", ".join(i["label"] for i in row["inputs"])
    lines = [f"step {row['step']:>2}  {row['node']} = {row['op']}({inputs})    "
             f"G = dL/d{row['node']}: {shape_text(row['grad_shape'])}  {glance(row['grad'])}",
             f"         rule: {row['rule']}"]
    for item in row["inputs"]:
        if item["grad"] is None:
            lines.append(f"         -> {item['label']}: no gradient needed")
        else:
            lines.append(f"         -> {item['label']}: {shape_text(item['grad_shape'])}  {glance(item['grad'])}")
    return "\n".join(lines)
