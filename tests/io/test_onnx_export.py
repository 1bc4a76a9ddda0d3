"""ONNX export (issue 20): every mapped op alone and inside models passes onnx.checker and gives the engine's
outputs in ONNX Runtime on fresh inputs of other batch sizes; an unmapped op is named and nothing is written."""

import numpy as np
import pytest

import tinygrad_sm as tg
from tinygrad_sm import Tensor, nn

onnx = pytest.importorskip("onnx", reason="onnx is not installed (pip install tinygrad_sm[onnx])")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install tinygrad_sm[onnx])")
from tinygrad_sm.onnx import OPS, OPSET, export  # noqa: E402

W = np.random.default_rng(7).standard_normal((3, 2)).astype(np.float32)
ONE_OP = {  # op name -> a function of x (n, 3) with values in [0.5, 2] using that op
    "add": lambda x: x + 1.5, "sub": lambda x: 0.5 - x, "mul": lambda x: x * x, "div": lambda x: 1 / x,
    "pow": lambda x: x ** 2.5, "neg": lambda x: -x, "matmul": lambda x: x @ Tensor(W),
    "relu": lambda x: (x - 1).relu(), "exp": lambda x: x.exp(), "log": lambda x: x.log(),
    "sigmoid": lambda x: x.sigmoid(), "tanh": lambda x: x.tanh(), "softplus": lambda x: x.softplus(),
    "abs": lambda x: (x - 1).abs(), "sqrt": lambda x: x.sqrt(), "sin": lambda x: x.sin(), "cos": lambda x: x.cos(),
    "maximum": lambda x: x.maximum(Tensor(np.float32(1.2))), "minimum": lambda x: x.minimum(x * 0.5 + 0.6),
    "clone": lambda x: x.clone(), "square": lambda x: x.square(), "log1p": lambda x: x.log1p(),
    "expm1": lambda x: x.expm1(), "leaky_relu": lambda x: (x - 1).leaky_relu(0.1), "elu": lambda x: (x - 1).elu(0.7),
    "gelu": lambda x: (x * 3 - 3).gelu(), "gelu_tanh": lambda x: (x * 3 - 3).gelu(approximate="tanh"),
    "erf": lambda x: (x - 1.2).erf(), "normal_cdf": lambda x: (x * 2 - 2).normal_cdf(), "clip": lambda x: x.clip(0.7, 1.5),
    "sum": lambda x: x.sum(axis=1), "mean": lambda x: x.mean(axis=1, keepdims=True), "max": lambda x: x.amax(axis=1),
    "min": lambda x: x.amin(axis=-1, keepdims=True), "softmax": lambda x: x.softmax(1),
    "log_softmax": lambda x: x.log_softmax(-1), "reshape": lambda x: x.reshape(-1, 3, 1),
    "transpose": lambda x: x.reshape(-1, 3, 1).transpose((0, 2, 1)),
    "concatenate": lambda x: tg.cat([x, x * 2], axis=1), "stack": lambda x: tg.stack([x, x + 1], axis=1),
    "astype": lambda x: x.astype(np.float64),
}


def fresh(n, d=3, seed=0):
    return np.random.default_rng(seed).uniform(0.5, 2.0, (n, d)).astype(np.float32)


def served(path, inputs):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, dict(zip([i.name for i in session.get_inputs()], inputs)))


def assert_serves_like_the_engine(model, path, make_inputs, batches=(5, 1, 9), rtol=1e-5, atol=1e-6):
    for seed, n in enumerate(batches):
        inputs = make_inputs(n, seed + 1)
        expected = model(*[Tensor(x) for x in inputs])
        got = served(path, inputs)
        np.testing.assert_allclose(got[0], expected.data, rtol=rtol, atol=atol)
        assert got[0].dtype == expected.dtype


IMAGE_OPS = {"conv2d", "conv1d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"}  # tested in
# test_conv_bridges.py, on images


def test_every_mapped_op_has_a_test_here():
    assert set(ONE_OP) | {"getitem"} | IMAGE_OPS == set(OPS)


@pytest.mark.parametrize("name", sorted(ONE_OP))
def test_each_mapped_op_alone(tmp_path, name):
    function = ONE_OP[name]
    path = export(function, fresh(4), tmp_path / f"{name}.onnx")
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == OPSET >= 17
    assert_serves_like_the_engine(function, path, lambda n, seed: [fresh(n, seed=seed)])


def models():
    return {
        "mlp": nn.Sequential(nn.Linear(3, 8, rng=0), nn.ReLU(), nn.Linear(8, 4, rng=1)),
        "every activation": nn.Sequential(nn.Linear(3, 6, rng=2), nn.Tanh(), nn.Linear(6, 6, rng=3), nn.Sigmoid(),
                                          nn.LeakyReLU(0.2), nn.ELU(), nn.GELU(), nn.Softplus(), nn.Identity(),
                                          nn.Linear(6, 4, rng=4), nn.Softmax(-1)),
        "normed": nn.Sequential(nn.Linear(3, 6, rng=5), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.5),
                                nn.LayerNorm(6), nn.Linear(6, 4, rng=6), nn.LogSoftmax(-1)),
        "flatten": nn.Sequential(nn.Flatten(), nn.Linear(3, 2, rng=7, bias=False)),
    }


