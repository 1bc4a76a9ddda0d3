"""tinygrad_sm.viz: graph pictures, the backward trace, per-step pictures, and a missing Graphviz."""

import html
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import numpy as np
import pytest

import tinygrad_sm
from tinygrad_sm import Tensor, more_ops, nn, ops, parity_ops
from tinygrad_sm.autograd import (adaptive_avg_pool2d, avg_pool2d, conv2d, conv_checks, conv_ops, conv_transpose2d,
                                  fold, max_pool2d, unfold)
from tinygrad_sm.viz import (COLORS, BackwardTrace, GraphvizNotFound, draw_backward_steps, draw_graph,
                             forward_order, glance, glance_lines, retain_grads, rule_with_names, to_dot,
                             trace_backward)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NEEDS_DOT = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot program: "
                               "apt-get install graphviz (make graphviz does it as root), or brew install graphviz")
SVG_NS = "{http://www.w3.org/2000/svg}"


def parse_dot(source):
    """{node id: label text (HTML tags stripped, entities decoded)}, {node id: attribute text}, [(tail, head)]."""
    labels, attributes = {}, {}
    for node, label, attrs in re.findall(r"^\t(\w+) \[label=<(.*)> (shape=.*)\]$", source, re.M):
        text = re.sub(r"<BR[^>]*/>", "\n", label)
        labels[node] = html.unescape(re.sub(r"<[^>]*>", "", text)).rstrip("\n")
        attributes[node] = attrs
    edges = re.findall(r"^\t(\w+) -> (\w+)", source, re.M)
    return labels, attributes, edges


def svg_texts(svg):
    """Every text line of a rendered SVG (the SVG must parse as XML)."""
    root = ET.fromstring(svg)
    return [t.text for t in root.iter(SVG_NS + "text") if t.text]


def t64(values, grad=True, name=None):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=grad, name=name)


# One graph per op of the engine: (op name, number of tensor inputs, build from the inputs a, b).
A = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]
B = [[1.0, 2.0, 0.5], [-1.0, 0.5, 1.0]]
MORE_OP_GRAPHS = {  # the extended ops of more_ops.py (issue 10)
    **{name: (1, lambda a, b, name=name: getattr(a, name)()) for name in
       ("abs", "sqrt", "square", "log1p", "expm1", "sin", "cos", "leaky_relu", "elu", "gelu", "prod", "var", "std",
        "min", "flip")},
    "clip": (1, lambda a, b: a.clip(0.6, 1.0)),
    "cumsum": (1, lambda a, b: a.cumsum(axis=1)),
    "narrow": (1, lambda a, b: a.split(1)[0]),
    "broadcast_to": (1, lambda a, b: a.broadcast_to(2, 2, 3)),
    "pad": (1, lambda a, b: a.pad(1)),
    "tile": (1, lambda a, b: a.tile(2)),
    "take_along_axis": (1, lambda a, b: a.take_along_axis(np.array([[0], [2]]), axis=1)),
    "maximum": (2, lambda a, b: a.maximum(b)),
    "minimum": (2, lambda a, b: a.minimum(b)),
    "where": (2, lambda a, b: tinygrad_sm.where(a.data > 1, a, b)),
    "concatenate": (2, lambda a, b: tinygrad_sm.cat([a, b])),
    "stack": (2, lambda a, b: tinygrad_sm.stack([a, b])),
}
# The rules of MORE_OP_GRAPHS with the inputs named a and b, as the pictures print them
MORE_RULES_WITH_NAMES = {
    "abs": "da = G ⊙ sign(a)", "sqrt": "da = G / (2√a)", "square": "da = 2 G ⊙ a", "log1p": "da = G / (1 + a)",
    "expm1": "da = G ⊙ e^a", "sin": "da = G ⊙ cos a", "cos": "da = -G ⊙ sin a",
    "clip": "da = G ⊙ 1[lo ≤ a ≤ hi]", "leaky_relu": "da = G ⊙ (1[a > 0] + s·1[a ≤ 0])",
    "elu": "da = G ⊙ (1[a > 0] + (out + α)·1[a ≤ 0])",
    "gelu": "da = G ⊙ (½(1 + t) + ½ a (1 - t²) c (1 + 3·0.044715 a²)), t = tanh(c(a + 0.044715 a³))",
    "maximum": "da = G ⊙ (1[a > b] + ½·1[a = b]), db = G ⊙ (1[b > a] + ½·1[a = b])",
    "minimum": "da = G ⊙ (1[a < b] + ½·1[a = b]), db = G ⊙ (1[b < a] + ½·1[a = b])",
    "where": "da = G ⊙ 1[c], db = G ⊙ 1[¬c] (summed over broadcast axes)",
    "min": "da = G ⊙ 1[a = min] / (number of tied minima)", "var": "da = G ⊙ 2(a - mean(a)) / (n - c)",
    "std": "da = G ⊙ (a - mean(a)) / ((n - c) · out)", "prod": "da_i = G ⊙ Π_{j≠i} a_j",
    "cumsum": "da_i = Σ_{j ≥ i} G_j along the axis",
    "concatenate": "da, db, … = the slices of G where a, b, … sit along the axis",
    "stack": "da, db, … = G[0], G[1], … along the new axis",
    "narrow": "da = G placed at the kept slice, 0 elsewhere", "broadcast_to": "da = G summed over the broadcast axes",
    "flip": "da = G flipped back", "pad": "da = G without the padding", "tile": "da = G summed over the copies",
    "take_along_axis": "da = G scattered back to the taken places (np.add.at)",
}


