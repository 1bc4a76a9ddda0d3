"""ONNX export: ``export(module_or_function, example_inputs, path)`` writes the forward graph the engine records
as an ONNX model (opset 17), which ONNX Runtime, TensorRT, OpenVINO and the browsers' runtimes can serve.

The export runs the model once on the example inputs, as every forward does: each result remembers the op
that made it and that op's inputs (``tensor.op``, ``op.parents``). Walking that graph back from the output
visits every op once; ``OPS`` maps each op (by its ``name``) to the ONNX nodes that compute the same thing,
so a new op is one more entry. The model's parameters and buffers become the ONNX file's initializers
under their ``state_dict`` names; any other constant (a number in ``h * 0.9``, BatchNorm's running
statistics reshaped) becomes an initializer ``const_k``. A module is exported in eval mode (as PyTorch's
``torch.onnx.export`` does) and put back in its mode afterwards.

An op with no mapping raises, naming it, before anything is written. With ``dynamic_batch=True`` (the
default) the first axis of every input is named ``batch``, so the file serves any batch size.
This module imports onnx; ``import tinygrad_sm`` never does (``pip install tinygrad_sm[onnx]``).
"""

import os

import numpy as np

from .autograd import Tensor, enable_grad
from .nn import Module

try:
    import onnx
    from onnx import helper, numpy_helper
except ModuleNotFoundError as missing:
    raise ModuleNotFoundError("tinygrad_sm.onnx needs onnx: pip install tinygrad_sm[onnx] "
                              "(or pip install onnx onnxruntime)") from missing

OPSET = 17
GELU_C = float(np.sqrt(2 / np.pi))


class Graph:
    """The ONNX nodes and initializers under construction, with a fresh name for each value."""

    def __init__(self):
        self.nodes, self.initializers, self.count = [], [], 0
        self.gather_index = []  # (input name, int array) pairs: the indices an Embedding may look up

    def fresh(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def node(self, op_type, inputs, output=None, **attributes):
        """Add one node; returns the name of its output."""
        output = output or self.fresh(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], name=self.fresh(op_type), **attributes))
        return output

    def const(self, array, name=None):
        """An initializer holding ``array``; returns its name."""
        name = name or self.fresh("const")
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def like(self, value, reference):
        """A constant with ``reference``'s dtype (ONNX's elementwise ops need equal dtypes)."""
        return self.const(np.asarray(value, dtype=reference.data.dtype))


def _reduce(onnx_op):
    """Sum/mean/max/min over ``op.axes``: ReduceSum takes its axes as an input, the others as an attribute."""
    def emit(g, op, ins, out):
        a = op.parents[0]
        axes = list(range(a.ndim)) if op.axes is None else [int(x) for x in np.atleast_1d(op.axes)]
        keep = int(bool(op.keepdims))
        if onnx_op == "ReduceSum":
            return g.node(onnx_op, [ins[0], g.const(np.array(axes, np.int64))], keepdims=keep)
        return g.node(onnx_op, ins, axes=axes, keepdims=keep)
    return emit


def _reshape(g, op, ins, out):
    shape = list(out.shape)
    a = op.parents[0]
    if shape and a.ndim and shape[0] == a.shape[0]:
        shape[0] = 0  # ONNX: copy the input's first axis, so any batch size goes through
    return g.node("Reshape", [ins[0], g.const(np.array(shape, np.int64))])


def _transpose(g, op, ins, out):
    perm = list(range(op.parents[0].ndim))[::-1] if op.axes is None else [int(x) for x in op.axes]
    return g.node("Transpose", ins, perm=perm)


def _normal_cdf(g, op, ins, out):
    """Φ(z) = ½ (1 + erf(z/√2)) (ONNX's Erf node, opset 9)."""
    z, x = ins[0], op.parents[0]
    erf = g.node("Erf", [g.node("Mul", [z, g.like(1 / np.sqrt(2), x)])])
    return g.node("Mul", [g.node("Add", [erf, g.like(1, x)]), g.like(0.5, x)])


