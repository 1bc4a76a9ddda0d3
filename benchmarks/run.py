"""Benchmark: tinygrad_sm against hand-written numpy, PyTorch CPU eager and HIPS autograd.

    python benchmarks/run.py             # the full table (a few minutes), written to benchmarks/results/latest.md
    python benchmarks/run.py --quick     # a tiny version that only checks everything runs (seconds)

Everything runs in one process, interleaved: each round runs every framework once (A B C D, then
B C D A, ...), after one warm-up round, and the table quotes the median round. Data are seeded
random MNIST-shaped float32 rows (784 features, 10 classes); every framework trains in float32
with the same initial parameters and the same in-place update ``p -= lr * grad``.
torch and autograd are optional: a framework that does not import shows "n/a".
"""

import argparse
import gc
import importlib
import importlib.metadata
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

FRAMEWORKS = ("numpy", "tinygrad_sm", "torch", "autograd")
MODULES = {"numpy": "fw_numpy", "tinygrad_sm": "fw_tinygrad", "torch": "fw_torch", "autograd": "fw_autograd",
           "before": "fw_baseline"}  # "before": the revision given by --baseline, in the same process
MODEL_NAMES = {"softmax": "softmax regression", "mlp": "784-128-10 relu net"}
LR = 0.01
ADAM_LR = 1e-3

FULL = dict(rows=5000, batches=(1, 32, 256), rounds=5, op_chain=200, op_chain_calls=20,
            long_chains=(1_000, 10_000, 100_000), long_rounds=7, memory_batch=256, seconds=1.0, layernorm_batch=64)
QUICK = dict(rows=64, batches=(1, 32, 256), rounds=1, op_chain=20, op_chain_calls=2,
             long_chains=(100, 300, 1_000), long_rounds=1, memory_batch=32, seconds=0.0, layernorm_batch=32)


# ---------------------------------------------------------------- set-up

def load_frameworks(names):
    """The framework modules that import; the others are reported as missing."""
    loaded, missing = {}, {}
    for name in names:
        try:
            loaded[name] = importlib.import_module(MODULES[name])
        except ImportError as e:
            missing[name] = str(e)
    return loaded, missing


