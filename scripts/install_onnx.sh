#!/usr/bin/env bash
# Install the [onnx] extra (onnx, onnxruntime) into the venv for the ONNX export tests, once; never fail.
# Usage: scripts/install_onnx.sh VENV_PYTHON. onnx and onnxruntime are never dependencies of tinygrad_sm.
set -u
. "$(dirname "$0")/_best_effort.sh"
best_effort_pip "$1" onnx "onnx and onnxruntime (the ONNX export tests skip)" "onnx onnxruntime" \
  "onnx>=1.14" "onnxruntime>=1.16"
exit 0
