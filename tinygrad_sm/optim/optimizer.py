"""The base the optimizers share: parameter groups, ``zero_grad``, an all-or-nothing ``step`` and a
``state_dict`` that ``save``/``load`` can write; and the option check they all use.

Each optimizer (``SGD`` in ``sgd.py``; ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad`` in
``adaptive.py``) writes only the update of one parameter. Updates are in place
(``param.data -= ...``, then the parameter's version is bumped), so tensors held elsewhere see
the new values and a graph built before the step refuses to run backward.
"""

import numbers

import numpy as np

from ..autograd import Tensor


def check_number(owner, name, value, low, high=None, low_inclusive=True, high_inclusive=False):
    """``value`` as a float, or a ValueError naming ``owner``, ``name`` and the bounds it breaks."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    ok = ok and (value >= low if low_inclusive else value > low)
    ok = ok and (high is None or (value <= high if high_inclusive else value < high))
    if not ok:
        bound = f"{'>=' if low_inclusive else '>'} {low}"
        if high is not None:
            bound += f" and {'<=' if high_inclusive else '<'} {high}"
        raise ValueError(f"{owner}: {name} must be a finite number {bound}, got {value!r}")
    return float(value)


def _usable_gradient(g, theta):
    """g can update θ in place: a real floating-point array of θ's shape, θ writeable.

    One expression rather than a check per line with its message: ``step`` runs it on every
    parameter at every step, and the messages are built only when it fails (``_refuse_gradient``).
    """
    return isinstance(g, np.ndarray) and g.dtype.kind == "f" and g.shape == theta.shape and theta.flags.writeable


class Optimizer:
    """Base class: ``Optimizer(params, defaults)``.

    ``params``: Tensors that require grad (e.g. ``model.parameters()``), or groups
    ``[{"params": [...], "lr": 0.01}, ...]`` whose keys override ``defaults``.
    A subclass lists its per-parameter state in ``state_names``, checks its options in
    ``_check_options`` and writes the update of one parameter in ``_update``.
    """

    state_names = ()

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.groups = [self._make_group(group) for group in self._as_groups(params)]
        self.params = [p for group in self.groups for p in group["params"]]
        if not self.params:
            raise ValueError(f"{self.name}: got an empty parameter list")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{self.name}: a parameter appears more than once")
        self.state = {}  # parameter index -> {name: array or number}
        self.t = 0
        self._checked = [()] * len(self.groups)  # per group: the option objects step() last checked

    name = property(lambda self: type(self).__name__)
    param_groups = property(lambda self: self.groups, doc="PyTorch's name for ``groups``.")

    def _as_groups(self, params):
        if isinstance(params, Tensor):
            raise TypeError(f"{self.name}: params must be an iterable of Tensors (e.g. model.parameters()), "
                            "not one Tensor")
        params = list(params)
        if params and all(isinstance(p, dict) for p in params):
            return params
        return [{"params": params}]

    def _make_group(self, group):
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise ValueError(f"{self.name}: unknown option(s) {sorted(unknown)} in a parameter group")
        merged = {**self.defaults, **group, "params": list(group["params"])}
        self._check_group(merged)
        for p in merged["params"]:
            if not isinstance(p, Tensor) or not p.requires_grad or not p.is_leaf:
                raise ValueError(f"{self.name}: every parameter must be a leaf Tensor with requires_grad=True, "
                                 f"got {p!r:.60}")
        return merged

    def _check_group(self, group, owner=None, zero_lr=False):
        """Check a group's options (ValueError naming ``owner``); ``zero_lr``: a scheduler may have set lr to 0."""
        owner = owner or self.name
        if not callable(group["lr"]):
            check_number(owner, "lr", group["lr"], 0, low_inclusive=zero_lr)
        self._check_options(group, owner)

    def _check_options(self, group, owner):
        """Raise ValueError for a bad option of this optimizer (lr is checked already)."""

    def learning_rate(self, group=None, t=None):
        """η_t for step t (by default the current one, after ``step()`` has counted it)."""
        lr = (group or self.groups[0])["lr"]
        if not callable(lr):
            return lr
        t = self.t if t is None else t
        return check_number(self.name, f"lr({t}) from the schedule", lr(t), 0, low_inclusive=False)

    # ------------------------------------------------------------ the step

    def step(self):
        """Update every parameter that has a gradient; skip the others.

        All or nothing: every option (also one set by hand in ``param_groups``), rate, gradient and
        parameter is checked before any parameter changes.
        """
        self._check_changed_options()
        t = self.t + 1
        etas = [self.learning_rate(group, t) for group in self.groups]
        for p in self.params:
            if p.grad is not None and not _usable_gradient(p.grad, p.data):
                self._refuse_gradient(p)
        self.t = t
        index = 0
        for group, eta in zip(self.groups, etas):
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad, self.state.setdefault(index, {}), group, eta)
                    p._bump_version()  # backward through a graph built before this step now raises
                index += 1

    def _check_changed_options(self):
        """Check every option set since the last step (by hand, by a scheduler or by a load).

        Only a group holding a new object as some option is checked again: comparing identities
        costs a fraction of a microsecond, a full check a few (measured on a 4-parameter SGD step).
        """
        for number, group in enumerate(self.groups):
            options = [group[key] for key in self.defaults]
            checked = self._checked[number]
            if len(checked) != len(options) or any(a is not b for a, b in zip(options, checked)):
                self._check_group(group, f"{self.name}.step (param_groups[{number}])", zero_lr=True)
                self._checked[number] = [group[key] for key in self.defaults]  # as the check normalised them

    def _refuse_gradient(self, p):
        """Raise the error that says why p.grad cannot update p."""
        g = p.grad
        if not isinstance(g, np.ndarray):
            raise TypeError(f"{self.name}: a gradient must be a numpy array, got {type(g).__name__} for a "
                            f"parameter of shape {p.data.shape}")
        if g.dtype.kind != "f":
            raise TypeError(f"{self.name}: a gradient must be real floating point, got dtype {g.dtype} for a "
                            f"parameter of shape {p.data.shape}")
        if g.shape != p.data.shape:
            raise ValueError(f"{self.name}: a gradient of shape {g.shape} for a parameter of shape {p.data.shape}")
        raise ValueError(f"{self.name}: the array of a parameter of shape {p.data.shape} is read-only")

    def _update(self, p, g, state, group, eta):
        raise NotImplementedError

    @staticmethod
    def _with_weight_decay(p, g, group):
        """g + λθ, the gradient of (λ/2)‖θ‖² added (L2 weight decay; AdamW decays θ itself instead)."""
        return g + group["weight_decay"] * p.data if group["weight_decay"] else g

    def zero_grad(self):
        """Forget the gradients (``p.grad = None``) before the next backward."""
        for p in self.params:
            p.grad = None

    # ------------------------------------------------------------ checkpoints

    def state_dict(self):
        """A nested dict of plain values (arrays, numbers, strings, None, lists), PyTorch's layout:

        ``{"state": {index: {name: array}}, "param_groups": [{options..., "params": [indices]}], "t": steps}``.
        A schedule ``lr`` (a callable) is stored as None: loading keeps the optimizer's own schedule.
        """
        groups, index = [], 0
        for group in self.groups:
            entry = {key: _plain(value) for key, value in group.items() if key != "params"}
            entry["params"] = list(range(index, index + len(group["params"])))
            index += len(group["params"])
            groups.append(entry)
        state = {i: {name: (value.copy() if isinstance(value, np.ndarray) else value)
                     for name, value in entry.items()} for i, entry in self.state.items() if entry}
        return {"state": state, "param_groups": groups, "t": self.t}

    def load_state_dict(self, state_dict):
        """Restore a ``state_dict()``; checked in full first, so a failed load changes nothing."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"{self.name}.load_state_dict: expected a dict from state_dict(), "
                            f"got {type(state_dict).__name__}")
        missing = {"state", "param_groups", "t"} - set(state_dict)
        if missing:
            raise KeyError(f"{self.name}.load_state_dict: missing key(s) {sorted(missing)}")
        groups = self._loaded_groups(state_dict["param_groups"])
        state = self._loaded_state(state_dict["state"])
        t = state_dict["t"]
        if isinstance(t, np.ndarray) and t.ndim == 0:
            t = t.item()
        if not isinstance(t, (int, np.integer)) or isinstance(t, bool) or t < 0:
            raise ValueError(f"{self.name}.load_state_dict: the step count must be an int >= 0, got {t!r}")
        for group, options in zip(self.groups, groups):
            group.update(options)
        self.state, self.t = state, int(t)
        return self

    def _loaded_groups(self, saved):
        owner = f"{self.name}.load_state_dict"
        if not isinstance(saved, (list, tuple)):
            raise TypeError(f"{owner}: 'param_groups' must be a list, got {type(saved).__name__}")
        if len(saved) != len(self.groups):
            raise ValueError(f"{owner}: the state has {len(saved)} parameter groups, this optimizer {len(self.groups)}")
        loaded, index = [], 0
        for number, (group, entry) in enumerate(zip(self.groups, saved)):
            if not isinstance(entry, dict) or set(entry) != set(group):
                keys = sorted(entry) if isinstance(entry, dict) else entry
                raise ValueError(f"{owner}: group {number} has keys {keys}, expected {sorted(group)}")
            indices = np.asarray(entry["params"]).ravel().tolist()
            expected = list(range(index, index + len(group["params"])))
            if indices != expected:
                raise ValueError(f"{owner}: group {number} holds parameters {indices}, this optimizer's holds "
                                 f"{expected}")
            index += len(group["params"])
            options = {key: _from_plain(value) for key, value in entry.items() if key != "params"}
            if options["lr"] is None:
                if not callable(group["lr"]):
                    raise ValueError(f"{owner}: group {number} was saved with a schedule lr; pass the schedule "
                                     "when you create the optimizer")
                options["lr"] = group["lr"]
            self._check_group({**options, "params": group["params"]}, owner, zero_lr=True)
            loaded.append(options)
        return loaded

    def _loaded_state(self, saved):
        owner = f"{self.name}.load_state_dict"
        if not isinstance(saved, dict):
            raise TypeError(f"{owner}: 'state' must be a dict, got {type(saved).__name__}")
        state = {}
        for key, entry in saved.items():
            i = _parameter_index(key)
            if i is None or not 0 <= i < len(self.params) or i in state:
                raise ValueError(f"{owner}: state for parameter {key!r}, but the parameters are numbered 0 to "
                                 f"{len(self.params) - 1}, each once")
            p = self.params[i]
            if not isinstance(entry, dict) or set(entry) != set(self.state_names):
                keys = sorted(entry) if isinstance(entry, dict) else entry
                raise ValueError(f"{owner}: parameter {i} has state {keys}, expected {sorted(self.state_names)}")
            state[i] = {name: self._loaded_value(owner, i, p, name, value) for name, value in entry.items()}
        return state

    @staticmethod
    def _loaded_value(owner, i, p, name, value):
        array = np.asarray(value)
        if name == "step":
            if array.shape != () or array.dtype.kind not in "iu" or array < 0:
                raise ValueError(f"{owner}: parameter {i}'s step must be an int >= 0, got {value!r}")
            return int(array)
        if array.shape != p.data.shape:
            raise ValueError(f"{owner}: parameter {i}'s {name} has shape {array.shape}, the parameter {p.data.shape}")
        if not np.can_cast(array.dtype, p.data.dtype, casting="same_kind"):
            raise TypeError(f"{owner}: parameter {i}'s {name} is {array.dtype}, the parameter {p.data.dtype}")
        return np.array(array, dtype=p.data.dtype)  # a copy: the optimizer updates it in place


def _parameter_index(key):
    """A state key as a parameter index: an int, or the digits of one (a checkpoint may store "0"); else None."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
        return int(key)
    if isinstance(key, str) and key.isdecimal() and key.isascii():
        return int(key)
    return None


def _plain(value):
    """An option as a plain value for a checkpoint: a schedule becomes None, a tuple a list."""
    if callable(value):
        return None
    return list(value) if isinstance(value, tuple) else value


def _from_plain(value):
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return tuple(value) if isinstance(value, list) else value
