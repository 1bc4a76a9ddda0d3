"""Catching in-place changes between forward and backward.

An op keeps references to the arrays its backward needs (an input, or its own output). If one
of them is changed in place before backward runs, the closed form would be evaluated at the new
values and give a silently wrong gradient. PyTorch refuses: "one of the variables needed for
gradient computation has been modified by an inplace operation". So do we.

How: every in-place change through the Tensor API (``+=``, ``add_``, ``zero_``, ``copy_``, ...,
and the optimizers' updates) bumps the tensor's ``_version`` and logs *which memory* changed and
when, on the same clock that numbers the ops (``_seq``). Backward looks at the log only for
nodes made before the latest change, and raises if a changed region of memory overlaps an array
the op saved. Comparing memory rather than tensors catches a change made through a view (a
reshape, a transpose, a slice, a ``detach()``) of the saved array, and never blames an op that
kept only shapes (``add``), a copy (``relu``'s mask), nothing, or another part of the same buffer.

Writing to ``t.data`` directly is not logged: it stays the escape hatch, as in PyTorch.

An in-place change recorded in a graph (``c += c + 1`` on a tensor in the graph) makes the
tensor the result of a new op whose input is the tensor's old version, a copy (tensor_more.py).
Ops recorded before the change still name the tensor object among their inputs; at backward
they are handed the old version of their time instead (``inputs_of_their_time``), as PyTorch's
graph points at the old ``grad_fn``.
"""

import itertools
import threading
import weakref

import numpy as np

clock = itertools.count()  # numbers the recorded ops and the in-place changes, in the order they happen
_changes = {}  # (id(memory owner), region) -> (tick of the latest change, weakref to the owner, region, what)
latest_change = [-1]  # the clock tick of the newest change: backward compares each node's _seq with it
_lock = threading.Lock()  # threads may change tensors at once: keep the log and latest_change consistent
MAX_ENTRIES = 256
_earlier_versions = {}  # id(tensor) -> (weakref to it, [its old versions, oldest first])

# Saved arrays that an op's backward reads for one input's gradient only: when that input needs no
# gradient, changing the array is harmless (``d * 2`` keeps d but reads it only for the gradient of 2;
# PyTorch saves only what it reads). Keyed by op name: {saved slot: the input whose gradient reads it}.
READ_ONLY_FOR = {"mul": {"a": 1, "b": 0}, "div": {"a": 1}}


def remember_earlier_version(tensor, before):
    """Keep ``before``, the version of ``tensor`` an in-place op in the graph just replaced."""
    key = id(tensor)
    with _lock:
        if key not in _earlier_versions:
            _earlier_versions[key] = (weakref.ref(tensor, lambda _, key=key: _earlier_versions.pop(key, None)), [])
        _earlier_versions[key][1].append(before)


def inputs_of_their_time(node):
    """Give ``node``'s op the versions its inputs had when it ran (an input changed in place since is newer)."""
    op = node._op
    if not _earlier_versions or all(p._seq < node._seq for p in op.parents):
        return
    op.parents = tuple([p if p._seq < node._seq else _version_at(p, node._seq) for p in op.parents])


def _version_at(tensor, seq):
    """The newest old version of ``tensor`` made before clock ``seq``."""
    ref, versions = _earlier_versions.get(id(tensor), (None, ()))
    if ref is None or ref() is not tensor:
        return tensor
    for before in reversed(versions):
        if before._seq < seq:
            return before
    return tensor


def _memory_owner(array):
    """The array that owns the memory ``array`` views (numpy collapses chains of views to the owner)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _region(array, owner):
    """Where ``array`` sits inside ``owner``'s memory: None for all of it, else (offset, shape, strides, dtype).

    Kept instead of the view itself: a view would keep the memory alive, and a weak reference to
    it would forget the change as soon as a temporary tensor around the view is gone.
    """
    if array is owner:
        return None
    offset = array.__array_interface__["data"][0] - owner.__array_interface__["data"][0]
    return offset, array.shape, array.strides, array.dtype.str


def _changed_memory(owner, region):
    """The changed part of ``owner`` as an array (all of it when the view cannot be rebuilt: never misses)."""
    if region is None or isinstance(region, np.ndarray):
        return owner
    offset, shape, strides, dtype = region
    try:
        return np.ndarray(shape, dtype, buffer=owner, offset=offset, strides=strides)
    except (TypeError, ValueError, BufferError):
        return owner


def record_in_place_change(tensor, tick, changed=None):
    """Log that ``tensor``'s memory (or the part ``changed`` of it) changed at clock ``tick``."""
    changed = tensor.data if changed is None else changed
    owner = _memory_owner(changed)
    region = _region(changed, owner)
    entry = (tick, weakref.ref(owner), region, (tensor.name, tensor.shape, tensor._version))  # message built on error
    with _lock:
        _changes[(id(owner), region)] = entry
        latest_change[0] = max(latest_change[0], tick)  # another thread may have logged a later tick meanwhile
        if len(_changes) > MAX_ENTRIES:
            _compact()


