"""PyTorch both ways: ``to_torch(module)`` builds the equivalent ``torch.nn`` module with the same weights,
``from_torch(torch_module)`` the reverse.

A tinygrad_sm module's ``state_dict()`` has the keys, shapes and layouts of its PyTorch twin (``nn.Linear``'s
weight is (out, in) on both sides), so the weights cross as one ``load_state_dict`` of the whole tree; each
layer only needs a rule that builds its empty twin from its settings. ``BRIDGES`` is that table: one
``Bridge(ours, theirs, to_torch, from_torch)`` entry per layer, so a new layer is one more entry. A module
that has no entry (your own ``Module`` subclass, say, or a PyTorch layer we do not have) raises, naming it.

This module imports torch; ``import tinygrad_sm`` never imports it (``tinygrad_sm.to_torch`` loads it on
first use). Install it with ``pip install tinygrad_sm[torch]``.
"""

from typing import Callable, NamedTuple

import numpy as np

from . import nn

try:
    import torch
except ModuleNotFoundError as missing:
    raise ModuleNotFoundError("tinygrad_sm.to_torch / from_torch need PyTorch: "
                              "pip install tinygrad_sm[torch] (or pip install torch)") from missing

TORCH_ONLY_BUFFERS = ("num_batches_tracked",)  # BatchNorm1d's missing step counter (PyTorch uses it when momentum=None)


class Bridge(NamedTuple):
    """One layer on both sides: how to build the empty twin of each (weights are copied afterwards)."""

    ours: type
    theirs: type
    to_torch: Callable    # our module -> an empty torch module with the same settings
    from_torch: Callable  # a torch module -> an empty tinygrad_sm module with the same settings


def _dtype_of(module):
    """The floating dtype of a module's first parameter, else of its first floating buffer (float32 when none)."""
    if isinstance(module, nn.Module):
        dtypes = [t.data.dtype for t in module.parameters() + [b for _, b in module.named_buffers()]]
    else:
        dtypes = [_numpy_dtype(t.dtype) for t in list(module.parameters()) + list(module.buffers())]
    return next((dtype for dtype in dtypes if dtype.kind == "f"), np.float32)


def _torch_dtype(module):
    return torch.from_numpy(np.zeros(0, _dtype_of(module))).dtype


def _numpy_dtype(torch_dtype):
    return torch.zeros(0, dtype=torch_dtype).numpy().dtype


def _refuse(module, setting):
    raise ValueError(f"from_torch: {module!r} has no tinygrad_sm counterpart ({setting})")


def _plain(cls):
    """A layer without settings: its twin is the other class called with no arguments."""
    return lambda module: cls()


def _gelu_from_torch(m):
    return nn.GELU(approximate=m.approximate)


def _softplus_from_torch(m):
    if m.beta != 1:
        _refuse(m, "tinygrad_sm's Softplus is log(1 + e^z), beta = 1")
    return nn.Softplus()


def _softmax_from_torch(cls):
    def build(m):
        if m.dim is None:
            _refuse(m, "dim=None; give the dim")
        return cls(m.dim)
    return build


def _layer_norm_from_torch(m):
    if m.elementwise_affine and m.bias is None:
        _refuse(m, "bias=False")
    return nn.LayerNorm(m.normalized_shape, eps=m.eps, elementwise_affine=m.elementwise_affine,
                        dtype=_dtype_of(m))


def _batch_norm_from_torch(m):
    if not m.affine or not m.track_running_stats or m.momentum is None:
        _refuse(m, "tinygrad_sm's BatchNorm1d is affine, tracks running statistics and has a momentum")
    return nn.BatchNorm1d(m.num_features, eps=m.eps, momentum=m.momentum, dtype=_dtype_of(m))


def _batch_norm_2d(cls, m, dtype):
    return cls(m.num_features, eps=m.eps, momentum=m.momentum, affine=m.affine,
               track_running_stats=m.track_running_stats, dtype=dtype)


def _conv_to_torch(cls):
    def build(m):
        extra = {"output_padding": m.output_padding} if m.transposed else {}
        return cls(m.in_channels, m.out_channels, m.kernel_size, stride=m.stride, padding=m.padding,
                   dilation=m.dilation, groups=m.groups, bias=m.bias is not None, padding_mode=m.padding_mode,
                   dtype=_torch_dtype(m), **extra)
    return build


def _conv_from_torch(cls):
    def build(m):
        if m.padding_mode != "zeros":
            _refuse(m, f"padding_mode={m.padding_mode!r}; only 'zeros'")
        extra = {"output_padding": m.output_padding} if m.transposed else {}
        return cls(m.in_channels, m.out_channels, m.kernel_size, stride=m.stride, padding=m.padding,
                   dilation=m.dilation, groups=m.groups, bias=m.bias is not None, dtype=_dtype_of(m), **extra)
    return build


def _max_pool(cls):
    return lambda m: cls(m.kernel_size, stride=m.stride, padding=m.padding, dilation=m.dilation,
                         return_indices=m.return_indices, ceil_mode=m.ceil_mode)