def test_the_extended_ops_name_each_input_by_its_symbol_alone():
    """Put a, b in place of the symbols (whole tokens, an optional leading d): the rule must read as listed."""
    for name, (arity, build) in MORE_OP_GRAPHS.items():
        op = build(t64(np.abs(A) + 0.5), t64(B)).op
        assert op.name == name and len(op.symbols) == arity
        names = dict(zip(op.symbols, "ab"))
        pattern = re.compile(r"(?<![A-Za-z0-9_])(d?)(" + "|".join(names) + r")(?![A-Za-z0-9])")
        assert pattern.sub(lambda m: m.group(1) + names[m.group(2)], op.rule) == MORE_RULES_WITH_NAMES[name]


OP_GRAPHS = {
    "add": (2, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b),
    "div": (2, lambda a, b: a / b),
    "pow": (2, lambda a, b: a ** b),
    "matmul": (2, lambda a, b: a @ b),  # b is given transposed, (3, 2)
    "neg": (1, lambda a, b: -a),
    "relu": (1, lambda a, b: a.relu()),
    "exp": (1, lambda a, b: a.exp()),
    "log": (1, lambda a, b: a.log()),
    "sigmoid": (1, lambda a, b: a.sigmoid()),
    "tanh": (1, lambda a, b: a.tanh()),
    "softplus": (1, lambda a, b: a.softplus()),
    "sum": (1, lambda a, b: a.sum(axis=1)),
    "mean": (1, lambda a, b: a.mean()),
    "max": (1, lambda a, b: a.max(axis=0)),
    "reshape": (1, lambda a, b: a.reshape(3, 2)),
    "transpose": (1, lambda a, b: a.transpose()),
    "getitem": (1, lambda a, b: a[0]),
    "softmax": (1, lambda a, b: a.softmax()),
    "log_softmax": (1, lambda a, b: a.log_softmax()),
    "logsumexp": (1, lambda a, b: a.logsumexp()),
    "softmax_cross_entropy": (1, lambda a, b: a.softmax_cross_entropy(np.array([2, 0]))),
    "clone": (1, lambda a, b: a.clone()),
    "astype": (1, lambda a, b: a.astype(np.float64)),
    "sign": (1, lambda a, b: a.sign()),
    "setitem": (2, lambda a, b: Tensor._apply(parity_ops.SetItem(), (a, b), Ellipsis)),  # a[...] = b, recorded
    **MORE_OP_GRAPHS,
}


# Each rule as it should read with the inputs called a and b and the output called out (written by hand).
RULES_WITH_NAMES = {
    "add": "da = G, db = G (summed over broadcast axes)",
    "sub": "da = G, db = -G (summed over broadcast axes)",
    "mul": "da = G ⊙ b, db = G ⊙ a",
    "div": "da = G / b, db = -G ⊙ a / b²",
    "pow": "da = G ⊙ b a^(b-1), db = G ⊙ a^b log a",
    "matmul": "da = G bᵀ, db = aᵀ G",
    "neg": "da = -G",
    "relu": "da = G ⊙ 1[a > 0]",
    "exp": "da = G ⊙ exp(a)",
    "log": "da = G / a",
    "sigmoid": "da = G ⊙ σ(a)(1 - σ(a))",
    "tanh": "da = G ⊙ (1 - tanh²(a))",
    "softplus": "da = G ⊙ σ(a)",
    "sum": "da = G broadcast back over the summed axes",
    "mean": "da = G / n broadcast back over the averaged axes",
    "max": "da = G ⊙ 1[a = max a] / (number of tied maxima)",
    "reshape": "da = G reshaped to a's shape",
    "transpose": "da = G with the axes permuted back",
    "getitem": "da = G scattered back to the picked places (np.add.at)",
    "softmax": "da = out ⊙ (G - Σ_j G_j out_j)  [from ∂out_i/∂a_j = out_i(δ_ij - out_j)]",
    "log_softmax": "da = G - softmax(a) Σ_j G_j",
    "logsumexp": "da = G ⊙ softmax(a)",
    "softmax_cross_entropy": "da = (softmax(a) - onehot(y)) / n",
    "clone": "da = G",
    "astype": "da = G cast back to a's dtype",
    "sign": "da = 0 (sign is flat wherever it has a derivative)",
    "setitem": "da = G with the written places set to 0, db = G at the written places",
    **MORE_RULES_WITH_NAMES,
}
# The op backward(create_graph=True) records for the backward of indexing (issue 17)
OP_GRAPHS["scatter_add"] = (1, lambda a, b: tinygrad_sm.autograd.higher_order.scatter_add(a, (3, 2, 3), 1, a.dtype))
RULES_WITH_NAMES["scatter_add"] = "da = G picked at the places a was added to"


