"""Drawing after a plain loss.backward(): the whole graph, the leaves' values and gradients, and a note on what was freed."""

import html
import json
import re

import numpy as np
import pytest

from tinygrad_sm import Tensor
from tinygrad_sm.viz import (FREED_NOTE, GraphFreed, backward_walk, draw_backward_steps, explorer_data,
                             forward_order, glance, node_labels, retain_grads, to_dot, to_html, trace_backward)


def parse_dot(source):
    """{node id: label text (HTML tags stripped)} for the tensor and op boxes, and the edges [(tail, head)]."""
    labels = {}
    for node, label in re.findall(r"^\t(\w+) \[label=<(.*)> shape=", source, re.M):
        text = re.sub(r"<BR[^>]*/>", "\n", label)
        labels[node] = html.unescape(re.sub(r"<[^>]*>", "", text)).rstrip("\n")
    return labels, re.findall(r"^\t(\w+) -> (\w+)", source, re.M)


def two_layer(big_input=False):
    rng = np.random.default_rng(0)
    X = Tensor(rng.standard_normal((40 if big_input else 4, 2)), name="X")  # 80 entries: freed like an activation
    W1 = Tensor(rng.standard_normal((2, 5)), requires_grad=True, name="W1")
    b1 = Tensor(np.zeros(5), requires_grad=True, name="b1")
    W2 = Tensor(rng.standard_normal((5, 3)), requires_grad=True, name="W2")
    h = X @ W1 + b1
    h.name = "h"
    g = h.relu()
    g.name = "g"
    loss = (g @ W2).softmax_cross_entropy(np.arange(X.shape[0]) % 3)
    loss.name = "loss"
    return loss, {"W1": W1, "b1": b1, "W2": W2}


def diamond(n=1):
    x = Tensor(np.full(n, 2.0), requires_grad=True, name="x")
    h = x * x
    h.name = "h"
    return (h + h).sum(), x


def test_draw_graph_after_backward_shows_every_node_drawn_before():
    loss, _ = two_layer()
    before, _ = parse_dot(to_dot(loss))
    loss.backward()
    after, _ = parse_dot(to_dot(loss))
    assert len(after) == len(before) == 9 + 5  # X, W1, matmul#1, b1, h, g, W2, matmul#2, loss and 5 ops
    assert sorted(text.split("\n")[0] for text in after.values()) == \
        sorted(text.split("\n")[0] for text in before.values())


def test_each_op_keeps_its_name_and_rule_and_each_tensor_its_shape_after_backward():
    loss, _ = two_layer()
    before, _ = parse_dot(to_dot(loss, show_values=False, show_grads=False))
    loss.backward()
    after, _ = parse_dot(to_dot(loss, show_values=False, show_grads=False))
    assert after == before  # op names, rules in the graph's own names, tensor names, shapes and dtypes
    assert any(text == "relu\ndh = G ⊙ 1[h > 0]" for text in after.values())


def test_freed_values_say_so_and_the_picture_says_how_to_keep_them():
    loss, _ = two_layer(big_input=True)
    loss.backward()
    source = to_dot(loss)
    labels, _ = parse_dot(source)
    h_label = next(text for text in labels.values() if text.startswith("h\n"))
    assert h_label == "h\n(40, 5) float64\nvalue freed by backward()"
    assert "freed by backward()" in FREED_NOTE
    assert "retain_grads(loss)" in FREED_NOTE and "retain_graph=True" in FREED_NOTE
    note = re.search(r'^\tfreed \[label="(.*?)" shape="note"', source, re.M)
    assert note and html.unescape(note.group(1)).replace("\\n", " ") == FREED_NOTE


def test_the_leaves_keep_their_values_and_show_their_gradients_after_backward():
    loss, weights = two_layer()
    loss.backward()
    labels, _ = parse_dot(to_dot(loss))
    for name, weight in weights.items():
        text = next(t for t in labels.values() if t.startswith(name + "\n"))
        rows = [row.strip() for row in text.split("\n")]
        value = rows.index(next(r for r in rows if r.startswith("value ")))
        grad = rows.index(next(r for r in rows if r.startswith("grad ")))
        assert ", ".join(rows[value:grad]) == "value " + glance(weight.data)
        assert ", ".join(rows[grad:]) == "grad " + glance(weight.grad)
    x_label = next(text for text in labels.values() if text.startswith("X\n"))
    assert "value [[" in x_label  # a small constant keeps its value


