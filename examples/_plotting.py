"""Small matplotlib helpers shared by the examples (Agg backend: files only, no screen)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402


def decision_regions(ax, model, X, y, title, resolution=200):
    """Colour the plane by the model's predicted class and scatter the points (X has 2 columns)."""
    pad = 0.5
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()]).astype(np.float32)
    classes = list(model.classes_)
    colors = class_colors(len(classes))
    predicted = np.array([classes.index(c) for c in model.predict(grid)]).reshape(grid_x.shape)
    ax.contourf(grid_x, grid_y, predicted, levels=np.arange(len(classes) + 1) - 0.5, colors=colors, alpha=0.25)
    index = np.array([classes.index(c) for c in y])
    ax.scatter(X[:, 0], X[:, 1], c=[colors[i] for i in index], s=12, edgecolors="k", linewidths=0.3)
    ax.set_title(title, fontsize=10)


def class_colors(count):
    """One clear colour per class (matplotlib's Set1), the same for regions and points."""
    return [plt.get_cmap("Set1")(i) for i in range(count)]


def save(fig, path, dpi=80):
    """Write the figure, close it, and return the path as a string."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return str(path)
