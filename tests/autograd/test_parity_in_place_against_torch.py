"""In-place changes as PyTorch (issues 16 and 19): recorded on a non-leaf in a graph, checked, and refused cleanly."""

import numpy as np
import pytest

from tinygrad_sm import Tensor, no_grad

torch = pytest.importorskip("torch")


def micrograd_more_ops(lib, make):
    """micrograd's test_more_ops expression, with augmented assignment on tensors inside the graph."""
    a, b = make(-4.0), make(2.0)
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g.item(), a.grad.item() if lib == "torch" else float(a.grad), \
        b.grad.item() if lib == "torch" else float(b.grad)


def test_micrograds_expression_gives_pytorchs_values_and_gradients():
    ours = micrograd_more_ops("tg", lambda v: Tensor(np.float64(v), requires_grad=True))
    theirs = micrograd_more_ops("torch", lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("method", ["add_", "sub_", "mul_", "div_", "pow_", "copy_"])
def test_in_place_methods_on_a_non_leaf(method):
    def run(lib, make):
        w, v = make([0.5, 1.5, 2.0]), make([2.0, 0.5, 1.0])
        h = w * 3
        kept = h.sum()  # an op recorded before the change: it sees h's old version
        getattr(h, method)(v)
        loss = (h * h).sum() + kept
        loss.backward()
        return [loss.item(), *w.grad.tolist(), *v.grad.tolist()]
    ours = run("tg", lambda x: Tensor(np.array(x), requires_grad=True))
    theirs = run("torch", lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_item_assignment_on_a_non_leaf_is_recorded():
    def run(make):
        w, v = make([1.0, 2.0, 3.0]), make([5.0])
        h = w * 2
        h[1] = v[0] * 3
        h[0:1] = 7.0
        (h * w).sum().backward()
        return [*w.grad.tolist(), *v.grad.tolist()]
    ours = run(lambda x: Tensor(np.array(x), requires_grad=True))
    theirs = run(lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True))
    np.testing.assert_allclose(ours, theirs)


def test_the_version_check_still_catches_a_saved_array_that_changed():
    for lib, make in (("tg", lambda x: Tensor(np.array(x), requires_grad=True)),
                      ("torch", lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True))):
        w = make([1.0, 2.0])
        h = w * 2
        out = (h * h).sum()  # mul saves h
        h += 1
        with pytest.raises(RuntimeError, match="modified by an in-?place operation"):
            out.backward()


def test_a_leaf_that_requires_grad_refuses_in_place_and_a_view_of_it_too():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    for change in (lambda: w.add_(1), lambda: w.__setitem__(0, 5.0), lambda: w[0:1].__iadd__(5)):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
            change()
    np.testing.assert_array_equal(w.data, [1.0, 2.0]) and w._version == 0


def test_slice_in_place_under_no_grad_works_as_pytorch():
    w, tw = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True), torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with no_grad():
        w[0:1] += 5
        w[2] = -1.0
    with torch.no_grad():
        tw[0:1] += 5
        tw[2] = -1.0
    np.testing.assert_array_equal(w.data, tw.detach().numpy())
    with no_grad(), pytest.raises(ValueError, match="setitem: shape"):
        w[0:2] = np.ones(3)  # a failed call changes nothing
    np.testing.assert_array_equal(w.data, tw.detach().numpy())


def test_an_int_overflow_is_pytorchs_clear_error():
    t = Tensor(np.array([1, 2], dtype=np.int32))
    with pytest.raises(RuntimeError, match="add_: value 1099511627776 cannot be converted to type int32 without "
                                           "overflow"):
        t.add_(2 ** 40)
    np.testing.assert_array_equal(t.data, [1, 2])


def test_many_disjoint_slice_changes_blame_only_a_changed_slice():
    x = Tensor(np.zeros(600))
    w = Tensor(np.ones(2), requires_grad=True)
    untouched = x[598:600]
    out = (untouched * w).sum()  # saves the view of the slice that never changes
    with no_grad():
        for i in range(300):
            x[i:i + 1] += 1.0
    out.backward()  # no slice it saved changed: no error
    np.testing.assert_array_equal(w.grad, [0.0, 0.0])