# The convolution and pooling ops of conv_ops.py (issue 18), on images made of a's and b's numbers; c is a bias
def image(t, shape, name):
    return t64(t.data.reshape(shape), name=name)


def conv1d_op(a, b):
    win = conv_checks.conv_window("conv1d", (1, 2, 3), (3, 2, 1), (3,), 1, 0, 1, 1, dims=1)
    inputs = (image(a, (1, 2, 1, 3), "a"), image(b, (3, 2, 1, 1), "b"), t64([0.5, -1.0, 0.25], name="c"))
    return Tensor._apply(conv_ops.Conv1d(), inputs, win=win, groups=1)


OP_GRAPHS.update({
    "conv2d": (3, lambda a, b: conv2d(image(a, (1, 1, 2, 3), "a"), image(b, (3, 1, 1, 2), "b"),
                                      t64([0.5, -1.0, 0.25], name="c"))),
    "conv1d": (3, conv1d_op),
    "conv_transpose2d": (3, lambda a, b: conv_transpose2d(image(a, (1, 2, 1, 3), "a"), image(b, (2, 3, 1, 1), "b"),
                                                          t64([0.5, -1.0, 0.25], name="c"))),
    "unfold": (1, lambda a, b: unfold(image(a, (1, 1, 2, 3), "a"), 2)),
    "fold": (1, lambda a, b: fold(image(a, (1, 2, 3), "a"), (1, 4), (1, 2))),
    "max_pool2d": (1, lambda a, b: max_pool2d(image(a, (1, 1, 2, 3), "a"), 2)),
    "avg_pool2d": (1, lambda a, b: avg_pool2d(image(a, (1, 1, 2, 3), "a"), 2)),
    "adaptive_avg_pool2d": (1, lambda a, b: adaptive_avg_pool2d(image(a, (1, 1, 2, 3), "a"), 1)),
})
CONV_RULE_WITH_NAMES = ("da = fold(bᵀ G): G correlated with the flipped kernel, db = Σₙ G unfold(a)ᵀ, "
                        "dc = Σ_{n,h,w} G")
RULES_WITH_NAMES.update({
    "conv2d": CONV_RULE_WITH_NAMES,
    "conv1d": CONV_RULE_WITH_NAMES,
    "conv_transpose2d": "da = b unfold(G) (a conv2d of G), db = Σₙ a unfold(G)ᵀ, dc = Σ_{n,h,w} G",
    "unfold": "da = fold(G): each column entry added back to the pixel it copied",
    "fold": "da = unfold(G): each column entry reads the pixel it was added to",
    "max_pool2d": "da = G routed to the arg-max of each window (the first, on ties)",
    "avg_pool2d": "da = G / (window size), spread evenly over each window",
    "adaptive_avg_pool2d": "da = Pₕᵀ G P_w: G / (window size) spread over each window",
})


def all_op_classes():
    found, stack = [], [ops.Op]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("tinygrad_sm."):  # not the ops other tests write (test_custom_op.py)
                found.append(sub)
            stack.append(sub)
    return found


def test_op_table_covers_every_op_of_the_engine():
    assert {cls.name for cls in all_op_classes()} == set(OP_GRAPHS)