def _compact():
    """Forget changes of freed memory; if still too many, merge each owner's regions into one mask of it.

    The mask marks exactly the elements that changed, so 300 disjoint slice updates never blame a
    slice that did not change (where an element mask cannot be drawn, all of the owner counts).
    """
    for key, (_, owner, _, _) in list(_changes.items()):
        if owner() is None:
            del _changes[key]
    if len(_changes) > MAX_ENTRIES // 2:
        merged = {}
        for (owner_id, _), (tick, owner_ref, region, what) in _changes.items():
            owner = owner_ref()
            if owner_id not in merged:
                merged[owner_id] = [tick, owner_ref, np.zeros(owner.size, dtype=bool), what]
            entry = merged[owner_id]
            if tick > entry[0]:
                entry[0], entry[3] = tick, what
            _mark(entry[2], owner, region)
        _changes.clear()
        _changes.update({(owner_id, "mask"): tuple(entry) for owner_id, entry in merged.items()})


def _mark(mask, owner, region):
    """Set ``mask`` (one flag per element of ``owner``) where ``region`` lies: a region, a mask or all of it."""
    if isinstance(region, np.ndarray):
        mask |= region
        return
    indices = None if region is None else _element_indices(owner, *region)
    if indices is None:
        mask[:] = True
    else:
        mask[indices] = True


def _element_indices(owner, offset, shape, strides, dtype):
    """The flat indices of the elements of ``owner`` that a view of it covers (None if it cannot tell)."""
    size = owner.itemsize
    if not owner.flags.c_contiguous or np.dtype(dtype).itemsize != size or offset % size or \
            any(s % size for s in strides):
        return None
    flat = np.arange(owner.size)
    return np.lib.stride_tricks.as_strided(flat[offset // size:], shape, [s // size * flat.itemsize for s in strides])


def _overlaps_mask(saved, owner, mask):
    """Whether ``saved`` covers a changed element of ``owner`` (the mask of a compacted log)."""
    if not np.may_share_memory(saved, owner):
        return False
    region = _region(saved, owner)
    indices = None if region is None else _element_indices(owner, *region)
    return bool(mask.any() if indices is None else mask[indices].any())


def _describe(what):
    name, shape, version = what
    return f"{name or 'a tensor'} of shape {shape}, now at version {version}"


def saved_arrays(op):
    """The numpy arrays an op kept for its backward (its slots, and arrays inside tuples there)."""
    for cls in type(op).__mro__:
        for key in getattr(cls, "__slots__", ()):
            if key in ("parents", "needs_grad", "released", "__weakref__"):
                continue
            value = getattr(op, key, None)
            for item in value if isinstance(value, tuple) else (value,):
                if isinstance(item, np.ndarray) and item.size:
                    yield key, item


def check_saved_arrays_unchanged(node):
    """Raise RuntimeError if memory that ``node``'s op saved was changed in place after the op ran."""
    inputs_of_their_time(node)
    op, seq = node._op, node._seq
    with _lock:
        changes = list(_changes.values())
    for tick, owner_ref, region, what in changes:
        owner = owner_ref()
        if tick <= seq or owner is None:
            continue
        changed = _changed_memory(owner, region)
        for key, saved in saved_arrays(op):
            if not _read_in_backward(op, key):
                continue
            if _overlaps_mask(saved, owner, region) if isinstance(region, np.ndarray) else _overlap(saved, changed):
                raise RuntimeError(
                    f"backward: one of the arrays needed for gradient computation has been modified by an "
                    f"in-place operation: the {op.name} op saved {key!r}, and {_describe(what)} was changed in place "
                    f"after the {op.name} op used it. Make the change out of place (x = x + 1), or after "
                    "backward; writing to .data directly skips this check.")


def _read_in_backward(op, key):
    only_for = READ_ONLY_FOR.get(op.name, {}).get(key)
    return only_for is None or op.needs_grad[only_for]


def _overlap(a, b):
    if not np.may_share_memory(a, b):
        return False
    try:
        return np.shares_memory(a, b, max_work=100_000)
    except getattr(np, "exceptions", np).TooHardError:  # numpy < 1.25 keeps it at the top level
        return True
