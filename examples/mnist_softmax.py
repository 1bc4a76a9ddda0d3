"""The softmax regression demo of the notes "Softmax regression" (CS 453X, class 8): digits.

Full MNIST (60,000 training and 10,000 test images of 28×28 pixels) comes through
scikit-learn's ``fetch_openml("mnist_784")`` when it is reachable or cached; otherwise the
bundled 8×8 digits (1,797 images) stand in, and the script says so. The model is
``SoftmaxRegression`` trained by minibatch SGD through the engine on pixels scaled to [0, 1].
Pictures: the loss and accuracy per epoch, and the learned weight rows w_k drawn as K images,
the "templates" each class score compares an image against.

Run: python examples/mnist_softmax.py [out_dir] [--digits] [--epochs N] [--n-train N]
"""

from pathlib import Path

import numpy as np
from sklearn.datasets import get_data_home, load_digits
from sklearn.model_selection import train_test_split

import _cli
from tinygrad_sm import data
from tinygrad_sm.models import SoftmaxRegression


def mnist_cache_path():
    """Where this example keeps MNIST as a compressed .npz after the first download (loads in about a second)."""
    return Path(get_data_home()) / "tinygrad_sm" / "mnist_784.npz"


def load_images(source="auto", download=True):
    """(X in [0, 1], y, image side, description): MNIST when cached or fetchable, else the 8×8 digits.

    source: "auto" (MNIST if possible), "mnist" (MNIST or an error) or "digits".
    download: when False, "auto" uses MNIST only if it is already cached (nothing is downloaded).
    """
    if source not in ("auto", "mnist", "digits"):
        raise ValueError(f"load_images: source must be 'auto', 'mnist' or 'digits', got {source!r}")
    if source != "digits":
        cache = mnist_cache_path()
        if cache.exists():
            stored = np.load(cache)
            return to_unit(stored["X"], 255), stored["y"], 28, f"MNIST (cached in {cache})"
        if download or source == "mnist":
            try:
                X, y = data.load_mnist(fallback=False)
            except Exception as error:
                if source == "mnist":
                    raise
                reason = f"MNIST is not cached and could not be downloaded: {type(error).__name__}"
            else:
                cache.parent.mkdir(parents=True, exist_ok=True)
                np.savez_compressed(cache, X=X.astype(np.uint8), y=y.astype(np.int64))
                return to_unit(X, 255), y, 28, "MNIST (downloaded through fetch_openml)"
        else:
            reason = "MNIST is not cached and downloading is off"
    else:
        reason = "asked for the bundled digits"
    X, y = load_digits(return_X_y=True)
    return to_unit(X, 16), y, 8, f"scikit-learn's bundled 8×8 digits ({reason})"


def to_unit(pixels, brightest):
    """Pixels scaled to [0, 1] as float32 (full MNIST in float64 would take 440 MB)."""
    return np.asarray(pixels, dtype=np.float32) / np.float32(brightest)


def split(X, y, side, n_train=None, n_test=None, seed=0):
    """MNIST's own split (first 60,000 train, last 10,000 test); a stratified 75/25 split for the digits."""
    if side == 28 and len(X) == 70000:  # the full MNIST: its usual split
        X_train, X_test, y_train, y_test = X[:60000], X[60000:], y[:60000], y[60000:]
    else:
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    rng = np.random.default_rng(seed)
    if n_train is not None and n_train < len(X_train):
        keep = rng.choice(len(X_train), n_train, replace=False)
        X_train, y_train = X_train[keep], y_train[keep]
    if n_test is not None and n_test < len(X_test):
        keep = rng.choice(len(X_test), n_test, replace=False)
        X_test, y_test = X_test[keep], y_test[keep]
    return X_train, X_test, y_train, y_test


def plot_curves(history, test_accuracy, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, history["loss"], marker="o")
    left.set(xlabel="epoch", ylabel="cross-entropy f_CE", title="training loss")
    right.plot(epochs, history["accuracy"], marker="o", label="training (running, per epoch)")
    right.axhline(test_accuracy, color="#c0392b", linestyle="--", label=f"test after training: {test_accuracy:.3f}")
    right.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    right.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def plot_templates(coef, side, classes, path):
    """Row k of coef_ (the weight vector w_k) as a side × side image, two rows of five, with a colour scale.

    Red pixels raise class k's score z_k = w_kᵀx + b_k, blue pixels lower it; one symmetric scale
    for all ten, so the templates compare.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = 5
    rows = -(-len(classes) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.1 * columns + 1.2, 2.3 * rows + 0.5), squeeze=False)
    limit = np.abs(coef).max()
    for ax, row, label in zip(axes.flat, coef, classes):
        image = ax.imshow(row.reshape(side, side), cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(f"w_{label} (class {label})", fontsize=12)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in list(axes.flat)[len(classes):]:
        ax.axis("off")
    fig.suptitle("learned weight rows w_k as images: red pixels raise the score of class k, blue lower it",
                 fontsize=12)
    fig.tight_layout(rect=(0, 0, 0.9, 1))
    bar = fig.add_axes((0.91, 0.12, 0.018, 0.72))
    fig.colorbar(image, cax=bar).set_label("weight", fontsize=11)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(out_dir="out/mnist_softmax", source="auto", download=True, epochs=10, lr=0.5, batch_size=64,
         n_train=None, n_test=None, seed=0):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    X, y, side, description = load_images(source, download)
    print(f"Data: {description}")
    X_train, X_test, y_train, y_test = split(X, y, side, n_train, n_test, seed)
    print(f"  {len(X_train)} training and {len(X_test)} test images of {side}×{side} pixels, 10 classes")
    # standardize=False: the note's own loop on pixels in [0, 1], whose weight rows read as templates
    # (standardising divides by each pixel's spread, so rarely lit edge pixels get huge raw-pixel weights)
    model = SoftmaxRegression(lr=lr, epochs=epochs, batch_size=batch_size, standardize=False, random_state=seed)
    model.fit(X_train.astype(np.float32), y_train)
    test_accuracy = model.score(X_test.astype(np.float32), y_test)
    for epoch, (loss, accuracy) in enumerate(zip(model.history_["loss"], model.history_["accuracy"]), 1):
        print(f"  epoch {epoch:>2}: training loss {loss:.4f}  training accuracy {accuracy:.4f}")
    print(f"  test accuracy {test_accuracy:.4f}  (W is {model.coef_.shape[1]} × {model.coef_.shape[0]}: "
          f"z = Wᵀx + b, ŷ = softmax(z), SGD on W ← W - η (1/m) X(Ŷ - Y))")
    pictures = [plot_curves(model.history_, test_accuracy, out / "curves.png"),
                plot_templates(model.coef_, side, model.classes_, out / "templates.png")]
    print(f"Pictures: {pictures[0]} (loss and accuracy per epoch), {pictures[1]} (the weight rows as images)")
    return {"model": model, "test_accuracy": test_accuracy, "description": description, "side": side,
            "pictures": [str(p) for p in pictures]}


if __name__ == "__main__":
    arguments = _cli.parser(__doc__, "out/mnist_softmax")
    arguments.add_argument("--digits", action="store_true", help="use the bundled 8×8 digits, not MNIST")
    arguments.add_argument("--epochs", type=int, default=10, help="passes over the training set (default 10)")
    arguments.add_argument("--n-train", type=int, default=None, help="train on this many images (default: all)")
    options = arguments.parse_args()
    main(options.out_dir, source="digits" if options.digits else "auto", epochs=options.epochs,
         n_train=options.n_train)
