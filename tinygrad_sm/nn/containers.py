"""PyTorch's containers: ``Parameter``, ``ModuleList`` and ``ModuleDict``.

A ModuleList or ModuleDict holds modules whose parameters ``parameters()`` and ``state_dict()``
find, named as PyTorch names them ("layers.0.weight", "blocks.a.bias"). Neither has a forward:
the module that holds one decides how its layers are called.
"""

from collections.abc import Mapping

from ..autograd import Tensor
from .module import Module


class Parameter(Tensor):
    """A Tensor that requires grad unless told otherwise: PyTorch's ``nn.Parameter(data, requires_grad=True)``.

    It shares ``data``'s array (a Tensor's or a numpy array's), as PyTorch's shares the storage.
    A module finds it as any Tensor attribute that requires grad; ops on it give plain Tensors.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        super().__init__(() if data is None else data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def _module(owner, what, value):
    if not isinstance(value, Module):
        raise TypeError(f"{owner}: {what} is a {type(value).__name__}, not a Module")
    return value


def _key(key):
    if not isinstance(key, str):
        raise TypeError(f"ModuleDict: keys must be strings (they become parameter names), got {key!r}")
    if "." in key or not key:
        raise KeyError(f"ModuleDict: key {key!r} must be a non-empty name without '.'")
    return key


class ModuleList(Module):
    """A list of modules, indexed, sliced and iterated like a list; their parameters are "0.weight", "1.bias", ..."""

    def __init__(self, modules=None):
        self._list = []
        if modules is not None:
            self.extend(modules)

    def named_members(self):
        return ((str(i), module) for i, module in enumerate(self._list))

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward: iterate over it (for layer in self.layers: ...)")

    def _index(self, i):
        if not isinstance(i, int) or isinstance(i, bool):
            raise TypeError(f"ModuleList: indices must be ints or slices, got {type(i).__name__}")
        if not -len(self._list) <= i < len(self._list):
            raise IndexError(f"ModuleList: index {i} is out of range for {len(self._list)} modules")
        return i

    def __getitem__(self, i):
        if isinstance(i, slice):
            return ModuleList(self._list[i])
        return self._list[self._index(i)]

    def __setitem__(self, i, module):
        self._list[self._index(i)] = _module("ModuleList", f"item {i}", module)

    def __delitem__(self, i):
        del self._list[i if isinstance(i, slice) else self._index(i)]

    def __len__(self):
        return len(self._list)

    def __iter__(self):
        return iter(self._list)

    def __iadd__(self, modules):
        return self.extend(modules)

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        self._list.append(_module("ModuleList.append", "the argument", module))
        return self

    def extend(self, modules):
        """Add every module of an iterable at the end; returns self."""
        modules = list(modules)
        for i, module in enumerate(modules):
            _module("ModuleList.extend", f"item {i}", module)
        self._list.extend(modules)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index``, as ``list.insert``."""
        self._list.insert(index, _module("ModuleList.insert", "the module", module))


class ModuleDict(Module):
    """A dict of modules (string keys, in insertion order); their parameters are "key.weight", ..."""

    def __init__(self, modules=None):
        self._dict = {}
        if modules is not None:
            self.update(modules)

    def named_members(self):
        return iter(self._dict.items())

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward: call its modules (self.blocks['a'](x))")

    def __getitem__(self, key):
        return self._dict[key]

    def __setitem__(self, key, module):
        self._dict[_key(key)] = _module("ModuleDict", f"the value of {key!r}", module)

    def __delitem__(self, key):
        del self._dict[key]

    def __len__(self):
        return len(self._dict)

    def __iter__(self):
        return iter(self._dict)

    def __contains__(self, key):
        return key in self._dict

    def keys(self):
        return self._dict.keys()

    def items(self):
        return self._dict.items()

    def values(self):
        return self._dict.values()

    def pop(self, key):
        """Remove ``key`` and return its module."""
        return self._dict.pop(key)

    def clear(self):
        self._dict.clear()

    def update(self, modules):
        """Add or replace modules from a mapping or an iterable of (key, module) pairs."""
        pairs = list(modules.items() if isinstance(modules, Mapping) else modules)
        for pair in pairs:  # every pair is checked before any is added
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"ModuleDict.update: expected a mapping or (key, module) pairs, got {pair!r}")
            _module("ModuleDict.update", f"the value of {_key(pair[0])!r}", pair[1])
        self._dict.update(pairs)
