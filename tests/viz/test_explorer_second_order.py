"""The explorer page of a gradient made with create_graph=True: the recorded backward ops as a graph of their own,
stepped through after the forward ops, then the second backward pass (HTML and data checks, no browser)."""

import html

import numpy as np

from tinygrad_sm import Tensor, autograd
from tinygrad_sm.viz.explorer import SECOND_ORDER_NOTE, explorer_data, to_html
from test_explorer_page import array, page_data, two_layer


def gradient_of_x_exp_x():
    """g = d/dx Σ e^x ⊙ x = e^x ⊙ x + e^x, as the engine records it: three muls and an add (the backward ops)."""
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    g, = autograd.grad((x.exp() * x).sum(), x, create_graph=True)
    return x, g


def boxes(data, backward):
    """Layout names of the op and tensor boxes of the recorded backward graph (or of the forward one)."""
    return [f"op{op['tensor']}" for op in data["ops"] if op["backward"] == backward] + \
        [f"t{t['id']}" for t in data["tensors"] if t["backward"] == backward]


def test_the_recorded_backward_ops_are_flagged_and_the_forward_ones_are_not():
    x, g = gradient_of_x_exp_x()
    data = explorer_data(g)
    flagged = sorted(op["name"] for op in data["ops"] if op["backward"])
    assert flagged == ["add", "mul", "mul", "mul"]
    assert [op["name"] for op in data["ops"] if not op["backward"]] == ["exp"]  # the rule reads exp's output
    by_label = {t["label"]: t for t in data["tensors"]}
    assert not by_label["x"]["backward"] and by_label[data["tensors"][data["root"]]["label"]]["backward"]
    seed = [t for t in data["tensors"] if t["kind"] == "const"]
    assert len(seed) == 1 and seed[0]["backward"]  # the seed of the first pass: a constant only backward ops use


def test_the_backward_graph_is_laid_out_in_its_own_frame_right_of_the_forward_graph():
    x, g = gradient_of_x_exp_x()
    layout = explorer_data(g)["layout"]
    nodes = layout["nodes"]
    data = explorer_data(g)
    forward_right = max(nodes[n]["x"] + nodes[n]["w"] / 2 for n in boxes(data, False))
    backward_left = min(nodes[n]["x"] - nodes[n]["w"] / 2 for n in boxes(data, True))
    assert backward_left > forward_right
    forward_frame, backward_frame = layout["groups"]
    assert "forward" in forward_frame["title"] and "create_graph=True" in backward_frame["title"]
    assert backward_frame["backward"] and not forward_frame["backward"]
    for frame, members in ((forward_frame, boxes(data, False)), (backward_frame, boxes(data, True))):
        for n in members:  # every box inside its frame
            box = nodes[n]
            assert frame["x"] <= box["x"] - box["w"] / 2 and box["x"] + box["w"] / 2 <= frame["x"] + frame["w"]
            assert frame["y"] <= box["y"] - box["h"] / 2 and box["y"] + box["h"] / 2 <= frame["y"] + frame["h"]
    assert max(f["x"] + f["w"] for f in layout["groups"]) <= layout["width"]


def test_steps_forward_ops_then_recorded_ops_then_the_second_backward_pass():
    x, g = gradient_of_x_exp_x()
    steps = explorer_data(g)["steps"]
    phases = [(s["phase"], s.get("recorded")) for s in steps]
    assert phases == [("start", None), ("forward", False)] + [("forward", True)] * 4 + [("seed", None)] + \
        [("backward", None)] * 5
    assert [(s["number"], s["count"]) for s in steps[2:6]] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert steps[6]["title"].startswith("Second backward: start from dL/d")


def test_the_second_backward_pass_hands_on_the_engines_second_derivatives():
    x, g = gradient_of_x_exp_x()
    data = page_data(to_html(g))
    second, = autograd.grad(g, x, grad_outputs=Tensor(np.ones(2)))
    x_entry = next(t for t in data["tensors"] if t["label"] == "x")
    np.testing.assert_array_equal(array(x_entry["grads"][-1]["total"]), second.data)
    np.testing.assert_allclose(second.data, np.exp(x.data) * (x.data + 2))  # d²/dx² of x e^x, elementwise
    assert g.grad is None and x.grad is None  # the page touched no .grad


def test_the_page_says_what_the_frames_are_and_a_plain_page_is_unchanged():
    x, g = gradient_of_x_exp_x()
    page = to_html(g)
    assert f'<p id="second-order" class="note">{html.escape(SECOND_ORDER_NOTE, quote=False)}</p>' in page
    plain = explorer_data(two_layer())
    assert plain["second_order"] is None and plain["layout"]["groups"] == []
    assert not any(op["backward"] for op in plain["ops"]) and not any(t["backward"] for t in plain["tensors"])
    assert 'id="second-order"' not in to_html(two_layer())


def test_a_gradient_whose_graph_holds_no_forward_op_keeps_its_input_in_the_forward_frame():
    z = Tensor(np.array([[0.5, -1.0, 2.0]]), requires_grad=True, name="z")
    g, = autograd.grad(z.softmax_cross_entropy(np.array([2])), z, create_graph=True)  # softmax rebuilt by the rule
    data = explorer_data(g)
    assert all(op["backward"] for op in data["ops"])
    forward_frame, backward_frame = data["layout"]["groups"]
    z_box = data["layout"]["nodes"][f"t{next(t['id'] for t in data['tensors'] if t['label'] == 'z')}"]
    assert forward_frame["x"] < z_box["x"] < forward_frame["x"] + forward_frame["w"] < backward_frame["x"]


def test_ops_run_on_the_gradient_get_a_third_frame_after_the_backward_graph():
    x, g = gradient_of_x_exp_x()
    penalty = (g * g).sum()  # a gradient penalty: forward ops again, on what the backward made
    data = explorer_data(penalty)
    assert sorted(op["name"] for op in data["ops"] if op["group"] == 2) == ["mul", "sum"]
    assert sorted(op["name"] for op in data["ops"] if op["group"] == 1) == ["add", "mul", "mul", "mul"]
    frames = data["layout"]["groups"]
    assert [f["title"] for f in frames] == ["the forward pass", "the first backward pass, recorded (create_graph=True)",
                                            "ops on the gradient"]
    assert frames[0]["x"] + frames[0]["w"] < frames[1]["x"] and frames[1]["x"] + frames[1]["w"] < frames[2]["x"]
    after = [s for s in data["steps"] if s["phase"] == "forward" and s["group"] == 2]
    assert [(s["number"], s["count"]) for s in after] == [(1, 2), (2, 2)]
    x_entry = next(t for t in page_data(to_html(penalty))["tensors"] if t["label"] == "x")
    second, = autograd.grad(penalty, x)  # the page's second backward pass gives the engine's numbers
    np.testing.assert_array_equal(array(x_entry["grads"][-1]["total"]), second.data)