@pytest.mark.parametrize("op_name", sorted(OP_GRAPHS))
def test_graph_of_each_op_has_its_nodes_labels_and_edges(op_name):
    arity, build = OP_GRAPHS[op_name]
    a, b = t64(np.abs(A) + 0.5, name="a"), t64(np.transpose(B) if op_name == "matmul" else B, name="b")
    out = build(a, b)
    out.name = "out"
    op_class = next(cls for cls in all_op_classes() if cls.name == op_name)
    labels, attributes, edges = parse_dot(to_dot(out))
    tensors = {node: text for node, text in labels.items() if node.startswith("t")}
    op_nodes = {node: text for node, text in labels.items() if node.startswith("op")}
    assert len(op_nodes) == 1 and len(tensors) == arity + 1
    (op_node, op_text), = op_nodes.items()
    assert op_text.split("\n")[:2] == [op_name, RULES_WITH_NAMES[op_name]]
    assert len(op_class.symbols) == arity and op_class.rule  # every op names each of its inputs
    by_name = {text.split("\n")[0]: node for node, text in tensors.items()}
    inputs = ("a", "b", "c")[:arity]
    assert set(by_name) == {*inputs, "out"}
    assert set(edges) == {(op_node, by_name["out"])} | {(by_name[name], op_node) for name in inputs}
    shape_line = tensors[by_name["out"]].split("\n")[1]
    assert shape_line == f"{out.shape if out.shape else 'scalar'} float64"
    assert 'peripheries="2"' in attributes[by_name["out"]] and COLORS["root"] in attributes[by_name["out"]]
    assert COLORS["param"] in attributes[by_name["a"]]


def test_edges_run_in_data_flow_order_and_name_each_unnamed_input_by_its_symbol():
    a, b = t64([1.0, 2.0], name="a"), t64([3.0, 4.0])
    source = to_dot((a * b).sum())
    assert re.search(r'^\tt0 -> op2$', source, re.M)  # a is named: the rule says da = G ⊙ B
    assert re.search(r'^\tt1 -> op2 \[label="B"\]$', source, re.M)
    assert re.search(r'^\tt2 -> op3 \[label="A"\]$', source, re.M)  # the unnamed product, A of sum's rule
    assert re.search(r"^\top2 -> t2$", source, re.M) and re.search(r"^\top3 -> t3$", source, re.M)
    labels, _, _ = parse_dot(source)
    assert labels["op2"] == "mul\nda = G ⊙ B, dB = G ⊙ a"


def test_tensor_node_shows_name_shape_dtype_value_and_grad():
    x = Tensor(np.array([[1.0, -2.0]], dtype=np.float32), name="x")
    W = Tensor(np.array([[1.0, 0.0, 2.0], [0.5, 1.0, -1.0]], dtype=np.float32), requires_grad=True, name="W")
    loss = (x @ W).softmax_cross_entropy(np.array([1]))
    loss.backward(retain_graph=True)  # keep the graph to draw it
    labels, attributes, _ = parse_dot(to_dot(loss))
    w_node = next(node for node, text in labels.items() if text.startswith("W\n"))
    assert labels[w_node].split("\n")[:4] == ["W", "(2, 3) float32", "value [[1, 0, 2]", "       [0.5, 1, -1]]"]
    grad_rows = labels[w_node].split("\n")[4:]
    assert ", ".join(row.strip() for row in grad_rows) == "grad " + glance(W.grad)
    x_node = next(node for node, text in labels.items() if text.startswith("x\n"))
    assert "dashed" in attributes[x_node] and COLORS["const"] in attributes[x_node]
    assert "grad" not in labels[x_node]  # a constant has no gradient


def test_show_values_and_show_grads_switch_the_lines_off():
    w = t64([1.0, 2.0], name="w")
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    labels, _, _ = parse_dot(to_dot(loss, show_values=False, show_grads=False))
    assert not any("value" in text or "grad" in text for text in labels.values())
    labels, _, _ = parse_dot(to_dot(loss))
    assert any(text.endswith("grad [2, 4]\n= [1, 2] + [1, 2]") for text in labels.values())  # w is A and B of mul


def test_names_come_from_params_then_tensor_name_then_op_numbering():
    layer = nn.Linear(3, 2, rng=0)
    x = Tensor(np.ones((4, 3), np.float32))
    loss = layer(x).relu().sum()
    labels, _, _ = parse_dot(to_dot(loss, params=layer))
    first_lines = {text.split("\n")[0] for node, text in labels.items() if node.startswith("t")}
    assert first_lines == {"const#1", "weight", "transpose#1", "matmul#1", "bias", "add#1", "relu#1", "sum#1"}
    labels, _, _ = parse_dot(to_dot(loss))  # without params: the names nn.Linear gave its tensors
    assert {"Wᵀ", "b"} <= {text.split("\n")[0] for text in labels.values()}
    labels, _, _ = parse_dot(to_dot(loss, params={"my_weight": layer.weight}))
    assert "my_weight" in {text.split("\n")[0] for text in labels.values()}
    with pytest.raises(TypeError, match="params must be a dict"):
        to_dot(loss, params=layer.parameters())


