"""The short tour that `make demo` runs: a few seconds, pictures and explorer pages under out/demo/.

1. The softmax illustration of the notes "Softmax regression" (CS 453X, class 8):
   z = [1.5, 1, -1], ŷ ≈ [.592, .359, .049], the gradient for each label, computed by the
   engine; its graph, one picture per backward step, and its explorer page.
2. A quick softmax regression on handwritten digits: full MNIST if it is already cached
   (run examples/mnist_softmax.py once to fetch it), else scikit-learn's bundled 8×8 digits.
3. One training step of the two-layer relu network of the notes "Classification" (CS 577:
   perceptron, SGD, two-layer nets) on four digits: its graph with every value and gradient, the backward pass printed
   step by step, and its explorer page.

Without Graphviz's `dot` everything still runs: the DOT sources are written, and the tour ends
by naming the pictures it could not render.

Run: python examples/demo.py [out_dir] [--epochs N] [--n-train N]
"""

from pathlib import Path

import numpy as np

import _cli
import mnist_softmax
import softmax_illustration
from _pictures import NOT_RENDERED, render, report_not_rendered
from tinygrad_sm import Tensor, nn
from tinygrad_sm.viz import draw_graph, retain_grads, to_html, trace_backward


def notes_layout(linear):
    """The notes' (W, b) of an nn.Linear: W = weightᵀ (d × K), so the graph reads h = X W1 + b1 as the notes do."""
    return Tensor(linear.weight.data.T.copy(), requires_grad=True), linear.bias


def two_layer_training_step(out, batch_size=4, hidden=6, seed=0):
    """One SGD step's forward and backward of h = X W1 + b1, g = relu(h), z = g W2 + b2 on a few digits."""
    X, y, _, _ = mnist_softmax.load_images("digits")
    rows = np.random.default_rng(seed).choice(len(X), batch_size, replace=False)
    W1, b1 = notes_layout(nn.Linear(X.shape[1], hidden, rng=seed))
    W2, b2 = notes_layout(nn.Linear(hidden, 10, rng=seed + 1))
    names = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    images = Tensor(X[rows].astype(np.float32), name="X")
    h = images @ W1 + b1
    h.name = "h"
    g = h.relu()
    g.name = "g"
    z = g @ W2 + b2
    z.name = "z"
    loss = nn.cross_entropy(z, y[rows])
    loss.name = "loss"
    title = f"one training step of the two-layer net on {batch_size} digits (notes: Classification)"
    to_html(loss, out / "explorer.html", params=names, title=title)
    retain_grads(loss)
    trace_backward(loss, params=names, retain_graph=True)
    pictures = render(draw_graph(loss, params=names, title=title + ", after backward"), out / "graph")
    return loss, pictures


def heading(text):
    print("\n" + "=" * 72 + "\n" + text + "\n" + "=" * 72)


def main(out_dir="out/demo", epochs=5, n_train=None):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    NOT_RENDERED.clear()
    heading("1. The softmax illustration of the notes \"Softmax regression\"")
    illustration = softmax_illustration.main(out / "softmax_illustration", steps=True)
    heading("2. Softmax regression on handwritten digits")
    digits = mnist_softmax.main(out / "mnist_softmax", source="auto", download=False, epochs=epochs,
                                n_train=n_train if n_train is not None else 10000)
    heading("3. One training step of the two-layer net (notes: Classification), as a graph and as a backward trace")
    loss, step_pictures = two_layer_training_step(out / "two_layer_step")
    pictures = illustration["pictures"] + digits["pictures"] + step_pictures
    explorers = [out / "softmax_illustration" / "explorer.html", out / "two_layer_step" / "explorer.html"]
    print(f"\nDone. {len(pictures)} pictures and {len(explorers)} explorer pages under {out}/:")
    listing = [(explorers[0], "step through the notes' example in a browser (← →)"),
               (explorers[1], "step through one training step of the two-layer net"),
               (out / "softmax_illustration" / "graph.svg", "the notes' example (backward_steps/: step by step)"),
               (out / "mnist_softmax" / "templates.png", "the learned W as images (curves.png: loss, accuracy)"),
               (out / "two_layer_step" / "graph.svg", "one SGD step with every value and gradient")]
    width = max(len(str(path)) for path, _ in listing)
    for path, what in listing:
        print(f"  {str(path):<{width}}  {what}")
    print("More: python examples/graph_gallery.py, two_moons.py, perceptron.py, iris.py, closed_forms.py;\n"
          "      the notebooks in examples/notebooks/ (one per note)")
    report_not_rendered()
    return {"pictures": pictures, "explorers": [str(p) for p in explorers], "test_accuracy": digits["test_accuracy"],
            "loss": loss.item(), "not_rendered": list(NOT_RENDERED)}


if __name__ == "__main__":
    arguments = _cli.parser(__doc__, "out/demo")
    arguments.add_argument("--epochs", type=int, default=5, help="epochs of the digits run (default 5)")
    arguments.add_argument("--n-train", type=int, default=None, help="training images for the digits run")
    options = arguments.parse_args()
    main(options.out_dir, epochs=options.epochs, n_train=options.n_train)
