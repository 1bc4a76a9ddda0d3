"""Take your model with you: train on tinygrad_sm, continue in PyTorch, serve with ONNX Runtime.

1. tinygrad_sm trains a small MLP on the digits (8×8 images, 10 classes) and saves it as safetensors.
2. PyTorch loads that file into its own nn.Sequential (same keys, shapes and layouts), checks that it
   predicts what tinygrad_sm predicts, trains it on for a few epochs and saves it as safetensors again.
3. tinygrad_sm loads PyTorch's file, exports the model to ONNX, and ONNX Runtime serves it.
The same ten test digits are then classified by all three, and the predictions agree.

Needs the extras: pip install tinygrad_sm[torch,onnx].
Run: python examples/graduate.py [out_dir] [--epochs 5] [--torch-epochs 3]
"""

from pathlib import Path

import numpy as np

import tinygrad_sm as tg
from _cli import parser
from tinygrad_sm import Tensor, nn, optim
from tinygrad_sm.data import load_dataset, minibatches, split_and_scale


def mlp():
    return nn.Sequential(nn.Linear(64, 32, rng=0), nn.ReLU(), nn.Linear(32, 10, rng=1))


def train_tinygrad_sm(X, y, epochs):
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for epoch in range(epochs):
        for xb, yb in minibatches(X, y, batch_size=32, rng=epoch):
            opt.zero_grad()
            nn.cross_entropy(model(Tensor(xb)), yb).backward()
            opt.step()
    return model


def train_torch(torch, path, X, y, X_test, epochs):
    """PyTorch picks the model up from the safetensors file (its scores on X_test then) and trains it on."""
    from safetensors.torch import load_file, save_file
    twin = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    twin.load_state_dict(load_file(path))
    first_scores = twin(torch.from_numpy(X_test)).detach().numpy()
    opt = torch.optim.SGD(twin.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(epochs):
        for xb, yb in minibatches(X, y, batch_size=32, rng=100 + epoch):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(twin(torch.from_numpy(xb)), torch.from_numpy(yb)).backward()
            opt.step()
    save_file(twin.state_dict(), path.with_name("digits_mlp_torch.safetensors"))
    return twin, first_scores, path.with_name("digits_mlp_torch.safetensors")


def main(out_dir="out/graduate", epochs=5, torch_epochs=3):
    import onnxruntime
    import torch
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    X_train, X_test, y_train, y_test = split_and_scale(*load_dataset("digits"))
    X_train, X_test = X_train.astype(np.float32), X_test.astype(np.float32)

    model = train_tinygrad_sm(X_train, y_train, epochs)
    ours_before = model(Tensor(X_test)).data
    path = Path(tg.save(out / "digits_mlp.safetensors", model))
    print(f"1. tinygrad_sm trained {epochs} epochs: test accuracy {(ours_before.argmax(1) == y_test).mean():.4f}; "
          f"saved {path}")

    twin, torch_before, torch_path = train_torch(torch, path, X_train, y_train, X_test, torch_epochs)
    same_start = np.array_equal(torch_before.argmax(1), ours_before.argmax(1))
    print(f"2. PyTorch loaded it: the same predictions on all {len(y_test)} test digits: {same_start} "
          f"(largest score difference {np.abs(torch_before - ours_before).max():.2e})")
    torch_scores = twin(torch.from_numpy(X_test)).detach().numpy()
    print(f"   PyTorch trained {torch_epochs} more epochs: test accuracy "
          f"{(torch_scores.argmax(1) == y_test).mean():.4f}; saved {torch_path}")

    served = tg.load(torch_path, mlp())
    onnx_path = tg.onnx.export(served, X_test[:4], out / "digits_mlp.onnx", input_names=["image"])
    session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    onnx_scores = session.run(None, {"image": X_test})[0]
    ours_scores = served(Tensor(X_test)).data
    print(f"3. tinygrad_sm loaded PyTorch's file and exported {onnx_path}; ONNX Runtime serves it")

    predictions = {"tinygrad_sm": ours_scores.argmax(1), "PyTorch": torch_scores.argmax(1),
                   "ONNX Runtime": onnx_scores.argmax(1)}
    print("\nthe first ten test digits, true labels:", " ".join(map(str, y_test[:10])))
    for name, predicted in predictions.items():
        print(f"  {name:<12} predicts:        {' '.join(map(str, predicted[:10]))}   "
              f"(test accuracy {(predicted == y_test).mean():.4f})")
    agree = all(np.array_equal(p, predictions["PyTorch"]) for p in predictions.values())
    print(f"all three agree on all {len(y_test)} test digits: {agree}; largest score difference "
          f"{max(np.abs(ours_scores - torch_scores).max(), np.abs(onnx_scores - torch_scores).max()):.2e}")
    return {"predictions": predictions, "agree": agree, "same_start": same_start, "y_test": y_test,
            "scores": {"tinygrad_sm": ours_scores, "PyTorch": torch_scores, "ONNX Runtime": onnx_scores},
            "before": {"tinygrad_sm": ours_before, "PyTorch": torch_before}}


if __name__ == "__main__":
    cli = parser(__doc__, "out/graduate")
    cli.add_argument("--epochs", type=int, default=5, help="tinygrad_sm's epochs (default 5)")
    cli.add_argument("--torch-epochs", type=int, default=3, help="PyTorch's further epochs (default 3)")
    args = cli.parse_args()
    main(args.out_dir, args.epochs, args.torch_epochs)
