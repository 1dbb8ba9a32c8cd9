#!/usr/bin/env bash
# The project's two commands, each safe to run again and again on a fresh Debian machine:
#   ./dev.sh demo   the main job (server + headless browser worker, outputs printed)
#   ./dev.sh test   lint, format check and the whole test suite
# Each first makes sure of what it needs: Debian chromium + chromium-driver, a .venv with
# the pinned requirements, and an up-to-date browser build (npm packages included).
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

need_python() {
  PYTHON=${PYTHON:-python3}
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "error: Python 3.11 or newer is needed as \$PYTHON or python3" >&2
    exit 1
  fi
}

ensure_chromium() {
  command -v chromium >/dev/null && command -v chromedriver >/dev/null && return
  say "installing Debian chromium and chromium-driver"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
}

ensure_fuse() {
  # libfuse3 and fusermount3 for `cocalc-compute mount` and its tests
  command -v fusermount3 >/dev/null && return
  say "installing Debian fuse3"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq fuse3 >/dev/null
}

ensure_venv() {
  local stamp=.venv/.installed want
  want=$(cat requirements/host.txt requirements/host-constraints.txt pyproject.toml | sha256sum | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return
  say "installing the pinned Python environment in .venv"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -r requirements/host.txt -c requirements/host-constraints.txt
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    --no-deps --no-build-isolation -e .
  echo "$want" >"$stamp"
}

setup() {
  need_python
  ensure_chromium
  ensure_fuse
  ensure_venv
  .venv/bin/python build.py  # runs `npm ci` itself when node_modules is not as pinned
}

case "${1:-}" in
  demo)
    setup
    exec .venv/bin/cocalc-compute demo
    ;;
  test)
    setup
    say "ruff"
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    say "pytest"
    shift
    exec .venv/bin/python -m pytest "$@"
    ;;
  *)
    echo "usage: $0 demo | test [pytest args]" >&2
    exit 2
    ;;
esac