def test_a_large_constant_is_freed_like_an_activation_and_still_drawn():
    loss, _ = two_layer(big_input=True)
    before, _ = parse_dot(to_dot(loss))
    loss.backward()
    after, _ = parse_dot(to_dot(loss))
    assert len(after) == len(before)
    assert next(t for t in after.values() if t.startswith("X\n")) == "X\n(40, 2) float64\nvalue freed by backward()"


def test_a_diamond_stays_one_node_with_two_edges_after_backward():
    y, x = diamond(n=70)  # 70 entries: more than backward keeps (64), so h is freed
    before, edges_before = parse_dot(to_dot(y))
    y.backward()
    after, edges_after = parse_dot(to_dot(y))
    assert len(after) == len(before) == 4 + 3  # x, h, h + h, the sum and their 3 ops
    h_nodes = [node for node, text in after.items() if text.startswith("h\n")]
    assert len(h_nodes) == 1 and after[h_nodes[0]].endswith("value freed by backward()")
    assert ("t3", "freed") in edges_after  # the note, below the root
    assert sorted(e for e in edges_after if e[1] != "freed") == sorted(edges_before)
    assert sum(tail == h_nodes[0] for tail, _ in edges_after) == 2  # h is both inputs of the add
    np.testing.assert_array_equal(x.grad, np.full(70, 8.0))
    assert "\ngrad " in next(t for t in after.values() if t.startswith("x\n"))


def test_a_small_graph_keeps_every_value_after_backward_and_needs_no_note():
    y, x = diamond()  # what a learner draws: every value has at most 64 entries, so backward keeps them all
    y.backward()
    source = to_dot(y)
    labels, _ = parse_dot(source)
    assert "freed by backward()" not in source
    assert next(t for t in labels.values() if t.startswith("h\n")).endswith("value [4]")
    assert next(t for t in labels.values() if t.startswith("x\n")).endswith("grad [8]")


def test_retain_grads_before_backward_keeps_every_value_and_needs_no_note():
    loss, _ = two_layer()
    retain_grads(loss)
    loss.backward()
    source = to_dot(loss)
    labels, _ = parse_dot(source)
    assert "freed by backward()" not in source
    assert "\ngrad [[" in next(t for t in labels.values() if t.startswith("h\n"))


def test_the_text_helpers_see_the_same_graph_after_backward():
    loss, _ = two_layer()
    order = forward_order(loss)
    labels = list(node_labels(order).values())
    shapes = [t.shape for t in order]
    loss.backward()
    after = forward_order(loss)
    assert list(node_labels(after).values()) == labels and [t.shape for t in after] == shapes


def test_the_explorer_after_backward_shows_the_graph_the_gradients_and_the_note():
    loss, weights = two_layer(big_input=True)
    before = explorer_data(loss)
    loss.backward()
    page = to_html(loss)
    data = json.loads(re.search(r'<script id="explorer-data" type="application/json">(.*?)</script>', page,
                                re.S).group(1))
    assert [t["label"] for t in data["tensors"]] == [t["label"] for t in before["tensors"]]
    assert [(o["name"], o["rule"]) for o in data["ops"]] == [(o["name"], o["rule"]) for o in before["ops"]]
    assert data["note"].startswith(FREED_NOTE) and html.escape(FREED_NOTE) in page
    assert data["steps"][-1]["phase"] == "after"
    by_label = {t["label"]: t for t in data["tensors"]}
    for name, weight in weights.items():
        total = by_label[name]["grads"][-1]["total"]
        np.testing.assert_array_equal(np.reshape(total["data"], total["shape"]), weight.grad)
    assert by_label["h"]["value"] is None and by_label["h"]["value_lines"] == ["freed by backward()"]


@pytest.mark.parametrize("replay", [trace_backward, backward_walk,
                                    lambda loss: draw_backward_steps(loss, "/nonexistent/never-written")])
def test_replaying_a_freed_backward_is_a_clear_error_that_says_how_to_keep_the_graph(replay):
    loss, _ = two_layer()
    loss.backward()
    with pytest.raises(GraphFreed, match=r"freed .*retain_graph=True"):
        replay(loss)
    assert issubclass(GraphFreed, RuntimeError)
