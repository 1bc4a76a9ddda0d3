"""The nn package's imports: each module takes the engine through its facade and only nn/module.py below it
(functional.py and loss_modules.py also the layers and losses they call)."""

import ast
import pathlib

import pytest

import tinygrad_sm
from tinygrad_sm import nn

NN_DIR = pathlib.Path(nn.__file__).parent
SIBLINGS = sorted(p.name for p in NN_DIR.glob("*.py") if p.name not in ("__init__.py", "module.py"))
OUTSIDE = ("numpy", "math", "collections")


def imports(path):
    """(level, module) for every import statement, and whether each sits at the top of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(0, alias.name, node in tree.body) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or "", node in tree.body))
    return found


def allowed(level, module, siblings_below):
    if level == 0:
        return module.split(".")[0] in OUTSIDE
    if level == 2:
        return module == "autograd"  # the engine's facade, never its inner files
    return level == 1 and module in siblings_below


# The PyTorch-spelling layer (issue 16) sits on the layers and losses it calls, and nothing sits on it.
ON_TOP = {"functional.py": ("module", "layers", "loss"), "loss_modules.py": ("module", "loss")}


@pytest.mark.parametrize("name", ["module.py"] + SIBLINGS)
def test_each_nn_module_imports_the_engine_facade_and_siblings_below_only(name):
    below = () if name == "module.py" else ON_TOP.get(name, ("module",))
    for level, module, at_top in imports(NN_DIR / name):
        assert at_top, f"nn/{name}: import of {module!r} is not at the top of the file (a lazy import)"
        assert allowed(level, module, below), f"nn/{name} imports {'.' * level}{module}"


PUBLIC_BEFORE_THE_PACKAGE = (  # dir() of the single-file nn.py, less its imports of numpy and Mapping
    "BatchNorm1d Dropout ELU Embedding Flatten GELU Identity LayerNorm LeakyReLU Linear LogSoftmax Module REDUCTIONS "
    "ReLU Sequential Sigmoid Softmax Softplus Tanh Tensor binary_cross_entropy binary_cross_entropy_with_logits "
    "binary_logistic clip_grad_norm_ cross_entropy huber_loss init mse multiclass_perceptron_loss nll_loss one_hot "
    "perceptron_loss smooth_l1_loss").split()
ADDED_FOR_PYTORCH_PARITY = ("ModuleList ModuleDict Parameter functional mse_loss l1_loss kl_div CrossEntropyLoss "
                            "NLLLoss MSELoss L1Loss BCELoss BCEWithLogitsLoss HuberLoss SmoothL1Loss KLDivLoss").split()
INIT_NAMES = ("GAINS calculate_gain constant_ fans kaiming_normal_ kaiming_uniform_ normal_ ones_ uniform_ "
              "xavier_normal_ xavier_uniform_ zeros_").split()

CONV_LAYERS = ["Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d", "Unflatten"]


def test_the_facade_keeps_every_public_name_and_shares_the_engines_one_hot():
    assert sorted(nn.__all__) == sorted(PUBLIC_BEFORE_THE_PACKAGE + ADDED_FOR_PYTORCH_PARITY + CONV_LAYERS)
    assert all(hasattr(nn, name) for name in PUBLIC_BEFORE_THE_PACKAGE)
    assert all(hasattr(nn.init, name) for name in INIT_NAMES)
    assert nn.one_hot is tinygrad_sm.one_hot and nn.Tensor is tinygrad_sm.Tensor
    assert nn.ReLU.__module__ == nn.GELU.__module__ == "tinygrad_sm.nn.activation"
