"""Pictures, trace and explorer of conv and pooling graphs (issue 18): each op with its rule in the picture's
names, and small feature maps (up to 6 × 6, up to 4 of them) as grids instead of a flat summary."""

import html
import json
import re

import numpy as np
import pytest

from tinygrad_sm import Tensor
from tinygrad_sm.autograd import (adaptive_avg_pool2d, avg_pool2d, conv1d, conv2d, conv_transpose2d, fold,
                                  max_pool2d, unfold)
from tinygrad_sm.viz import forward_order, glance, glance_lines, retain_grads, to_dot, to_html, trace_backward

def named(tensor, name):
    tensor.name = name
    return tensor


IMAGE_OP_GRAPHS = {  # op name: a function of X (1, 2, 4, 4) and a kernel W (2, 2, 3, 3) that uses it once
    "conv2d": lambda X, W: conv2d(X, W, padding=1),
    "conv1d": lambda X, W: conv1d(named(X.reshape(1, 2, 16), "X"), named(W[:, :, 0], "W")),
    "conv_transpose2d": lambda X, W: conv_transpose2d(X, W, stride=2),
    "max_pool2d": lambda X, W: max_pool2d(X, 2),
    "avg_pool2d": lambda X, W: avg_pool2d(X, 3, stride=1, padding=1),
    "adaptive_avg_pool2d": lambda X, W: adaptive_avg_pool2d(X, 1),
    "unfold": lambda X, W: unfold(X, 2),
    "fold": lambda X, W: fold(named(X.reshape(1, 8, 4), "A"), (3, 3), 2),
}


def parse_dot(source):
    """{node id: label text, HTML tags stripped}."""
    labels = {}
    for node, label in re.findall(r"^\t(\w+) \[label=<(.*)> shape=", source, re.M):
        labels[node] = html.unescape(re.sub(r"<[^>]*>", "", re.sub(r"<BR[^>]*/>", "\n", label))).rstrip("\n")
    return labels


def image_and_kernel():
    rng = np.random.default_rng(0)
    X = Tensor(np.round(rng.uniform(-1, 1, (1, 2, 4, 4)), 1), requires_grad=True, name="X")
    K = Tensor(np.round(rng.uniform(-1, 1, (2, 2, 3, 3)), 1), requires_grad=True, name="W")
    return X, K


@pytest.mark.parametrize("name", sorted(IMAGE_OP_GRAPHS))
def test_each_image_op_is_drawn_with_its_name_and_rule(name):
    X, W = image_and_kernel()
    out = IMAGE_OP_GRAPHS[name](X, W)
    op = next(t.op for t in forward_order(out) if t.op is not None and t.op.name == name)
    assert len(op.parents) <= len(op.symbols)  # conv's bias is optional
    ops = [text for node, text in parse_dot(to_dot(out)).items() if node.startswith("op")]
    drawn = next(text.split("\n") for text in ops if text.split("\n")[0] == name)
    # the inputs are named as the rule's symbols (X, W, A): printed as written, without a bias the op was not given
    assert drawn[1] == (op.rule if len(op.parents) == len(op.symbols) else op.rule.split(", db = ")[0])
    assert ("db = " in drawn[1]) == ("b" in op.symbols[:len(op.parents)])


def one_conv():
    """conv2d of a 5 × 5 image with an all-ones 3 × 3 kernel, summed: G = 1 everywhere on the 3 × 3 output."""
    image = Tensor(np.arange(25.0).reshape(1, 1, 5, 5) / 10, requires_grad=True, name="image")
    kernel = Tensor(np.ones((1, 1, 3, 3)), requires_grad=True, name="K")
    bias = Tensor(np.ones(1), requires_grad=True, name="bias")
    feature_map = conv2d(image, kernel, bias)
    feature_map.name = "F"
    loss = feature_map.sum()
    loss.name = "loss"
    return loss, image, kernel, feature_map


