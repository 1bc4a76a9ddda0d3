"""The breakout of the notes "Classification" (CS 577: perceptron, two-layer nets) on two moons: line vs net.

Softmax regression can only draw a straight boundary between the moons; the two-layer relu
network of the notes with m = 10 hidden units bends it around them. Both are trained through
the engine on standardised features and scored on held-out points; their decision regions are
drawn side by side.

Run: python examples/two_moons.py [out_dir]
"""

from pathlib import Path

import numpy as np

import _cli
from _plotting import decision_regions, plt, save
from tinygrad_sm.data import load_dataset, split_and_scale
from tinygrad_sm.models import SoftmaxRegression, TwoLayerNet


def main(out_dir="out/two_moons", n_samples=500, noise=0.2, epochs=100, hidden=10, seed=0):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    X, y = load_dataset("moons", n_samples=n_samples, noise=noise, random_state=seed)
    X_train, X_test, y_train, y_test = split_and_scale(X, y, random_state=seed)
    models = {
        "softmax regression (linear)": SoftmaxRegression(epochs=epochs, random_state=seed),
        f"two-layer relu net, m = {hidden}": TwoLayerNet(hidden=hidden, epochs=epochs, random_state=seed),
    }
    print(f"Two moons: {n_samples} points, noise {noise}; {len(X_train)} to train, {len(X_test)} held out")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    accuracy = {}
    for ax, (name, model) in zip(axes, models.items()):
        model.fit(X_train.astype(np.float32), y_train)
        accuracy[name] = model.score(X_test.astype(np.float32), y_test)
        print(f"  {name:<32} held-out accuracy {accuracy[name]:.3f}  (final training loss "
              f"{model.history_['loss'][-1]:.3f})")
        decision_regions(ax, model, X_test, y_test, f"{name}: held-out accuracy {accuracy[name]:.3f}")
    path = save(fig, out / "decision_boundaries.png")
    print(f"Picture: {path} (decision regions, held-out points on top)")
    return {"accuracy": accuracy, "pictures": [path]}


if __name__ == "__main__":
    main(_cli.parser(__doc__, "out/two_moons").parse_args().out_dir)