def test_glance_shows_up_to_six_by_six_in_full_and_larger_arrays_by_entries_norm_min_max():
    assert glance(np.float32(2.5)) == "2.5"
    assert glance(np.array([0.5, -1.0, 2.0])) == "[0.5, -1, 2]"
    assert glance(np.array([[1, 2], [3, 4]])) == "[[1, 2], [3, 4]]"
    assert glance(np.eye(6)).count("[") == 7 and glance(np.eye(7)).startswith("[1, 0, 0, …]  norm 2.646")
    assert glance(np.eye(7), full=7).count("[") == 8  # the option raises the limit
    assert glance(np.arange(100.0)) == "[0, 1, 2, …]  norm 573  min 0  max 99"  # √(Σ k², k < 100) = 573.0
    assert glance(np.zeros((0, 3))) == "empty (0, 3)"
    assert glance_lines(np.array([[1, 2], [3, 4]])) == ["[[1, 2]", " [3, 4]]"]


def test_glance_never_shows_minus_zero():
    assert glance(np.array([-0.0, 0.0, -1e-30])) == "[0, 0, -1e-30]"
    assert glance(np.float64(-0.0)) == "0" and "-0 " not in glance(-np.zeros(50)) + " "


def test_a_gradient_arriving_along_two_paths_shows_its_contributions_and_their_sum():
    x = t64([2.0], name="x")
    h = x * x
    h.name = "h"
    y = (h + h).sum()
    retain_grads(y)
    y.backward(retain_graph=True)  # the graph is still held: the picture can show the paths
    labels, _, _ = parse_dot(to_dot(y))
    assert "grad [4] + [4] = [8]" in labels["t0"] and "grad [1] + [1] = [2]" in labels["t1"]
    s = t64(3.0, name="s")
    total = s * 2.0 + s * 5.0
    total.backward(retain_graph=True)
    labels, _, _ = parse_dot(to_dot(total))
    assert labels["t0"].endswith("grad 5 + 2 = 7")  # in the order they arrive: the newest op's backward runs first
    u = t64(3.0, name="u")
    doubled = u * 2.0 + u * 5.0
    retain_grads(doubled)  # keeps the picture's shape, while backward frees what the ops saved
    doubled.backward()  # the saved arrays are freed: the sum alone, never a guess at its parts
    labels, _, _ = parse_dot(to_dot(doubled))
    assert labels["t0"].endswith("grad 7")


def test_retain_grads_lets_the_picture_show_every_intermediate_gradient():
    x = t64([2.0], name="x")
    h = x * x
    h.name = "h"
    y = (h + h).sum()
    retain_grads(y)
    y.backward()
    np.testing.assert_allclose(x.grad, [8.0])  # the diamond: dy/dx = 2 · 2x
    labels, _, _ = parse_dot(to_dot(y))
    h_label = next(text for text in labels.values() if text.startswith("h\n"))
    assert h_label.endswith("grad [2]")


def chain(length):
    a = Tensor(1.0, requires_grad=True, name="a")
    h = a
    for _ in range(length):
        h = h * 1.0001 + 0.5
    return h


def test_large_graph_is_cut_at_max_nodes_with_a_note_of_what_was_left_out():
    root = chain(1000)  # 4001 tensors (1 leaf, 2000 numbers, 2000 results) and 2000 ops
    source = to_dot(root, max_nodes=50)
    labels, _, edges = parse_dot(source)
    assert len(labels) <= 50
    drawn_tensors = sum(node.startswith("t") for node in labels)
    drawn_ops = sum(node.startswith("op") for node in labels)
    note = re.search(r'cut \[label="… (\d+) more tensors and (\d+) ops not drawn', source)
    assert note and int(note.group(1)) == 4001 - drawn_tensors and int(note.group(2)) == 2000 - drawn_ops
    assert any(tail == "cut" for tail, _ in edges)
    assert "t4000" in labels  # the root (last in forward order) is always drawn


def test_dot_of_ten_thousand_nodes_is_quick_and_needs_no_recursion():
    root = chain(2500)  # 10,001 tensors and 5,000 ops, deeper than Python's recursion limit
    assert len(forward_order(root)) == 10001
    start = time.perf_counter()
    source = to_dot(root, max_nodes=20000)
    elapsed = time.perf_counter() - start
    assert source.count(" -> ") == 3 * 5000
    assert elapsed < 5.0  # generous: about 0.1 s on the 2-core CI machine


