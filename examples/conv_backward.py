"""The backward of a one-layer conv net on a tiny image, as a graph and as a trace.

A 1 × 1 × 5 × 5 image X goes through conv2d with one 3 × 3 kernel W and a bias b (3 × 3 out), ReLU,
2 × 2 max pooling with stride 1 (2 × 2 out), and a sum: loss = Σ maxpool(relu(conv(X, W) + b)).
The graph shows every value and gradient as a small grid and each op's backward rule; the trace
prints the steps of ``loss.backward`` one op at a time. Then the flipped-kernel rule is checked by
hand: dX is the full correlation of G = ∂loss/∂conv with the kernel W flipped in both axes.

Run: python examples/conv_backward.py [out_dir]
"""

from pathlib import Path

import numpy as np

import _cli
from _pictures import NOT_RENDERED, render, report_not_rendered
from tinygrad_sm import Tensor
from tinygrad_sm.autograd import conv2d, max_pool2d
from tinygrad_sm.viz import draw_graph, retain_grads, trace_backward


def tiny_net(seed=0):
    """(loss, {name: tensor}) of the one-layer net, values in quarters: short, and exact in binary (no 1e-17 noise)."""
    rng = np.random.default_rng(seed)
    X = Tensor(np.round(rng.uniform(-1, 1, (1, 1, 5, 5)) * 4) / 4, requires_grad=True, name="X")
    W = Tensor(np.round(rng.uniform(-1, 1, (1, 1, 3, 3)) * 4) / 4, requires_grad=True, name="W")
    b = Tensor(np.array([0.25]), requires_grad=True, name="b")
    conv = conv2d(X, W, b)
    conv.name = "C"
    relu = conv.relu()
    relu.name = "R"
    pooled = max_pool2d(relu, 2, stride=1)
    pooled.name = "P"
    loss = pooled.sum()
    loss.name = "loss"
    return loss, {"X": X, "W": W, "b": b, "C": conv}


def full_correlation_with_flipped_kernel(G, W):
    """dX[y, x] = Σ_{i,j} G_padded[y + i, x + j] · W[kh-1-i, kw-1-j]: G padded by k - 1, correlated with W flipped."""
    kh, kw = W.shape
    padded = np.pad(G, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    flipped = W[::-1, ::-1]
    rows, cols = padded.shape[0] - kh + 1, padded.shape[1] - kw + 1
    return np.array([[np.sum(padded[y:y + kh, x:x + kw] * flipped) for x in range(cols)] for y in range(rows)])


def main(out_dir="out/conv_backward"):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    NOT_RENDERED.clear()
    loss, names = tiny_net()
    retain_grads(loss)
    print("The backward trace of loss = Σ maxpool(relu(conv2d(X, W) + b)):")
    trace_backward(loss, params=names, retain_graph=True)
    title = "one conv layer on a 5×5 image: loss = Σ maxpool(relu(conv2d(X, W) + b)), after backward"
    pictures = render(draw_graph(loss, params=names, title=title), out / "graph")
    G = names["C"].grad[0, 0]
    expected = full_correlation_with_flipped_kernel(G, names["W"].data[0, 0])
    difference = float(np.abs(names["X"].grad[0, 0] - expected).max())
    print("\nG = ∂loss/∂C (3×3):\n", G)
    print("dX from the engine:\n", names["X"].grad[0, 0])
    print(f"full correlation of G with the flipped kernel: largest difference {difference:.1e}")
    print(f"Pictures: {', '.join(pictures)}" if pictures else "")
    report_not_rendered()
    return {"loss": loss, "tensors": names, "pictures": pictures, "dX": names["X"].grad[0, 0],
            "flipped_kernel_dX": expected, "difference": difference}


if __name__ == "__main__":
    main(_cli.parser(__doc__, "out/conv_backward").parse_args().out_dir)
