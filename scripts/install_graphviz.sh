#!/usr/bin/env bash
# Install the system Graphviz (the `dot` program) if it is missing and we can; never fail.
# Without it everything works except rendering graph pictures (the DOT sources are still written).
set -u
. "$(dirname "$0")/_best_effort.sh"
if command -v dot >/dev/null 2>&1; then
  exit 0
fi
best_effort_apt "Graphviz (the dot program; graph pictures are skipped, their DOT sources still written)" \
  "sudo apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS) or conda install -c conda-forge graphviz" \
  graphviz
exit 0
