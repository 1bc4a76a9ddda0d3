"""Benchmark: convolution rows, tinygrad_sm against PyTorch CPU eager and a hand-written im2col numpy baseline,
in one process.

    python benchmarks/conv.py           # writes benchmarks/results/conv.md
    python benchmarks/conv.py --quick   # seconds: batch 4 everywhere, only checks that everything runs and agrees

Rows (float32, forward + backward to every input unless said):
- conv2d at LeNet-5's two shapes (batch 64: 1 → 6 channels 5 × 5 pad 2 on 28 × 28; 6 → 16 channels
  5 × 5 on 14 × 14) and at (100, 8, 32, 32) with a 3 × 3 kernel, 8 → 16 channels, padding 1;
- max_pool2d 2 × 2 on (64, 6, 28, 28);
- one LeNet-5 training step at batch 64 (forward, cross-entropy, backward, SGD update);
- peak memory (tracemalloc) of one conv2d forward + backward at (100, 8, 32, 32), against the im2col
  buffer that step needs (N · C·kh·kw · Ho·Wo floats).

The numpy baseline is what one writes by hand: im2col by stride tricks and one copy, one matmul, and
col2im by a loop over the kh·kw kernel offsets; max pooling by an argmax over each reshaped 2 × 2
window. numpy's BLAS and torch run on one thread (make bench sets OPENBLAS_NUM_THREADS=1). Every
framework computes the same numbers first (checked); then interleaved rounds after a warm-up, median.
"""

import argparse
import sys
import tracemalloc
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import tinygrad_sm as tg  # noqa: E402
from tinygrad_sm import Tensor, nn  # noqa: E402
from tinygrad_sm.autograd import conv2d, max_pool2d  # noqa: E402
from second_order import measure, report  # noqa: E402  (the same interleaved timing and table output)

CONV_SHAPES = [  # (what, input shape, weight shape, padding)
    ("conv2d LeNet conv1", (64, 1, 28, 28), (6, 1, 5, 5), 2),
    ("conv2d LeNet conv2", (64, 6, 14, 14), (16, 6, 5, 5), 0),
    ("conv2d", (100, 8, 32, 32), (16, 8, 3, 3), 1),
]
POOL_SHAPE = (64, 6, 28, 28)
LENET_BATCH, LR = 64, 0.01
QUICK_BATCH = 4  # --quick: every row at this batch size, to check that it runs and agrees


def conv_name(what, x_shape, w_shape, padding):
    out, channels, kh, kw = w_shape
    return f"{what} {x_shape}, {kh}×{kw}, {channels}→{out}" + (f", pad {padding}" if padding else "")


# ---------------------------------------------------------------- the hand-written numpy baseline

