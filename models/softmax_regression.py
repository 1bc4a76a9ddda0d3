"""Softmax regression (multinomial logistic regression), trained by minibatch SGD through the engine."""

import numpy as np

from tinygrad_sm import nn

from ._base import LinearCoefficientsMixin, ProbabilisticClassifier, check_float, check_int, make_rng, train_sgd


class SoftmaxRegression(LinearCoefficientsMixin, ProbabilisticClassifier):
    """z = Wᵀx + b, ŷ = softmax(z), loss f_CE = -(1/n) Σ_i Σ_k y_k log ŷ_k (001_b606231dbf973e55.txt).

    Each minibatch step is W ← W - η (1/m) X(Ŷ - Y) (plus momentum and l2 on W when set);
    the gradient comes from the engine's fused cross-entropy. W and b start at 0, so
    ``random_state`` only picks the order of the minibatches. With 2 classes this is binary
    logistic regression on w = w_1 - w_0.

    Parameters: lr (η; 0.5 by default, so that 30 epochs suffice even on iris's 112 rows,
    where η = 0.1 stops short at about 0.8 accuracy), epochs, batch_size (m; 1 is plain SGD, >= n is full batch), l2
    (weight decay λ on W), momentum (μ), random_state, verbose (a tqdm bar over epochs).

    Attributes: coef_ (K × D; row k is w_k), intercept_ (K,), classes_, n_features_in_,
    history_ ({"loss", "accuracy"} per epoch, running means over the batches), module_
    (the trained nn.Linear; ``tinygrad_sm.save(path, model.module_)`` checkpoints it).
    """

    def __init__(self, lr=0.5, epochs=30, batch_size=32, l2=0.0, momentum=0.0, random_state=None, verbose=False):
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.l2 = l2
        self.momentum = momentum
        self.random_state = random_state
        self.verbose = verbose

    def _fit(self, X, y):
        check_float(self, "lr", low_inclusive=False)
        check_int(self, "epochs")
        check_int(self, "batch_size")
        check_float(self, "l2")
        check_float(self, "momentum", high=1.0)
        X, classes, y_index = self._validate_training_data(X, y)
        rng = make_rng(self.random_state)
        linear = nn.Linear(X.shape[1], len(classes), rng=rng)
        linear.weight.data[...] = 0.0
        history = train_sgd(self, linear, nn.cross_entropy, X.astype(np.float32), y_index, rng)
        self.module_, self.classes_, self.history_ = linear, classes, history
        return self
