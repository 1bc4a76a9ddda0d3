"""PyTorch habits (issue 9, items 1-3): per-thread grad mode, in-place updates, and the version check."""

import threading

import numpy as np
import pytest

from tinygrad_sm import Tensor, enable_grad, is_grad_enabled, no_grad, optim, set_grad_enabled


def t64(values, requires_grad=True, name=None):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad, name=name)


# ---------------------------------------------------------------- grad mode is per thread

def test_a_graph_built_in_one_thread_keeps_its_edges_while_another_sits_in_no_grad():
    inside, release = threading.Event(), threading.Event()

    def hold_no_grad():
        with no_grad():
            inside.set()
            release.wait(5)

    holder = threading.Thread(target=hold_no_grad)
    holder.start()
    inside.wait(5)
    x = t64([1.0])
    y = (x * 2 + x * 3).sum()  # dy/dx = 5; with a process-wide flag this thread would record nothing
    release.set()
    holder.join()
    y.backward()
    np.testing.assert_allclose(x.grad, [5.0])


def test_overlapping_no_grad_blocks_in_two_threads_leave_grad_mode_on():
    barrier = threading.Barrier(2)

    def overlap(first):
        with no_grad():
            barrier.wait(5)  # both threads are inside now
            if first:
                barrier.wait(5)
        if not first:
            barrier.wait(5)

    threads = [threading.Thread(target=overlap, args=(i == 0,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert is_grad_enabled()
    assert (t64([1.0]) * 2).requires_grad


def test_each_new_thread_starts_with_grad_mode_on():
    seen = []
    with no_grad():
        worker = threading.Thread(target=lambda: seen.append(is_grad_enabled()))
        worker.start()
        worker.join()
    assert seen == [True]


def test_many_threads_training_and_predicting_get_the_same_gradients():
    w0 = np.linspace(-1, 1, 6).reshape(3, 2)
    X = np.arange(12.0).reshape(4, 3) / 10

    def gradient():
        w = t64(w0)
        (Tensor(X) @ w).relu().sum().backward()
        return w.grad

    expected, results, errors = gradient(), [], []

    def train():
        try:
            for _ in range(200):
                results.append(gradient())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    def predict():
        for _ in range(200):
            with no_grad():
                Tensor(X) @ t64(w0)

    threads = [threading.Thread(target=f) for f in (train, predict, train, predict)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 400
    for grad in results:
        np.testing.assert_array_equal(grad, expected)


# ---------------------------------------------------------------- enable_grad, set_grad_enabled, decorators

def test_enable_grad_inside_no_grad():
    x = t64([2.0])
    with no_grad():
        assert not (x * x).requires_grad
        with enable_grad():
            assert (x * x).requires_grad
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_set_grad_enabled_as_a_call_a_context_and_a_decorator():
    set_grad_enabled(False)
    try:
        assert not is_grad_enabled()
    finally:
        set_grad_enabled(True)
    with set_grad_enabled(False):
        assert not is_grad_enabled()
    assert is_grad_enabled()

    @set_grad_enabled(False)
    def predict(x):
        return x * 2

    assert is_grad_enabled()  # decorating does not switch the mode
    assert not predict(t64([1.0])).requires_grad and is_grad_enabled()
    with pytest.raises(TypeError, match="set_grad_enabled: flag must be True or False"):
        set_grad_enabled("no")


def test_no_grad_on_a_generator_covers_its_body_but_not_the_caller():
    x = t64([1.0])

    @no_grad()
    def batches():
        for _ in range(3):
            received = yield (x * 2).requires_grad
            assert received is None or received == "ping"

    modes_in_caller = []
    for recorded in batches():
        assert recorded is False  # the body ran without grad
        modes_in_caller.append(is_grad_enabled())
    assert modes_in_caller == [True, True, True]
    gen = batches()
    next(gen)
    assert gen.send("ping") is False
    gen.close()
    assert is_grad_enabled()


def test_no_grad_generator_return_value_and_exceptions_pass_through():
    @no_grad()
    def counts():
        yield 1
        return "done"

    gen = counts()
    assert next(gen) == 1
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == "done"

    @no_grad()
    def echo():
        try:
            yield 1
        except KeyError:
            yield "caught"

    gen = echo()
    next(gen)
    assert gen.throw(KeyError("k")) == "caught"


def test_a_decorated_function_is_thread_safe():
    @no_grad()
    def slow(ready, go):
        ready.wait(5)
        go.wait(5)
        return is_grad_enabled()

    ready, go, out = threading.Event(), threading.Event(), []
    worker = threading.Thread(target=lambda: out.append(slow(ready, go)))
    worker.start()
    ready.set()
    assert is_grad_enabled()
    go.set()
    worker.join()
    assert out == [False] and is_grad_enabled()


# ---------------------------------------------------------------- in-place updates

def test_the_pytorch_update_idiom_changes_the_parameter_itself():
    W = t64([1.0, 2.0])
    kept = W
    (W * W).sum().backward()
    with no_grad():
        W -= 0.5 * W.grad
    assert W is kept
    np.testing.assert_allclose(kept.data, [0.0, 0.0])
    assert W.is_leaf and W.requires_grad and W._version == 1


def test_in_place_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    W = t64([1.0, 2.0])
    before = W.data.copy()
    with pytest.raises(RuntimeError, match="a leaf tensor that requires grad is being used in an in-place operation"):
        W -= 1.0
    np.testing.assert_array_equal(W.data, before)
    assert W._version == 0


def test_in_place_with_a_tensor_that_requires_grad_is_recorded_as_pytorch():
    w = t64([1.0, 2.0])
    buffer = t64([0.0, 0.0], requires_grad=False)
    h = w * 2
    buffer += h  # a constant buffer updated with a value in the graph joins the graph (issue 16)
    h += 1
    (buffer * h).sum().backward()
    np.testing.assert_allclose(w.grad, 2 * (2 * w.data + 1) + 2 * 2 * w.data)


@pytest.mark.parametrize("name, expected", [("add_", [3.0, 4.0]), ("sub_", [-1.0, 0.0]),
                                            ("mul_", [2.0, 4.0]), ("div_", [0.5, 1.0]), ("pow_", [1.0, 4.0])])
def test_in_place_methods(name, expected):
    x = t64([1.0, 2.0], requires_grad=False)
    data = x.data
    assert getattr(x, name)(2.0) is x
    assert x.data is data
    np.testing.assert_allclose(x.data, expected)
    assert x._version == 1


def test_operators_change_the_tensor_itself_and_matmul_in_place_refuses():
    x = t64([1.0, 2.0], requires_grad=False)
    kept = x
    x += 1
    x -= 0.5
    x *= 4
    x /= 2
    x **= 2
    assert x is kept and x._version == 5
    np.testing.assert_allclose(x.data, [9.0, 25.0])
    M = Tensor(np.eye(2))
    with pytest.raises(TypeError, match="@=: matmul cannot be done in place"):
        M @= np.ones((2, 2))


def test_zero_fill_and_copy_in_place():
    x = t64([1.0, 2.0], requires_grad=False)
    x.zero_()
    np.testing.assert_array_equal(x.data, [0.0, 0.0])
    x.fill_(7)
    np.testing.assert_array_equal(x.data, [7.0, 7.0])
    x.copy_(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(x.data, [3.0, 4.0])
    assert x._version == 3


def test_in_place_bad_shapes_and_dtypes_change_nothing():
    x = t64([1.0, 2.0], requires_grad=False)
    with pytest.raises(ValueError, match=r"add_: shape \(3,\) cannot be broadcast to the tensor's shape \(2,\)"):
        x += np.ones(3)
    with pytest.raises(ValueError, match=r"add_: shape \(2, 2\) cannot be broadcast"):
        x += np.ones((2, 2))
    labels = Tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match="div_: the result for a int64 operand cannot be stored in place in a int64 tensor"):
        labels /= 2
    frozen = Tensor(np.ones(2))
    frozen.data.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        frozen += 1
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    np.testing.assert_array_equal(labels.data, [1, 2])
    assert x._version == labels._version == frozen._version == 0


def test_in_place_broadcasts_a_smaller_operand():
    x = Tensor(np.zeros((2, 3)))
    x += np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.data, [[1, 2, 3], [1, 2, 3]])


# ---------------------------------------------------------------- the version check

def test_changing_a_saved_input_in_place_makes_backward_raise():
    w = t64([1.0, 2.0])
    x = t64([3.0, 4.0], requires_grad=False, name="x")
    loss = (w * x).sum()  # mul saved x for dw = G ⊙ x
    x += 1
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation: the mul op saved 'b', and x of "
                                           r"shape \(2,\), now at version 1"):
        loss.backward()
    assert w.grad is None


def test_an_optimizer_step_between_forward_and_a_retained_backward_is_caught():
    W = t64([[1.0, 2.0], [3.0, 4.0]], name="W")
    opt = optim.SGD([W], lr=0.1)
    loss1 = (Tensor(np.ones((1, 2))) @ W).sum()
    loss2 = (Tensor(np.ones((1, 2))) @ W * 2).sum()
    loss1.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="the matmul op saved 'b', and W of shape"):
        loss2.backward()


def test_changing_an_output_the_op_saved_makes_backward_raise():
    x = t64([0.0, 1.0])
    y = x.exp()  # exp saved its output
    with no_grad():
        y *= 2
    with pytest.raises(RuntimeError, match="the exp op saved 'out'"):
        y.sum().backward()


def test_a_change_through_a_view_is_caught():
    base = Tensor(np.arange(6.0).reshape(2, 3), name="base")
    w = t64(np.ones((2, 3)))
    loss = (w * base).sum()
    view = base.T  # no graph (base needs no grad), but the same memory
    view += 1
    with pytest.raises(RuntimeError, match="the mul op saved 'b'"):
        loss.backward()


def test_changes_the_op_did_not_save_are_fine():
    w = t64([1.0, 2.0])
    x = t64([3.0, 4.0], requires_grad=False)
    loss = (w + x).sum() + w.relu().sum()  # add keeps only shapes; relu keeps its own mask
    x += 100
    loss.backward()
    np.testing.assert_allclose(w.grad, [2.0, 2.0])


def test_changes_before_the_forward_pass_are_fine():
    w = t64([1.0, 2.0])
    x = t64([3.0, 4.0], requires_grad=False)
    x += 1
    (w * x).sum().backward()
    np.testing.assert_allclose(w.grad, [4.0, 5.0])


def test_writing_to_data_directly_is_the_documented_escape_hatch():
    w = t64([1.0, 2.0])
    x = t64([3.0, 4.0], requires_grad=False)
    loss = (w * x).sum()
    x.data += 1  # not through the Tensor API: no version bump, no check (as in PyTorch)
    loss.backward()
    np.testing.assert_allclose(w.grad, [4.0, 5.0])


def test_no_grad_and_enable_grad_as_bare_decorators():
    @no_grad
    def predict(x):
        return x * 2

    @enable_grad
    def record(x):
        return x * 2

    x = t64([1.0])
    assert not predict(x).requires_grad and predict.__name__ == "predict"
    with no_grad():
        assert record(x).requires_grad
    with pytest.raises(TypeError, match=r"no_grad\(\) takes no arguments"):
        no_grad(5)
