"""Softmax regression (multinomial logistic regression), trained by minibatch SGD through the engine."""


from tinygrad_sm import nn

from ._base import LinearCoefficientsMixin, ProbabilisticClassifier, SGDTrainedMixin, check_training_params


class SoftmaxRegression(SGDTrainedMixin, LinearCoefficientsMixin, ProbabilisticClassifier):
    """z = Wᵀx + b, ŷ = softmax(z), loss f_CE = -(1/n) Σ_i Σ_k y_k log ŷ_k
    (the notes "Softmax regression" (CS 453X, class 8)).

    With ``solver="sgd"`` each minibatch step is W ← W - η (1/m) X(Ŷ - Y) (plus momentum and
    l2 on W when set); the gradient comes from the engine's fused cross-entropy. W and b start
    at 0, so ``random_state`` only picks the order of the minibatches (and the early-stopping
    split). With 2 classes this is binary logistic regression on w = w_1 - w_0.

    ``standardize=True`` (default) runs those steps on (x - mean) / scale, the features
    standardised with the training set's statistics, and folds the scaling back into W and b
    afterwards: the same model, but one step size then suits any feature units (raw wine
    features reach 1680, raw pixels 1). ``standardize=False`` is the notes' loop on x itself.

    Parameters: solver ("sgd" as in the notes, or "adam"), lr (η; 0.5 by default, so that 30
    epochs suffice even on iris's 112 rows), epochs (at most this many passes), batch_size
    (m; 1 is plain SGD, >= n is full batch), l2 (weight decay λ on W), momentum (μ, sgd only),
    standardize, early_stopping, validation_fraction, n_iter_no_change, tol, warm_start,
    random_state, verbose (a tqdm bar over epochs). The stopping controls mean what they mean
    for scikit-learn's MLPClassifier.

    Attributes: coef_ (K × D; row k is w_k), intercept_ (K,), classes_, n_features_in_,
    n_iter_, loss_curve_, validation_scores_ and best_validation_score_ (early stopping),
    best_loss_, history_ ({"loss", "accuracy"} per epoch, running means over the batches),
    x_mean_ and x_scale_ (the scaling used), module_ (the trained nn.Linear on raw features;
    ``tinygrad_sm.save(path, model.module_)`` checkpoints it).
    """

    def __init__(self, solver="sgd", lr="auto", epochs=30, batch_size=32, l2=0.0, momentum=0.0, standardize=True,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10, tol=1e-4, warm_start=False,
                 random_state=None, verbose=False):
        self.solver = solver
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.l2 = l2
        self.momentum = momentum
        self.standardize = standardize
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    _loss = staticmethod(nn.cross_entropy)

    def _check_params(self):
        check_training_params(self)

    def _new_module(self, n_features, n_classes, rng):
        linear = nn.Linear(n_features, n_classes, rng=rng)
        linear.weight.data[...] = 0.0
        return linear

    @staticmethod
    def _first_linear(module):
        return module
