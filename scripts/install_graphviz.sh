#!/usr/bin/env bash
# Install the system Graphviz (the `dot` program) if it is missing and we are allowed to.
set -u
if command -v dot >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Graphviz with apt-get..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null) \
    || { echo "apt-get could not install graphviz" >&2; exit 1; }
  exit 0
fi
cat >&2 <<'MSG'
Graphviz (the `dot` program) is not installed and this script cannot install it (not root or no apt-get).
Install it yourself: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS),
`conda install -c conda-forge graphviz`, or see https://graphviz.org/download/.
Everything except rendering pictures to files works without it.
MSG
exit 0
