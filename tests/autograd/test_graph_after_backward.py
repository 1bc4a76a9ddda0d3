"""After a plain backward the graph keeps its structure (for pictures) but no activation: kept losses
pin no memory that grows with the batch, and the values freed are the ones no one else holds."""

import gc
import tracemalloc
import weakref

import numpy as np

from tinygrad_sm import Op, Tensor, nn
from tinygrad_sm.autograd import FreedTensor
from tinygrad_sm.autograd.trace import forward_order


def mlp_loss(model, batch, seed):
    rng = np.random.default_rng(seed)
    X = Tensor(rng.standard_normal((batch, 20)).astype(np.float32))
    return model(X).softmax_cross_entropy(rng.integers(0, 5, batch))


def test_the_structure_after_backward_is_the_structure_before():
    model = nn.Sequential(nn.Linear(20, 16, rng=0), nn.ReLU(), nn.Linear(16, 5, rng=1))
    loss = mlp_loss(model, 32, seed=0)
    before = [(t.op.name if t.op else None, t.shape, t.dtype, t.requires_grad) for t in forward_order(loss)]
    loss.backward()
    after_nodes = forward_order(loss)
    after = [(t.op.name if t.op else None, t.shape, t.dtype, t.requires_grad) for t in after_nodes]
    assert after == before and len(after) == 13  # X, W1ᵀ, transpose, matmul, b1, add, relu, W2ᵀ, transpose, ...
    freed = [t for t in after_nodes if t.freed]
    assert {t.op.name if t.op else "batch" for t in freed} == {"batch", "transpose", "matmul", "add", "relu"}
    assert all(t.data is None for t in freed) and all(isinstance(t, FreedTensor) for t in freed)
    for p in model.parameters():
        assert any(t is p for t in after_nodes) and p.grad is not None  # the leaves stay, with their gradients


def test_a_diamond_stays_one_node_after_backward():
    x = Tensor(np.arange(70.0), requires_grad=True)
    h = (x * 2).exp()  # used twice below, and not held by the caller after this function
    loss = (h * h + h).sum()
    del h
    loss.backward()
    nodes = forward_order(loss)
    assert len([t for t in nodes if t.op is not None and t.op.name == "exp"]) == 1
    assert len(nodes) == len({id(t) for t in nodes})


def test_a_tensor_the_caller_still_holds_keeps_its_value():
    x = Tensor(np.arange(100.0), requires_grad=True)
    h = x.exp()
    (h * 3).sum().backward()
    np.testing.assert_allclose(h.data, np.exp(np.arange(100.0)))  # the stand-in is in the graph, not in h
    assert not h.freed


def test_an_activation_no_one_holds_is_freed_by_backward():
    W = Tensor(np.ones((50, 50)), requires_grad=True)
    h = Tensor(np.ones((10, 50))) @ W
    relu = h.relu()
    gone = weakref.ref(h), weakref.ref(relu)
    loss = relu.sum()
    del h, relu
    loss.backward()
    gc.collect()
    assert all(ref() is None for ref in gone)  # the kept loss reaches the graph, not the arrays
    assert loss.op.parents[0].freed and loss.op.parents[0].shape == (10, 50)


def test_kept_losses_pin_no_memory_that_grows_with_the_batch():
    model = nn.Sequential(nn.Linear(20, 64, rng=0), nn.ReLU(), nn.Linear(64, 5, rng=1))

    def growth(batch, steps=20):
        losses = []
        mlp_loss(model, batch, 0).backward()  # warm-up
        gc.collect()
        tracemalloc.start()
        start = tracemalloc.get_traced_memory()[0]
        for step in range(steps):
            loss = mlp_loss(model, batch, step)
            loss.backward()
            model.zero_grad()
            losses.append(loss)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - start
        tracemalloc.stop()
        return kept / steps

    small, large = growth(8), growth(512)
    activations_per_step = 512 * (20 + 64 + 64 + 64 + 5) * 4  # float32 batch, matmul, add, relu, logits
    assert large < 0.05 * activations_per_step, (small, large)
    assert large < small + 2048  # what a kept loss costs does not grow with the batch


def test_an_op_no_gradient_reached_keeps_its_inputs_and_can_still_run_backward():
    class FirstOnly(Op):
        """A custom op whose backward sends nothing to its second input."""
        name, rule = "first_only", "dA = G"
        __slots__ = ()

        def forward(self, a, b):
            return a + 0 * b

        def backward(self, g):
            return g, None

    x = Tensor(np.ones(100), requires_grad=True)
    doubled = x * 2
    h = doubled * 3  # no gradient reaches the op that made h, so it keeps its 100-entry input
    del doubled
    out = Tensor.apply(FirstOnly, x, h).sum()
    out.backward()
    assert not h.op.released and not h.op.parents[0].freed
    h.sum().backward()  # the untouched ops still have what they need
    np.testing.assert_array_equal(x.grad, np.full(100, 1.0 + 6.0))
