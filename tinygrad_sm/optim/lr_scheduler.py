"""Learning-rate schedulers, as PyTorch's: call ``scheduler.step()`` once per epoch, after the epoch.

Each sets ``group["lr"]`` of every parameter group from the group's initial rate η_0 and the
number of epochs e done so far. (The other way, a callable ``lr(t)`` given to the optimizer,
is called with the step number t = 1, 2, ... as the notes write η_t.)
"""

import math
import numbers

import numpy as np

from .optimizer import Optimizer, check_number


class LRScheduler:
    """Base: ``last_epoch`` counts ``step()`` calls; ``rate(η_0, e)`` is the schedule."""

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an optimizer, got {type(optimizer).__name__}")
        for group in optimizer.groups:
            if callable(group["lr"]):
                raise ValueError(f"{type(self).__name__}: the optimizer's lr is already a schedule (a callable)")
        self.optimizer = optimizer
        self.base_lrs = [group["lr"] for group in optimizer.groups]
        self.last_epoch = 0

    name = property(lambda self: type(self).__name__)

    def step(self):
        """Count an epoch and set every group's rate; a rate that is not a finite number >= 0 changes nothing."""
        epoch = self.last_epoch + 1
        rates = [self._checked_rate(i, base, epoch) for i, base in enumerate(self.base_lrs)]
        self.last_epoch = epoch
        for group, rate in zip(self.optimizer.groups, rates):
            group["lr"] = rate

    def _checked_rate(self, i, base, epoch):
        base = check_number(f"{self.name}.step", f"base_lrs[{i}]", base, 0, low_inclusive=False)
        try:
            rate = self.rate(base, epoch)
        except OverflowError:  # a Python float power past 1.8e308
            rate = math.inf
        if not (isinstance(rate, numbers.Real) and math.isfinite(rate) and rate >= 0):
            raise ValueError(f"{self.name}.step: the rate for epoch {epoch} from base lr {base!r} is {rate!r}, not a "
                             "finite number >= 0 (it overflows: use a factor nearer 1 or fewer epochs)")
        return rate

    def get_last_lr(self):
        return [group["lr"] for group in self.optimizer.groups]

    def state_dict(self):
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state):
        """Restore a ``state_dict()``; checked in full first, so a failed load changes nothing."""
        owner = f"{self.name}.load_state_dict"
        if not isinstance(state, dict):
            raise TypeError(f"{owner}: expected a dict from state_dict(), got {type(state).__name__}")
        missing, unknown = {"last_epoch", "base_lrs"} - set(state), set(state) - {"last_epoch", "base_lrs"}
        if missing or unknown:
            raise KeyError(f"{owner}: expected the keys 'last_epoch' and 'base_lrs', got {sorted(map(str, state))}")
        epoch, base_lrs = (_plain(state[key]) for key in ("last_epoch", "base_lrs"))
        if not isinstance(epoch, numbers.Integral) or isinstance(epoch, bool) or epoch < 0:
            raise ValueError(f"{owner}: last_epoch must be an int >= 0, got {epoch!r}")
        if not isinstance(base_lrs, (list, tuple)) or len(base_lrs) != len(self.base_lrs):
            raise ValueError(f"{owner}: base_lrs must be a list of {len(self.base_lrs)} rates (one per parameter "
                             f"group), got {base_lrs!r}")
        base_lrs = [check_number(owner, f"base_lrs[{i}]", b, 0, low_inclusive=False) for i, b in enumerate(base_lrs)]
        self.last_epoch, self.base_lrs = int(epoch), base_lrs
        return self

    def rate(self, base, epoch):
        raise NotImplementedError


def _plain(value):
    """A value read back from a checkpoint (an array) as the Python value it was saved from."""
    return value.tolist() if isinstance(value, np.ndarray) else value


class StepLR(LRScheduler):
    """η_e = η_0 γ^⌊e / step_size⌋: the rate times γ every ``step_size`` epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        if not isinstance(step_size, int) or isinstance(step_size, bool) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be an int >= 1, got {step_size!r}")
        self.step_size, self.gamma = step_size, check_number("StepLR", "gamma", gamma, 0, low_inclusive=False)
        super().__init__(optimizer)

    def rate(self, base, epoch):
        return base * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """η_e = η_0 γ^e."""

    def __init__(self, optimizer, gamma):
        self.gamma = check_number("ExponentialLR", "gamma", gamma, 0, low_inclusive=False)
        super().__init__(optimizer)

    def rate(self, base, epoch):
        return base * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    """η_e = η_min + (η_0 - η_min)(1 + cos(π e / T_max)) / 2, from η_0 down to η_min at e = T_max."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        if not isinstance(T_max, int) or isinstance(T_max, bool) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be an int >= 1, got {T_max!r}")
        self.T_max, self.eta_min = T_max, check_number("CosineAnnealingLR", "eta_min", eta_min, 0)
        super().__init__(optimizer)

    def rate(self, base, epoch):
        return self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
