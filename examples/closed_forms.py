"""Every closed-form gradient in the notes, next to the engine's gradient of the same loss.

For each formula: the engine runs the forward and backward on random data (float64), the
formula is written out in numpy exactly as the note states it, and the table shows the
largest absolute difference. The same table goes to the output folder as closed_forms.png
and closed_forms.md: formula, the engine's numbers, the closed form's, and their difference.

Run: python examples/closed_forms.py [out_dir]
"""

from pathlib import Path

import numpy as np

import _cli
from tinygrad_sm import Tensor

NOTE_000 = "Multiclass Classification"  # the notes' titles; TOPICS is the short form the table shows
NOTE_001 = "Softmax regression (aka multinomial logistic regression), CS 453X Class 8"
NOTE_002 = "Multi-class classification with Softmax function"
NOTE_003 = "Classification, CS 577 Deep Learning Lecture 04"
TOPICS = {NOTE_000: "Multiclass Classification", NOTE_001: "Softmax regression",
          NOTE_002: "Softmax function", NOTE_003: "Classification"}


def param(array):
    return Tensor(np.array(array, dtype=np.float64), requires_grad=True)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# Each check returns (engine gradient, formula gradient), both numpy arrays.

def softmax_regression_batch(rng, n=8, d=5, k=4):
    """001: ∇_W f_CE = (1/n) X (Ŷ - Y); our X holds examples in rows, so it is Xᵀ(Ŷ - Y) / n."""
    X, y = rng.standard_normal((n, d)), rng.integers(0, k, n)
    W = param(rng.standard_normal((d, k)))
    (Tensor(X) @ W).softmax_cross_entropy(y).backward()
    Y = np.eye(k)[y]
    return W.grad, X.T @ (softmax(X @ W.data) - Y) / n


def softmax_regression_one_weight_vector(rng, d=5, k=4):
    """001: ∇_{w_k} f_CE = x (ŷ_k - y_k) for one example, one column w_k of W at a time."""
    x, y = rng.standard_normal(d), int(rng.integers(0, k))
    W = param(rng.standard_normal((d, k)))
    (W.T @ Tensor(x)).softmax_cross_entropy(np.array(y)).backward()
    residual = softmax(W.data.T @ x) - np.eye(k)[y]
    return W.grad, np.stack([x * residual[j] for j in range(k)], axis=1)


def multinomial_theta_rows(rng, d=4, k=3):
    """000: ∂J/∂Θ_j = -Σ_k T_k (I[k = j] - softmax(Θx)_j) xᵀ = (softmax(Θx)_j - T_j) xᵀ, Θ of size K × (D + 1)."""
    x = np.append(rng.standard_normal(d), 1.0)  # the bias folded in as a constant feature
    y = int(rng.integers(0, k))
    theta = param(rng.standard_normal((k, d + 1)))
    (theta @ Tensor(x)).softmax_cross_entropy(np.array(y)).backward()
    T, p = np.eye(k)[y], softmax(theta.data @ x)
    rows = [-sum(T[c] * ((c == j) - p[j]) for c in range(k)) * x for j in range(k)]
    return theta.grad, np.stack(rows)


def softmax_jacobian(rng, k=5):
    """002: ∂y_i/∂z_j = y_i(1 - y_i) if i = j, -y_i y_j otherwise; row i from backward with seed e_i."""
    z_values = rng.standard_normal(k)
    rows = []
    for i in range(k):
        z = param(z_values)
        z.softmax().backward(np.eye(k)[i])
        rows.append(z.grad)
    y = softmax(z_values)
    return np.stack(rows), np.diag(y) - np.outer(y, y)


def cross_entropy_wrt_logits(rng, k=5):
    """002: ∂ξ/∂z_i = y_i - t_i for the cross-entropy ξ = -Σ t_c log y_c of y = softmax(z)."""
    z, label = param(rng.standard_normal(k)), int(rng.integers(0, k))
    z.softmax_cross_entropy(np.array(label)).backward()
    return z.grad, softmax(z.data) - np.eye(k)[label]


def cross_entropy_through_log_of_softmax(rng, k=5):
    """003: ∂L/∂z = p - onehot(y) for L(z, y) = -log(softmax(z)_y), built from the separate softmax and log ops."""
    z, label = param(rng.standard_normal(k)), int(rng.integers(0, k))
    (-z.softmax()[label].log()).backward()
    return z.grad, softmax(z.data) - np.eye(k)[label]


