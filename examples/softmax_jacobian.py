"""The softmax Jacobian by reverse passes, printed beside the notes' closed form y_i(δ_ij − y_j).

``tinygrad_sm.jacobian(f, z)`` runs one backward pass per output y_i, seeded with the basis
vector e_i; row i of the result is ∂y_i/∂z. The notes "Multi-class
classification with Softmax function" derive ∂y_i/∂z_j = y_i(δ_ij − y_j), i.e. J = diag(y) − y yᵀ.

Run: python examples/softmax_jacobian.py [--z 1.0 2.0 0.5]
"""

import argparse

import numpy as np

import tinygrad_sm as tg


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--z", type=float, nargs="+", default=[1.0, 2.0, 0.5, -1.0], help="the logits z")
    args = parser.parse_args(argv)
    z = np.array(args.z, dtype=np.float64)
    J = tg.jacobian(lambda t: t.softmax(), z)
    y = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    formula = np.array([[y[i] * ((i == j) - y[j]) for j in range(len(z))] for i in range(len(z))])
    np.set_printoptions(precision=5, suppress=True)
    print(f"z = {z}\ny = softmax(z) = {y}\n")
    print("jacobian(softmax, z), by reverse passes seeded with e_i:")
    print(J)
    print("\nnote 002: ∂y_i/∂z_j = y_i(δ_ij − y_j):")
    print(formula)
    difference = float(np.abs(J - formula).max())
    print(f"\nlargest difference: {difference:.1e}; every column sums to {np.abs(J.sum(axis=0)).max():.1e} "
          "(the y_i sum to 1 whatever z is)")
    return J, formula, difference


if __name__ == "__main__":
    main()
