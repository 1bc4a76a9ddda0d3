"""The short tour that `make demo` runs: a few seconds, pictures under out/demo/.

1. The softmax illustration of 001_b606231dbf973e55.txt: z = [1.5, 1, -1], ŷ ≈ [.592, .359, .049],
   and the gradient for each label, computed by the engine.
2. A quick softmax regression on handwritten digits: full MNIST if it is already cached
   (run examples/mnist_softmax.py once to fetch it), else scikit-learn's bundled 8×8 digits.
3. One training step of softmax regression as a graph: each tensor with its value and gradient, each
   op with the backward rule it applied, and the backward pass printed step by step.

Run: python examples/demo.py [out_dir]
"""

import sys
from pathlib import Path

import numpy as np

import mnist_softmax
import softmax_illustration
from tinygrad_sm import Tensor, nn
from tinygrad_sm.viz import draw_graph, retain_grads, trace_backward


def one_training_step(out, batch_size=4, seed=0):
    """One SGD step of softmax regression on a few digits; draws its graph after backward."""
    X, y, _, _ = mnist_softmax.load_images("digits")
    rows = np.random.default_rng(seed).choice(len(X), batch_size, replace=False)
    model = nn.Linear(X.shape[1], 10, rng=seed)
    images = Tensor(X[rows].astype(np.float32), name="X")
    logits = model(images)
    logits.name = "logits"
    loss = nn.cross_entropy(logits, y[rows])
    loss.name = "loss"
    retain_grads(loss)
    trace_backward(loss, retain_graph=True)
    graph = draw_graph(loss, title=f"one training step of softmax regression on {batch_size} digits (after backward)")
    paths = [graph.render(out / "training_step", format=fmt, cleanup=True) for fmt in ("svg", "png")]
    return loss, paths


def heading(text):
    print("\n" + "=" * 72 + "\n" + text + "\n" + "=" * 72)


def main(out_dir="out/demo", epochs=5, n_train=None):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    heading("1. The softmax illustration of the notes")
    illustration = softmax_illustration.main(out / "softmax_illustration", steps=True)
    heading("2. Softmax regression on handwritten digits")
    digits = mnist_softmax.main(out / "mnist_softmax", source="auto", download=False, epochs=epochs,
                                n_train=n_train if n_train is not None else 10000)
    heading("3. One training step of softmax regression, as a graph and as a backward trace")
    loss, step_pictures = one_training_step(out)
    pictures = illustration["pictures"] + digits["pictures"] + step_pictures
    print(f"\nDone. {len(pictures)} pictures under {out}/:")
    print(f"  {out / 'softmax_illustration'}/graph.svg and backward_steps/  the notes' example, step by step")
    print(f"  {out / 'mnist_softmax'}/curves.png and templates.png         loss, accuracy, the learned W")
    print(f"  {out}/training_step.svg                                    one SGD step with every gradient")
    print("More: python examples/graph_gallery.py, two_moons.py, perceptron.py, iris.py, closed_forms.py")
    return {"pictures": pictures, "test_accuracy": digits["test_accuracy"], "loss": loss.item()}


if __name__ == "__main__":
    main(*sys.argv[1:2])
