"""Write the notebooks of examples/notebooks/ and run them, storing their outputs.

One notebook per lecture note, the Hessian out of the engine beside the softmax one, and one on convolutions.

Each notebook: the note's derivation in a few lines, the engine computing the same quantity, the
closed form beside it, the graph and the explorer inline, and the note's experiment. Run with
`make notebooks` (or `python scripts/make_notebooks.py [names...]`); tests/test_notebooks.py
re-runs every committed notebook from a clean kernel and checks its stored outputs are current.
"""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "examples" / "notebooks"

SETUP = '''import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path.cwd().parent))  # examples/: the example scripts, for the experiments
from tinygrad_sm import Tensor, nn
from tinygrad_sm.viz import draw_graph, explore, retain_grads

np.set_printoptions(precision=4, suppress=True)'''


def md(text):
    return nbformat.v4.new_markdown_cell(text.strip())


def code(text):
    return nbformat.v4.new_code_cell(text.strip())


NOTE_000 = [
    md("""
# *Multiclass Classification* (multinomial logistic regression): the gradient of J with respect to Θ

The lecture note *Multiclass Classification*, section 1.1 (multinomial logistic regression). Each
row Θ_k of the K × (D + 1) matrix Θ scores one class; p(y | x, Θ) = softmax(Θx)_y. With the one-hot
T of the label, the loss of one example is the cross-entropy J(Θ) = -Σ_k T_k log softmax(Θx)_k, and
the note's §1.1.4 ("Computing Gradients") derives, row by row,

  ∂J/∂Θ_j = -Σ_k T_k (I[k = j] - softmax(Θx)_j) xᵀ = (softmax(Θx)_j - T_j) xᵀ.

Below the engine computes J and its gradient by backprop, and the closed form is written out
beside it."""),
    code(SETUP),
    code('''rng = np.random.default_rng(0)
D, K = 3, 4
x = np.append(rng.standard_normal(D), 1.0)           # the bias folded in as a constant feature
label = 2
Theta = Tensor(rng.standard_normal((K, D + 1)), requires_grad=True, name="Θ")
z = Theta @ Tensor(x, name="x")
z.name = "z"
J = z.softmax_cross_entropy(np.array(label))
J.name = "J"
page = explore(J, title="Multiclass Classification: J = CE(Θx, y)")   # the explorer replays backward itself, before ours
retain_grads(J)
J.backward(retain_graph=True)
print("J =", round(J.item(), 4))
print("engine dJ/dΘ:\\n", Theta.grad)'''),
    code('''T = np.eye(K)[label]
p = np.exp(Theta.data @ x) / np.exp(Theta.data @ x).sum()
closed_form = np.stack([-sum(T[k] * ((k == j) - p[j]) for k in range(K)) * x for j in range(K)])
print("closed form (softmax(Θx)_j - T_j) xᵀ:\\n", closed_form)
print("largest difference:", float(np.abs(Theta.grad - closed_form).max()))'''),
    md("The graph after backward: every tensor with its value and gradient, every op with its rule in these names."),
    code('draw_graph(J, title="Multiclass Classification: J = CE(Θx, y) after backward")'),
    md("The explorer: step through the forward pass, then the backward pass, with ← and → (click a tensor for its full arrays)."),
    code("page"),
    md("""
## The note's experiment: K = 2 is binary logistic regression (§1.1.3)

With two classes, softmax(z)_1 = e^{z_1} / (e^{z_0} + e^{z_1}) = σ(z_1 - z_0), so the multiclass
loss is the binary logistic loss of the score difference, and so are their gradients."""),
    code('''w2 = Tensor(rng.standard_normal((2, D + 1)), requires_grad=True, name="Θ")
y = 1
multiclass = (w2 @ Tensor(x)).softmax_cross_entropy(np.array(y))
multiclass.backward()
difference = Tensor(w2.data.copy(), requires_grad=True)
score = (difference[1] - difference[0]) @ Tensor(x)
binary = nn.binary_logistic(score.reshape(1), np.array([1.0]))   # log(1 + e^{-yz}) with y = +1
binary.backward()
print("losses:", round(multiclass.item(), 6), round(binary.item(), 6))
print("largest gradient difference:", float(np.abs(w2.grad - difference.grad).max()))'''),
]