def _avg_pool(cls):
    return lambda m: cls(m.kernel_size, stride=m.stride, padding=m.padding, ceil_mode=m.ceil_mode,
                         count_include_pad=m.count_include_pad, divisor_override=m.divisor_override)


def _adaptive_avg_pool_from_torch(m):
    sizes = m.output_size if isinstance(m.output_size, (tuple, list)) else (m.output_size,)
    if any(size is None for size in sizes):
        _refuse(m, "an output_size of None (keep that axis); give every size")
    return nn.AdaptiveAvgPool2d(m.output_size)


def _embedding_from_torch(m):
    if m.padding_idx is not None or m.max_norm is not None or m.scale_grad_by_freq or m.sparse:
        _refuse(m, "padding_idx, max_norm, scale_grad_by_freq and sparse are not supported")
    return nn.Embedding(m.num_embeddings, m.embedding_dim, dtype=_dtype_of(m))


BRIDGES = [
    Bridge(nn.Linear, torch.nn.Linear,
           lambda m: torch.nn.Linear(m.in_features, m.out_features, bias=m.bias is not None, dtype=_torch_dtype(m)),
           lambda m: nn.Linear(m.in_features, m.out_features, bias=m.bias is not None, dtype=_dtype_of(m))),
    Bridge(nn.Identity, torch.nn.Identity, _plain(torch.nn.Identity), _plain(nn.Identity)),
    Bridge(nn.Flatten, torch.nn.Flatten, lambda m: torch.nn.Flatten(m.start, m.end),
           lambda m: nn.Flatten(m.start_dim, m.end_dim)),
    Bridge(nn.Unflatten, torch.nn.Unflatten, lambda m: torch.nn.Unflatten(m.dim, m.unflattened_size),
           lambda m: nn.Unflatten(m.dim, tuple(m.unflattened_size))),
    Bridge(nn.Dropout, torch.nn.Dropout, lambda m: torch.nn.Dropout(m.p), lambda m: nn.Dropout(m.p)),
    Bridge(nn.LayerNorm, torch.nn.LayerNorm,
           lambda m: torch.nn.LayerNorm(m.normalized_shape, eps=m.eps, elementwise_affine=m.weight is not None,
                                        dtype=_torch_dtype(m)),
           _layer_norm_from_torch),
    Bridge(nn.BatchNorm1d, torch.nn.BatchNorm1d,
           lambda m: torch.nn.BatchNorm1d(m.num_features, eps=m.eps, momentum=m.momentum, dtype=_torch_dtype(m)),
           _batch_norm_from_torch),
    Bridge(nn.BatchNorm2d, torch.nn.BatchNorm2d, lambda m: _batch_norm_2d(torch.nn.BatchNorm2d, m, _torch_dtype(m)),
           lambda m: _batch_norm_2d(nn.BatchNorm2d, m, _dtype_of(m))),
    Bridge(nn.Embedding, torch.nn.Embedding,
           lambda m: torch.nn.Embedding(m.num_embeddings, m.embedding_dim, dtype=_torch_dtype(m)),
           _embedding_from_torch),
    # activations
    Bridge(nn.ReLU, torch.nn.ReLU, _plain(torch.nn.ReLU), _plain(nn.ReLU)),
    Bridge(nn.Tanh, torch.nn.Tanh, _plain(torch.nn.Tanh), _plain(nn.Tanh)),
    Bridge(nn.Sigmoid, torch.nn.Sigmoid, _plain(torch.nn.Sigmoid), _plain(nn.Sigmoid)),
    Bridge(nn.LeakyReLU, torch.nn.LeakyReLU, lambda m: torch.nn.LeakyReLU(m.negative_slope),
           lambda m: nn.LeakyReLU(m.negative_slope)),
    Bridge(nn.ELU, torch.nn.ELU, lambda m: torch.nn.ELU(m.alpha), lambda m: nn.ELU(m.alpha)),
    Bridge(nn.GELU, torch.nn.GELU, lambda m: torch.nn.GELU(approximate=m.approximate), _gelu_from_torch),
    Bridge(nn.Softplus, torch.nn.Softplus, _plain(torch.nn.Softplus), _softplus_from_torch),
    Bridge(nn.Softmax, torch.nn.Softmax, lambda m: torch.nn.Softmax(m.axis), _softmax_from_torch(nn.Softmax)),
    Bridge(nn.LogSoftmax, torch.nn.LogSoftmax, lambda m: torch.nn.LogSoftmax(m.axis),
           _softmax_from_torch(nn.LogSoftmax)),
    # containers: their children are built by the walk below
    Bridge(nn.Sequential, torch.nn.Sequential, lambda m: torch.nn.Sequential(), lambda m: nn.Sequential()),
    Bridge(nn.ModuleList, torch.nn.ModuleList, lambda m: torch.nn.ModuleList(), lambda m: nn.ModuleList()),
    Bridge(nn.ModuleDict, torch.nn.ModuleDict, lambda m: torch.nn.ModuleDict(), lambda m: nn.ModuleDict()),
    # conv and pooling layers (nn/conv.py)
    Bridge(nn.Conv1d, torch.nn.Conv1d, _conv_to_torch(torch.nn.Conv1d), _conv_from_torch(nn.Conv1d)),
    Bridge(nn.Conv2d, torch.nn.Conv2d, _conv_to_torch(torch.nn.Conv2d), _conv_from_torch(nn.Conv2d)),
    Bridge(nn.ConvTranspose2d, torch.nn.ConvTranspose2d, _conv_to_torch(torch.nn.ConvTranspose2d),
           _conv_from_torch(nn.ConvTranspose2d)),
    Bridge(nn.MaxPool2d, torch.nn.MaxPool2d, _max_pool(torch.nn.MaxPool2d), _max_pool(nn.MaxPool2d)),
    Bridge(nn.AvgPool2d, torch.nn.AvgPool2d, _avg_pool(torch.nn.AvgPool2d), _avg_pool(nn.AvgPool2d)),
    Bridge(nn.AdaptiveAvgPool2d, torch.nn.AdaptiveAvgPool2d, lambda m: torch.nn.AdaptiveAvgPool2d(m.output_size),
           _adaptive_avg_pool_from_torch),
]
OURS = {bridge.ours: bridge for bridge in BRIDGES}
THEIRS = {bridge.theirs: bridge for bridge in BRIDGES}