def im2col(x, kh, kw, padding):
    """(N, C, H, W) → (N, C·kh·kw, Ho·Wo), stride 1: one view of the windows, one copy."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding))) if padding else x
    n, c = x.shape[:2]
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, Ho, Wo, kh, kw)
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, -1), windows.shape[2:4]


def col2im(cols, x_shape, kh, kw, padding, out_size):
    n, c, h, w = x_shape
    ho, wo = out_size
    cols = cols.reshape(n, c, kh, kw, ho, wo)
    padded = np.zeros((n, c, h + 2 * padding, w + 2 * padding), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, :, i:i + ho, j:j + wo] += cols[:, :, i, j]
    return padded[:, :, padding:padding + h, padding:padding + w]


def numpy_conv_forward(x, w, b, padding):
    cols, out_size = im2col(x, w.shape[2], w.shape[3], padding)
    out = (w.reshape(w.shape[0], -1) @ cols).reshape((x.shape[0], w.shape[0]) + out_size) + b[:, None, None]
    return out, (x.shape, w, cols, padding, out_size)


def numpy_conv_backward(g, saved):
    x_shape, w, cols, padding, out_size = saved
    g_cols = g.reshape(g.shape[0], g.shape[1], -1)
    dw = np.einsum("nol,nkl->ok", g_cols, cols).reshape(w.shape)
    dx = col2im(w.reshape(w.shape[0], -1).T @ g_cols, x_shape, w.shape[2], w.shape[3], padding, out_size)
    return dx, dw, g.sum(axis=(0, 2, 3))


def pool_windows(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)


def numpy_pool_forward(x):
    windows = pool_windows(x)
    index = windows.argmax(axis=-1)[..., None]
    return np.take_along_axis(windows, index, axis=-1)[..., 0], (x.shape, index)


def numpy_pool_backward(g, saved):
    (n, c, h, w), index = saved
    spread = np.zeros(g.shape + (4,), g.dtype)
    np.put_along_axis(spread, index, g[..., None], axis=-1)
    return spread.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)


def numpy_lenet_step(params, X, y):
    """Forward, mean cross-entropy, backward and an SGD step, all by hand; returns the loss."""
    p = params
    h1, s1 = numpy_conv_forward(X, p["0.weight"], p["0.bias"], 2)
    a1 = np.maximum(h1, 0)
    m1, q1 = numpy_pool_forward(a1)
    h2, s2 = numpy_conv_forward(m1, p["3.weight"], p["3.bias"], 0)
    a2 = np.maximum(h2, 0)
    m2, q2 = numpy_pool_forward(a2)
    f = m2.reshape(len(X), -1)
    z3 = f @ p["7.weight"].T + p["7.bias"]
    a3 = np.maximum(z3, 0)
    z4 = a3 @ p["9.weight"].T + p["9.bias"]
    a4 = np.maximum(z4, 0)
    z = a4 @ p["11.weight"].T + p["11.bias"]
    z = z - z.max(axis=1, keepdims=True)
    probs = np.exp(z)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(len(y)), y]).mean()
    g = probs
    g[np.arange(len(y)), y] -= 1
    g /= len(y)
    grads = {"11.weight": g.T @ a4, "11.bias": g.sum(axis=0)}
    g = (g @ p["11.weight"]) * (z4 > 0)
    grads |= {"9.weight": g.T @ a3, "9.bias": g.sum(axis=0)}
    g = (g @ p["9.weight"]) * (z3 > 0)
    grads |= {"7.weight": g.T @ f, "7.bias": g.sum(axis=0)}
    g = numpy_pool_backward((g @ p["7.weight"]).reshape(m2.shape), q2) * (h2 > 0)
    g, grads["3.weight"], grads["3.bias"] = numpy_conv_backward(g, s2)
    g = numpy_pool_backward(g, q1) * (h1 > 0)
    _, grads["0.weight"], grads["0.bias"] = numpy_conv_backward(g, s1)
    for name, grad in grads.items():
        p[name] -= LR * grad
    return float(loss)


# ---------------------------------------------------------------- the rows of each framework

def lenet(rng=0):
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120, rng=rng), nn.ReLU(), nn.Linear(120, 84, rng=rng), nn.ReLU(),
                         nn.Linear(84, 10, rng=rng))


def data(batch=None, seed=0):
    """{row name: (x, w, b, padding)}, the pooling input, a LeNet batch (X, y); ``batch`` replaces each batch size."""
    rng = np.random.default_rng(seed)
    convs = {}
    for what, x_shape, w_shape, pad in CONV_SHAPES:
        x_shape = (batch or x_shape[0],) + x_shape[1:]
        convs[conv_name(what, x_shape, w_shape, pad)] = (
            rng.standard_normal(x_shape).astype(np.float32), (rng.standard_normal(w_shape) * 0.1).astype(np.float32),
            rng.standard_normal(w_shape[0]).astype(np.float32), pad)
    pool = rng.standard_normal((batch or POOL_SHAPE[0],) + POOL_SHAPE[1:]).astype(np.float32)
    X = rng.random((batch or LENET_BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, len(X))
    return convs, pool, X, y


def pool_name(pool):
    return f"max_pool2d 2×2 {pool.shape}"


def numpy_rows(convs, pool, X, y, state):
    rows = {}
    for name, (x, w, b, pad) in convs.items():
        def step(x=x, w=w, b=b, pad=pad):
            out, saved = numpy_conv_forward(x, w, b, pad)
            return out, numpy_conv_backward(np.ones_like(out), saved)
        rows[name] = step

    def pool_step():
        out, saved = numpy_pool_forward(pool)
        return out, numpy_pool_backward(np.ones_like(out), saved)
    rows[pool_name(pool)] = pool_step
    params = {k: v.copy() for k, v in state.items()}
    rows[f"LeNet-5 training step, batch {len(X)}"] = lambda: numpy_lenet_step(params, X, y)
    return rows


def tinygrad_rows(convs, pool, X, y, state):
    rows = {}
    for name, (x, w, b, pad) in convs.items():
        def step(x=x, w=w, b=b, pad=pad):
            tx, tw, tb = (Tensor(a, requires_grad=True) for a in (x, w, b))
            out = conv2d(tx, tw, tb, padding=pad)
            out.backward(np.ones(out.shape, np.float32))
            return out.data, (tx.grad, tw.grad, tb.grad)
        rows[name] = step

    def pool_step():
        tx = Tensor(pool, requires_grad=True)
        out = max_pool2d(tx, 2)
        out.backward(np.ones(out.shape, np.float32))
        return out.data, tx.grad
    rows[pool_name(pool)] = pool_step
    model = lenet()
    model.load_state_dict(state)
    optimizer = tg.optim.SGD(model.parameters(), lr=LR)

    def train_step():
        loss = nn.cross_entropy(model(Tensor(X)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()
    rows[f"LeNet-5 training step, batch {len(X)}"] = train_step
    return rows


def torch_rows(convs, pool, X, y, state):
    import torch
    torch.set_num_threads(1)
    F = torch.nn.functional
    rows = {}
    for name, (x, w, b, pad) in convs.items():
        def step(x=torch.tensor(x), w=torch.tensor(w), b=torch.tensor(b), pad=pad):
            tx, tw, tb = (a.clone().requires_grad_(True) for a in (x, w, b))
            out = F.conv2d(tx, tw, tb, padding=pad)
            out.backward(torch.ones_like(out))
            return out.detach().numpy(), (tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy())
        rows[name] = step
    pool_t = torch.tensor(pool)

    def pool_step():
        tx = pool_t.clone().requires_grad_(True)
        out = F.max_pool2d(tx, 2)
        out.backward(torch.ones_like(out))
        return out.detach().numpy(), tx.grad.numpy()
    rows[pool_name(pool)] = pool_step
    model = tg.to_torch(lenet().train())
    model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    tX, ty = torch.tensor(X), torch.tensor(y)

    def train_step():
        loss = F.cross_entropy(model(tX), ty)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()
    rows[f"LeNet-5 training step, batch {len(X)}"] = train_step
    return rows


# ---------------------------------------------------------------- checks and measurements

def assert_same(results, row):
    """Every framework's outputs and gradients of ``row`` agree to float32 rounding."""
    reference = None
    for framework, value in results.items():
        flat = [np.asarray(v) for v in _leaves(value)]
        if reference is None:
            reference = (framework, flat)
            continue
        for a, b in zip(flat, reference[1]):
            np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-3,
                                       err_msg=f"{row}: {framework} and {reference[0]} differ")