def blas_info():
    """numpy's BLAS as threadpoolctl reports it: (description, thread count)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)", os.cpu_count() or 1
    for pool in threadpool_info():
        if pool.get("user_api") == "blas" and "numpy" in pool.get("filepath", ""):
            desc = f"{pool['internal_api']} {pool['version']}, kernel {pool.get('architecture')}, " \
                   f"{pool['num_threads']} threads"
            return desc, pool["num_threads"]
    return "unknown", os.cpu_count() or 1


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def make_data(rows, seed=0):
    """MNIST-shaped random data: pixels in [0, 1), int labels, their one-hot rows, and initial parameters."""
    rng = np.random.default_rng(seed)
    X = rng.random((rows, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=rows)
    Y = np.eye(10, dtype=np.float32)[y]
    params = {
        "softmax": {"W": (rng.standard_normal((784, 10)) * 0.01).astype(np.float32),
                    "b": np.zeros(10, np.float32)},
        "mlp": {"W1": (rng.standard_normal((784, 128)) * np.sqrt(2 / 784)).astype(np.float32),
                "b1": np.zeros(128, np.float32),
                "W2": (rng.standard_normal((128, 10)) * np.sqrt(1 / 128)).astype(np.float32),
                "b2": np.zeros(10, np.float32)},
    }
    params["layernorm"] = {**params["mlp"], "gamma": np.ones(128, np.float32), "beta": np.zeros(128, np.float32)}
    return X, y, Y, params


# ---------------------------------------------------------------- timing

def interleaved(timers, rounds, warmup=1, seconds=0.0, max_rounds=51):
    """Median seconds per framework; ``timers[name]()`` runs once and returns its own elapsed seconds.

    At least ``rounds`` rounds after ``warmup``; for quick workloads more rounds, until every
    framework has ``seconds`` of timed work or ``max_rounds`` rounds are done.
    """
    names = list(timers)
    samples = {name: [] for name in names}
    r = 0
    while True:
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:  # rotate the order so no framework always goes first
            gc.collect()
            elapsed = timers[name]()
            if r >= warmup:
                samples[name].append(elapsed)
        r += 1
        done = r - warmup
        if done >= rounds and (done >= max_rounds or min(sum(s) for s in samples.values()) >= seconds):
            break
    return {name: statistics.median(s) for name, s in samples.items()}


def clock(fn, calls=1):
    def timer():
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - start) / calls
    return timer


def clock_fresh(make, seed=0):
    """Time ``make()()``: every round builds its own state (parameter copies) before the clock starts.

    Where numpy's arrays land in memory changes BLAS speed (a page-aligned operand made
    Xᵀ G 1.7x slower here), and one set of parameter copies keeps one placement for a whole
    run. Fresh copies per round, after a random-sized spacer allocation, re-draw the
    placement each round, so the median is not one lucky or unlucky layout.
    """
    rng = np.random.default_rng(seed)

    def timer():
        spacer = np.empty(int(rng.integers(1, 4096)), dtype=np.uint8)
        fn = make()
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        del fn, spacer
        return elapsed
    return timer


def clock_backward(build):
    """Time the backward pass and the freeing of the graph: ``build()`` runs the forward and returns the backward.

    The clock stops after the last reference to the graph is dropped, because frameworks free it
    at different moments: torch and tinygrad_sm (since issue 9) during backward, so that a kept
    loss does not keep the activations alive; earlier tinygrad_sm when the output was dropped.
    Timing both together compares the same work.
    """
    def timer():
        backward = build()
        start = time.perf_counter()
        backward()
        del backward
        return time.perf_counter() - start
    return timer


# ---------------------------------------------------------------- memory

def peak_tracemalloc(step):
    """Peak bytes allocated (numpy arrays and Python objects) during one call of ``step``, above the start."""
    step()  # a first step outside the measurement, so one-off allocations do not count
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    step()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def peak_torch_profiler(step):
    """Peak CPU bytes of one torch step: running sum of each op's own allocations and frees, in time order.

    torch's CPU allocator is invisible to tracemalloc, so we read the profiler's memory records
    instead; transient peaks inside a single op are not seen, so this can only under-count.
    """
    from torch.profiler import ProfilerActivity, profile
    step()
    gc.collect()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    current = peak = 0
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        current += event.self_cpu_memory_usage
        peak = max(peak, current)
    return peak


# ---------------------------------------------------------------- agreement

def as_float(loss):
    return float(loss.detach() if hasattr(loss, "detach") else loss)


def check_agreement(fws, data, batch=32, steps=3):
    """Every framework must train the same: after a few identical steps the losses agree (float32 tolerance).

    The loss of step k depends on the gradients of the steps before it, so this checks the
    backward passes too, not only the forward. Raises AssertionError on a mismatch.
    """
    X, y, Y, params = data
    for model in ("softmax", "mlp"):
        losses = {}
        for name, fw in fws.items():
            step = fw.make_step(model, params[model], X, y, Y, batch, 0.5)
            losses[name] = [as_float(step()) for _ in range(steps)]
        reference = losses["numpy"] if "numpy" in losses else next(iter(losses.values()))
        for name, values in losses.items():
            if not np.allclose(values, reference, rtol=1e-4, atol=1e-5):
                raise AssertionError(f"{MODEL_NAMES[model]}: {name} losses {values} differ from {reference}")
    print(f"  agreement: {', '.join(fws)} give the same losses over {steps} steps of both models", flush=True)


# ---------------------------------------------------------------- the rows

def layernorm_adam_agreement(fws, data, batch=32, steps=3):
    """tinygrad_sm and torch train the LayerNorm net with Adam the same: equal losses over a few steps."""
    X, y, Y, params = data
    losses = {}
    for name, fw in layernorm_frameworks(fws).items():
        _, step = fw.make_layernorm_adam(params["layernorm"], X, y, batch, ADAM_LR)
        losses[name] = [as_float(step()) for _ in range(steps)]
    if len(losses) > 1:
        (a, first), (b, second) = list(losses.items())[:2]
        if not np.allclose(first, second, rtol=1e-4, atol=1e-5):
            raise AssertionError(f"LayerNorm net with Adam: {a} losses {first} differ from {b}'s {second}")
    print(f"  agreement: {', '.join(losses)} give the same losses over {steps} Adam steps of the LayerNorm net",
          flush=True)


def layernorm_frameworks(fws):
    """The frameworks with a framework-level row (nn layers and optimizers): tinygrad_sm and torch."""
    return {name: fw for name, fw in fws.items() if hasattr(fw, "make_layernorm_adam")}


class Row:
    def __init__(self, label, unit, values, note=""):
        self.label, self.unit, self.values, self.note = label, unit, values, note


def training_rows(fws, cfg, data):
    X, y, Y, params = data
    rows = []
    for model in ("softmax", "mlp"):
        for batch in cfg["batches"]:
            timers = {name: clock_fresh(lambda fw=fw: fw.make_epoch(model, params[model], X, y, Y, batch, LR))
                      for name, fw in fws.items()}
            times = interleaved(timers, cfg["rounds"], seconds=cfg["seconds"])
            label = f"{MODEL_NAMES[model]}, batch {batch}: 1 epoch of {len(X):,} rows"
            rows.append(Row(label, "ms", {k: v * 1e3 for k, v in times.items()}))
            print_progress(rows[-1])
    return rows


def layernorm_adam_row(fws, cfg, data):
    """A small framework-level workload: a 784-128-10 relu net with LayerNorm, trained with Adam."""
    X, y, Y, params = data
    batch = cfg["layernorm_batch"]
    timers = {name: clock_fresh(lambda fw=fw: fw.make_layernorm_adam(params["layernorm"], X, y, batch, ADAM_LR)[0])
              for name, fw in layernorm_frameworks(fws).items()}
    times = interleaved(timers, cfg["rounds"], seconds=cfg["seconds"])
    row = Row(f"784-128-10 net with LayerNorm, Adam (nn + optim), batch {batch}: 1 epoch of {len(X):,} rows", "ms",
              {k: v * 1e3 for k, v in times.items()})
    print_progress(row)
    return row


def chain_input(size=16):
    return np.random.default_rng(1).uniform(0.5, 1.0, size).astype(np.float32)


def op_overhead_row(fws, cfg):
    n, calls = cfg["op_chain"], cfg["op_chain_calls"]
    x = chain_input()
    timers = {name: clock(fw.make_op_chain(x, n), calls) for name, fw in fws.items()}
    times = interleaved(timers, cfg["rounds"], seconds=cfg["seconds"])
    row = Row(f"per-op overhead: chain of {n} elementwise ops on 16 floats, forward + backward", "µs/op",
              {k: v / n * 1e6 for k, v in times.items()})
    print_progress(row)
    return row


def long_chain_rows(fws, cfg):
    x = chain_input()
    rows, per_node = [], {}
    for n in cfg["long_chains"]:
        timers = {name: clock_backward(fw.make_long_chain(x, n)) for name, fw in fws.items()}
        times = interleaved(timers, cfg["long_rounds"], seconds=cfg["seconds"])  # short chains: more rounds
        per_node[n] = {k: v / n * 1e6 for k, v in times.items()}
    longest = cfg["long_chains"][-1]
    rows.append(Row(f"backward (and freeing the graph) over a {longest:,}-op chain", "ms",
                    {k: v * longest / 1e3 for k, v in per_node[longest].items()}))
    print_progress(rows[-1])
    for n in cfg["long_chains"]:
        rows.append(Row(f"backward per node, {n:,}-node chain", "µs/node", per_node[n]))
        print_progress(rows[-1])
    return rows


def memory_rows(fws, cfg, data):
    X, y, Y, params = data
    batch = cfg["memory_batch"]
    rows = []
    for model in ("softmax", "mlp"):
        values = {}
        for name, fw in fws.items():
            step = fw.make_step(model, params[model], X, y, Y, batch, LR)
            measure = peak_torch_profiler if name == "torch" else peak_tracemalloc
            values[name] = measure(step) / 2 ** 20
        rows.append(Row(f"peak memory of one training step, {MODEL_NAMES[model]}, batch {batch}", "MiB", values))
        print_progress(rows[-1])
    return rows


# ---------------------------------------------------------------- the table

def fmt(value):
    if value is None:
        return "n/a"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if value < 1 else f"{value:.2f}"


def ratio(row, a, b):
    if a in row.values and b in row.values and row.values[b] > 0:
        return f"{row.values[a] / row.values[b]:.2f}"
    return "n/a"


def table(rows, baseline=None):
    """The markdown table; with a baseline revision, its column and the ratio current / before."""
    columns = FRAMEWORKS + (("before",) if baseline else ())
    names = [f"tinygrad_sm@{baseline}" if c == "before" else c for c in columns]
    ratios = [("tinygrad_sm", "numpy"), ("tinygrad_sm", "torch")] + ([("tinygrad_sm", "before")] if baseline else [])
    head = "| workload | unit | " + " | ".join(names) + " | " + \
        " | ".join(f"{a} / {b}" for a, b in ratios) + " |"
    lines = [head, "|" + " --- |" * (len(columns) + len(ratios) + 2)]
    for row in rows:
        cells = [fmt(row.values.get(name)) for name in columns] + [ratio(row, a, b) for a, b in ratios]
        lines.append(f"| {row.label} | {row.unit} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def print_progress(row):
    cells = "  ".join(f"{name}={fmt(v)}" for name, v in row.values.items())
    print(f"  {row.label} [{row.unit}]: {cells}", flush=True)


def machine_info(blas, threads, missing):
    versions = [f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    for name in ("torch", "autograd"):
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} not installed")
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    env = f"OPENBLAS_CORETYPE={coretype}" if coretype else "OPENBLAS_CORETYPE unset"
    return [f"- CPU: {cpu_model()}, {os.cpu_count()} cores ({platform.system()} {platform.machine()})",
            f"- Versions: {', '.join(versions)}",
            f"- numpy BLAS: {blas}; {env}",
            f"- torch threads: {threads} (set to numpy's BLAS thread count)" if "torch" not in missing else
            "- torch: not installed"]


def notes(cfg):
    return [
        "Notes:",
        f"- Each training row times one epoch (minibatch SGD, lr {LR}, float32) in every framework, interleaved in "
        f"one process: 1 warm-up round, then the median of at least {cfg['rounds']} rounds (more for fast rows, "
        f"until each framework has {cfg['seconds']:g} s of timed epochs, at most 51 rounds).",
        "- numpy: the closed-form gradients written by hand (notes: Softmax regression; Classification). "
        "tinygrad_sm and torch: `loss.backward()` then `p -= lr * p.grad`. autograd: "
        "`value_and_grad(loss)(params, X, y)` then the same update. Every round starts from fresh copies of the "
        "same initial parameters.",
        "- tinygrad_sm computes a one-example Xᵀ G (inner dimension 1) with np.dot, because numpy's matmul "
        "skips BLAS for that shape (122 µs vs 24 µs for 784×1 by 1×128); the numpy column keeps `X.T @ dz` as a "
        "user writes it, which is why tinygrad_sm beats it on the batch-1 relu net.",
        f"- The LayerNorm row trains with each framework's own layers and optimizer (tinygrad_sm.nn.LayerNorm "
        f"and optim.Adam; torch's F.layer_norm and torch.optim.Adam, lr {ADAM_LR}); numpy and autograd have "
        "no such layer, so n/a.",
        f"- Long chains: median of at least {cfg['long_rounds']} rounds (short chains: more, until each framework "
        f"has {cfg['seconds']:g} s of timed work); the backward pass is timed together with freeing the graph "
        "(torch frees it during backward; tinygrad_sm frees the values during backward and the rest, the "
        "structure kept for pictures, when the output is dropped); per-node time should stay flat as the "
        "chain grows.",
        "- Peak memory: numpy, tinygrad_sm and autograd by tracemalloc (numpy reports its arrays to it), "
        "above the memory in use before the step; torch by summing its profiler's per-op allocations in "
        "time order (torch's allocator is invisible to tracemalloc; peaks inside one op are missed).",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round: checks that everything runs")
    parser.add_argument("--rounds", type=int, help="timed rounds per row (after one warm-up round)")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS), help="comma-separated subset to run")
    parser.add_argument("--baseline", metavar="REV", help="also time tinygrad_sm as it was at git revision REV, "
                        "in the same process and interleaved, and add the ratio current / before")
    parser.add_argument("--only", default="train,layernorm,ops,chain,memory",
                        help="comma-separated sections to run: train, layernorm, ops, chain, memory")
    parser.add_argument("--threads", type=int, help="limit numpy's BLAS (and torch) to this many threads "
                        "(default: leave numpy's BLAS as it is, and give torch the same count)")
    parser.add_argument("--out", type=Path, help="markdown file for the table "
                        "(default benchmarks/results/latest.md, or quick.md.tmp, ignored by git, with --quick)")
    args = parser.parse_args(argv)

    cfg = dict(QUICK if args.quick else FULL)
    if args.rounds:
        cfg["rounds"] = cfg["long_rounds"] = args.rounds
    out = args.out or HERE / "results" / ("quick.md.tmp" if args.quick else "latest.md")
    sections = set(args.only.split(","))

    names = [f for f in args.frameworks.split(",") if f]
    if args.baseline:
        os.environ["TINYGRAD_SM_BASELINE"] = args.baseline
        names.append("before")
    fws, missing = load_frameworks(names)
    if args.baseline and "before" in missing:
        raise SystemExit(f"--baseline {args.baseline}: {missing['before']}")
    for name, why in missing.items():
        print(f"{name}: not available ({why}); its column shows n/a. Install it with `pip install -e '.[bench]'`.")
    if args.threads:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads, user_api="blas")
    blas, threads = blas_info()
    if "torch" in fws:
        import torch
        torch.set_num_threads(threads)

    info = machine_info(blas, threads, missing)
    print("\n".join(info), flush=True)
    data = make_data(cfg["rows"])
    check_agreement(fws, data)
    rows = []
    if "train" in sections:
        rows += training_rows(fws, cfg, data)
    if "layernorm" in sections:
        layernorm_adam_agreement(fws, data)
        rows.append(layernorm_adam_row(fws, cfg, data))
    if "ops" in sections:
        rows.append(op_overhead_row(fws, cfg))
    if "chain" in sections:
        rows += long_chain_rows(fws, cfg)
    if "memory" in sections:
        rows += memory_rows(fws, cfg, data)

    text = "\n".join([f"# Benchmark{' (quick)' if args.quick else ''}: "
                      f"{time.strftime('%Y-%m-%d %H:%M')}", "", *info, "", table(rows, args.baseline), "", *notes(cfg), ""])
    print()
    print(table(rows, args.baseline))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"\nwritten to {out}")
    return rows


if __name__ == "__main__":
    main()
