"""Every string a picture embeds is escaped for its context, and a page stays bounded and fits its panel (issue 19).

The DOT text is rendered by Graphviz and its SVG parsed as XML; the explorer page runs in Debian's
headless chromium (selenium), as in test_explorer_in_a_browser.py: its script runs, stepping works,
no injected script runs. Screenshots go to the test's tmp folder (and to $EXPLORER_SCREENSHOTS).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest

from tinygrad_sm import Tensor
from tinygrad_sm.autograd import Op
from tinygrad_sm.viz import explorer, to_dot, to_html

HOSTILE = ["<!--<script>", "</script><script>window.injected = 1</script>", '<img src=x onerror="window.injected=1">',
           "a\\", 'say "hi" & <b>', "bell\x07 and tab\t", "lone \ud800 surrogate", "x\u2028y"]
DOT = shutil.which("dot")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


class Backslashed(Op):
    """A custom op whose symbols and rule end in a backslash and hold quotes."""

    name, rule, symbols = 'odd"op\\', 'dz\\ = G "\\', ('z\\',)

    def forward(self, z):
        return z * 2.0

    def backward(self, g):
        return 2.0 * g


def hostile_graph(names=HOSTILE, dtype=np.float64):
    """A small graph whose tensors carry the given names, through a custom op with backslashed symbols."""
    leaves = [Tensor(np.arange(1.0, 3.0, dtype=dtype), requires_grad=True, name=name) for name in names]
    total = Tensor.apply(Backslashed, leaves[0] * 1.0)  # an unnamed input: its edge is labelled z\
    for leaf in leaves[1:]:
        total = total + leaf
    loss = total.sum()
    loss.name = "loss"
    return loss


def page_data(page):
    block = re.search(r'<script id="explorer-data" type="application/json">(.*?)</script>', page, re.S).group(1)
    return json.loads(block)


# ---------------------------------------------------------------- without a browser

def test_a_name_that_is_not_a_string_is_drawn_as_its_text():
    x = Tensor(np.ones(2), requires_grad=True, name=123)
    loss = (x * 2).sum()
    assert "<B>123</B>" in to_dot(loss)
    assert [t["label"] for t in page_data(to_html(loss))["tensors"]][0] == "123"


def test_the_page_data_holds_every_name_exactly_and_no_raw_markup():
    page = to_html(hostile_graph(), title="title <!--<script> \ud800")
    block = re.search(r'<script id="explorer-data" type="application/json">(.*?)</script>', page, re.S).group(1)
    assert "<" not in block and ">" not in block and "&" not in block
    labels = {t["label"] for t in json.loads(block)["tensors"]}
    assert set(HOSTILE) <= labels  # the lone surrogate survives as its JSON escape
    assert "<title>title &lt;!--&lt;script&gt; \ufffd</title>" in page
    assert page.count("<script") == 2  # the data block and the page's own script, nothing else


@pytest.mark.skipif(DOT is None, reason="needs Graphviz's dot")
def test_the_dot_text_of_hostile_names_renders_to_valid_svg_showing_them():
    source = to_dot(hostile_graph(), title="a <title> with \\ and \x01")
    svg = subprocess.run([DOT, "-Tsvg"], input=source.encode("utf-8"), capture_output=True, check=True).stdout
    root = ElementTree.fromstring(svg)  # valid XML: no raw control character, no broken markup
    texts = ["".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text")]
    for shown in ("<!--<script>", "a\\", 'say "hi" & <b>', "bell\\x07 and tab\\x09", "lone \ufffd surrogate",
                  "z\\", 'odd"op\\', "a <title> with \\ and \\x01"):
        assert shown in texts, shown


def test_a_page_of_a_float128_graph_and_of_a_lone_surrogate_is_written(tmp_path):
    if not hasattr(np, "float128"):
        pytest.skip("this numpy has no float128")
    loss = hostile_graph(names=["w\ud800"], dtype=np.float128)
    path = tmp_path / "page.html"
    to_html(loss, path)
    data = page_data(path.read_text(encoding="utf-8"))
    assert data["tensors"][0]["value"]["data"] == [1.0, 2.0] and data["tensors"][0]["dtype"] == "float128"


def test_a_page_of_many_big_arrays_is_bounded_and_says_so(monkeypatch):
    monkeypatch.setattr(explorer, "PAGE_ELEMENTS", 5000)
    x = Tensor(np.linspace(-1, 1, 60 * 60).reshape(60, 60), requires_grad=True, name="x")
    h = x
    for _ in range(10):
        h = (h * 1.01).relu()
    page = to_html(h.sum())
    data = page_data(page)
    embedded = [t["value"] for t in data["tensors"]] + [a[k] for t in data["tensors"] for a in t["grads"]
                                                        for k in ("part", "total")]
    assert sum(len(a["data"]) for a in embedded) <= 5000 + 100 * len(embedded)
    assert all(a["truncated"] == (len(a["data"]) < np.prod(a["shape"])) for a in embedded)
    assert "This page holds at most the first" in data["limits"] and 'id="limits"' in page
    assert len(page) < 400_000  # uncapped: 20,000 numbers of each of 60 arrays, about 25 MB
    assert data["tensors"][0]["value_lines"][0].endswith("max 1")  # the box's summary is of the whole array


# ---------------------------------------------------------------- in a browser

@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="browser tests need selenium")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("browser tests need chromium and its driver: apt-get install chromium chromium-driver")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def show(browser, page, path):
    path.write_text(page, encoding="utf-8")
    browser.get(path.as_uri())
    return browser


def keep_screenshot(browser, tmp_path, name):
    path = tmp_path / f"{name}.png"
    browser.save_screenshot(str(path))
    if os.environ.get("EXPLORER_SCREENSHOTS"):
        folder = Path(os.environ["EXPLORER_SCREENSHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder / path.name)
    return path


def test_hostile_names_neither_break_the_page_nor_run_script(browser, tmp_path):
    names = [name for name in HOSTILE if "\ud800" not in name]  # (selenium cannot hand a lone surrogate back)
    show(browser, to_html(hostile_graph(names), title="<!--<script>window.injected=1</script>"), tmp_path / "hostile.html")
    assert browser.execute_script("return typeof window.explorer") == "object"  # the page's script ran
    assert browser.execute_script("return window.injected === undefined && document.scripts.length === 2")
    steps = browser.execute_script("return window.explorer.data.steps.length")
    browser.find_element("id", "next").click()
    browser.find_element("id", "next").click()
    assert browser.find_element("id", "counter").text == f"step 2 of {steps - 1}"
    shown = browser.execute_script("return Array.from(document.querySelectorAll('#canvas text tspan.name'))"
                                   ".map(function (s) { return s.textContent; })")
    assert set(names) <= set(shown)
    browser.find_element("id", "last").click()
    keep_screenshot(browser, tmp_path, "escaping_hostile_names")
    assert browser.execute_script("return window.injected === undefined")


def two_layer_step_page(tmp_path):
    """The demo's page: one training step of the two-layer net on four 8x8 digits."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
    try:
        import demo
        demo.two_layer_training_step(tmp_path)
    finally:
        sys.path.pop(0)
    return (tmp_path / "explorer.html").read_text(encoding="utf-8")


