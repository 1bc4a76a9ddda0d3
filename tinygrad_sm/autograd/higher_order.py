"""Gradients of gradients: how ``backward(create_graph=True)`` runs each op's ONE backward rule on Tensors.

Skip on a first reading; read docs/second-order.md first.

Without ``create_graph`` an op's ``backward(G)`` works on numpy arrays (the fast path). With it, the
walk calls the very same ``backward`` on a copy of the op ("twin") in which

- G is a Tensor (a node of the graph being recorded),
- each array the forward saved is replaced by the Tensor it came from: an input (``self.a`` is the
  array of input A, so the twin gets the Tensor A) or the op's own output (``self.out``),
- an array the forward derived on the way (log_softmax's ``probs``, var's ``centered``) is rebuilt
  from those Tensors by the op's ``saved_from(inputs, out)``: a few forward steps, not a second rule,
- masks, indices and shapes stay as they are: they are constants of the rule.

The numpy calls inside the rules (``np.where``, ``np.log``, ``np.broadcast_to``, ``np.swapaxes``, ...)
then reach ``Tensor.__array_ufunc__`` / ``Tensor.__array_function__`` (numpy's own protocols), which
hand them to the Tensor methods below, so every step of the rule is recorded as an op. The recorded
ops have backward rules of their own: differentiate again, and again.
"""

import functools
import threading

import numpy as np

from .ops import Op
from .versions import clock

_state = threading.local()  # .recording is True while a rule runs on Tensors (per thread, as grad mode)


def recorded_by_backward(tensor):
    """True if ``tensor``'s op was recorded by a backward pass (create_graph=True): a picture colours it."""
    return tensor._op is not None and getattr(tensor._op, "by_backward", False)


# The mark is on the op itself (a slot of Op), so it goes when the graph goes: no module-level list of
# what each create_graph pass recorded, which would grow by one entry a pass.

def _mark_recorded(tensors, since):
    """Mark as backward ops the ops recorded after clock tick ``since`` on the way back from ``tensors``."""
    stack = [t for t in tensors if t is not None]
    while stack:
        tensor = stack.pop()
        op = tensor._op
        if op is not None and tensor._seq > since and not getattr(op, "by_backward", False):
            op.by_backward = True
            stack.extend(op.parents)


def recorded_sum(a, b):
    """a + b for two gradients meeting under create_graph: recorded, and marked as a backward op."""
    total = a + b
    if total._op is not None:
        total._op.by_backward = True
    return total


class NotTwiceDifferentiable(RuntimeError):
    """An op whose backward rule cannot run on Tensors, met by ``backward(create_graph=True)``."""


# ---------------------------------------------------------------- running a rule on Tensors

def tensor_backward(node, g):
    """The op's backward rule run on Tensors: G and the saved arrays as Tensors, so the steps are recorded."""
    op = node._op
    slots, has_saved_from, twice = _plan(type(op))
    if not twice:
        raise NotTwiceDifferentiable(f"backward(create_graph=True): the backward of the {op.name} op cannot be "
                                     "differentiated (its rule uses numpy steps that have no Tensor op)")
    twin = object.__new__(type(op))
    since = next(clock)
    rebuilt = op.saved_from(*op.parents, node) if has_saved_from else ()
    as_tensor = {id(node.data): node}
    for parent in op.parents:
        as_tensor[id(parent.data)] = parent  # an input wins over an output that is the same array
    for key in slots:
        value = getattr(op, key, _UNSET)
        if value is not _UNSET:
            setattr(twin, key, rebuilt[key] if key in rebuilt else _as_tensor(op, key, value, node, as_tensor))
    _state.recording = True
    try:
        input_grads = twin.backward(g)
    except NotTwiceDifferentiable as error:
        raise NotTwiceDifferentiable(f"backward(create_graph=True): the backward of the {op.name} op cannot be "
                                     f"differentiated: {error}") from None
    finally:
        _state.recording = False
    input_grads = tuple(grad if grad is None or not isinstance(grad, np.ndarray) else type(node)._wrap(grad)
                        for grad in input_grads)
    _mark_recorded(input_grads, since)
    return input_grads


_UNSET = object()


@functools.lru_cache(maxsize=256)  # once per op class, not per node (bounded: a class made in a loop cannot leak)
def _plan(op_type):
    """(the slots a twin copies, has saved_from, twice differentiable) of an op class."""
    slots = tuple(key for cls in op_type.__mro__ for key in getattr(cls, "__slots__", ()) if key != "by_backward")
    return slots, hasattr(op_type, "saved_from"), getattr(op_type, "twice_differentiable", True)


def _as_tensor(op, key, value, node, as_tensor):
    """A saved value as the Tensor it came from; a float array that came from nowhere known is an error."""
    if isinstance(value, np.ndarray):
        tensor = as_tensor.get(id(value))
        if tensor is not None:
            return tensor
    elif isinstance(value, np.generic) and node.data.shape == () and value.dtype == node.data.dtype \
            and (value == node.data or np.isnan(value) and np.isnan(node.data)):
        return node  # a 0-d output: numpy gave a scalar, which the Tensor holds as a new 0-d array
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "fc" and key not in op.constants:
        raise NotTwiceDifferentiable(f"backward(create_graph=True): the {op.name} op saved {key!r}, which is "
                                     "neither an input, its output, nor rebuilt by its saved_from")
    return value


def add_tensor_grads(grads, owned, parents, input_grads, g, may_own):
    """``kernels.accumulate`` for Tensor gradients: a second path adds out of place, so the graph records it."""
    for parent, parent_grad in zip(parents, input_grads):
        if parent_grad is not None and parent.requires_grad:
            key = id(parent)
            grads[key] = parent_grad if key not in grads else recorded_sum(grads[key], parent_grad)


