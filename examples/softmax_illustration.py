"""The worked example ("Illustration") of the notes "Softmax regression" (CS 453X, class 8), by the engine.

x = [-1, 1] and three weight vectors w(1) = [-2.5, -1], w(2) = [1, 2], w(3) = [1, 0], the
columns of W, give z = Wᵀx = [1.5, 1, -1] and ŷ = softmax(z) ≈ [.592, .359, .049]. For each
possible label the engine's gradient of the cross-entropy is ŷ - onehot(y) with respect to z
(the notes "Multi-class classification with Softmax function": ∂ξ/∂z = y - t) and x (ŷ - onehot(y))ᵀ
with respect to W (notes: Softmax regression, ∇_{w_k} = x(ŷ_k - y_k)).
Writes the graph (values and gradients), one picture per backward step, and the explorer
(explorer.html: step through both passes in a browser).

Run: python examples/softmax_illustration.py [out_dir] [--no-steps]
"""

from pathlib import Path

import numpy as np

import _cli
from _pictures import NOT_RENDERED, render, report_not_rendered
from tinygrad_sm import Tensor
from tinygrad_sm.viz import GraphvizNotFound, draw_backward_steps, draw_graph, retain_grads, to_html, trace_backward

X_NOTES = [-1.0, 1.0]
W_NOTES = [[-2.5, 1.0, 1.0],   # row 1 of W: first entries of w(1), w(2), w(3)
           [-1.0, 2.0, 0.0]]   # row 2 of W: second entries


def forward(label):
    """The graph of the illustration for one label: returns (x, W, z, probs, loss)."""
    x = Tensor(np.array(X_NOTES), name="x")
    W = Tensor(np.array(W_NOTES), requires_grad=True, name="W")
    z = W.T @ x
    z.name = "z"
    probs = z.softmax()
    probs.name = "ŷ"
    loss = z.softmax_cross_entropy(np.array(label))
    loss.name = "loss"
    return x, W, z, probs, loss


def gradients_for_each_label():
    """For labels 0, 1, 2: the engine's dloss/dz and dloss/dW next to ŷ - onehot(y) and x (ŷ - onehot(y))ᵀ."""
    results = []
    for label in range(3):
        x, W, z, probs, loss = forward(label)
        retain_grads(loss)
        loss.backward()
        onehot = np.eye(3)[label]
        formula_z = probs.data - onehot
        results.append({"label": label, "loss": loss.item(), "grad_z": z.grad, "formula_z": formula_z,
                        "grad_W": W.grad, "formula_W": np.outer(x.data, formula_z)})
    return results


def main(out_dir="out/softmax_illustration", steps=True):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    x, W, z, probs, loss = forward(label=0)
    print("The illustration of the notes \"Softmax regression\": x = [-1, 1], W = [w(1) w(2) w(3)]")
    print(f"  z = Wᵀx         = [{', '.join(f'{v:g}' for v in z.data)}]   (notes: [1.5, 1, -1])")
    print(f"  ŷ = softmax(z)  = [{', '.join(f'{v:.3f}' for v in probs.data)}]   (notes: [.592, .359, .049])")
    print("  The class with the highest probability is class 1 of the notes (index 0 here).")
    print("\nGradient of the cross-entropy -log ŷ_y for each possible label y"
          " (notes: Softmax regression; Multi-class classification with Softmax function):")
    results = gradients_for_each_label()
    for r in results:
        print(f"  y = {r['label']} (class {r['label'] + 1} of the notes): loss {r['loss']:.4f}")
        print(f"    engine dL/dz = {np.round(r['grad_z'], 4)}   ŷ - onehot(y) = {np.round(r['formula_z'], 4)}")
        print(f"    engine dL/dW = {np.round(r['grad_W'], 4).tolist()}")
        print(f"    x (ŷ - onehot(y))ᵀ = {np.round(r['formula_W'], 4).tolist()}")
        difference = max(np.abs(r["grad_z"] - r["formula_z"]).max(), np.abs(r["grad_W"] - r["formula_W"]).max())
        print(f"    largest difference {difference:.1e}")

    print("\nThe backward pass for y = 0, step by step (each op applies its rule from the notes):")
    x, W, z, probs, loss = forward(label=0)
    explorer = to_html(loss, out / "explorer.html", title="Softmax regression (the notes): the illustration, y = 0")
    retain_grads(loss)
    trace_backward(loss, echo=True, retain_graph=True)
    graph = draw_graph(loss, title="001 illustration: loss = -log softmax(Wᵀx)_y, y = 0")
    pictures = render(graph, out / "graph")
    if steps:
        x, W, z, probs, loss = forward(label=0)
        try:
            pictures.extend(draw_backward_steps(loss, out / "backward_steps"))
        except GraphvizNotFound:
            NOT_RENDERED.append(f"{out / 'backward_steps'}/step_*.png")
    print(f"\nPictures: {out / 'graph.svg'} (the graph with values and gradients)"
          + (f" and {out / 'backward_steps'}/step_*.png (one per backward step)" if steps else ""))
    print(f"Explorer: {out / 'explorer.html'} (open it in a browser; step with ← and →)")
    return {"z": z.data, "probs": probs.data, "results": results, "pictures": pictures,
            "explorer": str(out / "explorer.html"), "explorer_html": explorer}


if __name__ == "__main__":
    arguments = _cli.parser(__doc__, "out/softmax_illustration")
    arguments.add_argument("--no-steps", action="store_true", help="skip the one-picture-per-backward-step frames")
    options = arguments.parse_args()
    main(options.out_dir, steps=not options.no_steps)
    report_not_rendered()
