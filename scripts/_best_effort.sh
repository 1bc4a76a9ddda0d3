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

# pip install some packages into a venv once: a stamp remembers success, another remembers a failure (so a
# second run says it skipped, quickly, without retrying). Usage: best_effort_pip PYTHON STAMP WHAT HOW PKG...
best_effort_pip() {
  local python="$1" stamp="$2" what="$3" how="$4"
  shift 4
  local venv done_stamp skip_stamp
  venv="$(dirname "$(dirname "$python")")"
  done_stamp="$venv/.$stamp-installed"
  skip_stamp="$venv/.$stamp-skipped"
  if [ -e "$done_stamp" ]; then
    return 0
  fi
  if [ -e "$skip_stamp" ]; then
    echo "Skipped: $what; install it with: $python -m pip install $how (then rm $skip_stamp)"
    return 0
  fi
  if "$python" -m pip install --quiet --retries 1 --timeout 30 "$@" >/dev/null 2>&1; then
    touch "$done_stamp"
  else
    touch "$skip_stamp"
    echo "Skipped: $what: pip could not install it; install it with: $python -m pip install $how (then rm $skip_stamp)"
  fi
  return 0
}
