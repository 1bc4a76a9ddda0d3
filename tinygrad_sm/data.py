"""Minibatches for SGD, and thin helpers around scikit-learn's datasets.

``minibatches`` is the notes' loop over minibatches of size m (the notes "Classification", CS 577
lecture 04, section "Stochastic gradient descent (SGD)"): m = 1 is plain SGD, m = N is full-batch
gradient descent. The dataset helpers only call scikit-learn (load_iris, load_digits, make_moons,
fetch_openml, train_test_split, StandardScaler); nothing here re-implements them.
"""

import numbers
import warnings

import numpy as np
from sklearn import datasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .autograd import checks


def minibatches(X, y, batch_size, shuffle=True, rng=None):
    """Yield (X_batch, y_batch) pairs covering every row once: one epoch.

    ``batch_size`` m >= 1 (m >= N gives one full batch); the last batch may be smaller.
    ``shuffle`` draws a fresh order from ``rng`` (a numpy Generator or a seed); the rows are
    reordered once per epoch, so each batch is a contiguous slice.
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"minibatches: X has {len(X)} rows but y has {len(y)}")
    if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"minibatches: batch_size must be a positive int, got {batch_size!r}")
    if shuffle:
        order = checks.make_rng(rng, "minibatches").permutation(len(X))
        X, y = X[order], y[order]
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]


def load_dataset(name, n_samples=500, noise=0.2, random_state=0):
    """(X, y) for "iris", "digits" (8×8 images, 1797 rows) or "moons" (make_moons with ``noise``)."""
    if name == "iris":
        return datasets.load_iris(return_X_y=True)
    if name == "digits":
        return datasets.load_digits(return_X_y=True)
    if name == "moons":
        return datasets.make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    raise ValueError(f"load_dataset: unknown dataset {name!r}; use 'iris', 'digits' or 'moons' "
                     "(and load_mnist() for MNIST)")


def load_mnist(fallback=False):
    """MNIST (70000 × 784 pixels in 0..255, labels 0-9 as ints) via ``fetch_openml("mnist_784")``.

    The first call downloads about 15 MB into scikit-learn's data home; it tries once, without
    scikit-learn's retry warnings and waits. With ``fallback=True`` (meant for examples run
    offline) a failed download warns in one line and returns the bundled 8×8 digits instead,
    pixel values scaled from 0..16 to 0..255.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-learn's "Retry downloading..." and the like
            X, y = datasets.fetch_openml("mnist_784", version=1, return_X_y=True, as_frame=False,
                                         parser="liac-arff", n_retries=0)
    except Exception as error:  # no network, proxy, corrupt cache: all mean "no MNIST today"
        if not fallback:
            raise
        reason = " ".join(str(error).split())[:80]
        warnings.warn(f"load_mnist: MNIST is not cached and could not be downloaded ({type(error).__name__}: "
                      f"{reason}); using scikit-learn's 8x8 digits instead", RuntimeWarning, stacklevel=2)
        X, y = datasets.load_digits(return_X_y=True)
        return X * (255 / 16), y
    return X, y.astype(np.int64)


def split_and_scale(X, y, test_size=0.25, random_state=0):
    """Stratified train/test split, then StandardScaler fitted on the training part only.

    Returns X_train, X_test, y_train, y_test (features standardised, as the models expect).
    """
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=random_state, stratify=y)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test
