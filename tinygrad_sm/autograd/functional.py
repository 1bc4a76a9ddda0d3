"""Functional derivatives, as in HIPS autograd and torch.func: ``grad(f)``, ``value_and_grad(f)``, ``jacobian(f, x)``,
``hessian(f, x)``, ``hvp(f, x, v)``, ``vjp(f, x, v)`` and ``jvp(f, x, v)``.

Each takes a function of Tensors. Called at the top level they return numpy arrays; called inside
another one (``grad(lambda t: grad(f)(t).sum())``, ``jacobian(grad(f), x)``) they return Tensors
recorded with ``create_graph=True``, so the outer one differentiates them again. None of them
writes ``.grad`` of anything, not even of tensors ``f`` captures (a model's parameters): they use
``autograd.grad`` (gradients.py), which returns gradients instead of adding them into ``.grad``.
``jacobian`` runs one backward pass per output element, seeded with the basis vector e_i, so row i
is ∂out_i/∂x (reverse mode, as the notes "Multi-class classification with Softmax function" build
the softmax Jacobian ∂ŷ_i/∂z_j row by row).
"""

import threading

import numpy as np

from .checks import is_int
from .functions import stack
from .gradients import grad as gradients_of
from .grad_mode import enable_grad
from .tensor import Tensor

_depth = threading.local()  # .value: how many of these functions are running (nested calls record their graph)


class _Running:
    """Counts the functional calls in progress in this thread; inside one, results stay Tensors."""

    def __enter__(self):
        self.nested = getattr(_depth, "value", 0) > 0
        _depth.value = getattr(_depth, "value", 0) + 1
        self.grad_mode = enable_grad()
        self.grad_mode.__enter__()
        return self

    def __exit__(self, *exc):
        _depth.value -= 1
        self.grad_mode.__exit__(*exc)

    def result(self, tensor):
        """A Tensor with its graph inside another call; a numpy array at the top level."""
        return tensor if self.nested or tensor is None else tensor.data


def _check_argnums(argnums, fn):
    ok = is_int(argnums) or (isinstance(argnums, tuple) and argnums and all(is_int(i) for i in argnums))
    if not ok:
        raise TypeError(f"{fn}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")


def _inputs(args, argnums, fn, nested):
    """The arguments, with a Tensor leaf for each one we differentiate (the caller's own Tensor when nested)."""
    argnums = (argnums,) if is_int(argnums) else tuple(argnums)
    args = list(args)
    for i in argnums:
        if not -len(args) <= i < len(args):
            raise ValueError(f"{fn}: argnums {i} is out of range for {len(args)} arguments")
        if nested and isinstance(args[i], Tensor) and args[i].requires_grad:
            continue  # the outer call's variable: differentiate through it
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


def _gradients(out, inputs, create_graph, **options):
    """d(out)/d(inputs) as Tensors; zeros for an input out does not depend on."""
    if not out.requires_grad:
        return tuple(Tensor._wrap(np.zeros(x.shape, x.dtype)) for x in inputs)
    found = gradients_of(out, inputs, create_graph=create_graph, allow_unused=True, **options)
    return tuple(Tensor._wrap(np.zeros(x.shape, x.dtype)) if g is None else g for g, x in zip(found, inputs))


def value_and_grad(fn, argnums=0, _name="value_and_grad"):
    """``value_and_grad(f)(*args)`` → (f(*args) as a Python float, ∂f/∂args[argnums] as numpy arrays).

    ``argnums`` is an int (one gradient) or a tuple (a tuple of gradients). Inside another
    functional call the value and the gradients are Tensors that can be differentiated again.
    """
    _check_argnums(argnums, _name)

    def wrapped(*args):
        with _Running() as run:
            tensors, nums = _inputs(args, argnums, _name, run.nested)
            out = _scalar_output(fn(*tensors), _name)
            grads = tuple(run.result(g) for g in _gradients(out, [tensors[i] for i in nums], run.nested))
        value = out if run.nested else out.item()
        return value, (grads[0] if is_int(argnums) else grads)
    return wrapped


