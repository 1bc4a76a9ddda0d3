"""A small MLP on the digits with the framework's building blocks, checkpointed mid-training and resumed.

Model: Linear → LayerNorm → GELU → Dropout → Linear → LayerNorm → leaky_relu → Linear, trained with
Adam, a StepLR schedule and gradient clipping (clip_grad_norm_), initialised with nn.init. It
trains twice from the same seed: once straight through, and once stopped at ``--checkpoint-epoch``,
saved with ``tinygrad_sm.save(path, model, optimizer=opt, metadata=...)``, loaded into a *fresh*
model and optimizer (built from another seed, so nothing survives by accident) and trained on.
Both runs end with the same parameters, bit for bit: every random draw (the shuffling, the
dropout masks) is seeded per epoch, and the checkpoint holds Adam's moments and step counts.

Run: python examples/mlp_from_scratch.py [--epochs 12] [--checkpoint-epoch 6] [--out out/mlp_from_scratch]
"""

import argparse
import inspect
import json
from pathlib import Path

import numpy as np

import tinygrad_sm
from tinygrad_sm import Tensor, nn, no_grad, optim
from tinygrad_sm.data import load_dataset, minibatches, split_and_scale


class MLP(nn.Module):
    def __init__(self, d_in, hidden, n_classes, dropout, seed):
        rng = np.random.default_rng(seed)
        self.fc1, self.norm1 = nn.Linear(d_in, hidden, rng=rng), nn.LayerNorm(hidden)
        self.fc2, self.norm2 = nn.Linear(hidden, hidden, rng=rng), nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, n_classes, rng=rng)
        self.dropout = nn.Dropout(dropout)
        for layer in (self.fc1, self.fc2):
            nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu", rng=rng)

    def forward(self, x):
        h = self.dropout(self.norm1(self.fc1(x)).gelu())
        h = self.norm2(self.fc2(h)).leaky_relu(0.05)
        return self.out(h)


def build(args, seed):
    model = MLP(64, args.hidden, 10, args.dropout, seed)
    opt = optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4)
    return model, opt, optim.StepLR(opt, step_size=args.lr_step, gamma=0.5)


def train_epochs(model, opt, scheduler, data, first, last, seed):
    """Epochs first..last-1; each epoch's shuffle and dropout masks come from (seed, epoch) alone."""
    X_train, y_train = data[0], data[2]
    losses = []
    for epoch in range(first, last):
        model.train()
        model.dropout.rng = np.random.default_rng([seed, epoch])
        total = 0.0
        for xb, yb in minibatches(X_train, y_train, batch_size=32, rng=[seed, epoch]):
            loss = nn.cross_entropy(model(Tensor(xb)), yb)
            opt.zero_grad()
            loss.backward()
            nn.clip_grad_norm_(model.parameters(), max_norm=5.0)
            opt.step()
            total += loss.item() * len(yb)
        scheduler.step()
        losses.append(total / len(X_train))
    return losses


def accuracy(model, X, y):
    model.eval()
    with no_grad():
        predicted = model(Tensor(X)).argmax(axis=1)
    return float((predicted.data == y).mean())


def checkpoints_hold_an_optimizer():
    """save(path, module, optimizer=..., metadata=...) comes with issue 9's checkpoint format."""
    return "optimizer" in inspect.signature(tinygrad_sm.save).parameters


def load_with_metadata(path, model, opt):
    """Load model and optimizer; return the metadata (``load`` returns it, or ``load_checkpoint`` does)."""
    result = tinygrad_sm.load(path, model, optimizer=opt)
    if isinstance(result, dict):
        return result
    from tinygrad_sm.checkpoint import load_checkpoint
    return load_checkpoint(path)["metadata"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=12, help="epochs in all (default 12)")
    parser.add_argument("--checkpoint-epoch", type=int, default=6, help="save after this many epochs (default 6)")
    parser.add_argument("--hidden", type=int, default=64, help="hidden units per layer (default 64)")
    parser.add_argument("--dropout", type=float, default=0.2, help="dropout probability (default 0.2)")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam's learning rate (default 3e-3)")
    parser.add_argument("--lr-step", type=int, default=5, help="halve the rate every this many epochs (default 5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="out/mlp_from_scratch", help="output folder (default out/mlp_from_scratch)")
    args = parser.parse_args(argv)
    if not 0 < args.checkpoint_epoch < args.epochs:
        parser.error("--checkpoint-epoch must be between 0 and --epochs")
    if not checkpoints_hold_an_optimizer():
        raise SystemExit("this tinygrad_sm's save() cannot store an optimizer yet (it needs issue 9's checkpoints)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    X_train, X_test, y_train, y_test = split_and_scale(*load_dataset("digits"), random_state=args.seed)
    data = (X_train.astype(np.float32), X_test.astype(np.float32), y_train, y_test)

    straight, opt, scheduler = build(args, args.seed)
    losses = train_epochs(straight, opt, scheduler, data, 0, args.epochs, args.seed)

    first_half, opt, scheduler = build(args, args.seed)
    train_epochs(first_half, opt, scheduler, data, 0, args.checkpoint_epoch, args.seed)
    checkpoint = out / "checkpoint.safetensors"
    tinygrad_sm.save(checkpoint, first_half, optimizer=opt,
                     metadata={"epoch": args.checkpoint_epoch, "scheduler": scheduler.state_dict()})

    resumed, opt, scheduler = build(args, args.seed + 1)  # other weights: the checkpoint must replace them all
    metadata = load_with_metadata(checkpoint, resumed, opt)
    scheduler.load_state_dict(metadata["scheduler"])
    train_epochs(resumed, opt, scheduler, data, int(metadata["epoch"]), args.epochs, args.seed)

    straight_state, resumed_state = straight.state_dict(), resumed.state_dict()
    identical = all(np.array_equal(straight_state[k], resumed_state[k]) for k in straight_state)
    result = {"epochs": args.epochs, "checkpoint_epoch": args.checkpoint_epoch, "final_loss": losses[-1],
              "test_accuracy": accuracy(straight, data[1], y_test),
              "resumed_test_accuracy": accuracy(resumed, data[1], y_test), "identical": identical}
    for epoch, loss in enumerate(losses, 1):
        print(f"epoch {epoch:>2}  loss {loss:.4f}" + ("   <- checkpoint" if epoch == args.checkpoint_epoch else ""))
    print(f"test accuracy, straight through: {result['test_accuracy']:.4f}")
    print(f"test accuracy, resumed from {checkpoint}: {result['resumed_test_accuracy']:.4f}")
    print("parameters after both runs identical bit for bit:", identical)
    (out / "result.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