def grid_of(lines):
    """The numbers of a grid's text lines, one row per line."""
    return np.array([[float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", line)] for line in lines])


def test_a_small_feature_map_is_a_grid_in_the_picture_with_the_rule_in_its_names():
    loss, image, kernel, feature_map = one_conv()
    retain_grads(loss)
    loss.backward()
    labels = parse_dot(to_dot(loss))
    by_name = {text.split("\n")[0]: text.split("\n") for text in labels.values()}
    lines = by_name["image"]
    assert lines[1] == "(1, 1, 5, 5) float64"
    assert lines[2].startswith("value [[") and lines[6].endswith("]]")
    np.testing.assert_allclose(grid_of([line.replace("value", "") for line in lines[2:7]]), image.data[0, 0])
    # each pixel's gradient counts the 3 × 3 windows that cover it: [1, 2, 3, 2, 1] ⊗ [1, 2, 3, 2, 1]
    counts = np.array([1, 2, 3, 2, 1])
    np.testing.assert_array_equal(grid_of([line.replace("grad", "") for line in lines[7:12]]),
                                  np.outer(counts, counts))
    assert by_name["conv2d"][1] == ("dimage = fold(Kᵀ G): G correlated with the flipped kernel, "
                                    "dK = Σₙ G unfold(image)ᵀ, dbias = Σ_{n,h,w} G")


def test_the_trace_prints_small_maps_as_grids_on_one_line(capsys):
    loss, image, kernel, feature_map = one_conv()
    trace_backward(loss, params={"image": image, "K": kernel, "F": feature_map})
    printed = capsys.readouterr().out
    assert "F = conv2d(image, K, bias)" in printed
    assert "G = dL/dF: (1, 1, 3, 3)  [[1, 1, 1], [1, 1, 1], [1, 1, 1]]" in printed
    assert "-> image: (1, 1, 5, 5)  [[1, 2, 3, 2, 1], [2, 4, 6, 4, 2]," in printed


def test_several_maps_get_a_header_each_and_large_ones_stay_summaries():
    two_maps = np.arange(8.0).reshape(1, 2, 2, 2)
    assert glance_lines(two_maps) == ["[0, 0]:", "[[0, 1]", " [2, 3]]", "[0, 1]:", "[[4, 5]", " [6, 7]]"]
    assert glance_lines(np.zeros((2, 2, 3, 3)))[8] == "[1, 0]:"  # (n, c): the batch, then the channels
    assert glance(np.ones((1, 1, 2, 2))) == "[[1, 1], [1, 1]]"
    for summarised in [np.zeros((1, 1, 7, 7)), np.zeros((1, 5, 2, 2)), np.zeros((2, 3, 3)), np.zeros((1, 1, 1, 7))]:
        assert len(glance_lines(summarised)) == 1 and "norm" in glance(summarised), summarised.shape
    assert glance_lines(np.zeros((1, 1, 7, 7)), full=7)[0] == "[[0, 0, 0, 0, 0, 0, 0]"  # full= still decides
    assert glance_lines(np.zeros((0, 3, 2, 2))) == ["empty (0, 3, 2, 2)"]


def page_data(page):
    payload = re.search(r'<script id="explorer-data" type="application/json">(.*?)</script>', page, re.S).group(1)
    return json.loads(payload)


def test_the_explorer_shows_the_same_grids_for_values_and_gradients():
    loss, image, kernel, feature_map = one_conv()
    data = page_data(to_html(loss, title="one conv layer"))
    entry = next(t for t in data["tensors"] if t["label"] == "image")
    assert entry["value_lines"] == glance_lines(image.data) and len(entry["value_lines"]) == 5
    assert entry["grads"][-1]["lines"] == ["[[1, 2, 3, 2, 1]", " [2, 4, 6, 4, 2]", " [3, 6, 9, 6, 3]",
                                           " [2, 4, 6, 4, 2]", " [1, 2, 3, 2, 1]]"]
    conv_step = next(s for s in data["steps"] if s["phase"] == "backward" and s["title"] == "F = conv2d(image, K, bias)")
    assert conv_step["rule"].startswith("dimage = fold(Kᵀ G): G correlated with the flipped kernel")
    assert conv_step["G"] == "[[1, 1, 1], [1, 1, 1], [1, 1, 1]]"


def test_a_click_on_a_feature_map_shows_its_grids_in_a_browser(tmp_path):
    """The detail pane writes arrays of 3 or more axes as one H × W grid per leading index (was: flat rows)."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="browser tests need selenium (the dev extra)")
    import shutil
    from pathlib import Path

    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not (Path(chromium).exists() and Path(driver_path).exists()):
        pytest.skip("browser tests need chromium and its driver: apt-get install chromium chromium-driver")
    options = Options()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        X, W = image_and_kernel()
        out = conv2d(X, W, padding=1)
        out.name = "out"
        page = tmp_path / "conv.html"
        page.write_text(to_html(out.sum(), title="conv"), encoding="utf-8")
        browser.get(page.as_uri())
        data = browser.execute_script("return window.explorer.data")
        index = next(t["id"] for t in data["tensors"] if t["label"] == "X")
        browser.find_element(By.ID, f"node-t{index}").click()
        shown = browser.find_element(By.ID, "detail-value").text.splitlines()
        assert shown[0] == "[0, 0]:" and shown[5] == "[0, 1]:"
        np.testing.assert_allclose(grid_of(shown[1:5]), X.data[0, 0])
        np.testing.assert_allclose(grid_of(shown[6:10]), X.data[0, 1])
        assert browser.get_log("browser") == []
    finally:
        browser.quit()
