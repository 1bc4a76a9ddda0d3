#!/usr/bin/env bash
# Install torch==2.13.0 (CPU) into the venv for the cross-check tests, once; never fail.
# Usage: scripts/install_torch.sh VENV_PYTHON. torch is never a dependency of tinygrad_sm.
set -u
. "$(dirname "$0")/_best_effort.sh"
best_effort_pip "$1" torch "torch 2.13.0 (the PyTorch cross-check tests skip)" "torch==2.13.0" "torch==2.13.0"
exit 0
