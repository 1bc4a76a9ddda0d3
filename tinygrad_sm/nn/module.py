"""Module, the base of every layer, and the container Sequential.

A parameter is just a ``Tensor`` with ``requires_grad=True`` kept as an attribute of a
``Module``; ``parameters()`` finds them by walking the attributes. ``positive_int`` is the
one size check every layer uses.
"""

from collections.abc import Mapping

import numpy as np

from ..autograd import Tensor, checks


def refuse_plain_dict_of_modules(owner, name, value):
    """A dict holding modules or parameters would silently drop them (PyTorch ignores it): refuse it.

    A module that overrides ``named_parameters`` lists its own parameters, so its dict of them is its business.
    """
    if isinstance(value, dict):
        own_listing = type(owner).named_parameters is not Module.named_parameters
        held = [key for key, item in value.items() if isinstance(item, Module)
                or (isinstance(item, Tensor) and item.requires_grad and not own_listing)]
        if held:
            raise TypeError(f"{type(owner).__name__}.{name}: a plain dict of modules or parameters (keys {held[:3]}) "
                            "would leave them out of parameters() and state_dict(); use nn.ModuleDict(...) "
                            "(or nn.ModuleList for a list)")


def same_dtype(layer, x, parameter):
    """The dtype rule: a layer computes in its parameters' dtype and refuses other input, as PyTorch does.

    numpy would promote float32 weights and float64 data to a float64 result without a word; PyTorch
    raises. Here the error names the layer, both dtypes and both fixes.
    """
    if x.dtype != parameter.dtype:
        name = type(layer).__name__
        raise TypeError(f"{name}: input is {x.dtype} but the layer's parameters are {parameter.dtype}; convert the "
                        f"input (x.float() for float32, or X.astype(np.{parameter.dtype})) or the model "
                        f"(model.double() / model.to(np.{x.dtype}))")


def real_number(owner, name, value, within, what):
    """``value`` (a Python or numpy real number) as a float if ``within(value)``; else a ValueError naming it."""
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool) or not within(value):
        raise ValueError(f"{owner}: {name} must be {what}, got {value!r}")
    return float(value)


def positive_int(owner, name, n):
    """``n`` as an int >= 1, or a ValueError naming ``owner`` and the argument ``name``."""
    if not checks.is_int(n) or n < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {n!r}")
    return int(n)


