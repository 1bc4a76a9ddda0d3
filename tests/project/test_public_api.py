"""Every public name of the package before the re-layering still works from `import tinygrad_sm as tg`.

The lists are the public classes, functions and constants each facade had at revision a5108e3 (deep
module paths such as tinygrad_sm.layers moved; docs/changes.md lists them).
"""

import importlib

import pytest

import tinygrad_sm as tg

BEFORE = {
    "tinygrad_sm": ["Tensor", "arange", "cat", "concatenate", "enable_grad", "eye", "full", "full_like", "grad",
                    "gradcheck", "is_grad_enabled", "jacobian", "load", "more_ops", "nn", "no_grad", "one_hot",
                    "ones_like", "ops", "optim", "rand", "randint", "save", "set_grad_enabled", "stack", "uniform",
                    "value_and_grad", "viz", "where", "zeros_like"],
    "tinygrad_sm.nn": ["BatchNorm1d", "Dropout", "ELU", "Embedding", "Flatten", "GELU", "Identity", "LayerNorm",
                       "LeakyReLU", "Linear", "LogSoftmax", "Module", "REDUCTIONS", "ReLU", "Sequential", "Sigmoid",
                       "Softmax", "Softplus", "Tanh", "Tensor", "binary_cross_entropy",
                       "binary_cross_entropy_with_logits", "binary_logistic", "clip_grad_norm_", "cross_entropy",
                       "huber_loss", "init", "mse", "multiclass_perceptron_loss", "nll_loss", "one_hot",
                       "perceptron_loss", "smooth_l1_loss"],
    "tinygrad_sm.nn.init": ["GAINS", "calculate_gain", "constant_", "fans", "kaiming_normal_", "kaiming_uniform_",
                            "normal_", "ones_", "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_"],
    "tinygrad_sm.optim": ["Adagrad", "Adam", "AdamW", "CosineAnnealingLR", "ExponentialLR", "Optimizer", "RMSprop",
                          "SGD", "StepLR"],
    "tinygrad_sm.viz": ["BackwardSteps", "BackwardTrace", "BackwardWalk", "COLORS", "FULL", "Graph", "GraphFreed",
                        "GraphvizNotFound", "INSTALL_HINT", "backward_walk", "check_root", "draw_backward_steps",
                        "draw_graph", "edge_symbol", "explore", "format_step", "forward_order", "given_names",
                        "glance", "glance_lines", "node_labels", "retain_grads", "rule_with_names", "shape_text",
                        "tensor_kind", "to_dot", "to_html", "trace_backward"],
    "tinygrad_sm.data": ["load_dataset", "load_mnist", "minibatches", "split_and_scale"],
}


@pytest.mark.parametrize("module", sorted(BEFORE))
def test_every_public_name_from_before_the_move_still_resolves(module):
    facade = importlib.import_module(module)
    missing = [name for name in BEFORE[module] if not hasattr(facade, name)]
    assert not missing, f"{module} lost {missing}"


def test_the_documented_spellings_work_from_import_tinygrad_sm_as_tg():
    from tinygrad_sm.models import MulticlassPerceptron, SoftmaxRegression, TwoLayerNet, TwoLayerRegressor  # noqa
    assert tg.nn.Linear(2, 3, rng=0).weight.shape == (3, 2)  # PyTorch's (out, in)
    assert tg.optim.Adam([tg.Tensor([1.0], requires_grad=True)]).param_groups[0]["lr"] == 0.001
    assert tg.viz.draw_graph is importlib.import_module("tinygrad_sm.viz.dot").draw_graph
    assert tg.grad(lambda x: (x * x).sum())(tg.Tensor([3.0])).tolist() == [6.0]
    assert tg.Op is tg.ops.Op and tg.autograd.Tensor is tg.Tensor


def test_an_unknown_attribute_is_still_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'tinygrad_sm' has no attribute 'vizz'"):
        tg.vizz


CONVOLUTION_NAMES = {  # issue 18
    "tinygrad_sm.autograd": ["conv1d", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
                             "unfold", "fold"],
    "tinygrad_sm.nn": ["Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"],
}


@pytest.mark.parametrize("module", sorted(CONVOLUTION_NAMES))
def test_the_convolution_names_are_public(module):
    facade = importlib.import_module(module)
    assert all(name in facade.__all__ and callable(getattr(facade, name)) for name in CONVOLUTION_NAMES[module])
