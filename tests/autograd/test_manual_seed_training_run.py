"""``tg.manual_seed`` makes a whole short training run repeat: initialisation, Dropout and shuffling."""

import numpy as np

import tinygrad_sm as tg
import tinygrad_sm.nn.functional as F
from tinygrad_sm import nn, optim
from tinygrad_sm.data import minibatches


def train(seed):
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 3))
    opt = optim.SGD(model.parameters(), lr=0.1)
    X, y = tg.randn(32, 4).data, np.arange(32) % 3
    for xb, yb in minibatches(X, y, batch_size=8):
        opt.zero_grad()
        model(tg.Tensor(xb)).softmax_cross_entropy(yb).backward()
        opt.step()
    return [p.data.copy() for p in model.parameters()]


def test_two_runs_with_one_seed_end_with_equal_parameters_and_another_seed_differs():
    first, second, other = train(7), train(7), train(8)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, c) for a, c in zip(first, other))


def train_with_pytorch_spellings(seed):
    """The same run written as a PyTorch user writes it: ModuleList, F.dropout, a loss module (issue 16)."""

    class Net(nn.Module):
        def __init__(self):
            self.layers = nn.ModuleList([nn.Linear(4, 8), nn.Linear(8, 3)])

        def forward(self, x):
            return self.layers[1](F.dropout(F.relu(self.layers[0](x)), p=0.3, training=self.training))

    tg.manual_seed(seed)
    model, criterion = Net(), nn.CrossEntropyLoss(label_smoothing=0.1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    X, y = tg.randn(32, 4).data, np.arange(32) % 3
    for xb, yb in minibatches(X, y, batch_size=8):
        opt.zero_grad()
        criterion(model(tg.Tensor(xb)), yb).backward()
        opt.step()
    return [p.data.copy() for p in model.parameters()]


def test_a_run_in_pytorch_spellings_repeats_from_one_seed():
    first, second, other = (train_with_pytorch_spellings(s) for s in (3, 3, 4))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, c) for a, c in zip(first, other))
