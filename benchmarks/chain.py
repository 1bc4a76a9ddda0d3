"""The elementwise chain of the per-op and long-chain rows, shared by the autodiff frameworks.

Cycles of four ops: y*0.9, y+0.1, tanh(y), y*x. Only ``tanh`` differs between frameworks;
the hand-written numpy version (fw_numpy.py) also keeps what its backward needs.
"""


def chain_forward(x, n_ops, tanh):
    y = x
    for i in range(n_ops):
        kind = i % 4
        if kind == 0:
            y = y * 0.9
        elif kind == 1:
            y = y + 0.1
        elif kind == 2:
            y = tanh(y)
        else:
            y = y * x
    return y
