"""Layer arguments are checked with clear errors, and Dropout stays finite where PyTorch does (issue 19)."""

import numpy as np
import pytest

from tinygrad_sm import Tensor, nn

torch = None
try:
    import torch
except ImportError:  # pragma: no cover - torch is an optional extra
    pass


def test_dropout_near_one_on_float16_gives_zeros_not_nan():
    layer = nn.Dropout(0.99999, rng=0)
    out = layer(Tensor(np.ones(100_000, np.float16))).data
    kept = out != 0
    assert not np.isnan(out).any()
    assert np.isinf(out[kept]).all()  # 1/(1 - p) = 1e5 is past float16's range, in PyTorch too
    assert kept.sum() < 10
    if torch is not None:
        torch.manual_seed(0)
        theirs = torch.nn.Dropout(0.99999)(torch.ones(100_000, dtype=torch.float16))
        assert not theirs.isnan().any() and theirs[theirs != 0].isinf().all()


@pytest.mark.parametrize("p", [np.float32(0.5), np.float64(0.25), 0, np.int64(0)])
def test_dropout_takes_numpy_numbers(p):
    layer = nn.Dropout(p, rng=0)
    assert layer.p == float(p)
    out = layer(Tensor(np.ones(1000))).data
    assert set(np.unique(out)) <= {0.0, 1 / (1 - float(p))}
    if torch is not None:
        assert torch.nn.Dropout(p).p == p


@pytest.mark.parametrize("p", [1.0001, 2, -0.1, float("nan"), float("inf"), "0.5", True, None])
def test_dropout_refuses_a_p_outside_0_1(p):
    with pytest.raises(ValueError, match=r"Dropout: p must be a number in \[0, 1\], got "):
        nn.Dropout(p)


@pytest.mark.parametrize("p", [1, 1.0])
def test_dropout_with_p_1_gives_zeros_and_zero_gradients_as_pytorch(p):
    x = Tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    out = nn.Dropout(p)(x)
    out.sum().backward()
    assert out.data.tolist() == [[0.0] * 3] * 2 and x.grad.tolist() == [[0.0] * 3] * 2
    assert np.array_equal(nn.Dropout(p).eval()(x).data, x.data)  # eval: the identity, as any p
    if torch is not None:
        assert not torch.nn.Dropout(p)(torch.ones(2, 3)).any()


@pytest.mark.parametrize("make", [lambda eps: nn.LayerNorm(3, eps=eps), lambda eps: nn.BatchNorm1d(3, eps=eps)],
                         ids=["LayerNorm", "BatchNorm1d"])
@pytest.mark.parametrize("eps", ["a", None, -1.0, float("nan"), float("inf")])
def test_norm_layers_refuse_a_bad_eps_naming_the_layer(make, eps):
    with pytest.raises(ValueError, match=r"(LayerNorm|BatchNorm1d): eps must be a finite number >= 0, got "):
        make(eps)


def test_norm_layers_take_numpy_numbers_and_a_zero_eps():
    assert nn.LayerNorm(3, eps=np.float32(1e-3)).eps == pytest.approx(1e-3)
    assert nn.BatchNorm1d(3, eps=0, momentum=np.float64(0.2)).momentum == 0.2


def test_linear_refuses_a_string_rng_naming_itself():
    with pytest.raises(TypeError, match="Linear: rng must be a numpy Generator, an int seed >= 0 or None, got 'x'"):
        nn.Linear(3, 2, rng="x")


def test_embedding_of_a_ragged_list_is_a_clear_error():
    layer = nn.Embedding(5, 2, rng=0)
    with pytest.raises(ValueError, match=r"Embedding: indices must be a rectangular array of ints, got the ragged "
                                         r"\[\[1, 2\], \[3\]\]"):
        layer([[1, 2], [3]])
    np.testing.assert_array_equal(layer([[1, 2], [3, 4]]).data, layer.weight.data[[[1, 2], [3, 4]]])
