#!/usr/bin/env bash
# Install Debian's chromium and its driver for the explorer's browser tests, if missing and we can; never fail.
set -u
. "$(dirname "$0")/_best_effort.sh"
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
best_effort_apt "chromium and chromium-driver (the explorer's browser tests skip)" \
  "sudo apt-get install chromium chromium-driver" \
  chromium chromium-driver
exit 0
