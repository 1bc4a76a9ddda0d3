"""Central finite differences in float64 against the engine's gradients."""

import numpy as np

from .tensor import Tensor


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check the engine's gradient of ``fn(*inputs)`` against central differences.

    ``inputs`` are float64 Tensors; those with ``requires_grad=True`` are checked. A
    non-scalar output is reduced to ``Σ out ⊙ R`` with a fixed random R, so every entry of
    its Jacobian matters. Returns True, or raises AssertionError naming the input, the
    index and both values of the worst mismatch.
    """
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64")
    weights = None

    def scalar_output():
        nonlocal weights
        out = fn(*inputs)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__} "
                            "(a numpy value has no graph to check; build the result from the input tensors)")
        if weights is None:
            weights = np.random.default_rng(seed).standard_normal(out.shape)
        return (out * weights).sum()

    saved_grads = [inputs[i].grad for i in checked]
    try:
        for i in checked:
            inputs[i].grad = None
        output = scalar_output()
        if not output.requires_grad:
            raise ValueError("gradcheck: fn's output does not depend on any input that requires grad "
                             "(did it go through .data or numpy?)")
        output.backward()
    except BaseException:
        for i, grad in zip(checked, saved_grads):  # a call that fails leaves the inputs' .grad as it found them
            inputs[i].grad = grad
        raise
    for i in checked:  # on success each checked input's .grad holds the engine's gradient of Σ out ⊙ R
        analytic = inputs[i].grad if inputs[i].grad is not None else np.zeros(inputs[i].shape)
        numeric = _numeric_gradient(scalar_output, inputs[i].data, eps)
        _assert_close(analytic, numeric, i, atol, rtol)
    return True


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


def _assert_close(analytic, numeric, which, atol, rtol):
    error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if error.size and (np.nanmax(error) > 0 or np.isnan(error).any()):
        worst = np.unravel_index(np.nanargmax(np.where(np.isnan(error), np.inf, error)), error.shape)
        raise AssertionError(f"gradcheck: input {which} at index {tuple(int(i) for i in worst)}: "
                             f"engine gradient {analytic[worst]!r} but finite differences give {numeric[worst]!r}")
