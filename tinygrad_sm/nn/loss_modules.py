"""PyTorch's loss modules: each keeps its constructor's settings and calls the loss of ``loss.py``.

``criterion = nn.CrossEntropyLoss(label_smoothing=0.1); loss = criterion(logits, y)``. As in PyTorch,
a class ``weight`` and ``pos_weight`` are buffers: in ``state_dict()``, never parameters.
"""

import numpy as np

from ..autograd import Tensor, checks
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, fraction, huber_delta,
                   huber_loss, kl_div, l1_loss, mse_loss, nll_loss, smooth_l1_beta, smooth_l1_loss)
from .module import Module


class _Loss(Module):
    """The reduction every loss module takes, checked once when the module is made."""

    def __init__(self, reduction="mean"):
        self.reduction = checks.reduction(reduction, type(self).__name__)

    def _keep(self, name, value):
        """A weight array as a buffer (None stays None), as PyTorch registers it."""
        if value is None:
            setattr(self, name, None)
            return
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        self.register_buffer(name, array.astype(array.dtype if array.dtype.kind == "f" else np.float32))

    def _array(self, name):
        value = getattr(self, name)
        return None if value is None else value.data

    def extra_repr(self):
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class CrossEntropyLoss(_Loss):
    """``cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)``."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self._keep("weight", weight)
        self.ignore_index = ignore_index
        self.label_smoothing = fraction("CrossEntropyLoss", "label_smoothing", label_smoothing)

    def forward(self, input, target):
        return cross_entropy(input, target, weight=self._array("weight"), ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """``nll_loss(input, target, weight, ignore_index, reduction)`` on log-probabilities."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self._keep("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return nll_loss(input, target, weight=self._array("weight"), ignore_index=self.ignore_index,
                        reduction=self.reduction)


class MSELoss(_Loss):
    """``mse_loss(input, target, reduction)``: (z - y)²."""

    def forward(self, input, target):
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """``l1_loss(input, target, reduction)``: |z - y|."""

    def forward(self, input, target):
        return l1_loss(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """``binary_cross_entropy(input, target, weight, reduction)`` on probabilities."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self._keep("weight", weight)

    def forward(self, input, target):
        return binary_cross_entropy(input, target, weight=self._array("weight"), reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """``binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight)`` on scores."""

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self._keep("weight", weight)
        self._keep("pos_weight", pos_weight)

    def forward(self, input, target):
        return binary_cross_entropy_with_logits(input, target, weight=self._array("weight"), reduction=self.reduction,
                                                pos_weight=self._array("pos_weight"))


class HuberLoss(_Loss):
    """``huber_loss(input, target, reduction, delta)``."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = huber_delta("HuberLoss", delta)

    def forward(self, input, target):
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """``smooth_l1_loss(input, target, reduction, beta)``."""

    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction)
        self.beta = smooth_l1_beta("SmoothL1Loss", beta)

    def forward(self, input, target):
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class KLDivLoss(Module):
    """``kl_div(input, target, reduction, log_target)``; reduction may also be "batchmean"."""

    def __init__(self, reduction="mean", log_target=False):
        if reduction != "batchmean":
            checks.reduction(reduction, "KLDivLoss")
        self.reduction, self.log_target = reduction, log_target

    def forward(self, input, target):
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
