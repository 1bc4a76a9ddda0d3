"""The backprop explorer: one self-contained HTML page that steps through a graph's forward and backward pass.

``to_html(root)`` returns the page (and writes it when given ``path``); ``explore(root)`` shows
it inline in Jupyter. The page needs no network: its script and style are inline and it uses
the browser's own fonts. A learner steps with the buttons or the ←/→ keys (Home/End jump to
the ends): first the forward pass, each op filling in its output's value, then the backward
pass, each op's rule (in the graph's own names) handing a gradient to each input, a tensor
reached along two paths showing both contributions and their sum. A click on a tensor shows
its full value and gradient arrays.

A gradient made with ``backward(create_graph=True)`` has a graph too: its page draws the ops that
backward pass recorded (the first backward pass) as a graph of their own, beside the forward ops,
steps through them after the forward ops, and then steps through the second backward pass.

The gradients come from a replay of the backward pass (``replay.backward_walk``: each op's own
backward, in the engine's order); no ``.grad`` is touched. So call ``to_html`` before
``loss.backward()``, or after ``loss.backward(retain_graph=True)``. After a plain backward the
ops' saved arrays and the intermediate values are gone: the page still shows the whole graph,
the values that are left and, in one last step, the gradients backward left in ``.grad``, with
a note saying how to keep the rest. The layout is computed here, in Python: Graphviz is not needed.
"""

import html
from pathlib import Path

import numpy as np

from ..autograd import higher_order, trace
from .escaping import html_text, script_json
from .graph import FREED_NOTE, any_value_freed, check_root, edge_symbol, tensor_kind, value_freed
from .replay import backward_walk, graph_released

ASSETS = Path(__file__).with_name("explorer_assets")
MAX_ELEMENTS = 20000   # arrays larger than this are embedded as their first MAX_ELEMENTS entries
PAGE_ELEMENTS = 200_000   # numbers in all arrays of a page (about 4 MB); past it each array gets an equal share
SHARE_FLOOR = 100      # ... but never fewer than its first 100 entries
CHAR_WIDTH, LINE_HEIGHT, PAD = 7.3, 15, 8   # the page draws boxes in a 12 px monospace font


def to_html(root, path=None, *, params=None, title=None, full=trace.FULL, seed=None):
    """One self-contained HTML page exploring the forward and backward pass of ``root``'s graph.

    ``params`` names tensors as in ``draw_graph``; ``full`` is the largest side shown in full in
    the boxes (a click shows any array in full); ``seed`` is dL/droot (ones by default). Returns
    the HTML text and writes it to ``path`` when given.
    """
    check_root(root, "to_html")
    data = explorer_data(root, params=params, title=title, full=full, seed=seed)
    page = _page(data)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(page, encoding="utf-8")
    return page


class Explorer:
    """What ``explore`` returns: shows the explorer inline in Jupyter; ``.html`` is the page, ``.save(path)`` writes it."""

    def __init__(self, page, height):
        self.html, self.height = page, height

    def _repr_html_(self):
        # an iframe keeps the page's script and style apart from the notebook's own
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" style="width: 100%; height: {self.height}px; '
                'border: 1px solid #ddd" sandbox="allow-scripts"></iframe>')

    def save(self, path):
        Path(path).write_text(self.html, encoding="utf-8")
        return str(path)

    def __repr__(self):
        return f"Explorer(html of {len(self.html)} characters; shown inline in Jupyter)"


def explore(root, *, height=640, **options):
    """The explorer of ``root`` as an object that Jupyter shows inline (options as for ``to_html``)."""
    check_root(root, "explore")
    return Explorer(to_html(root, **options), height)


# ---------------------------------------------------------------- the data the page shows

