#!/usr/bin/env bash
# Install mailgw into its own virtualenv. Re-running upgrades in place; the config is never touched.
#
#   ./install.sh                 as root: /opt/mailgw + /usr/local/bin/mailgw + /etc/mailgw (0750)
#                                as a user: ./.venv (the command is ./.venv/bin/mailgw)
#   ./install.sh --open          install, then open the console
#   ./install.sh --dev           editable install of this checkout into ./.venv, with test tools
#   ./install.sh --bundle DIR    download every wheel needed into DIR (for air-gapped servers)
#   ./install.sh --offline DIR   install from such a folder, with no network
#   ./install.sh --uninstall     remove the install (never the config in /etc/mailgw)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Overridable for packaging and for the tests; the defaults are the documented locations.
prefix_root=${MAILGW_PREFIX:-/opt/mailgw}
bin_link=${MAILGW_BIN_LINK:-/usr/local/bin/mailgw}
config_dir=${MAILGW_CONFIG_DIR:-/etc/mailgw}
min_python="3.10"
babel="babel>=2.14,<3"

mode=install dev=0 open=0 wheel_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dev) dev=1 ;;
    --open) open=1 ;;
    --bundle) mode=bundle; wheel_dir=${2:?--bundle needs a folder}; shift ;;
    --offline) wheel_dir=${2:?--offline needs a folder}; shift ;;
    --uninstall) mode=uninstall ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# A system install runs for every user: the system's interpreter comes first (root's PATH may
# lead to a pyenv under /root that nobody else can execute).
find_python() {
  local candidate candidates=(python3 python3.13 python3.12 python3.11 python3.10)
  if is_root && [ "$dev" -eq 0 ]; then
    candidates=(/usr/bin/python3 /usr/bin/python3.1[0-9] /usr/local/bin/python3 "${candidates[@]}")
  fi
  [ -z "${PYTHON:-}" ] || candidates=("$PYTHON")  # an explicit choice is the only one tried
  for candidate in "${candidates[@]}"; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c "import sys; sys.exit(sys.version_info < (3, 10))" 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

require_python() {
  python=$(find_python) || die "Python >= $min_python is needed${PYTHON:+ (PYTHON=$PYTHON is not)}.
  Debian/Ubuntu: apt-get install python3 python3-venv
  RHEL/Rocky/Alma: dnf install python3.11   (then run: PYTHON=python3.11 ./install.sh)"
  "$python" -c "import venv, ensurepip" 2>/dev/null || die "the Python venv module is missing.
  Debian/Ubuntu: apt-get install python3-venv
  RHEL/Rocky/Alma: dnf install python3-pip   (venv ships with python3 there)"
  if is_root && [ "$dev" -eq 0 ]; then require_python_for_everyone; fi
}

# Run a command as an unprivileged user, to prove what every user will get.
as_nobody() {
  if command -v runuser >/dev/null 2>&1; then runuser -u nobody -- "$@"
  else setpriv --reuid=nobody --regid="$(command id -g nobody)" --clear-groups "$@"
  fi
}

# $EUID, not id -u: only a real root can become nobody.
can_check_as_nobody() {
  [ "$EUID" -eq 0 ] && command id nobody >/dev/null 2>&1 \
    && { command -v runuser || command -v setpriv; } >/dev/null 2>&1
}

require_python_for_everyone() {
  local real
  real=$("$python" -c "import sys; print(getattr(sys, '_base_executable', '') or sys.executable)")
  can_check_as_nobody || { say "note: no user 'nobody' to check $real with"; return 0; }
  as_nobody "$real" -c "import venv" >/dev/null 2>&1 || die "$real cannot be run by other users
  (for the user nobody it fails: a folder on its path is private, e.g. a pyenv under /root), so
  $bin_link would say \"Permission denied\" to everyone but root. Use the system's Python:
  Debian/Ubuntu: apt-get install python3 python3-venv
  RHEL/Rocky/Alma: dnf install python3.11
  or name one every user can run: PYTHON=/usr/bin/python3 ./install.sh"
}

# After a system install: the link must run for an unprivileged user, not only for root.
prove_link_runs_for_everyone() {
  can_check_as_nobody || return 0
  local output
  output=$(cd / && as_nobody "$bin_link" --version 2>&1) || die "installed, but $bin_link does not run for other users (as nobody: ${output:-no output}).
  Check that $prefix_root and the Python it uses are readable and executable by all (chmod -R a+rX), then re-run."
}

venv_dir() {
  if [ "$dev" -eq 1 ] || ! is_root; then echo "$here/.venv"; else echo "$prefix_root/venv"; fi
}

pip_install() {
  local venv=$1; shift
  local source=("$@")
  if [ -n "$wheel_dir" ]; then
    "$venv/bin/python" -m pip install --quiet --no-index --find-links "$wheel_dir" "${source[@]}"
  else
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${source[@]}"
  fi
}

do_bundle() {
  require_python
  mkdir -p "$wheel_dir"
  bundle_tmp=$(mktemp -d); trap 'rm -rf "$bundle_tmp"' EXIT
  "$python" -m venv "$bundle_tmp/venv"
  "$bundle_tmp/venv/bin/python" -m pip install --quiet --upgrade pip wheel setuptools
  "$bundle_tmp/venv/bin/python" -m pip wheel --quiet --wheel-dir "$wheel_dir" "$here[dev]" "$babel" pip setuptools wheel
  say "wheels for mailgw and every dependency are in $wheel_dir; copy it with this folder and run: ./install.sh --offline $wheel_dir"
}

do_uninstall() {
  if is_root; then
    rm -rf "$prefix_root"
    # only our own link: a mailgw on PATH that points elsewhere is not ours to remove
    if [ -L "$bin_link" ] && [ "$(readlink "$bin_link")" = "$prefix_root/venv/bin/mailgw" ]; then
      rm -f "$bin_link"
    fi
    say "removed $prefix_root and $bin_link; the config in $config_dir is kept"
  else
    rm -rf "$here/.venv"
    say "removed $here/.venv; your config in ~/.config/mailgw is kept"
  fi
}

do_install() {
  if [ -n "$wheel_dir" ] && [ ! -d "$wheel_dir" ]; then
    die "no wheel folder at $wheel_dir (make one with --bundle DIR on a machine with network)"
  fi
  require_python
  if is_root && [ "$dev" -eq 0 ]; then umask 022; fi  # a 077 umask would make the venv root-only
  local venv; venv=$(venv_dir)
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  [ -n "$wheel_dir" ] || "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  if [ "$dev" -eq 1 ]; then
    pip_install "$venv" -e "$here[dev]"
  else
    pip_install "$venv" --upgrade "$here"
  fi
  if is_root && [ "$dev" -eq 0 ]; then
    mkdir -p "$(dirname "$bin_link")"
    ln -sfn "$venv/bin/mailgw" "$bin_link"
    [ -d "$config_dir" ] || install -d -m 0750 "$config_dir"  # an existing folder is left alone
    prove_link_runs_for_everyone
    say "installed: $bin_link -> $venv/bin/mailgw (runs for every user); config folder $config_dir"
  else
    say "installed: $venv/bin/mailgw"
  fi
  command_path="$venv/bin/mailgw"
}

case "$mode" in
  bundle) do_bundle ;;
  uninstall) do_uninstall ;;
  install)
    do_install
    if [ "$open" -eq 1 ]; then exec "$command_path"; fi
    ;;
esac
