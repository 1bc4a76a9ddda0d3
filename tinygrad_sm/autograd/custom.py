"""Checks for ops a user writes (``Tensor.apply``), as strict as PyTorch's autograd.Function. Skip on a first reading.

The built-in ops are trusted and pay nothing for this. An op that comes in through
``Tensor.apply`` gets a checked class instead of its own: a subclass, with the same name, whose
``forward`` and ``backward`` call the user's and check what they return.

- ``forward`` returns the result: one numpy array or number of a numeric dtype (not None, a
  tuple or list, a Tensor, strings or objects).
- ``backward(G)`` returns one gradient per input, in a tuple (a single array or None is taken as
  a tuple of one, as PyTorch does; extra trailing Nones are dropped). Each is None (no gradient) or
  a numpy array (or numpy scalar; not a Python number, list or Tensor) with the input's shape; a gradient of a shape the input broadcasts to is summed
  back to the input's shape (as PyTorch's ``sum_to``), and a real gradient is cast to the input's
  dtype. A complex gradient for a real input is refused.
Only inputs that require grad are checked: a gradient for a constant is never used.
"""

import numpy as np

from .checks import NUMERIC_KINDS
from .ops import unbroadcast

_CHECKED = "_tinygrad_sm_checked_class"  # where a user's op class keeps its checked subclass


def check_results(op):
    """Make ``op`` (an instance of a user's Op subclass) check what its forward and backward return."""
    cls = type(op)
    if getattr(cls, "_checks_results", False):  # already checked (an instance passed to apply twice)
        return op
    checked = cls.__dict__.get(_CHECKED)
    if checked is None:
        checked = _checked_class(cls)
        setattr(cls, _CHECKED, checked)
    op.__class__ = checked  # same memory layout: the subclass adds no slots
    return op


def _checked_class(cls):
    def forward(self, *arrays, **options):
        return forward_result(cls.forward(self, *arrays, **options), cls.__name__)

    def backward(self, grad):
        recording = _is_tensor(grad)  # backward(create_graph=True): G and the gradients are Tensors
        return backward_result(cls.backward(self, grad), cls.__name__, self.parents, recording)

    checked = type(cls.__name__, (cls,), {
        "__slots__": (), "__module__": cls.__module__, "__qualname__": cls.__qualname__, "__doc__": cls.__doc__,
        "_checks_results": True, "forward": forward, "backward": backward})
    del checked.__slots__  # release() and the version check read the user's own __slots__
    return checked


def _what(value):
    return "None" if value is None else f"a {type(value).__name__}"


def forward_result(result, op_name):
    """The array ``forward`` returned, or a TypeError naming the op and what came back instead."""
    if isinstance(result, (bool, int, float, complex, np.generic)):
        result = np.asarray(result)
    if not isinstance(result, np.ndarray):
        hint = (" (an op made with Tensor.apply has one output)" if isinstance(result, (tuple, list)) else
                " (forward works on numpy arrays: return its .data)" if _is_tensor(result) else "")
        raise TypeError(f"Tensor.apply: {op_name}.forward returned {_what(result)}; it must return its result "
                        f"as one numpy array{hint}")
    if result.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"Tensor.apply: {op_name}.forward returned an array of dtype {result.dtype}; "
                        "a result must hold numbers (bool, int, float or complex)")
    return result


def backward_result(grads, op_name, inputs, recording=False):
    """The gradients ``backward`` returned, checked and made to fit their inputs (see the module docstring)."""
    if not isinstance(grads, tuple):
        grads = (grads,)
    count = len(inputs)
    if len(grads) > count and all(g is None for g in grads[count:]):
        grads = grads[:count]
    if len(grads) != count:
        raise ValueError(f"Tensor.apply: {op_name}.backward returned {len(grads)} gradient"
                         f"{'s' if len(grads) != 1 else ''} for {count} input{'s' if count != 1 else ''}; "
                         "return a tuple of one gradient per input (None for an input that gets none)")
    return tuple([_fitted(g, op_name, i, inputs[i], recording) if g is not None and inputs[i].requires_grad else g
                  for i, g in enumerate(grads)])


def _fitted(grad, op_name, index, input_tensor, recording=False):
    """One gradient as an array of ``input_tensor``'s shape and dtype, or an error naming the input.

    Under ``create_graph`` (``recording``) the gradient is a Tensor in the backward graph instead of an array.
    """
    where = f"Tensor.apply: {op_name}.backward returned"
    if isinstance(grad, np.generic):  # what numpy's reductions return: a 0-d array in all but name
        grad = np.asarray(grad)
    if not isinstance(grad, np.ndarray) and not (recording and _is_tensor(grad)):
        hint = " (use its .data)" if _is_tensor(grad) else ""
        raise TypeError(f"{where} {_what(grad)} as the gradient for input {index}; a gradient is a numpy array "
                        f"or None{hint}")
    shape, dtype = input_tensor.shape, input_tensor.dtype
    if grad.dtype.kind not in NUMERIC_KINDS or (grad.dtype.kind == "c" and dtype.kind != "c"):
        raise TypeError(f"{where} a gradient of dtype {grad.dtype} for input {index}, which is {dtype}; "
                        f"a {'complex' if grad.dtype.kind == 'c' else 'non-numeric'} gradient cannot flow into it")
    if grad.shape != shape:
        if not _broadcasts_to(shape, grad.shape):
            raise ValueError(f"{where} a gradient of shape {grad.shape} for input {index}, which has shape {shape}; "
                             "a gradient must have its input's shape (or one the input broadcasts to, which is "
                             "summed back)")
        grad = unbroadcast(grad, shape)
    return grad if grad.dtype == dtype else grad.astype(dtype)


def _broadcasts_to(shape, target):
    """True if numpy broadcasting stretches ``shape`` to exactly ``target``."""
    extra = len(target) - len(shape)
    return extra >= 0 and all(n in (1, m) for n, m in zip(shape, target[extra:]))


def _is_tensor(value):
    return isinstance(getattr(value, "data", None), np.ndarray) and hasattr(value, "requires_grad")