def _gelu_erf(g, op, ins, out):
    """The exact GELU, z Φ(z)."""
    return g.node("Mul", [ins[0], _normal_cdf(g, op, ins, out)])


def _gelu(g, op, ins, out):
    """GELU's tanh form, ½ z (1 + tanh(c (z + 0.044715 z³))) (ONNX's own Gelu node needs opset 20)."""
    z, x = ins[0], op.parents[0]
    cube = g.node("Mul", [g.node("Mul", [z, z]), z])
    inner = g.node("Mul", [g.node("Add", [z, g.node("Mul", [cube, g.like(0.044715, x)])]), g.like(GELU_C, x)])
    return g.node("Mul", [g.node("Mul", [z, g.like(0.5, x)]), g.node("Add", [g.node("Tanh", [inner]), g.like(1, x)])])


def _clip(g, op, ins, out):
    x = op.parents[0]
    low = "" if op.low is None else g.like(op.low, x)
    high = "" if op.high is None else g.like(op.high, x)
    return g.node("Clip", [ins[0], low, high])


def _getitem(g, op, ins, out):
    """Row lookup by an int array (Embedding): Gather along axis 0. Other indexing has no mapping yet."""
    if isinstance(op.index, np.ndarray) and op.index.dtype.kind in "iu":
        for name, array in g.gather_index:
            if array.shape == op.index.shape and np.array_equal(array, op.index):
                return g.node("Gather", [ins[0], name], axis=0)
    raise NotImplementedError("onnx.export: op 'getitem' (t[index]) is mapped only for the rows an integer input "
                              "picks (Embedding); slicing has no ONNX mapping yet")


def _stack(g, op, ins, out):
    axis = op.axis
    return g.node("Concat", [g.node("Unsqueeze", [i, g.const(np.array([axis], np.int64))]) for i in ins], axis=axis)


def _window(win):
    """ONNX's attributes of a window: kernel_shape, strides, dilations, pads [top, left, bottom, right]."""
    (top, bottom), (left, right) = win.padding
    return {"kernel_shape": list(win.kernel), "strides": list(win.stride), "dilations": list(win.dilation),
            "pads": [top, left, bottom, right]}


def _conv(g, op, ins, out):
    """conv2d (and conv1d, which runs conv2d on images one pixel high): Conv with the op's window and groups."""
    return g.node("Conv", ins, group=int(op.groups), **_window(op.win))


def _conv_transpose(g, op, ins, out):
    """ConvTranspose: the op's window runs from its output (win.in_size) to its input (win.out_size), as conv2d's
    dX; output_padding is what the output has beyond (in - 1)·s - 2p + d(k - 1) + 1."""
    attributes = _window(op.win)
    smallest = [(n - 1) * s + d * (k - 1) + 1 - sum(p) for n, s, d, k, p in
                zip(op.win.out_size, op.win.stride, op.win.dilation, op.win.kernel, op.win.padding)]
    extra = [size - n for size, n in zip(op.win.in_size, smallest)]
    return g.node("ConvTranspose", ins, group=int(op.groups), output_padding=extra, **attributes)


def _avg_pool(g, op, ins, out):
    """AveragePool counting the padding (each window kh·kw), then × kh·kw / divisor: PyTorch's divisor at each
    window (count_include_pad, a ceil_mode overhang, divisor_override) as a constant (Ho, Wo) factor."""
    attributes = _window(op.win)
    del attributes["dilations"]  # AveragePool takes dilations only from opset 19; avg_pool2d has none
    mean = g.node("AveragePool", ins, count_include_pad=1, **attributes)
    area = op.win.kernel[0] * op.win.kernel[1]
    if np.all(op.divisor == area):
        return mean
    return g.node("Mul", [mean, g.like(area / op.divisor, op.parents[0])])


def _adaptive_avg_pool(g, op, ins, out):
    """GlobalAveragePool for a 1 × 1 output, else out = Pₕ X P_wᵀ as two MatMuls with the averaging matrices."""
    if op.rows.shape[0] == 1 and op.cols.shape[0] == 1:
        return g.node("GlobalAveragePool", ins)
    return g.node("MatMul", [g.node("MatMul", [g.const(op.rows), ins[0]]), g.const(op.cols.T)])


