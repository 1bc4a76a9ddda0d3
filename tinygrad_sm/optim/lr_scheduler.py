"""Learning-rate schedulers, as PyTorch's: call ``scheduler.step()`` once per epoch, after the epoch.

Each sets ``group["lr"]`` of every parameter group from the group's initial rate η_0 and the
number of epochs e done so far. (The other way, a callable ``lr(t)`` given to the optimizer,
is called with the step number t = 1, 2, ... as the notes write η_t.)
"""

import math

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

    def step(self):
        self.last_epoch += 1
        for group, base in zip(self.optimizer.groups, self.base_lrs):
            group["lr"] = self.rate(base, self.last_epoch)

    def get_last_lr(self):
        return [group["lr"] for group in self.optimizer.groups]

    def state_dict(self):
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state):
        epoch, base_lrs = int(state["last_epoch"]), [float(b) for b in state["base_lrs"]]
        if len(base_lrs) != len(self.base_lrs) or epoch < 0:
            raise ValueError(f"{type(self).__name__}.load_state_dict: {len(base_lrs)} groups at epoch {epoch} "
                             f"for an optimizer with {len(self.base_lrs)} groups")
        self.last_epoch, self.base_lrs = epoch, base_lrs
        return self

    def rate(self, base, epoch):
        raise NotImplementedError


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