def perceptron_loss(rng, d=4):
    """003: ∇_w max{0, -y wᵀx} = -y x if y wᵀx < 0 (a mistake), 0 otherwise; checked on both cases."""
    engine, formula = [], []
    w_values, x = rng.standard_normal(d), rng.standard_normal(d)
    for y in (+1.0, -1.0):
        w = param(w_values)
        (-y * (w @ Tensor(x))).relu().backward()
        engine.append(w.grad)
        formula.append(-y * x if y * (w_values @ x) < 0 else np.zeros(d))
    return np.stack(engine), np.stack(formula)


def logistic_loss(rng, d=4):
    """003: ∂/∂z log(1 + e^{-yz}) = -y e^{-yz} / (1 + e^{-yz}), so ∇_w = that times x."""
    w, x, y = param(rng.standard_normal(d)), rng.standard_normal(d), -1.0
    (-y * (w @ Tensor(x))).softplus().backward()
    z = w.data @ x
    return w.grad, -y * np.exp(-y * z) / (1 + np.exp(-y * z)) * x


def two_layer_regression(rng, d=3, m=10):
    """003: J = (y - z)², z = w2ᵀ g(h) + b2, h = W1 x + b1: ∂J/∂w2 = -2(y - z) g(h),
    ∂J/∂b2 = -2(y - z), ∂J/∂W1 = -2(y - z)(w2 ⊙ g'(h)) xᵀ, ∂J/∂b1 = -2(y - z)(w2 ⊙ g'(h)); g = relu."""
    x, y = rng.standard_normal(d), 0.7
    W1, b1, w2, b2 = (param(rng.standard_normal(s)) for s in ((m, d), m, m, ()))
    z = w2 @ (W1 @ Tensor(x) + b1).relu() + b2
    ((y - z) ** 2).backward()
    h = W1.data @ x + b1.data
    g, g_prime, r = np.maximum(h, 0), (h > 0).astype(float), -2 * (y - z.item())
    engine = np.concatenate([w2.grad, [b2.grad], W1.grad.ravel(), b1.grad])
    formula = np.concatenate([r * g, [r], np.outer(r * w2.data * g_prime, x).ravel(), r * w2.data * g_prime])
    return engine, formula


def two_layer_logistic(rng, d=3, m=10):
    """003: J = log(1 + e^{-yz}) on the same network: ∂J/∂W1 = ∂L/∂z (w2 ⊙ g'(h)) xᵀ,
    with ∂L/∂z = -y e^{-yz}/(1 + e^{-yz})."""
    x, y = rng.standard_normal(d), 1.0
    W1, b1, w2, b2 = (param(rng.standard_normal(s)) for s in ((m, d), m, m, ()))
    z = w2 @ (W1 @ Tensor(x) + b1).relu() + b2
    (-y * z).softplus().backward()
    h = W1.data @ x + b1.data
    dz = -y * np.exp(-y * z.item()) / (1 + np.exp(-y * z.item()))
    return W1.grad, dz * np.outer(w2.data * (h > 0), x)


def two_layer_multiclass(rng, d=3, m=6, k=4):
    """003: z = W2ᵀ g(h) + b2, h = W1 x + b1, L = cross-entropy: ∂J/∂W2 = g(h) (∂L/∂z)ᵀ, ∂J/∂b2 = ∂L/∂z,
    ∂J/∂W1 = ((W2 ∂L/∂z) ⊙ g'(h)) xᵀ, ∂J/∂b1 = (W2 ∂L/∂z) ⊙ g'(h). (The slide writes h = W1ᵀx; with
    the xᵀ on the right of ∂J/∂W1 the shapes agree for W1 of size m × d, which we use.)"""
    x, label = rng.standard_normal(d), int(rng.integers(0, k))
    W1, b1, W2, b2 = (param(rng.standard_normal(s)) for s in ((m, d), m, (m, k), k))
    z = W2.T @ (W1 @ Tensor(x) + b1).relu() + b2
    z.softmax_cross_entropy(np.array(label)).backward()
    h = W1.data @ x + b1.data
    dz = softmax(z.data) - np.eye(k)[label]
    back = (W2.data @ dz) * (h > 0)
    engine = np.concatenate([W2.grad.ravel(), b2.grad, W1.grad.ravel(), b1.grad])
    formula = np.concatenate([np.outer(np.maximum(h, 0), dz).ravel(), dz, np.outer(back, x).ravel(), back])
    return engine, formula