def _elementwise(onnx_op):
    return lambda g, op, ins, out: g.node(onnx_op, ins)


OPS = {
    "add": _elementwise("Add"), "sub": _elementwise("Sub"), "mul": _elementwise("Mul"), "div": _elementwise("Div"),
    "pow": _elementwise("Pow"), "neg": _elementwise("Neg"), "matmul": _elementwise("MatMul"),
    "relu": _elementwise("Relu"), "exp": _elementwise("Exp"), "log": _elementwise("Log"),
    "sigmoid": _elementwise("Sigmoid"), "tanh": _elementwise("Tanh"), "softplus": _elementwise("Softplus"),
    "abs": _elementwise("Abs"), "sqrt": _elementwise("Sqrt"), "sin": _elementwise("Sin"), "cos": _elementwise("Cos"),
    "maximum": _elementwise("Max"), "minimum": _elementwise("Min"), "clone": _elementwise("Identity"),
    "square": lambda g, op, ins, out: g.node("Mul", [ins[0], ins[0]]),
    "log1p": lambda g, op, ins, out: g.node("Log", [g.node("Add", [ins[0], g.like(1, op.parents[0])])]),
    "expm1": lambda g, op, ins, out: g.node("Sub", [g.node("Exp", ins), g.like(1, op.parents[0])]),
    "leaky_relu": lambda g, op, ins, out: g.node("LeakyRelu", ins, alpha=float(op.slope)),
    "elu": lambda g, op, ins, out: g.node("Elu", ins, alpha=float(op.alpha)),
    "gelu_tanh": _gelu, "gelu": _gelu_erf, "erf": _elementwise("Erf"), "normal_cdf": _normal_cdf,
    "clip": _clip,
    "sum": _reduce("ReduceSum"), "mean": _reduce("ReduceMean"), "max": _reduce("ReduceMax"),
    "min": _reduce("ReduceMin"),
    "softmax": lambda g, op, ins, out: g.node("Softmax", ins, axis=int(op.axis)),
    "log_softmax": lambda g, op, ins, out: g.node("LogSoftmax", ins, axis=int(op.axis)),
    "reshape": _reshape, "transpose": _transpose, "getitem": _getitem,
    "concatenate": lambda g, op, ins, out: g.node("Concat", ins, axis=int(op.axis)), "stack": _stack,
    "astype": lambda g, op, ins, out: g.node("Cast", ins, to=helper.np_dtype_to_tensor_dtype(out.dtype)),
    # convolution and pooling (autograd/conv_ops.py)
    "conv2d": _conv, "conv1d": _conv, "conv_transpose2d": _conv_transpose,
    "max_pool2d": lambda g, op, ins, out: g.node("MaxPool", ins, **_window(op.win)),
    "avg_pool2d": _avg_pool, "adaptive_avg_pool2d": _adaptive_avg_pool,
}


def export(module_or_function, example_inputs, path, input_names=None, output_names=None, dynamic_batch=True):
    """Trace ``module_or_function(*example_inputs)`` and write it to ``path`` as an ONNX model; returns ``path``.

    ``example_inputs``: an array or Tensor, or a tuple of them (integer arrays for Embedding's indices).
    ``input_names`` / ``output_names`` default to ``input``, ``input_1``, ... and ``output``, ``output_1``, ...
    A fitted estimator of ``tinygrad_sm.models`` exports its ``module_`` (scores from raw features).
    """
    if not isinstance(module_or_function, Module) and hasattr(module_or_function, "module_"):
        module_or_function = module_or_function.module_  # a fitted estimator of tinygrad_sm.models
    inputs = _example_tensors(example_inputs)
    input_names = _names(input_names, len(inputs), "input")
    module = module_or_function if isinstance(module_or_function, Module) else None
    if module is None and not callable(module_or_function):
        raise TypeError(f"onnx.export: expected an nn.Module or a function, got {type(module_or_function).__name__}")
    outputs = _trace(module_or_function, module, inputs)
    output_names = _names(output_names, len(outputs), "output")
    graph = Graph()
    order = _ops_in_order(outputs, inputs)
    named = dict(zip(map(id, inputs), input_names))
    graph.gather_index = [(name, t.data) for name, t in zip(input_names, inputs) if t.data.dtype.kind in "iu"]
    params = {} if module is None else {id(t): name for name, t in module.named_parameters() + module.named_buffers()}
    for tensor in order:
        ins = [_value_name(graph, parent, named, params) for parent in tensor.op.parents]
        named[id(tensor)] = OPS[tensor.op.name](graph, tensor.op, ins, tensor)
    for tensor, name in zip(outputs, output_names):
        graph.node("Identity", [_value_name(graph, tensor, named, params)], output=name)
    model = _model(graph, inputs, input_names, outputs, output_names, dynamic_batch)
    onnx.checker.check_model(model, full_check=True)
    path = os.fspath(path)
    onnx.save(model, path)
    return path