def to_torch(module):
    """The ``torch.nn`` twin of ``module`` (a tinygrad_sm module, or a fitted estimator's ``module_``), same weights.

    The twin is in the same training mode; its outputs and gradients equal ours to float tolerance.
    """
    module = _module_of(module)
    twin = _build(module, OURS, "to_torch", "PyTorch")
    state = {name: torch.from_numpy(np.array(value)) for name, value in module.state_dict().items()}
    for name, value in twin.state_dict().items():
        if name not in state and _torch_only(name):
            state[name] = value
    twin.load_state_dict(state)
    return twin


def from_torch(torch_module):
    """The tinygrad_sm twin of a ``torch.nn`` module, with the same weights and training mode."""
    if not isinstance(torch_module, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got {type(torch_module).__name__}")
    twin = _build(torch_module, THEIRS, "from_torch", "tinygrad_sm")
    ours = twin.state_dict()
    state = {name: value.detach().cpu().numpy() for name, value in torch_module.state_dict().items()
             if name in ours or not _torch_only(name)}
    twin.load_state_dict(state)
    return twin


def _torch_only(name):
    """A buffer PyTorch keeps and our layer may not (BatchNorm1d has no step counter; BatchNorm2d has)."""
    return name.rsplit(".", 1)[-1] in TORCH_ONLY_BUFFERS


def _module_of(module):
    """The module itself, or the fitted ``module_`` of an estimator from tinygrad_sm.models."""
    if isinstance(module, nn.Module):
        return module
    if hasattr(module, "fit") and hasattr(module, "predict"):
        if not hasattr(module, "module_"):
            raise ValueError(f"to_torch: this {type(module).__name__} is not fitted yet (no module_); call fit first")
        return module.module_
    raise TypeError(f"to_torch: expected a tinygrad_sm nn.Module or a fitted estimator, got {type(module).__name__}")


def _build(root, table, caller, other_side):
    """The twin of ``root``: each module's empty twin from ``table``, a container's children in order."""
    built = {}
    for module in _post_order(root, table, caller, other_side):
        bridge = table[type(module)]
        twin = bridge.to_torch(module) if table is OURS else bridge.from_torch(module)
        for key, child in _children(module):
            if isinstance(twin, (nn.ModuleDict, torch.nn.ModuleDict)):
                twin[key] = built[id(child)]
            else:
                twin.append(built[id(child)])
        twin.train(module.training)
        built[id(module)] = twin
    return built[id(root)]


def _children(module):
    """(key, child) for each child of a container (Sequential, ModuleList, ModuleDict) on either side."""
    if isinstance(module, (nn.ModuleDict, torch.nn.ModuleDict)):
        return list(module.items())
    if isinstance(module, (nn.Sequential, nn.ModuleList, torch.nn.Sequential, torch.nn.ModuleList)):
        return list(enumerate(module))
    return []


def _post_order(root, table, caller, other_side):
    """Every module below ``root`` and ``root`` itself, children first; an unsupported one raises, naming it."""
    order, stack = [], [(root, False, type(root).__name__)]
    while stack:
        module, expanded, path = stack.pop()
        if type(module) not in table:
            supported = ", ".join(sorted(cls.__name__ for cls in table))
            raise TypeError(f"{caller}: {type(module).__name__} (at {path}) has no {other_side} counterpart; "
                            f"supported layers: {supported}")
        if expanded:
            order.append(module)
            continue
        stack.append((module, True, path))
        stack.extend((child, False, f"{path}[{key!r}]") for key, child in reversed(_children(module)))
    return order