@pytest.mark.parametrize("name", sorted(models()))
def test_models_serve_like_the_engine_at_any_batch_size(tmp_path, name):
    model = models()[name]
    if name == "normed":  # give BatchNorm running statistics that are not 0 and 1
        for seed in range(3):
            model(Tensor(fresh(8, seed=seed) * 3))
    path = export(model, fresh(5), tmp_path / "m.onnx")
    assert model.training  # exported in eval mode, then put back
    model.eval()
    assert_serves_like_the_engine(model, path, lambda n, seed: [fresh(n, seed=seed)])


def test_the_parameters_are_initializers_under_their_state_dict_names(tmp_path):
    model = models()["normed"]
    path = export(model, fresh(5), tmp_path / "m.onnx")
    initializers = {i.name: onnx.numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer}
    for name, value in model.state_dict().items():
        if name.endswith(("weight", "bias")):
            np.testing.assert_array_equal(initializers[name], value)


def test_an_embedding_model_gathers_rows(tmp_path):
    model = nn.Sequential(nn.Embedding(10, 3, rng=0), nn.Flatten(), nn.Linear(6, 2, rng=1))
    path = export(model, np.array([[1, 2], [3, 4], [5, 6]]), tmp_path / "e.onnx")
    assert "Gather" in {node.op_type for node in onnx.load(path).graph.node}
    rng = np.random.default_rng(0)
    assert_serves_like_the_engine(model, path, lambda n, seed: [rng.integers(0, 10, (n, 2))])


def test_an_estimators_module_exports(tmp_path):
    from sklearn.datasets import load_iris

    from tinygrad_sm.models import TwoLayerNet
    X, y = load_iris(return_X_y=True)
    net = TwoLayerNet(hidden=8, epochs=2, random_state=0).fit(X, y)
    dtype = net.module_.parameters()[0].dtype
    path = export(net, X[:4].astype(dtype), tmp_path / "net.onnx")
    scores = served(path, [X.astype(dtype)])[0]
    np.testing.assert_array_equal(net.classes_[scores.argmax(axis=1)], net.predict(X))


def test_dynamic_batch_names_the_first_axis_and_can_be_turned_off(tmp_path):
    model = models()["mlp"]
    dynamic = onnx.load(export(model, fresh(5), tmp_path / "d.onnx", input_names=["x"], output_names=["scores"]))
    assert [d.dim_param for d in dynamic.graph.input[0].type.tensor_type.shape.dim] == ["batch", ""]
    assert [o.name for o in dynamic.graph.output] == ["scores"]
    fixed = onnx.load(export(model, fresh(5), tmp_path / "f.onnx", dynamic_batch=False))
    assert [d.dim_value for d in fixed.graph.input[0].type.tensor_type.shape.dim] == [5, 3]
    served(tmp_path / "f.onnx", [fresh(5)])
    with pytest.raises(Exception, match="(?i)dimension|shape"):
        served(tmp_path / "f.onnx", [fresh(7)])


def test_two_inputs_and_two_outputs(tmp_path):
    def function(a, b):
        return a * b + 1, (a - b).tanh()

    path = export(function, (fresh(4), fresh(4, seed=2)), tmp_path / "two.onnx", input_names=["a", "b"])
    a, b = fresh(6, seed=3), fresh(6, seed=4)
    first, second = served(path, [a, b])
    np.testing.assert_allclose(first, a * b + 1, rtol=1e-6)
    np.testing.assert_allclose(second, np.tanh(a - b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("function, op", [(lambda x: x.cumsum(axis=1), "cumsum"), (lambda x: x.var(axis=1), "var"),
                                          (lambda x: x[:, :2], "getitem")])
def test_an_unmapped_op_is_named_and_nothing_is_written(tmp_path, function, op):
    with pytest.raises(NotImplementedError, match=f"onnx.export: op '{op}'"):
        export(function, fresh(4), tmp_path / "x.onnx")
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(TypeError, match="onnx.export: expected an nn.Module or a function, got int"):
        export(3, fresh(2), tmp_path / "x.onnx")
    with pytest.raises(ValueError, match=r"onnx.export: 1 distinct input names needed, got \['a', 'b'\]"):
        export(models()["mlp"], fresh(2), tmp_path / "x.onnx", input_names=["a", "b"])
    with pytest.raises(TypeError, match="onnx.export: example inputs must be float or int arrays, got dtype <U1"):
        export(models()["mlp"], np.array(["a"]), tmp_path / "x.onnx")
    assert list(tmp_path.iterdir()) == []