NOTE_001 = [
    md("""
# *Softmax regression* (CS 453X Class 8): the illustration, the vectorised gradient, and the digits

The lecture note *Softmax regression (aka multinomial logistic regression)*, CS 453X Class 8. The
score of class k is z_k = w_kᵀx, ŷ = softmax(z), and the cross-entropy f_CE = -Σ_k y_k log ŷ_k of
the one-hot label y has the gradient ∇_{w_k} f_CE = x (ŷ_k - y_k); for n examples in the columns of
X, ∇_W f_CE = (1/n) X(Ŷ - Y).

**Illustration** (the note's numbers): x = [-1, 1] and w(1) = [-2.5, -1], w(2) = [1, 2],
w(3) = [1, 0] give z = [1.5, 1, -1] and ŷ ≈ [.592, .359, .049]."""),
    code(SETUP),
    code('''import softmax_illustration

x, W, z, probs, loss = softmax_illustration.forward(label=0)
print("z =", z.data, "  ŷ =", probs.data.round(3))
for r in softmax_illustration.gradients_for_each_label():
    print(f"y = {r['label']}: engine dL/dz = {r['grad_z'].round(4)}   ŷ - onehot(y) = {r['formula_z'].round(4)}")'''),
    md("The graph of the illustration for y = 0 after backward, and its explorer (← → to step, click a tensor):"),
    code('''x, W, z, probs, loss = softmax_illustration.forward(label=0)
page = explore(loss, title="Softmax regression: the illustration, y = 0")
retain_grads(loss)
loss.backward(retain_graph=True)
draw_graph(loss, title="Softmax regression illustration after backward")'''),
    code("page"),
    md("## Vectorised: ∇_W f_CE = (1/n) X(Ŷ - Y), our X holding examples in rows (so Xᵀ(Ŷ - Y)/n)"),
    code('''rng = np.random.default_rng(1)
n, d, k = 8, 5, 4
X, labels = rng.standard_normal((n, d)), rng.integers(0, k, n)
W = Tensor(rng.standard_normal((d, k)), requires_grad=True, name="W")
(Tensor(X) @ W).softmax_cross_entropy(labels).backward()
Z = X @ W.data
Y_hat = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
closed_form = X.T @ (Y_hat - np.eye(k)[labels]) / n
print("largest difference from the closed form:", float(np.abs(W.grad - closed_form).max()))'''),
    md("## The note's demo: softmax regression on handwritten digits (the bundled 8×8 digits: a few seconds)"),
    code('''import matplotlib.pyplot as plt
import mnist_softmax
from tinygrad_sm.models import SoftmaxRegression

images, digits, side, description = mnist_softmax.load_images("digits")
X_train, X_test, y_train, y_test = mnist_softmax.split(images, digits, side)
model = SoftmaxRegression(lr=0.5, epochs=10, batch_size=64, standardize=False,  # the note's loop on [0, 1] pixels
                          random_state=0).fit(X_train, y_train)
print(f"{len(X_train)} training images; test accuracy {model.score(X_test, y_test):.4f}")
fig, axes = plt.subplots(2, 5, figsize=(10, 4.4))
limit = np.abs(model.coef_).max()
for ax, row, label in zip(axes.flat, model.coef_, model.classes_):
    ax.imshow(row.reshape(side, side), cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(f"w_{label}")
    ax.axis("off")
fig.suptitle("the learned weight rows: red raises the class score, blue lowers it")
plt.show()'''),
]

