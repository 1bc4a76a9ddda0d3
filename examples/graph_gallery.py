"""Graphs of four small computations, drawn after one backward pass with values and gradients.

1. micrograd's neuron, o = tanh(x1 w1 + x2 w2 + b), in scalars: the gradients on every node.
2. The diamond h = x ⊙ x, y = Σ (h + h) at x = 2: h is reached by two paths, dy/dx = 8.
3. Softmax regression on a batch of four examples: logits = X W + b, the fused cross-entropy.
4. A two-layer relu network (the notes' h = W1 x + b1, z = W2 g(h) + b2) with the cross-entropy.

Every intermediate keeps its gradient (viz.retain_grads) and the graph is kept after backward
(retain_graph=True), so the pictures show every gradient, and the diamond its two paths: 4 + 4 = 8.

Run: python examples/graph_gallery.py [out_dir]
"""

from pathlib import Path

import numpy as np

import _cli
from _pictures import render, report_not_rendered
from tinygrad_sm import Tensor
from tinygrad_sm.viz import draw_graph, retain_grads


def named(tensor, name):
    tensor.name = name
    return tensor


def neuron():
    """micrograd's example neuron; o ≈ 0.7071 and do/dn = 1 - o² = 0.5."""
    x1, x2 = Tensor(2.0, name="x1"), Tensor(0.0, name="x2")
    w1, w2 = Tensor(-3.0, requires_grad=True, name="w1"), Tensor(1.0, requires_grad=True, name="w2")
    b = Tensor(6.8813735870195432, requires_grad=True, name="b")
    n = named(x1 * w1 + x2 * w2 + b, "n")
    return named(n.tanh(), "o")


def diamond():
    """A node reached by two paths: dy/dx = 2 · 2x = 8 at x = 2."""
    x = Tensor([2.0], requires_grad=True, name="x")
    h = named(x * x, "h")
    return named((h + h).sum(), "y")


def softmax_regression(seed=0):
    """logits = X W + b for four examples with two features and three classes; the mean cross-entropy."""
    rng = np.random.default_rng(seed)
    X = Tensor(rng.standard_normal((4, 2)).round(2), name="X")
    W = Tensor(rng.standard_normal((2, 3)).round(2), requires_grad=True, name="W")
    b = Tensor(np.zeros(3), requires_grad=True, name="b")
    logits = named(X @ W + b, "logits")
    return named(logits.softmax_cross_entropy(np.array([0, 2, 1, 2])), "loss")


def two_layer(seed=0, hidden=5):
    """h = X W1 + b1, g = relu(h), z = g W2 + b2, loss = cross-entropy (rows are examples)."""
    rng = np.random.default_rng(seed)
    X = Tensor(rng.standard_normal((4, 2)), name="X")
    W1 = Tensor(rng.standard_normal((2, hidden)) * 0.7, requires_grad=True, name="W1")
    b1 = Tensor(np.zeros(hidden), requires_grad=True, name="b1")
    W2 = Tensor(rng.standard_normal((hidden, 3)) * 0.7, requires_grad=True, name="W2")
    b2 = Tensor(np.zeros(3), requires_grad=True, name="b2")
    h = named(X @ W1 + b1, "h")
    g = named(h.relu(), "g")
    z = named(g @ W2 + b2, "z")
    return named(z.softmax_cross_entropy(np.array([0, 1, 2, 1])), "loss")


GALLERY = [
    ("neuron", "micrograd's neuron: o = tanh(x1 w1 + x2 w2 + b)", neuron),
    ("diamond", "a diamond: h = x ⊙ x, y = Σ(h + h); dy/dx = 8 at x = 2", diamond),
    ("softmax_regression", "softmax regression: loss = CE(X W + b, y)", softmax_regression),
    ("two_layer", "two-layer network: loss = CE(relu(X W1 + b1) W2 + b2, y)", two_layer),
]


def main(out_dir="out/graph_gallery", formats=("svg", "png")):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pictures, roots = [], {}
    for name, title, build in GALLERY:
        root = retain_grads(build())
        root.backward(retain_graph=True)
        pictures.extend(render(draw_graph(root, title=title), out / name, formats))
        roots[name] = root
        print(f"{title}\n  value {root.item():.4f}; drawn to {out / name}.{formats[0]}")
    print(f"\nPictures in {out}/: blue boxes are weights (leaves that require grad), dashed grey boxes constants,\n"
          "the double-bordered box is the output; green boxes are ops with the backward rule they apply;\n"
          "red text is each tensor's gradient after one backward pass.")
    return {"roots": roots, "pictures": pictures}


if __name__ == "__main__":
    main(_cli.parser(__doc__, "out/graph_gallery").parse_args().out_dir)
    report_not_rendered()
