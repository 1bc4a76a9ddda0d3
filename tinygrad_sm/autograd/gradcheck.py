"""Central finite differences in float64 against the engine's gradients (gradcheck) and second derivatives
(gradgradcheck). Neither touches the inputs' ``.grad``: the engine's gradients come from ``autograd.grad``."""

import numpy as np

from .gradients import grad
from .tensor import Tensor


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check the engine's gradient of ``fn(*inputs)`` against central differences.

    ``inputs`` are float64 Tensors; those with ``requires_grad=True`` are checked. A
    non-scalar output is reduced to ``Σ out ⊙ R`` with a fixed random R, so every entry of
    its Jacobian matters. Returns True, or raises AssertionError naming the input, the
    index and both values of the worst mismatch. The inputs' ``.grad`` stay as they were.
    """
    checked = _checked(inputs, "gradcheck")
    scalar_output = _weighted_output(fn, inputs, seed, "gradcheck")
    output = scalar_output()
    if not output.requires_grad:
        raise ValueError("gradcheck: fn's output does not depend on any input that requires grad "
                         "(did it go through .data or numpy?)")
    analytic = _engine_gradients(output, inputs, checked)
    for i, engine in zip(checked, analytic):
        numeric = _numeric_gradient(scalar_output, inputs[i].data, eps)
        _assert_close(engine, numeric, f"input {i}", atol, rtol, "gradcheck")
    return True


def gradgradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check the engine's second derivatives of ``fn(*inputs)`` against central differences of its gradients.

    As PyTorch's gradgradcheck: the vector-Jacobian products g_i = (∂out/∂x_i)ᵀ U are taken with
    create_graph=True for random grad_outputs U (a Tensor that requires grad) and reduced to
    ``Σ_i ⟨g_i, S_i⟩`` with fixed random S_i; the engine's gradient of that with respect to every
    input (Hessian-vector products) AND to U (the backward rule must be linear in G) must match
    finite differences of it. float64 inputs; ``.grad`` untouched.
    """
    checked = _checked(inputs, "gradgradcheck")
    rng = np.random.default_rng(seed + 1)
    grad_outputs = Tensor(rng.standard_normal(_output(fn, inputs, "gradgradcheck").shape), requires_grad=True)
    directions = [rng.standard_normal(inputs[i].shape) for i in checked]

    def vjp_dot_directions():
        output = _output(fn, inputs, "gradgradcheck")
        if not output.requires_grad:
            return Tensor(0.0, dtype=np.float64)
        grads = grad(output, [inputs[i] for i in checked], grad_outputs=grad_outputs, create_graph=True,
                     allow_unused=True)
        terms = [(g * s).sum() for g, s in zip(grads, directions) if g is not None]
        return sum(terms[1:], terms[0]) if terms else Tensor(0.0, dtype=np.float64)

    variables = [*inputs, grad_outputs]
    wrt = [*checked, len(inputs)]  # the checked inputs, then the grad_outputs
    analytic = _engine_gradients(vjp_dot_directions(), variables, wrt)
    for i, engine in zip(wrt, analytic):
        numeric = _numeric_gradient(vjp_dot_directions, variables[i].data, eps)
        label = f"input {i}" if i < len(inputs) else "grad_outputs"
        _assert_close(engine, numeric, label, atol, rtol, "gradgradcheck")
    return True


def _checked(inputs, name):
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError(f"{name}: no input has requires_grad=True")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"{name}: input {i} is {inputs[i].dtype}; finite differences need float64")
    return checked


def _weighted_output(fn, inputs, seed, name):
    """``Σ fn(*inputs) ⊙ R`` as a function of no arguments, R fixed at the first call."""
    weights = None

    def scalar_output():
        nonlocal weights
        out = _output(fn, inputs, name)
        if weights is None:
            weights = np.random.default_rng(seed).standard_normal(out.shape)
        return (out * weights).sum()
    return scalar_output


def _output(fn, inputs, name):
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}: fn must return a Tensor, got {type(out).__name__} "
                        "(a numpy value has no graph to check; build the result from the input tensors)")
    return out


def _engine_gradients(output, inputs, checked):
    if not output.requires_grad:
        return [np.zeros(inputs[i].shape) for i in checked]
    found = grad(output, [inputs[i] for i in checked], allow_unused=True)
    return [np.zeros(inputs[i].shape) if g is None else g.data for i, g in zip(checked, found)]


def _numeric_gradient(scalar_output, x, eps):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        original = x[index]
        try:
            x[index] = original + eps
            plus = scalar_output().item()
            x[index] = original - eps
            minus = scalar_output().item()
        finally:
            x[index] = original  # the input is left exactly as it was, even if fn raises
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def _assert_close(analytic, numeric, which, atol, rtol, name):
    error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if error.size and (np.nanmax(error) > 0 or np.isnan(error).any()):
        worst = np.unravel_index(np.nanargmax(np.where(np.isnan(error), np.inf, error)), error.shape)
        raise AssertionError(f"{name}: {which} at index {tuple(int(i) for i in worst)}: "
                             f"engine gradient {analytic[worst]!r} but finite differences give {numeric[worst]!r}")