def test_the_demos_two_layer_page_fits_its_panel_at_1400_by_1000(browser, tmp_path):
    show(browser, two_layer_step_page(tmp_path), tmp_path / "two_layer.html")
    sizes = browser.execute_script(
        "const g = document.getElementById('graph'), d = document.documentElement;"
        "return [g.scrollWidth, g.clientWidth, d.scrollWidth, d.clientWidth, d.scrollHeight, d.clientHeight]")
    graph_width, panel_width, page_width, window_width, page_height, window_height = sizes
    assert graph_width <= panel_width  # no sideways scrolling: W1 and b1 are in view
    assert page_width <= window_width and page_height <= window_height  # the page itself never scrolls
    for name in ("W1", "b1"):
        box = browser.execute_script(f"const i = window.explorer.data.tensors.findIndex(t => t.label === '{name}');"
                                     "const r = document.getElementById('node-t' + i).getBoundingClientRect();"
                                     "const p = document.getElementById('graph').getBoundingClientRect();"
                                     "return [r.left - p.left, p.right - r.right]")
        assert min(box) >= 0, name
    keep_screenshot(browser, tmp_path, "two_layer_fitted")
    browser.find_element("id", "zoom").click()  # the actual size scrolls
    assert browser.execute_script("const g = document.getElementById('graph'); return g.scrollWidth > g.clientWidth")
    keep_screenshot(browser, tmp_path, "two_layer_actual_size")
