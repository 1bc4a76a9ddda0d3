#!/usr/bin/env bash
# Install torch==2.13.0 (CPU) into the venv for the cross-check tests, once; never fail.
# Usage: scripts/install_torch.sh VENV_PYTHON. torch is never a dependency of tinygrad_sm.
set -u
python="$1"
venv="$(dirname "$(dirname "$python")")"
done_stamp="$venv/.torch-installed"
skip_stamp="$venv/.torch-skipped"
hint="install it with: $python -m pip install torch==2.13.0 (then rm $skip_stamp)"
if [ -e "$done_stamp" ]; then
  exit 0
fi
if [ -e "$skip_stamp" ]; then  # tried before and failed: say so again, quickly, without retrying
  echo "Skipped: torch 2.13.0 (the PyTorch cross-check tests skip); $hint"
  exit 0
fi
if "$python" -m pip install --quiet --retries 1 --timeout 30 "torch==2.13.0" >/dev/null 2>&1; then
  touch "$done_stamp"
else
  touch "$skip_stamp"
  echo "Skipped: torch 2.13.0 (the PyTorch cross-check tests skip): pip could not install it; $hint"
fi
exit 0
