"""Newton's method on softmax regression (iris, all four features), next to gradient descent from the same start.

Newton's step solves H p = -∇f for the step p. We never form the Hessian H: conjugate gradient
needs only products H v, and the engine gives each one by differentiating its own backward pass
(``tg.hvp``: the gradient of ⟨∇f(θ), v⟩, two backward passes). The loss is the mean softmax
cross-entropy of the notes (Softmax regression) plus a small L2 term, (λ/2)‖θ‖², which makes H
positive definite (softmax alone is unchanged by adding one vector to every class's weights).

Run: python examples/newton.py [out_dir]
"""

from pathlib import Path

import numpy as np
from sklearn.datasets import load_iris

import _cli
import tinygrad_sm as tg
from _plotting import plt, save
from tinygrad_sm import Tensor

L2 = 1e-3


def iris_data():
    iris = load_iris()
    X = (iris.data - iris.data.mean(axis=0)) / iris.data.std(axis=0)
    return X, iris.target


def make_loss(X, y):
    """f(θ) for θ = [W (d×K) flattened, b (K)]: mean cross-entropy of softmax(X W + b) + (λ/2)‖θ‖²."""
    d, K = X.shape[1], int(y.max()) + 1

    def loss(theta):
        W, b = theta[:d * K].reshape(d, K), theta[d * K:]
        return (Tensor(X) @ W + b).softmax_cross_entropy(y) + 0.5 * L2 * (theta * theta).sum()
    return loss, d * K + K


def conjugate_gradient(hvp, g, iterations=20, tolerance=1e-10):
    """Solve H p = -g with products H v only (H symmetric positive definite)."""
    p, r = np.zeros_like(g), -g
    direction, rr = r.copy(), r @ r
    for _ in range(iterations):
        if rr < tolerance:
            break
        Hd = hvp(direction)
        step = rr / (direction @ Hd)
        p, r = p + step * direction, r - step * Hd
        rr, rr_old = r @ r, rr
        direction = r + (rr / rr_old) * direction
    return p


def newton(loss, theta, iterations):
    losses = []
    for _ in range(iterations):
        value, g = tg.value_and_grad(loss)(theta)
        losses.append(value)
        theta = theta + conjugate_gradient(lambda v: tg.hvp(loss, theta, v), g)
    losses.append(loss(Tensor(theta)).item())
    return theta, losses


def gradient_descent(loss, theta, iterations, lr):
    losses = []
    for _ in range(iterations):
        value, g = tg.value_and_grad(loss)(theta)
        losses.append(value)
        theta = theta - lr * g
    losses.append(loss(Tensor(theta)).item())
    return theta, losses


def main(out_dir="out/newton", iterations=8, lr=0.5):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    X, y = iris_data()
    loss, size = make_loss(X, y)
    start = np.zeros(size)  # the same start for both
    theta_newton, newton_losses = newton(loss, start, iterations)
    theta_gd, gd_losses = gradient_descent(loss, start, iterations, lr)
    print(f"Softmax regression on iris (150 flowers, 4 features, 3 classes), loss = mean CE + {L2}/2 ‖θ‖²")
    print("iteration   Newton (CG on Hessian-vector products)   gradient descent (lr {lr})".format(lr=lr))
    for i, (a, b) in enumerate(zip(newton_losses, gd_losses)):
        print(f"{i:>9}   {a:>38.6f}   {b:>27.6f}")
    grad_norm = np.linalg.norm(tg.grad(loss)(theta_newton))
    print(f"After {iterations} Newton steps ‖∇f‖ = {grad_norm:.2e}")
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.semilogy(newton_losses, "o-", label="Newton (conjugate gradient, H v from the engine)")
    ax.semilogy(gd_losses, "s-", label=f"gradient descent, lr {lr}")
    ax.set(xlabel="iteration", ylabel="loss", title="softmax regression on iris, same start")
    ax.legend(fontsize=8)
    path = save(fig, out / "newton_vs_gd.png")
    print(f"Picture: {path}")
    return {"newton": newton_losses, "gd": gd_losses, "grad_norm": grad_norm, "pictures": [path]}


if __name__ == "__main__":
    main(_cli.parser(__doc__, "out/newton").parse_args().out_dir)
