"""Softmax regression on iris (three species), with its decision regions over two features.

The model sees the petal length and width, standardised; with three classes its regions are
three convex pieces of the plane meeting along straight lines, one per pair of classes
(where w_j ᵀx + b_j = w_k ᵀx + b_k). Also reported: the accuracy with all four features.

Run: python examples/iris.py [out_dir]
"""

from pathlib import Path

import numpy as np
from sklearn.datasets import load_iris

import _cli
from _plotting import class_colors, decision_regions, plt, save
from tinygrad_sm.data import split_and_scale
from tinygrad_sm.models import SoftmaxRegression

PETALS = [2, 3]  # petal length, petal width


def main(out_dir="out/iris", epochs=30, seed=0):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    iris = load_iris()
    names = np.array(iris.target_names)[iris.target]  # string labels: the estimator keeps them as classes_
    X_train, X_test, y_train, y_test = split_and_scale(iris.data[:, PETALS], names, random_state=seed)
    model = SoftmaxRegression(epochs=epochs, random_state=seed).fit(X_train, y_train)
    accuracy = model.score(X_test, y_test)
    all_train, all_test, all_y_train, all_y_test = split_and_scale(iris.data, names, random_state=seed)
    accuracy_all = SoftmaxRegression(epochs=epochs, random_state=seed).fit(all_train, all_y_train).score(
        all_test, all_y_test)
    print(f"Iris: softmax regression on petal length and width: held-out accuracy {accuracy:.3f}")
    print(f"      with all four features: held-out accuracy {accuracy_all:.3f}")
    for label, w, b in zip(model.classes_, model.coef_, model.intercept_):
        print(f"      {label:<11} w = [{w[0]:+.2f}, {w[1]:+.2f}]  b = {b:+.2f}")
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    decision_regions(ax, model, np.vstack([X_train, X_test]), np.concatenate([y_train, y_test]),
                     f"softmax regression on iris petals (held-out accuracy {accuracy:.3f})")
    ax.set(xlabel=f"{iris.feature_names[PETALS[0]]} (standardised)",
           ylabel=f"{iris.feature_names[PETALS[1]]} (standardised)")
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=color, label=label)
               for color, label in zip(class_colors(len(model.classes_)), model.classes_)]
    ax.legend(handles=handles, loc="upper left", fontsize=8)
    path = save(fig, out / "decision_regions.png")
    print(f"Picture: {path} (the regions where each species wins, all 150 flowers on top)")
    return {"accuracy": accuracy, "accuracy_all_features": accuracy_all, "pictures": [path]}


if __name__ == "__main__":
    main(_cli.parser(__doc__, "out/iris").parse_args().out_dir)