CHECKS = [
    (NOTE_001, "∇_W f_CE = (1/n) X(Ŷ - Y)", softmax_regression_batch),
    (NOTE_001, "∇_{w_k} f_CE = x(ŷ_k - y_k)", softmax_regression_one_weight_vector),
    (NOTE_000, "∂J/∂Θ_j = -Σ_k T_k(I[k=j] - softmax_j) xᵀ", multinomial_theta_rows),
    (NOTE_002, "∂y_i/∂z_j = y_i(δ_ij - y_j)", softmax_jacobian),
    (NOTE_002, "∂ξ/∂z = y - t", cross_entropy_wrt_logits),
    (NOTE_003, "∂L/∂z = p - onehot(y)", cross_entropy_through_log_of_softmax),
    (NOTE_003, "∇_w max{0, -y wᵀx} = -y x on a mistake", perceptron_loss),
    (NOTE_003, "∂/∂z log(1+e^{-yz}) = -y e^{-yz}/(1+e^{-yz})", logistic_loss),
    (NOTE_003, "two-layer regression: -2(y - z)(w2 ⊙ g'(h)) xᵀ, ...", two_layer_regression),
    (NOTE_003, "two-layer logistic: ∂L/∂z (w2 ⊙ g'(h)) xᵀ", two_layer_logistic),
    (NOTE_003, "two-layer multiclass: ((W2 ∂L/∂z) ⊙ g'(h)) xᵀ, ...", two_layer_multiclass),
]


def run_checks(seed=0):
    """One row per closed form: note, formula, engine gradient, formula gradient, largest difference."""
    rng = np.random.default_rng(seed)
    rows = []
    for note, formula, check in CHECKS:
        engine, expected = check(rng)
        rows.append({"note": note, "formula": formula, "engine": engine, "expected": expected,
                     "max_diff": float(np.max(np.abs(engine - expected)))})
    return rows


def table_rows(rows):
    """The table a learner reads: note, formula, a few entries of each side, and the largest difference."""
    table = []
    for r in rows:
        largest = np.argsort(-np.abs(np.ravel(r["expected"])), kind="stable")[:3]  # the entries that say most
        table.append([TOPICS[r["note"]], r["formula"], _entries(r["engine"], largest), _entries(r["expected"], largest),
                      f"{r['max_diff']:.1e}" if r["max_diff"] else "0 (identical)"])
    return table


def _entries(array, picked):
    flat = np.ravel(array)
    return ", ".join(f"{flat[i]:+.4f}" for i in picked) + f"  (3 largest of {flat.size})"


HEADER = ["note", "formula (as the note writes it)", "engine", "closed form", "largest |difference|"]


def write_markdown(rows, path):
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table_rows(rows)]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def plot_table(rows, path):
    """The table as a picture (plain text cells: nothing for matplotlib to read as TeX)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = table_rows(rows)
    fig, ax = plt.subplots(figsize=(18, 0.36 * (len(cells) + 2)))
    ax.axis("off")
    table = ax.table(cellText=cells, colLabels=HEADER, loc="center", cellLoc="left",
                     colWidths=[0.14, 0.3, 0.22, 0.22, 0.1])
    table.auto_set_font_size(False)
    table.set_fontsize(10)
    table.scale(1, 1.5)
    for (row, column), cell in table.get_celld().items():
        cell.get_text().set_usetex(False)
        if row == 0:
            cell.set_facecolor("#e8eef7")
            cell.get_text().set_weight("bold")
        elif column == 4:
            cell.get_text().set_color("#2d7d2d")
    ax.set_title("Each closed-form gradient of the notes against the engine's (float64, random data)", fontsize=13)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)


def main(out_dir="out/closed_forms", seed=0):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = run_checks(seed)
    print("Each closed form of the notes against the engine's gradient (float64, random data):\n")
    print(f"  {'note':<26} {'formula':<52} largest difference")
    for r in rows:
        print(f"  {r['note']:<26} {r['formula']:<52} {r['max_diff']:.1e}")
        print(f"  {'':<26}   engine  {_short(r['engine'])}\n  {'':<26}   formula {_short(r['expected'])}")
    picture = plot_table(rows, out / "closed_forms.png")
    table = write_markdown(rows, out / "closed_forms.md")
    print(f"\nTable: {picture} and {table} (formula, engine, closed form, difference)")
    return {"rows": rows, "pictures": [picture], "table": table}


def _short(array, count=4):
    flat = np.ravel(array)
    text = ", ".join(f"{v:+.4f}".replace("-0.0000", "+0.0000") for v in flat[:count])
    return f"[{text}{', ...' if flat.size > count else ''}] ({flat.size} numbers)"


if __name__ == "__main__":
    main(_cli.parser(__doc__, "out/closed_forms").parse_args().out_dir)