def grad(fn, argnums=0):
    """``grad(f)(*args)`` → ∂f/∂args[argnums] (f must return one number); ``grad(grad(f))`` works."""
    value_and_grad_fn = value_and_grad(fn, argnums, _name="grad")
    return lambda *args: value_and_grad_fn(*args)[1]


def jacobian(fn, x):
    """∂f(x)/∂x as an array of shape out.shape + x.shape, one backward pass per output element."""
    with _Running() as run:
        (x,), _ = _inputs((x,), 0, "jacobian", run.nested)
        out = fn(x)
        if not isinstance(out, Tensor):
            raise TypeError(f"jacobian: the function must return a Tensor, got {type(out).__name__}")
        rows = []
        for i in range(out.size):
            seed = np.zeros(out.size, dtype=out.dtype)
            seed[i] = 1  # the basis vector e_i picks row i: Σ_k e_i,k ∂out_k/∂x = ∂out_i/∂x
            if not out.requires_grad:
                rows.append(Tensor._wrap(np.zeros(x.shape, x.dtype)))
                continue
            found, = gradients_of(out, x, grad_outputs=seed.reshape(out.shape), retain_graph=True,
                                  create_graph=run.nested, allow_unused=True)
            rows.append(Tensor._wrap(np.zeros(x.shape, x.dtype)) if found is None else found)
        if run.nested:
            return stack(rows).reshape(out.shape + x.shape) if rows else Tensor._wrap(np.zeros(out.shape + x.shape))
        return np.array([r.data for r in rows], dtype=x.dtype).reshape(out.shape + x.shape)


def hessian(fn, x):
    """∂²f/∂x² of a scalar f, shape x.shape + x.shape: the Jacobian of the gradient."""
    return jacobian(grad(fn), x)


def hvp(fn, x, v):
    """The Hessian-vector product H v = ∂⟨∇f(x), v⟩/∂x, two backward passes and no Hessian."""
    with _Running() as run:
        (x,), _ = _inputs((x,), 0, "hvp", run.nested)
        v = v.data if isinstance(v, Tensor) and not run.nested else v
        g, = _gradients(_scalar_output(fn(x), "hvp"), [x], True)
        product = (g * v).sum()
        hv, = _gradients(product, [x], run.nested) if product.requires_grad else (Tensor._wrap(np.zeros_like(x.data)),)
        return run.result(hv)


def vjp(fn, x, v):
    """(f(x), vᵀ ∂f/∂x): one backward pass seeded with ``v`` (the shape of f(x))."""
    with _Running() as run:
        (x,), _ = _inputs((x,), 0, "vjp", run.nested)
        out = fn(x)
        found, = _gradients(out, [x], run.nested, grad_outputs=v) if out.requires_grad else (None,)
        return run.result(out), run.result(found if found is not None else Tensor._wrap(np.zeros_like(x.data)))


def jvp(fn, x, v):
    """(f(x), ∂f/∂x v) by the double-VJP trick: uᵀJ is linear in u, and its gradient with respect to u is J v."""
    with _Running() as run:
        (x,), _ = _inputs((x,), 0, "jvp", run.nested)
        out = fn(x)
        u = Tensor(np.zeros(out.shape, out.dtype), requires_grad=True)
        if not out.requires_grad:
            return run.result(out), run.result(Tensor._wrap(np.zeros(out.shape, out.dtype)))
        u_jacobian, = _gradients(out, [x], True, grad_outputs=u)
        if not u_jacobian.requires_grad:
            return run.result(out), run.result(Tensor._wrap(np.zeros(out.shape, out.dtype)))
        found, = _gradients(u_jacobian, [u], run.nested, grad_outputs=v.data if isinstance(v, Tensor) else v)
        return run.result(out), run.result(found)
