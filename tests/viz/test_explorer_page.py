"""The explorer page without a browser: self-contained, the engine's numbers, no .grad touched, no Graphviz needed."""

import html
import json
import re

import numpy as np

from tinygrad_sm import Tensor, viz
from tinygrad_sm.viz.explorer import explorer_data, to_html
from tinygrad_sm.viz import glance, retain_grads


def page_data(page):
    payload = re.search(r'<script id="explorer-data" type="application/json">(.*?)</script>', page, re.S).group(1)
    return json.loads(payload)


def array(entry):
    return np.reshape(np.array(entry["data"], dtype=np.float64), entry["shape"])


def two_layer(seed=0):
    rng = np.random.default_rng(seed)
    X = Tensor(rng.standard_normal((4, 2)).astype(np.float32), name="X")
    W1 = Tensor(rng.standard_normal((2, 5)).astype(np.float32), requires_grad=True, name="W1")
    b1 = Tensor(np.zeros(5, np.float32), requires_grad=True, name="b1")
    W2 = Tensor(rng.standard_normal((5, 3)).astype(np.float32), requires_grad=True, name="W2")
    h = X @ W1 + b1
    h.name = "h"
    g = h.relu()
    g.name = "g"
    loss = (g @ W2).softmax_cross_entropy(np.array([0, 1, 2, 1]))
    loss.name = "loss"
    return loss


def test_page_is_one_self_contained_file_with_no_network_fetch():
    page = to_html(two_layer())
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    lowered = page.lower()
    for fetch in ("<script src", "<link", "@import", "url(http", "fetch(", "xmlhttprequest", "<img"):
        assert fetch not in lowered, fetch
    urls = set(re.findall(r"https?://[^\s\"')]+", page))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace name, never fetched


def test_embedded_values_and_gradients_are_the_engines_exactly():
    loss = two_layer()
    data = page_data(to_html(loss))
    retain_grads(loss)
    loss.backward()
    tensors = {t.name: t for t in viz.forward_order(loss) if t.name}
    by_label = {entry["label"]: entry for entry in data["tensors"]}
    for name, tensor in tensors.items():
        np.testing.assert_array_equal(array(by_label[name]["value"]), tensor.data)
        if tensor.grad is not None:
            final = by_label[name]["grads"][-1]
            np.testing.assert_array_equal(array(final["total"]), tensor.grad)
            assert final["lines"] == viz.glance_lines(tensor.grad)


def test_steps_run_forward_in_the_order_computed_then_backward_with_named_rules():
    loss = two_layer()
    data = explorer_data(loss)
    phases = [s["phase"] for s in data["steps"]]
    assert phases == ["start"] + ["forward"] * 5 + ["seed"] + ["backward"] * 5
    made = {s["node"]: k for k, s in enumerate(data["steps"]) if s["phase"] == "forward"}
    for op in data["ops"]:  # an op runs after every op that made one of its inputs
        assert all(made.get(i, 0) < made[op["tensor"]] for i in op["inputs"])
    rules = [s["rule"] for s in data["steps"] if s["phase"] == "backward"]
    assert rules == ["dz = (softmax(z) - onehot(y)) / n", "dg = G W2ᵀ, dW2 = gᵀ G", "dh = G ⊙ 1[h > 0]",
                     "dA = G, db1 = G (summed over broadcast axes)", "dX = G W1ᵀ, dW1 = Xᵀ G"]
    relu = next(s for s in data["steps"] if s["phase"] == "backward" and s["rule"].startswith("dh"))
    assert relu["title"] == "g = relu(h)"


def test_making_the_page_touches_no_grad_before_or_after_backward_and_a_freed_graph_says_so():
    loss = two_layer()
    weights = [t for t in viz.forward_order(loss) if t.requires_grad and t.op is None]
    to_html(loss)
    assert all(w.grad is None for w in weights)
    loss.backward(retain_graph=True)
    before = [w.grad.copy() for w in weights]
    to_html(loss)  # after backward(retain_graph=True): still fine, grads unchanged
    for w, grad in zip(weights, before):
        np.testing.assert_array_equal(w.grad, grad)
    loss.backward()  # frees the graph: the page shows .grad as backward left it, and says how to keep the rest
    after = [w.grad.copy() for w in weights]
    data = page_data(to_html(loss))
    for w, grad in zip(weights, after):
        np.testing.assert_array_equal(w.grad, grad)
    assert "freed" in data["note"] and "retain_graph=True" in data["note"]


def test_a_diamond_records_both_paths_into_x():
    x = Tensor(np.array([2.0]), requires_grad=True, name="x")
    h = x * x
    h.name = "h"
    y = (h + h).sum()
    data = explorer_data(y)
    x_entry = next(t for t in data["tensors"] if t["label"] == "x")
    assert [a["part_text"] for a in x_entry["grads"]] == ["[4]", "[4]"]
    assert x_entry["grads"][-1]["lines"] == ["[8]"]


def test_the_page_needs_no_graphviz_program(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    path = tmp_path / "page" / "explorer.html"
    page = viz.to_html(two_layer(), path)
    assert path.read_text(encoding="utf-8") == page


def test_explore_shows_the_same_page_inline_in_jupyter():
    loss = two_layer()
    shown = viz.explore(loss, title="inline")
    frame = shown._repr_html_()
    assert frame.startswith("<iframe srcdoc=\"") and 'sandbox="allow-scripts"' in frame
    inner = html.unescape(re.search(r'srcdoc="(.*?)"', frame, re.S).group(1))
    assert inner == shown.html == to_html(loss, title="inline")


def test_odd_values_survive_the_page():
    z = Tensor(np.array([np.nan, np.inf, -0.0, 1.0]), requires_grad=True, name="z")
    page = to_html((z * 2.0).sum())
    data = page_data(page)
    assert data["tensors"][0]["value"]["data"] == ["nan", "inf", -0.0, 1.0]
    assert "</script>" not in page.split('type="application/json">')[1].split("</script>")[0]
    assert data["tensors"][0]["value_lines"] == [glance(z.data)]


def test_a_name_that_looks_like_html_is_escaped():
    a = Tensor(np.ones(2), requires_grad=True, name="</script><b>")
    page = to_html((a * a).sum())
    assert page.count("</script>") == 2  # the data block's and the program's own: the name cannot close either


def test_each_module_imports_first_in_a_fresh_process():
    import subprocess
    import sys

    for code in ("import tinygrad_sm.viz.explorer", "from tinygrad_sm.viz import to_html, explore"):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


def test_a_graph_without_gradients_and_a_2000_op_chain_both_make_pages():
    import time

    data = page_data(to_html(Tensor([1.0, 2.0]) * 2))  # nothing requires grad: a forward-only page
    assert [s["phase"] for s in data["steps"]] == ["start"]
    a = Tensor(1.0, requires_grad=True, name="a")
    h = a
    for _ in range(1000):
        h = h * 1.0001 + 0.5
    start = time.perf_counter()
    data = page_data(to_html(h))
    assert time.perf_counter() - start < 10  # about 0.6 s on the 2-core CI machine
    assert len(data["steps"]) == 1 + 2000 + 1 + 2000
    a_entry = next(t for t in data["tensors"] if t["label"] == "a")
    h.backward()
    assert a_entry["grads"][-1]["total"]["data"] == [float(a.grad)]
