"""Benchmark: second-order rows, tinygrad_sm against PyTorch CPU eager in one process.

    python benchmarks/second_order.py           # writes benchmarks/results/second_order.md
    python benchmarks/second_order.py --quick   # seconds: only checks that everything runs

Model: a 784-128-10 tanh net (tanh, not relu, so the Hessian is not mostly zeros), float32,
batch 32 of seeded random MNIST-shaped rows, the same initial parameters in both frameworks.
Rows: one gradient (loss.backward), one Hessian-vector product over all parameters (gradient
with create_graph, then the gradient of ⟨g, v⟩), and one gradient-penalty step (loss + λ‖∂loss/∂X‖²,
backward to the parameters, SGD update). The ratio hvp / gradient says what the second pass costs
in each framework. Interleaved rounds after a warm-up; the table quotes the median.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import tinygrad_sm as tg  # noqa: E402
from tinygrad_sm import Tensor, autograd  # noqa: E402

LAMBDA, LR = 0.1, 0.01


def setup(batch, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    shapes = {"W1": (784, 128), "b1": (128,), "W2": (128, 10), "b2": (10,)}
    params = {k: (rng.standard_normal(s) * 0.05).astype(np.float32) for k, s in shapes.items()}
    v = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
    return X, y, params, v


def tinygrad_rows(X, y, params, v):
    p = {k: Tensor(a.copy(), requires_grad=True) for k, a in params.items()}
    names = list(p)

    def loss_of(x):
        return ((x @ p["W1"] + p["b1"]).tanh() @ p["W2"] + p["b2"]).softmax_cross_entropy(y)

    def gradient():
        return autograd.grad(loss_of(Tensor(X)), [p[k] for k in names])

    def hvp():
        grads = autograd.grad(loss_of(Tensor(X)), [p[k] for k in names], create_graph=True)
        dot = sum(((g * v[k]).sum() for g, k in zip(grads[1:], names[1:])), (grads[0] * v[names[0]]).sum())
        return autograd.grad(dot, [p[k] for k in names])

    def penalty_step():
        x = Tensor(X, requires_grad=True)
        loss = loss_of(x)
        gx, = autograd.grad(loss, x, create_graph=True)
        total = loss + LAMBDA * (gx * gx).sum()
        grads = autograd.grad(total, [p[k] for k in names])
        with tg.no_grad():
            for k, g in zip(names, grads):
                p[k] -= LR * g.data
    return {"gradient": gradient, "hvp": hvp, "gradient penalty step": penalty_step}


def torch_rows(X, y, params, v):
    import torch
    torch.set_num_threads(1)
    p = {k: torch.tensor(a.copy(), requires_grad=True) for k, a in params.items()}
    tv = {k: torch.tensor(a) for k, a in v.items()}
    tX, ty = torch.tensor(X), torch.tensor(y)
    names = list(p)

    def loss_of(x):
        return torch.nn.functional.cross_entropy(torch.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"], ty)

    def gradient():
        return torch.autograd.grad(loss_of(tX), [p[k] for k in names])

    def hvp():
        grads = torch.autograd.grad(loss_of(tX), [p[k] for k in names], create_graph=True)
        dot = sum((g * tv[k]).sum() for g, k in zip(grads, names))
        return torch.autograd.grad(dot, [p[k] for k in names])

    def penalty_step():
        x = tX.clone().requires_grad_(True)
        loss = loss_of(x)
        gx, = torch.autograd.grad(loss, x, create_graph=True)
        total = loss + LAMBDA * (gx * gx).sum()
        grads = torch.autograd.grad(total, [p[k] for k in names])
        with torch.no_grad():
            for k, g in zip(names, grads):
                p[k] -= LR * g
    return {"gradient": gradient, "hvp": hvp, "gradient penalty step": penalty_step}


def check_same_hvp(X, y, params, v):
    """The two frameworks' Hessian-vector products agree (float32 rounding)."""
    ours = [g.data for g in tinygrad_rows(X, y, params, v)["hvp"]()]
    theirs = [g.numpy() for g in torch_rows(X, y, params, v)["hvp"]()]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


def measure(rows, rounds, calls):
    """Median over interleaved rounds of the time per call, in ms, per (framework, row)."""
    times = {key: [] for key in rows}
    for r in range(rounds + 1):  # round 0 warms up
        for key in (list(rows) if r % 2 else list(reversed(rows))):
            start = time.perf_counter()
            for _ in range(calls):
                rows[key]()
            if r:
                times[key].append((time.perf_counter() - start) / calls * 1e3)
    return {key: statistics.median(t) for key, t in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(HERE / "results" / "second_order.md"))
    args = parser.parse_args(argv)
    rounds, calls, batch = (1, 1, 4) if args.quick else (7, 10, 32)
    X, y, params, v = setup(batch)
    frameworks = {"tinygrad_sm": tinygrad_rows(X, y, params, v)}
    try:
        frameworks["torch"] = torch_rows(X, y, params, v)
        check_same_hvp(X, y, params, v)
    except ImportError:
        pass
    rows = {(fw, row): fn for fw, fns in frameworks.items() for row, fn in fns.items()}
    ms = measure(rows, rounds, calls)
    names = list(frameworks)
    lines = ["# Second-order rows (benchmarks/second_order.py)", "",
             f"784-128-10 tanh net, float32, batch {batch}; median of {rounds} interleaved rounds of {calls} calls; "
             "torch on 1 thread.", "",
             "| row | " + " | ".join(f"{fw} (ms)" for fw in names) + " |",
             "|---|" + "---:|" * len(names)]
    for row in ("gradient", "hvp", "gradient penalty step"):
        lines.append(f"| {row} | " + " | ".join(f"{ms[(fw, row)]:.2f}" for fw in names) + " |")
    lines.append("| ratio hvp / gradient | " + " | ".join(f"{ms[(fw, 'hvp')] / ms[(fw, 'gradient')]:.2f}"
                                                     for fw in names) + " |")
    report(lines, args)
    return ms


def report(lines, args):
    """Print the table and, unless --quick, write it to args.out (benchmarks/conv.py reports the same way)."""
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