class Module:
    """Base class: subclasses set parameters (Tensors that require grad) and child Modules as attributes.

    ``parameters()`` walks the attributes in the order they were set, descending into child
    modules and into lists or tuples of them. Override ``forward``; call the module itself.
    """

    training = True

    def __setattr__(self, name, value):
        refuse_plain_dict_of_modules(self, name, value)
        object.__setattr__(self, name, value)

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def named_members(self):
        """(name, value) for each parameter-like Tensor and child Module among the attributes, in order.

        Lists and tuples are looked into: their items are named "attr.0", "attr.1", ...
        """
        for name, value in vars(self).items():
            if isinstance(value, (Tensor, Module)):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, (Tensor, Module)):
                        yield f"{name}.{i}", item
            elif isinstance(value, dict):  # filled after it was assigned: refused here, never dropped
                refuse_plain_dict_of_modules(self, name, value)

    def named_children(self):
        """(name, module) for every direct child module, each once (PyTorch's ``named_children``)."""
        seen = set()
        for name, value in self.named_members():
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def children(self):
        """Every direct child module, each once."""
        return (child for _, child in self.named_children())

    def named_modules(self, prefix=""):
        """(dotted name, module) for this module ("" or ``prefix``) and every module below it, each once,
        parents before children, with PyTorch's names ("layers", "layers.0", ...)."""
        found, seen, stack = [], set(), [(prefix, self)]
        while stack:  # an explicit stack, so deep nets do not hit the recursion limit
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            found.append((name, module))
            dot = name + "." if name else ""
            stack.extend(reversed([(dot + child_name, child) for child_name, child in module.named_children()]))
        return found

    def apply(self, fn):
        """Call ``fn(module)`` on every child module (its own children first), then on this one; returns self.

        As PyTorch's ``apply``, e.g. ``model.apply(init_weights)``.
        """
        order, seen, stack = [], set(), [self]
        while stack:  # parents first with the children reversed; read backwards, that is children first, in order
            module = stack.pop()
            if id(module) not in seen:
                seen.add(id(module))
                order.append(module)
                stack.extend(module.children())
        for module in reversed(order):
            fn(module)
        return self

    def named_parameters(self, prefix=""):
        """(dotted name, tensor) for every parameter, in attribute order, each shared one listed once."""
        found, seen, stack = [], set(), [(prefix, iter(self.named_members()))]
        while stack:  # an explicit stack, so deep nets do not hit the recursion limit
            path, members = stack[-1]
            entry = next(members, None)
            if entry is None:
                stack.pop()
                continue
            name, value = entry
            if isinstance(value, Module):
                stack.append((path + name + ".", iter(value.named_members())))
            elif value.requires_grad and id(value) not in seen:
                seen.add(id(value))
                found.append((path + name, value))
        return found

    def parameters(self):
        """The parameters as a list, ready for ``optim.SGD(model.parameters(), lr=...)``."""
        return [p for _, p in self.named_parameters()]

    def modules(self):
        """This module and every module below it, each once, parents first."""
        return [module for _, module in self.named_modules()]

    def zero_grad(self):
        """Forget the accumulated gradients (``p.grad = None`` for every parameter)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode=True):
        """Set training mode on this module and its children (Dropout and BatchNorm1d behave differently)."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self):
        """Evaluation mode, ``train(False)``: Dropout is the identity, BatchNorm1d uses its running statistics."""
        return self.train(False)

    def register_buffer(self, name, value):
        """Keep ``value`` (an array) as a Tensor attribute that is state but not a parameter.

        Buffers (BatchNorm's running statistics, say) are in ``state_dict()`` and restored by
        ``load_state_dict``, but get no gradient and are not given to optimizers.
        """
        tensor = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
        if tensor.requires_grad:
            raise ValueError(f"register_buffer: buffer {name!r} must not require grad")
        setattr(self, name, tensor)
        names = self.__dict__.setdefault("_buffer_names", [])
        if name not in names:
            names.append(name)
        return tensor

    def named_buffers(self):
        """(dotted name, tensor) for every buffer of this module and the modules below it."""
        found, stack = [], [("", self)]
        while stack:
            prefix, module = stack.pop()
            found.extend((prefix + name, getattr(module, name)) for name in getattr(module, "_buffer_names", ()))
            stack.extend(reversed([(prefix + name + ".", child) for name, child in module.named_children()]))
        return found

    def _named_state(self):
        return dict(self.named_parameters()) | dict(self.named_buffers())

    def state_dict(self):
        """{dotted name: copy of the array} for every parameter, then every buffer."""
        return {name: t.data.copy() for name, t in self._named_state().items()}

    def load_state_dict(self, state):
        """Copy arrays from ``state`` into the parameters and buffers, in place.

        Raises TypeError when ``state`` is not a dict (a mapping of names to arrays), KeyError
        when a name is missing from ``state`` or ``state`` has a key this module does not,
        ValueError on a shape mismatch and TypeError on a dtype that cannot be cast (complex into
        float, say); nothing is changed in any of these cases.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a dict of {{name: array}} (as state_dict() returns), "
                            f"got {type(state).__name__}")
        params = self._named_state()
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if missing or unexpected:
            raise KeyError(f"load_state_dict: {type(self).__name__} state does not match: "
                           f"missing keys {missing}, unexpected keys {unexpected}")
        values = {name: np.asarray(state[name]) for name in params}
        for name, p in params.items():
            value = values[name]
            if value.shape != p.shape:
                raise ValueError(f"load_state_dict: parameter {name!r} has shape {p.shape} in the model "
                                 f"but {value.shape} in the state (was it saved from a model of another size?)")
            if not np.can_cast(value.dtype, p.data.dtype, casting="same_kind"):
                raise TypeError(f"load_state_dict: parameter {name!r} is {p.data.dtype} in the model "
                                f"but {value.dtype} in the state")
        for name, p in params.items():
            np.copyto(p.data, values[name], casting="same_kind")
            p._bump_version()  # a graph built before the load now refuses backward
        return self

    def to(self, dtype):
        """Cast every floating parameter and buffer (and its gradient) to ``dtype`` in place; returns self.

        PyTorch's ``module.to(torch.float64)``; ``to("cpu")`` is the module itself (there is no other device).
        """
        if isinstance(dtype, str) and dtype.split(":")[0] == "cpu":
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: parameters can only become a floating dtype, got {dtype}")
        for tensor in self._named_state().values():
            if tensor.data.dtype.kind == "f" and tensor.data.dtype != dtype:
                tensor.data = tensor.data.astype(dtype)
                tensor.grad = None if tensor.grad is None else tensor.grad.astype(dtype)
        return self

    def double(self):
        """Every floating parameter and buffer as float64 (``to(np.float64)``), as PyTorch's ``double()``."""
        return self.to(np.float64)

    def float(self):
        """Every floating parameter and buffer as float32 (``to(np.float32)``), as PyTorch's ``float()``."""
        return self.to(np.float32)

    def __repr__(self):
        children = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ("\n" + "\n".join(children) + "\n)" if children else ")")

    def extra_repr(self):
        """The settings shown inside ``repr(module)``'s parentheses; layers override it."""
        return ""


class Sequential(Module):
    """Modules applied one after the other; parameters are named "0.weight", "2.bias", ..."""

    def __init__(self, *layers):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} is a {type(layer).__name__}, not a Module")
        self.layers = list(layers)

    def named_members(self):
        return ((str(i), layer) for i, layer in enumerate(self.layers))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i):
        """``model[i]`` is a layer; ``model[1:3]`` a new Sequential of those layers (shared, as PyTorch)."""
        return Sequential(*self.layers[i]) if isinstance(i, slice) else self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def append(self, layer):
        """Add ``layer`` at the end; returns self, as PyTorch's ``Sequential.append``."""
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential.append: expected a Module, got {type(layer).__name__}")
        self.layers.append(layer)
        return self