NOTE_002 = [
    md("""
# *Multi-class classification with Softmax function*: ∂y_i/∂z_j = y_i(δ_ij - y_j) and ∂ξ/∂z = y - t

The lecture note *Multi-class classification with Softmax function* (*Softmax function* below): the
softmax Jacobian and the cross-entropy. This note writes y = softmax(z) for the output and t for the
one-hot label (the ŷ and y of the note *Softmax regression*). With Σ_C = Σ_d e^{z_d},
∂y_i/∂z_i = y_i(1 - y_i) and ∂y_i/∂z_j = -y_i y_j for i ≠ j; through ∂ log y_c / ∂y_c = 1 / y_c the
cross-entropy ξ = -Σ_c t_c log y_c has ∂ξ/∂z = y - t.

**The Jacobian by backprop:** backward seeded with e_i gives row i of the Jacobian."""),
    code(SETUP),
    code('''z_values = np.array([1.5, 1.0, -1.0, 0.5])
rows = []
for i in range(4):
    z = Tensor(z_values, requires_grad=True)
    z.softmax().backward(np.eye(4)[i])
    rows.append(z.grad)
engine = np.stack(rows)
y = np.exp(z_values) / np.exp(z_values).sum()
print("engine Jacobian:\\n", engine)
print("closed form diag(y) - y yᵀ:\\n", np.diag(y) - np.outer(y, y))
print("largest difference:", float(np.abs(engine - (np.diag(y) - np.outer(y, y))).max()))'''),
    md("## ∂ξ/∂z = y - t, through the separate softmax and log ops (the chain of the note), and fused"),
    code('''label = 0
z = Tensor(z_values, requires_grad=True, name="z")
probs = z.softmax()
probs.name = "ŷ"
picked = probs[label]
picked.name = "ŷ_y"
xi = -picked.log()
xi.name = "ξ"
page = explore(xi, title="Softmax function: ξ = -log softmax(z)_y, op by op")
retain_grads(xi)
xi.backward(retain_graph=True)
fused = Tensor(z_values, requires_grad=True)
fused.softmax_cross_entropy(np.array(label)).backward()
print("chain of ops:", z.grad)
print("fused op:    ", fused.grad)
print("y - t:       ", y - np.eye(4)[label])'''),
    code('draw_graph(xi, title="Softmax function: ξ = -log softmax(z)_y after backward")'),
    code("page"),
    md("""
## The note's example: softmax and classification

The class with the largest score wins, and softmax keeps that order (it is monotone in each z_k):
adding a constant to every score changes nothing, scaling the scores sharpens or flattens ŷ."""),
    code('''for scores in ([1.5, 1.0, -1.0, 0.5], [11.5, 11.0, 9.0, 10.5], [3.0, 2.0, -2.0, 1.0], [0.15, 0.1, -0.1, 0.05]):
    out = Tensor(np.array(scores)).softmax().data
    print(f"z = {scores!s:<26} ŷ = {out.round(3)}  argmax {out.argmax()}")'''),
]

NOTE_002B = [
    md("""
# *Multi-class classification with Softmax function*: the Hessian out of the engine

Beside the note *Multi-class classification with Softmax function* (and *Softmax regression*). For
the mean cross-entropy f(Z) = -(1/n) Σ_i log softmax(z^(i))_{y_i} of n rows of logits, the gradient
with respect to row i is (ŷ^(i) - onehot(y_i)) / n. Differentiating it once more, the label is a
constant and drops out; what is left is the note's softmax Jacobian ∂ŷ_a/∂z_b = ŷ_a(δ_ab - ŷ_b), so

  ∂²f / ∂z^(i) ∂z^(i) = (diag(ŷ^(i)) - ŷ^(i) ŷ^(i)ᵀ) / n,

and the blocks between two different rows are 0 (row i's loss does not see row j's logits). The
engine gets there by differentiating its own backward pass: `backward(create_graph=True)` records
the gradient as a graph, and a second backward pass through it gives second derivatives."""),
    code(SETUP + """
import tinygrad_sm as tg
from tinygrad_sm import autograd"""),
    code('''rng = np.random.default_rng(0)
n, K = 3, 4
Z = rng.standard_normal((n, K))
labels = np.array([0, 3, 1])
f = lambda logits: logits.softmax_cross_entropy(labels)   # the mean over the n rows
H = tg.hessian(f, Z).reshape(n * K, n * K)                # the Jacobian of the engine's gradient
Y = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
closed_form = np.zeros((n * K, n * K))
for i in range(n):
    closed_form[i * K:(i + 1) * K, i * K:(i + 1) * K] = (np.diag(Y[i]) - np.outer(Y[i], Y[i])) / n
print("engine Hessian, the block of row 0:\\n", H[:K, :K])
print("closed form (diag(ŷ) - ŷŷᵀ)/n:\\n", closed_form[:K, :K])
print("a block between rows 0 and 1:\\n", H[:K, K:2 * K])
print("largest difference over all", H.size, "entries:", float(np.abs(H - closed_form).max()))'''),
    md("""
## A Hessian-vector product without the Hessian

`tg.hvp(f, Z, V)` is the gradient of ⟨∇f(Z), V⟩: two backward passes, no n·K × n·K matrix. It
equals H v."""),
    code('''V = rng.standard_normal((n, K))
product = tg.hvp(f, Z, V)
print("hvp(f, Z, V):\\n", product)
print("H @ v:\\n", (H @ V.ravel()).reshape(n, K))
print("largest difference:", float(np.abs(product - (H @ V.ravel()).reshape(n, K)).max()))'''),
    md("""
## The gradient is a graph

With `create_graph=True` the gradient is a Tensor made by ops: the backward rule of
softmax_cross_entropy, (softmax(z) - onehot(y)) · G / n, recorded step by step. In the picture the
ops of the backward pass have their own colour; in the explorer they sit in their own frame, and
stepping on runs the second backward pass through them."""),
    code('''z = Tensor(Z, requires_grad=True, name="Z")
loss = z.softmax_cross_entropy(labels)
loss.name = "f"
gradient, = autograd.grad(loss, z, create_graph=True)
gradient.name = "∇f"
print(gradient)
page = explore(gradient, title="the gradient of f, recorded by backward(create_graph=True)")'''),
    code('draw_graph(gradient, title="∇f as a graph: the backward ops in their own colour")'),
    code("page"),
    md("""
## One Newton step

Newton's method steps by p = -H⁻¹ ∇f. On softmax regression for iris (4 features, 3 classes, the
weights and biases as one vector θ of 15 numbers, plus (λ/2)‖θ‖² so that H is invertible; see
`examples/newton.py`, which uses conjugate gradient on Hessian-vector products instead of H), one
step from θ = 0 against one gradient-descent step from the same start:"""),
    code('''import newton

X_iris, y_iris = newton.iris_data()
objective, size = newton.make_loss(X_iris, y_iris)
theta = np.zeros(size)
value, g = tg.value_and_grad(objective)(theta)
newton_step = np.linalg.solve(tg.hessian(objective, theta), -g)
cg_step = newton.conjugate_gradient(lambda v: tg.hvp(objective, theta, v), g)
print(f"loss at θ = 0:                  {value:.6f}")
print(f"after one Newton step:          {objective(Tensor(theta + newton_step)).item():.6f}")
print(f"after one gradient step (0.5):  {objective(Tensor(theta - 0.5 * g)).item():.6f}")
print("the CG step from Hessian-vector products is the Newton step:", np.allclose(cg_step, newton_step, atol=1e-8))'''),
]