@NEEDS_DOT
def test_rendered_svg_holds_the_expected_labels(tmp_path):
    x = Tensor(np.array([[-1.0, 1.0]]), name="x")
    W = Tensor(np.array([[-2.5, 1.0, 1.0], [-1.0, 2.0, 0.0]]), requires_grad=True, name="W")
    loss = (x @ W).softmax_cross_entropy(np.array([0]))
    loss.backward(retain_graph=True)
    path = draw_graph(loss, title="illustration").render(tmp_path / "graph", format="svg", cleanup=True)
    texts = svg_texts(Path(path).read_text(encoding="utf-8"))
    for expected in ["illustration", "W", "x", "matmul", "dx = G Wᵀ, dW = xᵀ G", "softmax_cross_entropy",
                     "dz = (softmax(z) - onehot(y)) / n", "value [[1.5, 1, -1]]"]:
        assert expected in texts
    assert "grad [[0.4078, -0.3592, -0.04861]" in texts
    assert "[-0.4078, 0.3592, 0.04861]]" in [t.strip() for t in texts]


@NEEDS_DOT
def test_png_render_and_jupyter_display(tmp_path):
    w = t64([1.0, 2.0], name="w")
    graph = draw_graph((w * w).sum())
    path = graph.render(tmp_path / "g", format="png", cleanup=True)
    assert Path(path).read_bytes()[:8] == PNG_SIGNATURE
    bundle = graph._repr_mimebundle_()
    assert "w" in svg_texts(bundle["image/svg+xml"])


def two_layer_network():
    rng = np.random.default_rng(0)
    X = Tensor(rng.standard_normal((4, 2)), name="X")
    W1 = Tensor(rng.standard_normal((2, 5)), requires_grad=True, name="W1")
    b1 = Tensor(np.zeros(5), requires_grad=True, name="b1")
    W2 = Tensor(rng.standard_normal((5, 3)), requires_grad=True, name="W2")
    b2 = Tensor(np.zeros(3), requires_grad=True, name="b2")
    h = X @ W1 + b1
    h.name = "h"
    g = h.relu()
    g.name = "g"
    z = g @ W2 + b2
    z.name = "z"
    loss = z.softmax_cross_entropy(np.array([0, 1, 2, 1]))
    loss.name = "loss"
    return loss, {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "h": h, "g": g, "z": z}


def test_trace_of_two_layer_network_lists_steps_in_reverse_topological_order_with_the_notes_rules():
    loss, tensors = two_layer_network()
    rows = trace_backward(loss, echo=False)
    assert [(r["node"], r["op"]) for r in rows] == [
        ("loss", "softmax_cross_entropy"), ("z", "add"), ("matmul#2", "matmul"), ("g", "relu"),
        ("h", "add"), ("matmul#1", "matmul")]
    assert [r["rule"] for r in rows] == [  # each rule in the graph's own names; unnamed tensors keep the symbol
        "dz = (softmax(z) - onehot(y)) / n", "dA = G, db2 = G (summed over broadcast axes)",
        "dg = G W2ᵀ, dW2 = gᵀ G", "dh = G ⊙ 1[h > 0]", "dA = G, db1 = G (summed over broadcast axes)",
        "dX = G W1ᵀ, dW1 = Xᵀ G"]
    position = {r["node"]: i for i, r in enumerate(rows)}
    for r in rows:  # reverse topological: a node's step comes before the steps of the nodes it was made from
        for item in r["inputs"]:
            if item["label"] in position:
                assert position[item["label"]] > position[r["node"]]
    assert [[i["label"] for i in r["inputs"]] for r in rows] == [
        ["z"], ["matmul#2", "b2"], ["g", "W2"], ["h"], ["matmul#1", "b1"], ["X", "W1"]]
    assert rows[-1]["inputs"][0]["grad"] is None  # X is data: no gradient needed
    np.testing.assert_array_equal(rows[-1]["inputs"][1]["grad"], tensors["W1"].grad)  # the arrays themselves
    assert rows[1]["inputs"][1]["grad_shape"] == (3,)
    np.testing.assert_array_equal(rows[1]["inputs"][1]["grad"], tensors["b2"].grad)
    assert rows[0]["grad"] == 1 and rows[0]["grad_shape"] == ()
    assert str(rows).startswith("step  1  loss = softmax_cross_entropy(z)    G = dL/dloss: scalar  1\n")
    assert f"-> W1: (2, 5)  {glance(tensors['W1'].grad)}" in str(rows)  # the text view


