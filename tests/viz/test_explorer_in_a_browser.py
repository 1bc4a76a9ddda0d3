"""The explorer in a real browser (Debian's chromium, driven by selenium): keys, clicks, and the engine's numbers.

Screenshots go to the test's tmp folder (and to $EXPLORER_SCREENSHOTS when set), to be looked at.
"""

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from tinygrad_sm import Tensor, autograd
from tinygrad_sm.viz.explorer import to_html
from tinygrad_sm.viz import glance, glance_lines, retain_grads

webdriver = pytest.importorskip("selenium.webdriver", reason="browser tests need selenium (pip install selenium)")
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("browser tests need chromium and its driver: apt-get install chromium chromium-driver")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def open_page(browser, page, path):
    path.write_text(page, encoding="utf-8")
    browser.get(path.as_uri())
    return browser.find_element(By.TAG_NAME, "body")


def screenshot(browser, tmp_path, name):
    path = tmp_path / f"{name}.png"
    browser.save_screenshot(str(path))
    if os.environ.get("EXPLORER_SCREENSHOTS"):
        folder = Path(os.environ["EXPLORER_SCREENSHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder / path.name)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


def text_of(browser, element_id):
    return browser.find_element(By.ID, element_id).text


def box_lines(browser, tensor_index):
    return [span.text for span in browser.find_elements(By.CSS_SELECTOR, f"#node-t{tensor_index} tspan")]


def numbers(text):
    return np.array([float(v) for v in NUMBER.findall(text)])


def press(body, key, times=1):
    for _ in range(times):
        body.send_keys(key)


def two_layer():
    rng = np.random.default_rng(0)
    X = Tensor(rng.standard_normal((4, 2)).astype(np.float32), name="X")
    W1 = Tensor(rng.standard_normal((2, 5)).astype(np.float32), requires_grad=True, name="W1")
    b1 = Tensor(np.zeros(5, np.float32), requires_grad=True, name="b1")
    W2 = Tensor(rng.standard_normal((5, 3)).astype(np.float32), requires_grad=True, name="W2")
    b2 = Tensor(np.zeros(3, np.float32), requires_grad=True, name="b2")
    h = X @ W1 + b1
    h.name = "h"
    g = h.relu()
    g.name = "g"
    z = g @ W2 + b2
    z.name = "z"
    loss = z.softmax_cross_entropy(np.array([0, 1, 2, 1]))
    loss.name = "loss"
    return loss, {"X": X, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "h": h, "g": g, "z": z}


def index_of(page_data_tensors, label):
    return next(t["id"] for t in page_data_tensors if t["label"] == label)


def test_stepping_with_keys_fills_values_then_gradients_equal_to_the_engines(browser, tmp_path):
    loss, t = two_layer()
    page = to_html(loss, title="two-layer net")
    assert t["W1"].grad is None  # the page was made without touching any .grad
    retain_grads(loss)
    loss.backward()  # the engine's own numbers, to check the page against
    body = open_page(browser, page, tmp_path / "two_layer.html")
    data = browser.execute_script("return window.explorer.data")
    h, w1, g = (index_of(data["tensors"], name) for name in ("h", "W1", "g"))
    steps = data["steps"]
    assert text_of(browser, "counter") == f"step 0 of {len(steps) - 1}"
    assert box_lines(browser, h)[2] == "value ·  (not computed yet)"
    screenshot(browser, tmp_path, "01_start")

    h_made = next(k for k, s in enumerate(steps) if s["phase"] == "forward" and s["node"] == h)
    press(body, Keys.ARROW_RIGHT, h_made)
    assert browser.execute_script("return window.explorer.step()") == h_made
    assert "h = add(" in text_of(browser, "step")
    value_rows = [line.strip() for line in box_lines(browser, h)[2:]]
    assert value_rows[0] == "value " + glance_lines(t["h"].data)[0].strip()
    assert "value" in box_lines(browser, g)[2] and "not computed" in box_lines(browser, g)[2]
    screenshot(browser, tmp_path, "02_forward_h")

    relu_step = next(k for k, s in enumerate(steps) if s["phase"] == "backward" and s["node"] == g)
    press(body, Keys.ARROW_RIGHT, relu_step - h_made)
    assert text_of(browser, "step-rule") == "dh = G ⊙ 1[h > 0]"
    assert text_of(browser, "step-G") == glance(t["g"].grad)
    assert any(line.startswith("grad") for line in box_lines(browser, h))  # h just received its gradient
    assert not any(line.startswith("grad") for line in box_lines(browser, w1))  # W1 not yet
    screenshot(browser, tmp_path, "03_backward_relu")

    press(body, Keys.END)
    browser.find_element(By.ID, f"node-t{w1}").click()
    assert text_of(browser, "detail-name") == "W1"
    np.testing.assert_allclose(numbers(text_of(browser, "detail-value")), t["W1"].data.ravel(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(numbers(text_of(browser, "detail-grad")), t["W1"].grad.ravel(), rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(np.reshape(data["tensors"][w1]["grads"][-1]["total"]["data"], (2, 5)),
                                  t["W1"].grad)  # the embedded numbers are the engine's, exactly
    screenshot(browser, tmp_path, "04_end_W1_clicked")

    press(body, Keys.ARROW_LEFT)
    assert text_of(browser, "counter") == f"step {len(steps) - 2} of {len(steps) - 1}"
    press(body, Keys.HOME)
    assert text_of(browser, "counter") == f"step 0 of {len(steps) - 1}"
    assert "not computed yet" in text_of(browser, "detail-value") or "W1" in text_of(browser, "detail-name")
    assert browser.get_log("browser") == []  # no script errors


def test_two_paths_show_the_partial_sum_then_both_contributions(browser, tmp_path):
    s = Tensor(np.float32(3.0), requires_grad=True, name="s")
    total = s * 2.0 + s * 5.0
    total.name = "total"
    body = open_page(browser, to_html(total), tmp_path / "paths.html")
    data = browser.execute_script("return window.explorer.data")
    s_index = index_of(data["tensors"], "s")
    first, second = (a["step"] for a in data["tensors"][s_index]["grads"])
    assert first < second
    press(body, Keys.ARROW_RIGHT, first)
    assert box_lines(browser, s_index)[-2:] == ["grad so far 5", "(1 of 2 paths arrived)"]
    screenshot(browser, tmp_path, "05_one_path_arrived")
    press(body, Keys.END)
    assert box_lines(browser, s_index)[-2:] == ["grad 7", "(5 + 2)"]
    browser.find_element(By.ID, f"node-t{s_index}").click()
    assert numbers(text_of(browser, "detail-grad")).tolist() == [7.0]
    assert [numbers(p.text)[-1] for p in browser.find_elements(By.CSS_SELECTOR, "#details pre.part")] == [5.0, 2.0]
    screenshot(browser, tmp_path, "06_both_paths")


def test_buttons_and_slider_move_the_step(browser, tmp_path):
    x = Tensor(np.array([-1.0, 1.0]), name="x")
    W = Tensor(np.array([[-2.5, 1.0, 1.0], [-1.0, 2.0, 0.0]]), requires_grad=True, name="W")
    z = W.T @ x
    z.name = "z"
    loss = z.softmax_cross_entropy(np.array(0))
    loss.name = "loss"
    open_page(browser, to_html(loss), tmp_path / "illustration.html")
    browser.find_element(By.ID, "next").click()
    browser.find_element(By.ID, "next").click()
    assert text_of(browser, "counter").startswith("step 2 of")
    browser.find_element(By.ID, "last").click()
    z_index = index_of(browser.execute_script("return window.explorer.data")["tensors"], "z")
    browser.find_element(By.ID, f"node-t{z_index}").click()
    np.testing.assert_allclose(numbers(text_of(browser, "detail-value")), [1.5, 1.0, -1.0])
    np.testing.assert_allclose(numbers(text_of(browser, "detail-grad")), [0.592 - 1, 0.359, 0.049], atol=5e-4)
    browser.find_element(By.ID, "first").click()
    assert text_of(browser, "counter").startswith("step 0 of")
    screenshot(browser, tmp_path, "07_illustration_start")


def test_a_create_graph_gradient_shows_its_backward_graph_and_steps_through_the_second_pass(browser, tmp_path):
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    g, = autograd.grad((x.exp() * x).sum(), x, create_graph=True)  # e^x ⊙ x + e^x, recorded: three muls, an add
    body = open_page(browser, to_html(g), tmp_path / "second_order.html")
    assert "create_graph=True" in text_of(browser, "second-order")
    backward_ops = browser.find_elements(By.CSS_SELECTOR, "g.node.op.backward")
    names = [op.find_element(By.CSS_SELECTOR, "tspan.name").text for op in backward_ops]
    assert sorted(names) == ["add", "mul", "mul", "mul"]
    fill = browser.execute_script("return getComputedStyle(arguments[0].querySelector('rect')).fill", backward_ops[0])
    assert fill == "rgb(234, 220, 245)"  # the colour draw_graph gives backward ops
    titles = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "g.group text.group-title")]
    assert titles == ["the forward pass", "the first backward pass, recorded (create_graph=True)"]
    screenshot(browser, tmp_path, "08_second_order_start")

    press(body, Keys.ARROW_RIGHT, 2)  # the forward exp, then the first recorded backward op
    assert "first backward pass, recorded · op 1 of 4" in text_of(browser, "step").lower()
    steps = browser.execute_script("return window.explorer.data.steps")
    seed = next(k for k, s in enumerate(steps) if s["phase"] == "seed")
    press(body, Keys.ARROW_RIGHT, seed + 1 - 2)
    assert "second backward pass · step 1 of 5" in text_of(browser, "step").lower()
    screenshot(browser, tmp_path, "09_second_backward_step_1")

    press(body, Keys.END)
    second, = autograd.grad(g.sum(), x)
    data = browser.execute_script("return window.explorer.data")
    browser.find_element(By.ID, f"node-t{index_of(data['tensors'], 'x')}").click()
    np.testing.assert_allclose(numbers(text_of(browser, "detail-grad")), second.data, rtol=1e-5)
    np.testing.assert_allclose(second.data, np.exp(x.data) * (x.data + 2))  # d²/dx² of x e^x
    screenshot(browser, tmp_path, "10_second_backward_end_x_clicked")