def explorer_data(root, *, params=None, title=None, full=trace.FULL, seed=None):
    """Everything the page shows, as a JSON-ready dict: tensors, ops, layout and the steps of both passes."""
    order = trace.forward_order(root)
    labels, names = trace.node_labels(order, params), trace.given_names(order, params)
    index = {id(t): i for i, t in enumerate(order)}
    replayable = not graph_released(root)
    group = _groups(order)
    second = BACKWARD in group.values()
    steps = [{"phase": "start", "title": "Start: the inputs and weights have values; nothing is computed yet"}]
    made_at = {}
    for tensor, number, count in _forward_steps(order, group):
        made_at[index[id(tensor)]] = len(steps)
        steps.append(_forward_step(tensor, index, labels, number, count, group[id(tensor)]))
    if replayable:
        arrivals = _replayed_backward(root, seed, index, labels, names, steps, full, second=second)
    else:
        arrivals = _gradients_left_by_backward(order, index, steps, full)
    tensors = [_tensor_entry(t, i, labels, names, root, made_at, arrivals.get(i, []), full, group[id(t)])
               for i, t in enumerate(order)]
    ops = [{"tensor": index[id(t)], "name": str(t.op.name), "rule": trace.rule_with_names(t, names),
            "inputs": [index[id(p)] for p in t.op.parents], "group": group[id(t)], "backward": group[id(t)] == BACKWARD,
            "symbols": [edge_symbol(t.op, k, p, names) or "" for k, p in enumerate(t.op.parents)]}
           for t in order if t.op is not None]
    layout = _layout(order, index, tensors, ops)
    limits = _embed_arrays(tensors)
    return {"title": title or f"backprop explorer: {labels[id(root)]}", "tensors": tensors, "ops": ops,
            "steps": steps, "layout": layout, "root": index[id(root)], "note": _freed_note(order, replayable),
            "limits": limits, "second_order": SECOND_ORDER_NOTE if second else None}


SECOND_ORDER_NOTE = ("This graph holds a gradient made with backward(create_graph=True): the purple ops, in a frame of "
                     "their own, are the first backward pass, recorded as a graph. Step on through the forward ops, "
                     "then the recorded backward ops, then the second backward pass through both: the gradients it "
                     "hands on are second derivatives.")


FORWARD, BACKWARD, AFTER = 0, 1, 2  # the forward graph, the recorded backward graph, ops on the gradient


def _groups(order):
    """{id(tensor): its group}. BACKWARD: made by an op a create_graph backward recorded, or a constant only
    such ops use (the seed, a number of a rule). AFTER: an op run on what the backward made (a penalty on
    the gradient), or a constant only such ops use. FORWARD: the rest, and every input that requires grad."""
    group = {id(t): BACKWARD if t.op is not None and higher_order.recorded_by_backward(t) else FORWARD for t in order}
    if BACKWARD not in group.values():
        return group
    users = {}
    for t in order:  # parents come first
        if t.op is None:
            continue
        if group[id(t)] == FORWARD and any(group[id(p)] != FORWARD for p in t.op.parents):
            group[id(t)] = AFTER
        for p in t.op.parents:
            users.setdefault(id(p), set()).add(group[id(t)])
    for t in order:
        if t.op is None and not t.requires_grad and len(users.get(id(t), ())) == 1:
            group[id(t)] = users[id(t)].pop()
    return group


def _replayed_backward(root, seed, index, labels, names, steps, full, second=False):
    """Append the seed and one step per op of the replayed backward pass; return each tensor's arrivals."""
    walk = backward_walk(root, seed)
    arrivals = {}
    if walk.steps:
        which = "Second backward" if second else "Backward"
        title = f"{which}: start from dL/d{labels[id(root)]} = {trace.glance(walk.grads[id(root)])}"
        steps.append({"phase": "seed", "title": title, "node": index[id(root)]})
        arrivals[index[id(root)]] = [_arrival(len(steps) - 1, None, walk.grads[id(root)], walk.grads[id(root)], full)]
        _backward_steps(walk, index, labels, names, steps, arrivals, full)
    return arrivals


def _gradients_left_by_backward(order, index, steps, full):
    """After a backward that freed the graph: one last step showing each ``.grad`` it left; their arrivals."""
    kept = [t for t in order if not value_freed(t) and t.grad is not None]
    if not kept:
        return {}
    steps.append({"phase": "after", "title": "After loss.backward(): the gradients it left in .grad"})
    return {index[id(t)]: [_arrival(len(steps) - 1, None, t.grad, t.grad, full)] for t in kept}


def _freed_note(order, replayable):
    """What the page says when backward() has freed the graph: what is missing and how to keep it."""
    if replayable:
        return None
    missing = FREED_NOTE + " " if any_value_freed(order) else ""
    return (missing + "backward() also freed what the ops saved, so this page shows the gradients left in .grad "
            "instead of each backward step: make the page before loss.backward(), or after "
            "loss.backward(retain_graph=True), to step through it.")


def _forward_steps(order, group):
    """(op result, its number, how many) in the order they were computed (the engine numbers ops as they are
    made), numbered within its group (the forward ops, the ops a create_graph backward recorded, ...)."""
    made = sorted((t for t in order if t.op is not None), key=lambda t: t._seq)
    counts, numbers = {}, {}
    for t in made:
        counts[group[id(t)]] = counts.get(group[id(t)], 0) + 1
    for t in made:
        numbers[group[id(t)]] = numbers.get(group[id(t)], 0) + 1
        yield t, numbers[group[id(t)]], counts[group[id(t)]]