def test_trace_gradients_match_p_minus_onehot_over_n():
    loss, tensors = two_layer_network()
    rows = trace_backward(loss, echo=False)
    z = tensors["z"].data
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    expected = (p - np.eye(3)[[0, 1, 2, 1]]) / 4
    np.testing.assert_allclose(rows[0]["inputs"][0]["grad"], expected, rtol=1e-12)


def test_backward_trace_true_prints_each_step(capsys):
    loss, _ = two_layer_network()
    loss.backward(trace=True)
    printed = capsys.readouterr().out
    assert printed.count("step ") == 6
    assert "step  1  loss = softmax_cross_entropy(z)" in printed
    assert "step  4  g = relu(h)" in printed and "rule: dh = G ⊙ 1[h > 0]" in printed
    assert "-> X: no gradient needed" in printed


def test_backward_trace_as_a_callable_keeps_rows_and_arrays():
    loss, _ = two_layer_network()
    trace = BackwardTrace(keep_arrays=True)
    loss.backward(trace=trace)
    assert len(trace.rows) == len(trace.steps) == 6
    node, grad, input_grads = trace.steps[0]
    assert node is loss and grad.shape == () and len(input_grads) == 1
    assert str(trace).startswith("step  1  loss = softmax_cross_entropy(z)")


@NEEDS_DOT
def test_draw_backward_steps_writes_one_valid_picture_per_step(tmp_path):
    loss, tensors = two_layer_network()
    paths = draw_backward_steps(loss, tmp_path / "steps", format="png")
    assert len(paths) == 7  # the graph before backward, then the six steps
    for path in paths:
        assert Path(path).read_bytes()[:8] == PNG_SIGNATURE
    assert tensors["W1"].grad is not None  # backward really ran


@NEEDS_DOT
def test_draw_backward_steps_highlights_the_current_step(tmp_path):
    loss, _ = two_layer_network()
    paths = draw_backward_steps(loss, tmp_path, format="svg")
    texts = svg_texts(Path(paths[4]).read_text(encoding="utf-8"))
    assert "backward step 4 of 6: g = relu(h);  dh = G ⊙ 1[h > 0]" in [t.replace("\xa0", " ") for t in texts]
    assert any(t.startswith("grad ") for t in texts)
    source = Path(paths[4]).read_text(encoding="utf-8")
    assert COLORS["current"] in source
    before = svg_texts(Path(paths[0]).read_text(encoding="utf-8"))
    assert any(t.startswith("before backward") for t in before) and not any(t.startswith("grad ") for t in before)


