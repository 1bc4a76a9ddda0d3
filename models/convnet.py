"""A LeNet-5-like convolutional classifier: the image models of issue 18 as a scikit-learn estimator."""

import math
import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from tinygrad_sm import Tensor, nn, no_grad

from ._base import ProbabilisticClassifier, SGDTrainedMixin, check_activation, check_training_params
from .two_layer import CONTROLS_DOC

SCORE_BATCH = 512


def infer_image_shape(n_features):
    """(1, h, w) with h · w = n_features and h the largest divisor <= √n: 64 → (1, 8, 8), 784 → (1, 28, 28)."""
    h = max(d for d in range(1, math.isqrt(n_features) + 1) if n_features % d == 0)
    return 1, h, n_features // h


def pooled(size):
    """The pooling window along an axis of ``size`` pixels: 2, or 1 on an axis one pixel wide."""
    return 2 if size >= 2 else 1


def conv_stage(in_channels, out_channels, kernel_size, size, padded, activation, rng):
    """conv k × k → activation → max pool 2 × 2, and the (h, w) it leaves.

    ``padded``: pad by (k - 1)/2, so the conv keeps the size ("same"); else no padding ("valid").
    """
    padding = (kernel_size - 1) // 2 if padded else 0
    conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding, rng=rng)
    after_conv = tuple(n + 2 * padding - kernel_size + 1 for n in size)
    window = tuple(pooled(n) for n in after_conv)
    return [conv, activation(), nn.MaxPool2d(window)], tuple(n // k for n, k in zip(after_conv, window))


def lenet_module(image_shape, n_classes, channels, kernel_size, hidden, activation, rng):
    """Unflatten → [conv → activation → max pool] per entry of ``channels`` → Flatten → [Linear → activation]
    per entry of ``hidden`` → Linear to the class scores.

    The first conv pads to keep the image's size (as LeNet-5 on MNIST, 28 × 28 in, 28 × 28 out); a
    later one is "valid" (no padding) only when its input is at least 2k pixels on each side, so small
    images (8 × 8 digits) keep a valid shape: 28 → 28 → 14 → 10 → 5 and 8 → 8 → 4 → 4 → 2.
    """
    layers, size, in_channels = [nn.Unflatten(1, image_shape)], image_shape[1:], image_shape[0]
    for i, out_channels in enumerate(channels):
        padded = i == 0 or min(size) < 2 * kernel_size
        stage, size = conv_stage(in_channels, out_channels, kernel_size, size, padded, activation, rng)
        layers += stage
        in_channels = out_channels
    layers.append(nn.Flatten())
    width = in_channels * size[0] * size[1]
    for units in hidden:
        layers += [nn.Linear(width, units, rng=rng), activation()]
        width = units
    layers.append(nn.Linear(width, n_classes, rng=rng))
    return nn.Sequential(*layers)


def check_sizes(estimator, name, at_least):
    """A tuple of at least ``at_least`` ints >= 1, or a ValueError naming the parameter."""
    value = getattr(estimator, name)
    ok = isinstance(value, (tuple, list)) and len(value) >= at_least and all(
        isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 1 for n in value)
    if not ok:
        what = "a tuple of ints >= 1" + (f", at least {at_least} of them" if at_least else "")
        raise ValueError(f"{type(estimator).__name__}: {name} must be {what}, got {value!r}")
    return tuple(int(n) for n in value)


class ConvNetClassifier(SGDTrainedMixin, ProbabilisticClassifier):
    """LeNet-5-like: z = fc(fc(fc(pool(g(conv(pool(g(conv(x)))))))), ŷ = softmax(z), cross-entropy loss.

    Each row of X is one image, flattened as ``image.reshape(-1)`` of a (C, H, W) array. The network is
    Unflatten to (C, H, W), then per entry of ``channels`` a k × k convolution (k = ``kernel_size``),
    the activation g and 2 × 2 max pooling, then Flatten and per entry of ``hidden`` a Linear layer and
    g, and a last Linear layer to the class scores. With the defaults (channels (6, 16), kernel 5,
    hidden (120, 84), ReLU) on 28 × 28 images this is LeNet-5 as usually trained on MNIST: 28 → 28 →
    14 → 10 → 5, so 16 · 5 · 5 = 400 features for the first Linear layer. The backward of each layer is
    the engine's closed form (for a convolution, dX is the full correlation of G with the flipped kernel).

    Parameters: image_shape ((C, H, W) or (H, W); None infers one channel, h × w = n_features with h the
    largest divisor <= √n_features: 64 → (1, 8, 8), 784 → (1, 28, 28)), channels, kernel_size (an odd int),
    hidden, activation ("relu", "tanh" or "sigmoid"), and the training controls below.

    ``standardize`` divides every pixel by one number, the root mean square of the training pixels: a
    convolution shares its weights across positions, so a per-pixel scale cannot be folded into it, and
    its zero padding must stay zero, so there is no mean shift. The scale is folded into the first
    convolution's weights afterwards, so ``module_`` maps raw pixels.

    Attributes: classes_, n_features_in_, image_shape_ (the (C, H, W) used), n_iter_, loss_curve_,
    validation_scores_, best_validation_score_, best_loss_, history_, x_mean_ (0.0), x_scale_,
    module_ (the trained nn.Sequential on raw pixel rows).
    """

    __doc__ += "\n    " + CONTROLS_DOC + "\n"

    def __init__(self, image_shape=None, channels=(6, 16), kernel_size=5, hidden=(120, 84), activation="relu",
                 solver="adam", lr="auto", epochs=20, batch_size=32, momentum=0.9, l2=0.0, standardize=True,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10, tol=1e-4, warm_start=False,
                 random_state=None, verbose=False):
        self.image_shape = image_shape
        self.channels = channels
        self.kernel_size = kernel_size
        self.hidden = hidden
        self.activation = activation
        self.solver = solver
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.momentum = momentum
        self.l2 = l2
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
        check_sizes(self, "channels", at_least=1)
        check_sizes(self, "hidden", at_least=0)
        k = self.kernel_size
        if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1 or k % 2 == 0:
            raise ValueError(f"ConvNetClassifier: kernel_size must be an odd int >= 1, got {k!r}")
        check_activation(self)
        check_training_params(self)

    def _image_shape(self, n_features):
        """The (C, H, W) of one row: ``image_shape`` checked against n_features, or inferred from it."""
        if self.image_shape is None:
            return infer_image_shape(n_features)
        shape = self.image_shape
        ok = isinstance(shape, (tuple, list)) and len(shape) in (2, 3) and all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 1 for n in shape)
        if not ok:
            raise ValueError(f"ConvNetClassifier: image_shape must be (C, H, W) or (H, W), ints >= 1, got {shape!r}")
        shape = tuple(int(n) for n in shape)
        shape = (1,) + shape if len(shape) == 2 else shape
        if math.prod(shape) != n_features:
            raise ValueError(f"ConvNetClassifier: image_shape {shape} has {math.prod(shape)} values per image, "
                             f"but X has {n_features} features")
        return shape

    def _new_module(self, n_features, n_outputs, rng):
        self.image_shape_ = self._image_shape(n_features)
        return lenet_module(self.image_shape_, n_outputs, check_sizes(self, "channels", 1), int(self.kernel_size),
                            check_sizes(self, "hidden", 0), check_activation(self), rng)

    def _feature_scaling(self, X):
        """(0, s), s the root mean square of all pixels: one number, so it folds into the first convolution."""
        if not self.standardize:
            return 0.0, 1.0
        rms = float(np.sqrt(np.mean(np.square(X))))
        return 0.0, (rms if rms > 0 else 1.0)

    def _scores(self, X):
        """Scores z (n, K) in float32, the network's dtype (a convolution, as PyTorch's, takes no mixed dtypes),
        ``SCORE_BATCH`` rows at a time, so the im2col buffers stay small whatever n."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64).astype(np.float32)
        with no_grad():
            parts = [self.module_(Tensor(X[i:i + SCORE_BATCH])).data for i in range(0, len(X), SCORE_BATCH)]
        return np.concatenate(parts) if parts else np.zeros((0, len(self.classes_)), np.float32)

    @staticmethod
    def _first_conv(module):
        return next(layer for layer in module.layers if isinstance(layer, nn.Conv2d))

    def _to_standardized(self, module, mean, scale):
        """conv(W, x) = conv(W · s, x / s): the weights that map scaled pixels to the same scores."""
        with no_grad():
            self._first_conv(module).weight.mul_(np.float32(scale))

    def _to_raw(self, module, mean, scale):
        with no_grad():
            self._first_conv(module).weight.div_(np.float32(scale))