def _example_tensors(example_inputs):
    items = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    tensors = []
    for item in items:
        array = np.array(item.data if isinstance(item, Tensor) else item)
        if array.dtype.kind not in "iuf":
            raise TypeError(f"onnx.export: example inputs must be float or int arrays, got dtype {array.dtype}")
        tensors.append(Tensor(array, requires_grad=array.dtype.kind == "f"))
    return tensors


def _names(names, count, stem):
    names = [stem if i == 0 else f"{stem}_{i}" for i in range(count)] if names is None else list(names)
    if len(names) != count or len(set(names)) != count:
        raise ValueError(f"onnx.export: {count} distinct {stem} names needed, got {names}")
    return names


def _trace(function, module, inputs):
    """The outputs of one forward run with the graph recorded (a module in eval mode, its mode put back after)."""
    modes = [(m, m.training) for m in module.modules()] if module is not None else []
    if module is not None:
        module.eval()
    try:
        with enable_grad():
            result = function(*inputs)
    finally:
        for m, mode in modes:
            m.training = mode
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    if not outputs or not all(isinstance(t, Tensor) for t in outputs):
        raise TypeError("onnx.export: the model must return a Tensor or a tuple of Tensors")
    return outputs


def _ops_in_order(outputs, inputs):
    """Every recorded tensor the outputs depend on, inputs first; an op without a mapping raises, naming it."""
    order, done, stack = [], {id(t) for t in inputs}, [(t, False) for t in reversed(outputs)]
    while stack:
        tensor, expanded = stack.pop()
        if id(tensor) in done or tensor.op is None:
            continue
        if expanded:
            done.add(id(tensor))
            order.append(tensor)
            continue
        if tensor.op.name not in OPS:
            raise NotImplementedError(f"onnx.export: op {tensor.op.name!r} ({type(tensor.op).__name__}) has no ONNX "
                                      f"mapping; mapped ops: {', '.join(sorted(OPS))}. Nothing was written.")
        stack.append((tensor, True))
        stack.extend((parent, False) for parent in reversed(tensor.op.parents))
    return order


def _value_name(graph, tensor, named, params):
    """The ONNX name of a value: an input's, a computed value's, or a new initializer for a constant."""
    if id(tensor) not in named:
        named[id(tensor)] = graph.const(tensor.data, params.get(id(tensor)))
    return named[id(tensor)]


def _model(graph, inputs, input_names, outputs, output_names, dynamic_batch):
    def info(name, tensor, batch):
        shape = ["batch" if batch and i == 0 else n for i, n in enumerate(tensor.shape)]
        return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(tensor.dtype), shape)

    batch_axis_kept = dynamic_batch and inputs[0].ndim > 0
    onnx_graph = helper.make_graph(graph.nodes, "tinygrad_sm", [info(n, t, dynamic_batch and t.ndim > 0)
                                                                for n, t in zip(input_names, inputs)],
                                   [info(n, t, batch_axis_kept and t.ndim > 0 and t.shape[0] == inputs[0].shape[0])
                                    for n, t in zip(output_names, outputs)], graph.initializers)
    model = helper.make_model(onnx_graph, producer_name="tinygrad_sm", opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # ONNX Runtime 1.16 and later read it
    return model
