"""``autograd.grad(outputs, inputs)``: gradients returned, not written into ``.grad``, as ``torch.autograd.grad``.

It runs the same backward walk as ``loss.backward()`` (backward.py), which hands the gradients of
the asked-for tensors back instead of adding them into ``.grad``. With ``create_graph=True`` they
are Tensors in a graph of their own (higher_order.py): differentiate them again for a Hessian.
"""

import numpy as np

from . import checks
from .backward import run_backward
from .grad_mode import enable_grad
from .tensor import Tensor


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Σ_k d(outputs_k)/d(inputs) ⋅ grad_outputs_k, one Tensor per input, in a tuple; no ``.grad`` is written.

    As ``torch.autograd.grad``: ``grad_outputs`` is needed for outputs of more than one element;
    ``retain_graph`` defaults to ``create_graph``; an input the outputs do not depend on is an
    error unless ``allow_unused=True`` (then its gradient is None).
    """
    outputs, inputs = _as_tuple(outputs, "outputs"), _as_tuple(inputs, "inputs")
    seeds = _as_tuple(grad_outputs, "grad_outputs") if grad_outputs is not None else (None,) * len(outputs)
    if len(seeds) != len(outputs):
        raise ValueError(f"grad: {len(seeds)} grad_outputs for {len(outputs)} outputs")
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {x.shape}) does not require grad")
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"grad: output {i} (shape {out.shape}) does not require grad and has no grad_fn")
    root, seed = _one_root(outputs, seeds, create_graph)
    retain_graph = create_graph if retain_graph is None else retain_graph
    found = {id(x): None for x in inputs}
    run_backward(root, seed, retain_graph=retain_graph, create_graph=create_graph, into=found)
    results = []
    for i, x in enumerate(inputs):
        g = found[id(x)]
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {i} (shape {x.shape}) was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
        results.append(g if g is None or isinstance(g, Tensor) else Tensor._wrap(np.array(g, dtype=x.dtype)))
    return tuple(results)


def _as_tuple(values, what):
    values = tuple(values) if isinstance(values, (tuple, list)) else (values,)
    if what != "grad_outputs" and not all(isinstance(v, Tensor) for v in values):
        raise TypeError(f"grad: {what} must be Tensors, got {[type(v).__name__ for v in values]}")
    return values


def _one_root(outputs, seeds, create_graph):
    """One output and its seed; several outputs become Σ_k ⟨outputs_k, seed_k⟩, whose gradient is the same sum."""
    checked = [checks.seed_gradient(out, s.data if isinstance(s, Tensor) else s) for out, s in zip(outputs, seeds)]
    if create_graph:  # a seed that is a Tensor may itself require grad (double backward through grad_outputs)
        checked = [s if isinstance(s, Tensor) else c for s, c in zip(seeds, checked)]
    if len(outputs) == 1:
        return outputs[0], checked[0]
    with enable_grad():
        terms = [(out * seed).sum() for out, seed in zip(outputs, checked)]
        total = sum(terms[1:], terms[0])
    return total, np.array(1.0, dtype=total.dtype)