def _forward_step(tensor, index, labels, number, count, group=FORWARD):
    """The step at which ``tensor``'s op runs (forward, or in the recorded first backward pass), its value appearing."""
    inputs = ", ".join(labels[id(p)] for p in tensor.op.parents)
    return {"phase": "forward", "node": index[id(tensor)],
            "title": f"{labels[id(tensor)]} = {tensor.op.name}({inputs})",
            "number": number, "count": count, "group": group, "recorded": group == BACKWARD}


def _backward_steps(walk, index, labels, names, steps, arrivals, full):
    """One step per op of the replayed backward pass; each gradient handed on is an arrival at its input.

    An arrival keeps the part that came and the running sum (added in the engine's order, so the
    last sum is exactly the engine's .grad).
    """
    running = {}
    for k, (node, g, input_grads) in enumerate(walk.steps, 1):
        step_index = len(steps)
        inputs = []
        for parent, parent_grad in zip(node.op.parents, input_grads):
            needed = parent_grad is not None and parent.requires_grad
            entry = {"tensor": index[id(parent)], "grad": trace.glance(parent_grad) if needed else None}
            inputs.append(entry)
            if needed:
                key = id(parent)
                running[key] = parent_grad if key not in running else running[key] + parent_grad
                total = running[key].astype(parent.dtype, copy=False) if parent.op is None else running[key]
                arrivals.setdefault(index[key], []).append(_arrival(step_index, index[id(node)], parent_grad, total,
                                                                     full))
        ins = ", ".join(labels[id(p)] for p in node.op.parents)
        steps.append({"phase": "backward", "node": index[id(node)], "number": k, "count": len(walk.steps),
                      "title": f"{labels[id(node)]} = {node.op.name}({ins})", "rule": trace.rule_with_names(node, names),
                      "G": trace.glance(g), "inputs": inputs})


def _arrival(step, source, part, total, full):
    return {"step": step, "from": source, "part": _array(part), "total": _array(total),
            "lines": trace.glance_lines(total, full), "part_text": trace.glance(part, full)}


def _tensor_entry(tensor, i, labels, names, root, made_at, arrivals, full, group=FORWARD):
    return {"id": i, "label": labels[id(tensor)], "named": id(tensor) in names,
            "kind": tensor_kind(tensor, tensor is root), "group": group, "backward": group == BACKWARD,
            "shape": list(tensor.shape), "dtype": str(tensor.dtype), **_value_entry(tensor, full),
            "made_at": made_at.get(i, 0), "grads": arrivals}


def _value_entry(tensor, full):
    if value_freed(tensor):
        return {"value": None, "value_lines": ["freed by backward()"]}
    return {"value": _array(tensor.data), "value_lines": trace.glance_lines(tensor.data, full)}


class _Inline:
    """An array to embed in the page: its shape, size and first MAX_ELEMENTS entries (a copy: the replay adds in place)."""

    def __init__(self, a):
        a = np.asarray(a)
        self.shape, self.size, self.flat = list(a.shape), a.size, a.ravel()[:MAX_ELEMENTS].copy()


def _array(a):
    return _Inline(a)


