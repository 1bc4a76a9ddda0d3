"""The perceptron of the notes "Classification" (CS 577: perceptron, SGD, two-layer nets), in two parts.

1. The multiclass perceptron on the bundled digits, plain against averaged. The notes say the
   multiclass perceptron "suffers from instability": the plain rule's held-out accuracy jumps
   around from epoch to epoch, while the average of W over all steps settles.
2. The breakout on the binary perceptron loss L(z, y) = max{0, -yz}: full-batch gradient
   descent on J(w) = (1/N) Σ_i L(wᵀx_i, y_i) with η = 1 ("Does it work? Nope.") and η = 0.1
   ("Nope." again), against the logistic loss log(1 + e^{-yz}), which works. Because
   J(c w) = c J(w), the η = 0.1 run is exactly 0.1 times the η = 1 run, step for step: the
   same predictions, so a smaller step cannot help. All runs go through the engine.

Run: python examples/perceptron.py [out_dir]
"""

from pathlib import Path

import numpy as np

import _cli
from _plotting import plt, save
from tinygrad_sm import Tensor, nn, optim
from tinygrad_sm.data import load_dataset, split_and_scale
from tinygrad_sm.models import MulticlassPerceptron


def plain_against_averaged(epochs=15, seed=0):
    """Held-out accuracy on the digits after each epoch, for averaged=False and averaged=True.

    Refitting with the same random_state replays the same sample order, so the model fitted
    for e epochs is the one seen after epoch e of the longest run.
    """
    X, y = load_dataset("digits")
    X_train, X_test, y_train, y_test = split_and_scale(X, y, random_state=seed)
    curves = {}
    for averaged in (False, True):
        curves["averaged" if averaged else "plain"] = [
            MulticlassPerceptron(epochs=e, averaged=averaged, random_state=seed).fit(X_train, y_train)
            .score(X_test, y_test) for e in range(1, epochs + 1)]
    return curves


LOSSES = {"perceptron": nn.perceptron_loss, "logistic": nn.binary_logistic}


def full_batch_descent(X, signs, loss_name, lr, steps):
    """Full-batch gradient descent from w = 0 (the notes' m = N); returns per-step accuracy, loss and w."""
    X1 = Tensor(np.hstack([X, np.ones((len(X), 1))]).astype(np.float32))  # a bias as a constant feature
    w = Tensor(np.zeros(X1.shape[1], np.float32), requires_grad=True, name="w")
    opt = optim.SGD([w], lr=lr)
    accuracy, losses, weights = [], [], []
    for _ in range(steps):
        loss = LOSSES[loss_name](X1 @ w, signs)
        opt.zero_grad()
        loss.backward()
        opt.step()
        accuracy.append(float(np.mean(np.sign(X1.data @ w.data) == signs)))
        losses.append(loss.item())
        weights.append(w.data.copy())
    return {"accuracy": accuracy, "loss": losses, "w": np.array(weights)}


def breakout(steps=100, seed=0):
    """The breakout's three runs on the two-moons training points (labels ±1)."""
    X, y = load_dataset("moons", n_samples=500, noise=0.2, random_state=seed)
    X_train, _, y_train, _ = split_and_scale(X, y, random_state=seed)
    signs = np.where(y_train == 1, 1.0, -1.0)
    runs = {("perceptron", 1.0): None, ("perceptron", 0.1): None, ("logistic", 1.0): None}
    return {key: full_batch_descent(X_train, signs, key[0], key[1], steps) for key in runs}


def plot(curves, runs, path):
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    epochs = np.arange(1, len(curves["plain"]) + 1)
    left.plot(epochs, curves["plain"], marker="o", label="plain (last W)")
    left.plot(epochs, curves["averaged"], marker="s", label="averaged (mean W over all steps)")
    left.set(xlabel="epoch", ylabel="held-out accuracy", title="multiclass perceptron on the digits")
    left.legend(loc="lower right")
    for (loss, lr), run in runs.items():
        style = "--" if lr != 1.0 else "-"
        right.plot(np.arange(1, len(run["accuracy"]) + 1), run["accuracy"], style, label=f"{loss} loss, η = {lr}")
    right.set(xlabel="full-batch step", ylabel="training accuracy",
              title="breakout: full-batch GD, perceptron loss vs logistic loss")
    right.legend(loc="lower left", fontsize=8)
    return save(fig, path)


def main(out_dir="out/perceptron", epochs=15, steps=100, seed=0):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    curves = plain_against_averaged(epochs, seed)
    print("1. Multiclass perceptron on the digits, held-out accuracy after each epoch:")
    for name, accuracies in curves.items():
        tail = accuracies[len(accuracies) // 2:]
        print(f"   {name:<9} {' '.join(f'{a:.3f}' for a in accuracies)}")
        print(f"   {'':<9} second half of the epochs moves within {max(tail) - min(tail):.3f}")
    runs = breakout(steps, seed)
    print(f"\n2. Breakout: full-batch gradient descent from w = 0 on two moons (labels ±1), {steps} steps:")
    for (loss, lr), run in runs.items():
        tail = run["accuracy"][steps // 2:]
        print(f"   {loss:<10} η = {lr:<4} accuracy at the end {run['accuracy'][-1]:.3f}; over the last "
              f"{len(tail)} steps between {min(tail):.3f} and {max(tail):.3f}; "
              f"|w| = {np.linalg.norm(run['w'][-1]):.3f}")
    w_large, w_small = runs[("perceptron", 1.0)]["w"], runs[("perceptron", 0.1)]["w"]
    scaled = bool(np.allclose(w_small, 0.1 * w_large, rtol=1e-4, atol=1e-7))
    print(f"   η = 0.1 weights equal 0.1 × the η = 1 weights at every step: {scaled} (J(cw) = cJ(w), so the "
          "gradient does not depend on |w|): the same predictions. Nope, and Nope.")
    print("   The logistic loss settles: on points no line separates it has a finite minimiser, "
          "and its gradient shrinks near it.")
    path = plot(curves, runs, out / "perceptron.png")
    print(f"\nPicture: {path} (left: plain vs averaged per epoch; right: the breakout's three runs)")
    return {"curves": curves, "runs": runs, "small_step_is_scaled_copy": scaled, "pictures": [path]}


if __name__ == "__main__":
    main(_cli.parser(__doc__, "out/perceptron").parse_args().out_dir)
