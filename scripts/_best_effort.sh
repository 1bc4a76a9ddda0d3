# Shared by the install_*.sh scripts: apt-get install some packages when we are root and apt-get works;
# otherwise (or when it fails) print ONE line saying what was skipped and how to install it. Never fails.
# Set TINYGRAD_SM_NO_APT=1 to skip apt-get on purpose (as on a machine where it cannot work).
best_effort_apt() {
  local what="$1" how="$2"
  shift 2
  if [ "${TINYGRAD_SM_NO_APT:-0}" != 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing $* with apt-get..."
    if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@") >/dev/null 2>&1; then
      return 0
    fi
    echo "Skipped: $what: apt-get could not install $*; install it with: $how"
    return 0
  fi
  echo "Skipped: $what: not installed, and this script cannot install it (not root, or no apt-get); install it with: $how"
  return 0
}