def test_missing_dot_gives_a_clear_install_message(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no `dot` anywhere
    w = t64([1.0, 2.0], name="w")
    graph = draw_graph((w * w).sum())  # building the graph still works
    assert "w" in to_dot((w * w).sum())
    with pytest.raises(GraphvizNotFound) as caught:
        graph.render(tmp_path / "g", format="svg")
    message = str(caught.value)
    assert "Graphviz program 'dot' was not found" in message and "apt-get install graphviz" in message
    assert "brew install graphviz" in message
    assert isinstance(caught.value, graphviz.ExecutableNotFound)
    with pytest.raises(GraphvizNotFound):
        graph.pipe(format="png")
    with pytest.raises(GraphvizNotFound):
        graph._repr_mimebundle_()


def test_importing_tinygrad_sm_loads_neither_graphviz_nor_matplotlib_until_tg_viz_is_used():
    code = ("import sys, tinygrad_sm as tg, tinygrad_sm.nn, tinygrad_sm.optim; "
            "print('graphviz' in sys.modules, 'matplotlib' in sys.modules); tg.viz.draw_graph; "
            "print('graphviz' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False", "True"]


def test_max_nodes_must_be_positive():
    with pytest.raises(ValueError, match="max_nodes must be at least 1"):
        draw_graph(t64([1.0]) * 2, max_nodes=0)


def node_boxes(svg):
    """{node id: its box's points} from a rendered SVG (Graphviz puts each node in <g id=...><title>id</title>)."""
    root = ET.fromstring(svg)
    boxes = {}
    for group in root.iter(SVG_NS + "g"):
        title = group.find(SVG_NS + "title")
        shape = group.find(SVG_NS + "polygon")
        shape = group.find(SVG_NS + "path") if shape is None else shape
        if group.get("class") == "node" and title is not None and shape is not None:
            boxes[title.text] = shape.get("points") or shape.get("d")
    return boxes


@NEEDS_DOT
def test_backward_step_pictures_keep_one_size_and_every_node_in_place(tmp_path):
    loss, _ = two_layer_network()
    paths = draw_backward_steps(loss, tmp_path, format="svg")
    svgs = [Path(p).read_text(encoding="utf-8") for p in paths]
    sizes = {(ET.fromstring(s).get("width"), ET.fromstring(s).get("height")) for s in svgs}
    assert len(sizes) == 1
    first = node_boxes(svgs[0])
    assert len(first) == 11 + 6  # X, W1, b1, W2, b2, matmul#1, h, g, matmul#2, z, loss and 6 ops: all drawn
    for svg in svgs[1:]:
        assert node_boxes(svg) == first
    values = svg_texts(svgs[0])
    assert any(t.startswith("value") for t in values)  # values as well as gradients


@NEEDS_DOT
def test_a_backward_step_says_how_many_paths_have_arrived(tmp_path):
    s = t64(3.0, name="s")
    total = s * 2.0 + s * 5.0
    paths = draw_backward_steps(total, tmp_path, format="svg")
    texts = [[t.replace("\xa0", " ").strip() for t in svg_texts(Path(p).read_text(encoding="utf-8"))] for p in paths]
    assert "grad so far 5" in texts[2] and "(1 of 2 paths arrived)" in texts[2]
    assert "grad 5 + 2 = 7" in texts[3]
    np.testing.assert_allclose(s.grad, 7.0)


def test_backward_steps_without_dot_write_the_dot_sources_and_say_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    loss, _ = two_layer_network()
    with pytest.raises(GraphvizNotFound, match="apt-get install graphviz"):
        draw_backward_steps(loss, tmp_path / "steps")
    sources = sorted((tmp_path / "steps").glob("step_*.gv"))
    assert len(sources) == 7 and "backward step 6 of 6" in sources[-1].read_text(encoding="utf-8")


def test_rule_names_follow_the_picture():
    h = t64([1.0, -2.0], name="h")
    g = h.relu()
    assert rule_with_names(g, {id(h): "h"}) == "dh = G ⊙ 1[h > 0]"
    assert rule_with_names(g, {}) == "dz = G ⊙ 1[z > 0]"  # an unnamed input keeps the rule's own symbol
    probs = h.softmax()
    assert rule_with_names(probs, {id(h): "z", id(probs): "ŷ"}) == more_ops.Softmax.rule
    assert rule_with_names(probs, {id(h): "logits", id(probs): "p"}).startswith("dlogits = p ⊙ (G - Σ_j G_j p_j)")
    W = t64(np.ones((2, 2)), name="W1")
    assert rule_with_names(h @ W, {id(h): "h", id(W): "W1"}) == "dh = G W1ᵀ, dW1 = hᵀ G"


def test_the_backward_replay_refuses_arrays_changed_in_place():
    from tinygrad_sm.viz import backward_walk
    w = t64([1.0, 2.0], name="w")
    x = Tensor(np.array([3.0, 4.0]), name="x")
    loss = (w * x).sum()
    x += 1  # mul saved x: the replay would use the new values
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        backward_walk(loss)


def test_the_backward_replay_gives_each_leaf_the_engines_grad_in_the_leafs_dtype():
    from tinygrad_sm.viz import backward_walk
    w = Tensor(np.array([1.5, -2.0], np.float32), requires_grad=True, name="w")
    x = Tensor(np.array([3.0, 4.0]), name="x")
    loss = (w * x).sum() + (w * w).sum()  # float64: three float64 contributions reach the float32 leaf w
    walk = backward_walk(loss)
    loss.backward()
    assert len(walk.contributions[id(w)]) == 3 and walk.grads[id(w)].dtype == np.float32
    np.testing.assert_array_equal(walk.grads[id(w)], w.grad)


@pytest.mark.parametrize("function", ["to_dot", "draw_graph", "retain_grads", "trace_backward", "to_html",
                                      "explore", "backward_walk"])
@pytest.mark.parametrize("bad", ["x", None, 3, np.ones(2)])
def test_a_picture_of_something_that_is_not_a_tensor_is_a_clear_type_error(function, bad):
    import tinygrad_sm.viz as viz
    with pytest.raises(TypeError, match=rf"{function}: expected a Tensor \(the output whose graph to show\), got"):
        getattr(viz, function)(bad)


def test_draw_backward_steps_of_a_non_tensor_writes_nothing(tmp_path):
    from tinygrad_sm.viz import draw_backward_steps
    with pytest.raises(TypeError, match="draw_backward_steps: expected a Tensor"):
        draw_backward_steps(None, tmp_path / "steps")
    assert not (tmp_path / "steps").exists()
