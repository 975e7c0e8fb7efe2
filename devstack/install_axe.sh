#!/usr/bin/env bash
# Installs axe-core (the accessibility checker the console's browser tests inject into every page) from npm, at
# the pinned version, into a cache folder outside the repository. Idempotent: does nothing when it is there.
# Prints the path of axe.min.js.
set -euo pipefail
VERSION="${AXE_CORE_VERSION:-4.10.2}"
DIR="${AXE_CORE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gmail-tickets/axe-core-$VERSION}"
FILE="$DIR/node_modules/axe-core/axe.min.js"
if [ ! -f "$FILE" ]; then
  command -v npm >/dev/null 2>&1 || { echo "npm is needed to install axe-core for the browser tests" >&2; exit 1; }
  echo "==> installing axe-core@$VERSION for the browser tests (npm)" >&2
  mkdir -p "$DIR"
  npm install --silent --no-audit --no-fund --prefix "$DIR" "axe-core@$VERSION" >&2
fi
echo "$FILE"