NOTE_003 = [
    md("""
# *Classification* (CS 577 Lecture 04: perceptron, SGD, two-layer nets): the losses, the breakout, and two moons

The lecture note *Classification*, CS 577 Deep Learning Lecture 04 (perceptron, SGD and two-layer
networks). The perceptron loss L(z, y) = max{0, -yz} with z = wᵀx has the gradient -y x on a
mistake (y wᵀx < 0) and 0 otherwise, so SGD with η = 1 is the perceptron update w ← w + y x. For
the two-layer net h = W1 x + b1, z = w2ᵀ g(h) + b2 and J = (y - z)², the chain rule gives
∂J/∂w2 = -2(y - z) g(h) and ∂J/∂W1 = -2(y - z)(w2 ⊙ g'(h)) xᵀ."""),
    code(SETUP),
    code('''rng = np.random.default_rng(0)
x, w_values = rng.standard_normal(4), rng.standard_normal(4)
for y in (+1.0, -1.0):
    w = Tensor(w_values, requires_grad=True)
    (-y * (w @ Tensor(x))).relu().backward()
    mistake = y * (w_values @ x) < 0
    print(f"y = {y:+.0f}: mistake {mistake!s:<5} engine {w.grad}  closed form {-y * x if mistake else np.zeros(4)}")'''),
    md("## The two-layer regression gradient, engine against the chain rule (g = relu)"),
    code('''x, target, m = rng.standard_normal(3), 0.7, 5
W1 = Tensor(rng.standard_normal((m, 3)), requires_grad=True, name="W1")
b1 = Tensor(np.zeros(m), requires_grad=True, name="b1")
w2 = Tensor(rng.standard_normal(m), requires_grad=True, name="w2")
h = W1 @ Tensor(x, name="x") + b1
h.name = "h"
g = h.relu()
g.name = "g"
z = w2 @ g
z.name = "z"
J = (target - z) ** 2
J.name = "J"
page = explore(J, title="Classification: J = (y - z)², two-layer net")
retain_grads(J)
J.backward(retain_graph=True)
r = -2 * (target - z.item())
hv = h.data
print("∂J/∂w2:", w2.grad, " closed form:", r * np.maximum(hv, 0) + 0.0)  # + 0.0: no -0 in print
print("largest ∂J/∂W1 difference:", float(np.abs(W1.grad - np.outer(r * w2.data * (hv > 0), x)).max()))'''),
    code('draw_graph(J, title="Classification: J = (y - z)² after backward")'),
    code("page"),
    md("""
## Breakout: full-batch gradient descent on the perceptron loss ("Does it work? Nope.")

On two moons (labels ±1), from w = 0: η = 1 and η = 0.1 give the same predictions at every step
(the loss scales with w), while the logistic loss settles."""),
    code('''import perceptron

runs = perceptron.breakout(steps=60)
for (loss_name, lr), run in runs.items():
    tail = run["accuracy"][30:]
    print(f"{loss_name:<10} η = {lr:<4} last 30 steps: accuracy between {min(tail):.3f} and {max(tail):.3f}")
same = np.allclose(runs[("perceptron", 0.1)]["w"], 0.1 * runs[("perceptron", 1.0)]["w"], rtol=1e-4, atol=1e-7)
print("η = 0.1 weights are 0.1 × the η = 1 weights at every step:", same)'''),
    md("## Two moons: a line against the two-layer net of the note"),
    code('''from tinygrad_sm.data import load_dataset, split_and_scale
from tinygrad_sm.models import SoftmaxRegression, TwoLayerNet

X, labels = load_dataset("moons", n_samples=500, noise=0.2, random_state=0)
X_train, X_test, y_train, y_test = split_and_scale(X, labels, random_state=0)
for model in (SoftmaxRegression(epochs=100, random_state=0), TwoLayerNet(hidden=10, epochs=100, random_state=0)):
    model.fit(X_train.astype(np.float32), y_train)
    print(f"{type(model).__name__:<18} held-out accuracy {model.score(X_test.astype(np.float32), y_test):.3f}")'''),
]

