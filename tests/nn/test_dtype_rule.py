"""Issue 16, the dtype rule: a layer with parameters refuses input of another dtype (PyTorch raises "mat1 and mat2
must have the same dtype"), naming the layer, both dtypes and the fixes; Module.to / double / float convert a model
in place; nothing ever switches a model's parameters to another dtype silently."""

import numpy as np
import pytest

import tinygrad_sm as tg
from tinygrad_sm import Tensor, nn, optim

torch = pytest.importorskip("torch", reason="torch is not installed")

LAYERS = {  # name: (the layer in a dtype, an input shape it takes)
    "Linear": (lambda dtype: nn.Linear(3, 2, dtype=dtype), (4, 3)),
    "LayerNorm": (lambda dtype: nn.LayerNorm(3, dtype=dtype), (4, 3)),
    "BatchNorm1d": (lambda dtype: nn.BatchNorm1d(3, dtype=dtype), (4, 3)),
    "BatchNorm2d": (lambda dtype: nn.BatchNorm2d(3, dtype=dtype), (2, 3, 4, 4)),
    "Conv1d": (lambda dtype: nn.Conv1d(3, 2, 2, dtype=dtype), (2, 3, 5)),
    "Conv2d": (lambda dtype: nn.Conv2d(3, 2, 2, dtype=dtype), (2, 3, 4, 4)),
    "ConvTranspose2d": (lambda dtype: nn.ConvTranspose2d(3, 2, 2, dtype=dtype), (2, 3, 4, 4)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("layer_dtype, input_dtype", [(np.float32, np.float64), (np.float64, np.float32),
                                                      (np.float32, np.int64), (np.float32, np.float16)])
def test_a_layer_refuses_input_of_another_dtype_naming_both_and_the_fix(name, layer_dtype, input_dtype):
    make, shape = LAYERS[name]
    layer = make(layer_dtype)
    x = Tensor(np.ones(shape, dtype=input_dtype))
    with pytest.raises(TypeError, match=rf"{name}: input is {np.dtype(input_dtype)} but the layer's parameters are "
                                        rf"{np.dtype(layer_dtype)}; convert the input \(x.float\(\).*model.double\(\)"):
        layer(x)
    assert all(p.dtype == layer_dtype for p in layer.parameters())


def test_pytorch_raises_too():
    with pytest.raises(RuntimeError, match="dtype"):
        torch.nn.Linear(3, 2)(torch.ones(4, 3, dtype=torch.float64))


def test_a_float32_linear_stays_float32_after_training_on_converted_float64_data():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    X = np.random.default_rng(0).standard_normal((8, 3))  # float64, as numpy makes it
    with pytest.raises(TypeError, match="Linear: input is float64"):
        model(Tensor(X))
    for _ in range(2):
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(Tensor(X).float()), np.arange(8) % 2).backward()
        opt.step()
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())


def test_module_double_float_and_to_convert_parameters_buffers_and_grads_in_place():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.LayerNorm(4))
    weight = model[0].weight
    model(Tensor(np.ones((2, 3), np.float32))).sum().backward()
    assert model.double() is model
    assert all(t.dtype == np.float64 for t in model.state_dict().values())
    assert model[0].weight is weight and weight.grad.dtype == np.float64  # the same Tensors, converted
    out = model(Tensor(np.ones((2, 3))))
    assert out.dtype == np.float64
    assert model.float().to(np.float32) is model and all(t.dtype == np.float32 for t in model.state_dict().values())
    assert model.to("cpu") is model
    with pytest.raises(TypeError, match="Sequential.to: parameters can only become a floating dtype, got int64"):
        model.to(np.int64)


def test_embedding_and_parameterless_layers_take_any_float_input():
    assert nn.Embedding(5, 2, dtype=np.float64)(np.array([1, 2])).dtype == np.float64
    for layer in (nn.ReLU(), nn.Dropout(0.0), nn.GELU(), nn.LayerNorm(3, elementwise_affine=False)):
        assert layer(Tensor(np.ones((2, 3)))).dtype == np.float64


def test_the_twin_of_a_converted_model_has_the_new_dtype():
    model = nn.Sequential(nn.Linear(3, 2)).double()
    twin = tg.to_torch(model)
    assert twin[0].weight.dtype == torch.float64