def _leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def check_agreement(frameworks, convs, pool, X, y, state):
    """One call of each row per framework (fresh models for the training step), compared."""
    fresh = {fw: make(convs, pool, X, y, state) for fw, make in frameworks.items()}
    for row in next(iter(fresh.values())):
        assert_same({fw: rows[row]() for fw, rows in fresh.items()}, row)




def peak_memory(step):
    """The peak of numpy's allocations during one call (tracemalloc), in MB."""
    step()  # warm-up, so lazily made caches do not count
    tracemalloc.start()
    tracemalloc.reset_peak()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2 ** 20


def memory_rows(convs):
    """(the im2col buffer, the numpy baseline's peak, tinygrad_sm's peak) of the last conv row, in MB."""
    name = list(convs)[-1]
    x, w, b, pad = convs[name]
    buffer = x.shape[0] * w.shape[1] * w.shape[2] * w.shape[3] * x.shape[2] * x.shape[3] * 4 / 2 ** 20
    no_pool = np.zeros((2, 1, 2, 2), np.float32)
    numpy_step = numpy_rows(convs, no_pool, np.zeros((1, 1, 28, 28), np.float32), np.zeros(1, int), {})[name]
    tg_step = tinygrad_rows(convs, no_pool, np.zeros((1, 1, 28, 28), np.float32), np.zeros(1, int),
                            lenet().state_dict())[name]
    return name, buffer, peak_memory(numpy_step), peak_memory(tg_step)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(HERE / "results" / "conv.md"))
    args = parser.parse_args(argv)
    rounds, calls = (1, 1) if args.quick else (7, 5)
    convs, pool, X, y = data(QUICK_BATCH if args.quick else None)
    state = lenet().state_dict()
    frameworks = {"numpy im2col": numpy_rows, "tinygrad_sm": tinygrad_rows}
    try:
        import torch  # noqa: F401
        frameworks["torch"] = torch_rows
    except ImportError:
        pass
    check_agreement(frameworks, convs, pool, X, y, state)
    built = {fw: make(convs, pool, X, y, state) for fw, make in frameworks.items()}
    ms = measure({(fw, row): fn for fw, rows in built.items() for row, fn in rows.items()}, rounds, calls)
    names = list(built)
    lines = ["# Convolution rows (benchmarks/conv.py)", "",
             f"float32; median of {rounds} interleaved rounds of {calls} calls after a warm-up; numpy's BLAS "
             "and torch on 1 thread; every framework checked to compute the same values first.", "",
             "| row | " + " | ".join(f"{fw} (ms)" for fw in names) + " | tinygrad_sm / numpy |"
             + (" tinygrad_sm / torch |" if "torch" in names else ""),
             "|---|" + "---:|" * (len(names) + 1 + ("torch" in names))]
    for row in built["tinygrad_sm"]:
        cells = [f"{ms[(fw, row)]:.2f}" for fw in names]
        cells.append(f"{ms[('tinygrad_sm', row)] / ms[('numpy im2col', row)]:.2f}")
        if "torch" in names:
            cells.append(f"{ms[('tinygrad_sm', row)] / ms[('torch', row)]:.2f}")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    name, buffer, numpy_peak, tinygrad_peak = memory_rows(convs)
    lines += ["", f"Peak memory (tracemalloc) of one forward + backward of {name}, against its im2col buffer of "
              f"{buffer:.1f} MB: numpy baseline {numpy_peak:.1f} MB ({numpy_peak / buffer:.2f}×), tinygrad_sm "
              f"{tinygrad_peak:.1f} MB ({tinygrad_peak / buffer:.2f}×)."]
    report(lines, args)
    return ms


if __name__ == "__main__":
    main()