def seed_tensor(root, seed):
    """The seed as a Tensor (a constant unless the caller passed a Tensor that requires grad)."""
    return seed if isinstance(seed, type(root)) else type(root)._wrap(seed)


# ---------------------------------------------------------------- the one op second derivatives add

def scatter_add(g, shape, index, dtype):
    """zeros(shape) with G added at ``index`` (twice for an element picked twice): the backward of indexing.

    Under create_graph G is a Tensor and this is the op ScatterAdd, whose own backward is indexing again.
    """
    if hasattr(g, "_op"):  # a Tensor
        return type(g)._apply(ScatterAdd(), (g,), shape, index, dtype)
    grad = np.zeros(shape, dtype=dtype)
    np.add.at(grad, index, g)
    return grad


class ScatterAdd(Op):
    name, rule, symbols = "scatter_add", "dA = G picked at the places A was added to", ("A",)
    __slots__ = ("index",)

    def forward(self, g, shape, index, dtype):
        self.index = index
        return scatter_add(g, shape, index, dtype)

    def backward(self, g):
        """Each element of the input went to one place: its gradient is read back from there."""
        return (g[self.index],)


# ---------------------------------------------------------------- numpy calls on Tensors

def _swapaxes(t, a, b):
    axes = list(range(t.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return t.permute(*axes)


def _moveaxis(t, source, destination):
    axes = [i for i in range(t.ndim) if i != source % t.ndim]
    axes.insert(destination % t.ndim, source % t.ndim)
    return t.permute(*axes)


def _split(t, bounds, axis=0):
    edges = [0, *[int(b) for b in bounds], t.shape[axis]]
    before = (slice(None),) * (axis % t.ndim)
    return [t[before + (slice(lo, hi),)] for lo, hi in zip(edges[:-1], edges[1:])]


def _expand_dims(t, axes):
    axes = (axes,) if isinstance(axes, int) else axes
    shape = list(t.shape)
    for axis in sorted(a % (t.ndim + len(axes)) for a in axes):
        shape.insert(axis, 1)
    return t.reshape(tuple(shape))


def _where(condition, a, b):
    tensor = next(x for x in (condition, a, b) if hasattr(x, "_op"))
    return type(tensor)._where(condition, a, b)


FUNCTIONS = {
    np.where: _where,
    np.broadcast_to: lambda t, shape: t.broadcast_to(shape),
    np.expand_dims: _expand_dims,
    np.swapaxes: _swapaxes,
    np.moveaxis: _moveaxis,
    np.transpose: lambda t, axes=None: t.permute(*axes) if axes is not None else t.permute(*range(t.ndim)[::-1]),
    np.flip: lambda t, axis=None: t.flip(axis),
    np.cumsum: lambda t, axis=None: t.cumsum(axis),
    np.split: _split,
    np.dot: lambda a, b: a @ b,
    np.sum: lambda t, axis=None, keepdims=False: t.sum(axis=axis, keepdims=keepdims),
}

UNARY = {np.negative: "neg", np.exp: "exp", np.log: "log", np.sqrt: "sqrt", np.absolute: "abs", np.sin: "sin",
         np.cos: "cos", np.tanh: "tanh", np.log1p: "log1p", np.expm1: "expm1", np.sign: "sign", np.square: "square"}
BINARY = {np.add: ("__add__", "__radd__"), np.subtract: ("__sub__", "__rsub__"), np.multiply: ("__mul__", "__rmul__"),
          np.true_divide: ("__truediv__", "__rtruediv__"), np.power: ("__pow__", "__rpow__"),
          np.matmul: ("__matmul__", "__rmatmul__"), np.maximum: ("maximum", "maximum"),
          np.minimum: ("minimum", "minimum"), np.equal: ("__eq__", "__eq__"), np.not_equal: ("__ne__", "__ne__"),
          np.less: ("__lt__", "__gt__"), np.greater: ("__gt__", "__lt__"), np.less_equal: ("__le__", "__ge__"),
          np.greater_equal: ("__ge__", "__le__")}


def array_ufunc(ufunc, method, inputs, kwargs):
    """``np.log(t)``, ``ndarray * t``, ``np.add.reduce(t, axes)``: the Tensor op of the same name, or NotImplemented."""
    if kwargs.get("out") is not None:
        return NotImplemented  # no ufunc writes into a Tensor
    if method == "__call__" and len(inputs) == 1 and ufunc in UNARY and not kwargs:
        return getattr(inputs[0], UNARY[ufunc])()
    if method == "__call__" and len(inputs) == 2 and ufunc in BINARY and not kwargs:
        forward, reflected = BINARY[ufunc]
        a, b = inputs
        return getattr(a, forward)(b) if hasattr(a, "_op") else getattr(b, reflected)(a)
    if method == "reduce" and ufunc is np.add and len(inputs) == 1:
        return inputs[0].sum(axis=kwargs.get("axis", 0), keepdims=kwargs.get("keepdims", False))
    return NotImplemented


def array_function(func, args, kwargs):
    """A numpy function given a Tensor: its Tensor form (FUNCTIONS), else numpy on the arrays, as before."""
    if func in FUNCTIONS:
        return FUNCTIONS[func](*args, **kwargs)
    if getattr(_state, "recording", False):  # a rule reached a numpy step with no Tensor op: never a silent constant
        raise NotTwiceDifferentiable(f"numpy.{func.__name__} has no Tensor form")
    return func._implementation(*args, **kwargs)  # numpy's own code, which reads Tensors through __array__