CONVOLUTION = [
    md("""
# Convolution as unfold + matmul, and the flipped-kernel rule for its backward

No lecture note covers convolutions; this notebook works them out with the engine. A convolution
layer (PyTorch's, a cross-correlation) computes, for image X (C × H × W) and kernels W (O × C × k × k),

  C[o, h, w] = b_o + Σ_{c,i,j} W[o, c, i, j] · X[c, h + i, w + j].

`unfold` (im2col) copies each k × k window of X into one column, so the whole layer is one matrix
product: C = W_flat · unfold(X) + b, with W_flat the O × (C·k·k) matrix of kernels. The derivation
of every rule is in docs/convolutions.md."""),
    code(SETUP),
    code('''from tinygrad_sm.autograd import conv2d, unfold

rng = np.random.default_rng(0)
X = Tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True, name="X")   # one 2-channel 5×5 image
W = Tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True, name="W")   # three 3×3 kernels
b = Tensor(rng.standard_normal(3), requires_grad=True, name="b")
cols = unfold(X, 3)                                    # (1, 2·3·3, 3·3): one column per window
as_matmul = (W.reshape(3, -1) @ cols).reshape(1, 3, 3, 3) + b.reshape(1, 3, 1, 1)
print("unfold(X) has shape", cols.shape)
print("largest difference from conv2d below 1e-12:",
      float(np.abs(as_matmul.data - conv2d(X, W, b).data).max()) < 1e-12)'''),
    md("The same numbers from the definition, written as loops over the output positions (what unfold avoids):"),
    code('''by_loops = np.zeros((3, 3, 3))
for o in range(3):
    for h in range(3):
        for w in range(3):
            by_loops[o, h, w] = b.data[o] + np.sum(W.data[o] * X.data[0, :, h:h + 3, w:w + 3])
print("largest difference from the loops below 1e-12:",
      float(np.abs(by_loops - conv2d(X, W, b).data[0]).max()) < 1e-12)'''),
    md("""
## The backward: dX is the full correlation of G with the flipped kernel

With G = ∂L/∂C, the chain rule on C[o, h, w] = Σ W[o, c, i, j] X[c, h + i, w + j] gives, for a
pixel (y, x) of channel c, every output position that saw it, h = y - i, w = x - j:

  ∂L/∂X[c, y, x] = Σ_{o,i,j} G[o, y - i, x - j] · W[o, c, i, j]
                = Σ_{o,i',j'} G_pad[o, y + i', x + j'] · W[o, c, k-1-i', k-1-j'],

a correlation of G, padded by k - 1 on each side (the "full" correlation), with the kernel flipped
in both axes (and its in and out channels swapped). Likewise ∂L/∂W[o, c, i, j] = Σ_{h,w} G[o, h, w]
X[c, h + i, w + j] (the correlation of X with G) and ∂L/∂b_o = Σ_{h,w} G[o, h, w]."""),
    code('''C = conv2d(X, W, b)
G = rng.standard_normal(C.shape)                       # any upstream gradient
C.backward(G)
G_pad = np.pad(G[0], ((0, 0), (2, 2), (2, 2)))         # full: k - 1 = 2 zeros around G
flipped = W.data[:, :, ::-1, ::-1]
dX = np.zeros((2, 5, 5))
for c in range(2):
    for y in range(5):
        for x in range(5):
            dX[c, y, x] = np.sum(G_pad[:, y:y + 3, x:x + 3] * flipped[:, c])
dW = np.array([[[[np.sum(G[0, o] * X.data[0, c, i:i + 3, j:j + 3]) for j in range(3)] for i in range(3)]
                for c in range(2)] for o in range(3)])
print("dX: engine vs full correlation with the flipped kernel, largest difference below 1e-12:",
      float(np.abs(X.grad[0] - dX).max()) < 1e-12)
print("dW: engine vs correlation of X with G, largest difference below 1e-12:",
      float(np.abs(W.grad - dW).max()) < 1e-12)
print("dX[0] (channel 0):\\n", X.grad[0, 0])
print("db: engine", b.grad, " Σ G per channel", G.sum(axis=(0, 2, 3)))'''),
    md("""
The flipped-kernel correlation is itself a convolution: conv2d of the padded G with the flipped,
channel-swapped kernels. So the backward of a convolution is a (transposed) convolution, which
is what the engine's rule says: dX = fold(Wᵀ G)."""),
    code('''as_conv = conv2d(Tensor(G_pad[None]), Tensor(np.ascontiguousarray(flipped.transpose(1, 0, 2, 3))))
print("conv2d(pad(G), flipped kernels) vs dX, largest difference below 1e-12:",
      float(np.abs(as_conv.data[0] - dX).max()) < 1e-12)'''),
    md("The graph of one conv layer, ReLU and 2 × 2 max pooling on a 4 × 4 image; each op shows its backward rule."),
    code('''from tinygrad_sm.autograd import max_pool2d

image = Tensor(np.round(rng.uniform(-1, 1, (1, 1, 4, 4)), 1), requires_grad=True, name="image")
kernel = Tensor(np.round(rng.uniform(-1, 1, (1, 1, 3, 3)), 1), requires_grad=True, name="K")
feature_map = conv2d(image, kernel, padding=1)
feature_map.name = "F"
loss = max_pool2d(feature_map.relu(), 2).sum()
loss.name = "loss"
page = explore(loss, title="conv2d → relu → max_pool2d → sum")   # the explorer replays backward itself, before ours
retain_grads(loss)
loss.backward()
draw_graph(loss, title="conv2d → relu → max_pool2d → sum, after backward")'''),
    md("The explorer: step through the forward pass, then the backward pass, with ← and → (click a tensor for its arrays)."),
    code("page"),
]

NOTEBOOKS = {
    "000_multiclass_logistic.ipynb": NOTE_000,
    "001_softmax_regression.ipynb": NOTE_001,
    "002_softmax_jacobian.ipynb": NOTE_002,
    "002b_softmax_hessian.ipynb": NOTE_002B,
    "003_perceptron_two_layer.ipynb": NOTE_003,
    "convolution_unfold_and_flipped_kernel.ipynb": CONVOLUTION,
}


def execute(notebook, timeout=120):
    """Run every cell from a clean python3 kernel in examples/notebooks/; raises on the first error."""
    NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(FOLDER)}}).execute()
    return notebook


def main(names=None):
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        if names and name not in names:
            continue
        notebook = nbformat.v4.new_notebook(cells=cells, metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"}})
        execute(notebook)
        nbformat.write(notebook, FOLDER / name)
        print(f"wrote {FOLDER / name}")


if __name__ == "__main__":
    main(sys.argv[1:])