def _embed_arrays(tensors):
    """Turn the page's arrays into JSON, each cut to its share of PAGE_ELEMENTS; the note that says so, or None.

    The boxes' summaries (first entries, norm, min, max) are always of the whole arrays; only
    what a click shows in full is cut, so a graph of big arrays still makes a page of a few MB.
    """
    holders = [(t, "value") for t in tensors if t["value"] is not None]
    holders += [(arrival, key) for t in tensors for arrival in t["grads"] for key in ("part", "total")]
    total = sum(owner[key].flat.size for owner, key in holders)
    share = MAX_ELEMENTS if total <= PAGE_ELEMENTS else max(SHARE_FLOOR, PAGE_ELEMENTS // len(holders))
    cut = 0
    for owner, key in holders:
        owner[key] = _json_array(owner[key], share)
        cut += owner[key]["truncated"]
    if not cut:
        return None
    return (f"This page holds at most the first {share:,} numbers of each array ({PAGE_ELEMENTS:,} in all, to keep it "
            f"small and quick): {cut} arrays are cut short where a click shows them. The boxes' norm, min and max are "
            "of the whole arrays.")


def _json_array(inline, limit):
    """{shape, data (flat, at most ``limit`` numbers), truncated} for JSON; NaN and ±inf as strings."""
    flat = inline.flat[:limit]
    if flat.dtype.kind == "f" and flat.dtype.itemsize > 8:  # float128: JSON has only doubles
        flat = flat.astype(np.float64)
    data = flat.tolist() if flat.dtype.kind in "biuf" else [str(v) for v in flat]
    if flat.dtype.kind == "f" and not np.all(np.isfinite(flat)):
        data = [v if np.isfinite(v) else str(v) for v in data]
    return {"shape": inline.shape, "data": data, "truncated": inline.size > len(data)}


# ---------------------------------------------------------------- layout: layers top to bottom, no Graphviz

def _box_size(lines, height_lines=None):
    width = max(len(line) for line in lines) * CHAR_WIDTH + 2 * PAD
    return round(max(width, 60)), (height_lines or len(lines)) * LINE_HEIGHT + 2 * PAD - 4


def _tensor_box_lines(entry):
    """The most text a tensor's box ever holds (as explorer.js writes it): name, shape, value rows, gradient rows."""
    lines = [entry["label"], f"{trace.shape_text(entry['shape'])} {entry['dtype']}"]
    lines += ["value ·  (not computed yet)"] if entry["made_at"] else []
    lines += ["value " + row for row in entry["value_lines"]]
    for k, arrival in enumerate(entry["grads"], 1):
        lines += ["grad so far " + row for row in arrival["lines"]]
        lines.append(f"({k} of {len(entry['grads'])} paths arrived)")
    if len(entry["grads"]) > 1:
        lines.append("(" + " + ".join(a["part_text"] for a in entry["grads"]) + ")")
    grads = entry["grads"]
    height_lines = 2 + len(entry["value_lines"]) + (len(grads[-1]["lines"]) + (len(grads) > 1) if grads else 0)
    return lines, height_lines


def _layout(order, index, tensors, ops):
    """Positions of every box: ops one layer below their inputs, results below their op, leaves just above their first use."""
    boxes = {}
    for entry in tensors:
        boxes[f"t{entry['id']}"] = _box_size(*_tensor_box_lines(entry))
    for op in ops:
        boxes[f"op{op['tensor']}"] = _box_size([op["name"], op["rule"] or " "])
    layer = {}
    for t in order:  # parents come first in forward order
        if t.op is None:
            continue
        op_layer = max((layer.get(f"t{index[id(p)]}", 0) for p in t.op.parents), default=0) + 1
        layer[f"op{index[id(t)]}"] = op_layer
        layer[f"t{index[id(t)]}"] = op_layer + 1
    first_use = {}
    for t in order:
        if t.op is not None:
            for p in t.op.parents:
                key = f"t{index[id(p)]}"
                first_use[key] = min(first_use.get(key, 10 ** 9), layer[f"op{index[id(t)]}"])
    for t in order:
        if t.op is None:
            key = f"t{index[id(t)]}"
            layer[key] = first_use[key] - 1 if key in first_use else 0
    edges = [(f"t{i}", f"op{op['tensor']}") for op in ops for i in op["inputs"]] + \
        [(f"op{op['tensor']}", f"t{op['tensor']}") for op in ops]
    rows = {}
    for name in boxes:
        rows.setdefault(layer[name], []).append(name)
    group = {f"op{op['tensor']}": op["group"] for op in ops} | {f"t{t['id']}": t["group"] for t in tensors}
    groups = [[n for n in boxes if group[n] == kind] for kind in (FORWARD, BACKWARD, AFTER)]
    recorded = bool(groups[BACKWARD])
    x = _place_groups([g for g in groups if g], layer, boxes, edges)
    y, top = {}, 44 if recorded else 20  # room for the frames' titles
    for level in sorted(rows):
        height = max(boxes[n][1] for n in rows[level])
        for n in rows[level]:
            y[n] = top + height / 2
        top += height + 34
    left = min(x[n] - boxes[n][0] / 2 for n in boxes)
    nodes = {n: {"x": round(x[n] - left + 20, 1), "y": round(y[n], 1), "w": boxes[n][0], "h": boxes[n][1]}
             for n in boxes}
    width = max(v["x"] + v["w"] / 2 for v in nodes.values()) + 20
    frames = [_frame(title, members, nodes) for title, members in zip(GROUP_TITLES, groups) if members and recorded]
    return {"nodes": nodes, "edges": edges, "width": round(width), "height": round(top), "groups": frames}


GROUP_TITLES = ("the forward pass", "the first backward pass, recorded (create_graph=True)", "ops on the gradient")
GROUP_GAP = 60  # between the frames of the groups


def _place_groups(groups, layer, boxes, edges):
    """x of every box: each group (the forward graph, the recorded backward graph, ...) laid out alone, side by side."""
    x, offset = {}, 0.0
    for members in groups:
        inside = set(members)
        rows = {}
        for name in members:
            rows.setdefault(layer[name], []).append(name)
        part = _place_in_rows(rows, boxes, [e for e in edges if e[0] in inside and e[1] in inside])
        left = min(part[n] - boxes[n][0] / 2 for n in members)
        for n in members:
            x[n] = part[n] - left + offset
        offset = max(x[n] + boxes[n][0] / 2 for n in members) + GROUP_GAP
    return x


def _frame(title, members, nodes):
    """A titled frame around a group's boxes."""
    left = min(nodes[n]["x"] - nodes[n]["w"] / 2 for n in members) - 12
    right = max(nodes[n]["x"] + nodes[n]["w"] / 2 for n in members) + 12
    top = min(nodes[n]["y"] - nodes[n]["h"] / 2 for n in members) - 28
    bottom = max(nodes[n]["y"] + nodes[n]["h"] / 2 for n in members) + 12
    return {"title": title, "x": round(left, 1), "y": round(top, 1), "w": round(right - left, 1),
            "h": round(bottom - top, 1), "backward": title == GROUP_TITLES[BACKWARD]}


def _place_in_rows(rows, boxes, edges, gap=24, sweeps=4):
    """x of every box: each row ordered and placed near the mean x of its neighbours, sweeping down and up.

    The computed boxes (ops and their results) line up with each other; a weight or constant is
    put beside them. (Centring every op between a chain of results and a weight beside it moved
    each layer half a box to the side: a two-layer net drifted to twice the width of its panel.)
    """
    up, down = {}, {}
    for tail, head in edges:
        down.setdefault(tail, []).append(head)
        up.setdefault(head, []).append(tail)
    leaves = {n for n in boxes if n.startswith("t") and n not in up}
    x = {}
    for level in sorted(rows):
        _pack(rows[level], boxes, {n: i * 100.0 for i, n in enumerate(rows[level])}, x, gap, leaves)
    levels = sorted(rows)
    for sweep in range(sweeps):
        sequence = levels[1:] if sweep % 2 == 0 else levels[-2::-1]
        neighbours = up if sweep % 2 == 0 else down
        for level in sequence:
            wanted = {}
            for n in rows[level]:
                near = [m for m in neighbours.get(n, []) if m not in leaves] or neighbours.get(n)
                wanted[n] = np.mean([x[m] for m in near]) if near else x[n]
            _pack(rows[level], boxes, wanted, x, gap, leaves)
    return x


def _pack(row, boxes, wanted, x, gap, leaves=()):
    """Order a row by the x each box wants and place the boxes left to right without overlap.

    The row is then moved so that its computed boxes sit, on average, where they want to be
    (all its boxes, when it holds only leaves).
    """
    row.sort(key=lambda n: wanted[n])
    right = -float("inf")
    for n in row:
        half = boxes[n][0] / 2
        x[n] = max(wanted[n], right + gap + half)
        right = x[n] + half
    anchored = [n for n in row if n not in leaves] or row
    shift = np.mean([wanted[n] - x[n] for n in anchored])  # pushed right by the packing: move back to the wishes
    for n in row:
        x[n] += shift


# ---------------------------------------------------------------- the page

def _page(data):
    script = (ASSETS / "explorer.js").read_text(encoding="utf-8")
    style = (ASSETS / "explorer.css").read_text(encoding="utf-8")
    payload = script_json(data)
    title = html_text(data["title"])
    notes = [f'\n  <p id="{key.replace("_", "-")}" class="note">{html_text(data[key])}</p>'
             for key in ("note", "limits", "second_order") if data.get(key)]
    note = "".join(notes)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{style}
</style>
</head>
<body>
<header>
  <h1>{title}</h1>{note}
  <div class="controls">
    <button id="first" title="Home: the start">« start</button>
    <button id="prev" title="←: one step back">◀ back</button>
    <button id="next" title="→: one step on">next ▶</button>
    <button id="last" title="End: after the whole backward pass">end »</button>
    <input id="slider" type="range" min="0" value="0" aria-label="step">
    <span id="counter"></span>
    <button id="zoom">zoom: 100%</button>
  </div>
</header>
<main>
  <section id="graph"><svg id="canvas" xmlns="http://www.w3.org/2000/svg"></svg></section>
  <aside>
    <div id="step" class="panel"></div>
    <div id="details" class="panel"><p class="hint">Click a tensor to see its full value and gradient.
    Keys: ← →, Home, End.</p></div>
  </aside>
</main>
<script id="explorer-data" type="application/json">{payload}</script>
<script>
{script}
</script>
</body>
</html>
"""
