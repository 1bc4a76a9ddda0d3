"""The main demo: softmax regression on the bundled digits, trained through the engine."""

import numpy as np
from sklearn.datasets import load_digits

from tinygrad_sm import Tensor


def main(epochs=5, lr=0.5, batch_size=64, seed=0):
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    rng = np.random.default_rng(seed)
    W = Tensor(np.zeros((X.shape[1], 10), np.float32), requires_grad=True, name="W")
    b = Tensor(np.zeros(10, np.float32), requires_grad=True, name="b")
    for epoch in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            rows = order[start:start + batch_size]
            loss = (Tensor(X[rows]) @ W + b).softmax_cross_entropy(y[rows])
            W.grad = b.grad = None
            loss.backward()
            W.data -= lr * W.grad
            b.data -= lr * b.grad
        full = (Tensor(X) @ W + b)
        accuracy = (full.data.argmax(axis=1) == y).mean()
        print(f"epoch {epoch + 1}: loss {full.softmax_cross_entropy(y).item():.4f}  accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
