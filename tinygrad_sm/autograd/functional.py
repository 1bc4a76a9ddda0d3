"""Functional derivatives, as in HIPS autograd: ``grad(f)``, ``value_and_grad(f)``, ``jacobian(f, x)``.

Each takes a function of Tensors and returns numpy arrays. ``grad`` and ``value_and_grad`` run
one backward pass; ``jacobian`` runs one backward pass per output element, seeded with the basis
vector e_i, so row i of the result is ∂out_i/∂x (reverse mode, as the notes "Multi-class classification
with Softmax function" build the softmax Jacobian ∂ŷ_i/∂z_j row by row).
"""

import numpy as np

from .grad_mode import enable_grad
from .tensor import Tensor


def _inputs(args, argnums, fn):
    """Fresh leaves (sharing no graph with the caller) for the arguments we differentiate."""
    argnums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    args = list(args)
    for i in argnums:
        if not -len(args) <= i < len(args):
            raise ValueError(f"{fn}: argnums {i} is out of range for {len(args)} arguments")
        value = args[i].data if isinstance(args[i], Tensor) else np.asarray(args[i])
        if value.dtype.kind != "f":
            raise TypeError(f"{fn}: argument {i} must be floating point to differentiate, got dtype {value.dtype}")
        args[i] = Tensor(value.copy(), requires_grad=True)
    return args, argnums


def _scalar_output(out, fn):
    if not isinstance(out, Tensor):
        raise TypeError(f"{fn}: the function must return a Tensor, got {type(out).__name__}")
    if out.size != 1:
        raise ValueError(f"{fn}: the function must return one number, got shape {out.shape} (use jacobian)")
    return out


def value_and_grad(fn, argnums=0):
    """``value_and_grad(f)(*args)`` → (f(*args) as a Python float, ∂f/∂args[argnums] as numpy arrays).

    ``argnums`` is an int (one gradient) or a tuple (a tuple of gradients).
    """
    def wrapped(*args):
        tensors, nums = _inputs(args, argnums, "value_and_grad")
        with enable_grad():
            out = _scalar_output(fn(*tensors), "value_and_grad")
            if out.requires_grad:
                out.backward()
        grads = tuple(tensors[i].grad if tensors[i].grad is not None else np.zeros(tensors[i].shape,
                                                                                    tensors[i].dtype)
                      for i in nums)
        return out.item(), (grads[0] if isinstance(argnums, int) else grads)
    return wrapped


def grad(fn, argnums=0):
    """``grad(f)(*args)`` → ∂f/∂args[argnums] (f must return one number)."""
    value_and_grad_fn = value_and_grad(fn, argnums)
    return lambda *args: value_and_grad_fn(*args)[1]


def jacobian(fn, x):
    """∂f(x)/∂x as an array of shape out.shape + x.shape, one backward pass per output element."""
    (x,), _ = _inputs((x,), 0, "jacobian")
    with enable_grad():
        out = fn(x)
        if not isinstance(out, Tensor):
            raise TypeError(f"jacobian: the function must return a Tensor, got {type(out).__name__}")
        rows = np.zeros((out.size,) + x.shape, dtype=x.dtype)
        if not out.requires_grad:
            return rows.reshape(out.shape + x.shape)  # the output does not depend on x
        for i in range(out.size):
            seed = np.zeros(out.size, dtype=out.dtype)
            seed[i] = 1  # the basis vector e_i picks row i: Σ_k e_i,k ∂out_k/∂x = ∂out_i/∂x
            x.grad = None
            out.backward(seed.reshape(out.shape), retain_graph=i < out.size - 1)
            if x.grad is not None:
                rows[i] = x.grad
    return rows.reshape(out.shape + x.shape)
