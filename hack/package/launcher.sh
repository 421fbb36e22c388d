#!/bin/sh
# kubectl-volume_doctor for platforms without a single executable: runs volume-doctor.cjs, which sits beside
# this script, with the Node.js on PATH (20 or later).
self="$0"
while [ -L "$self" ]; do
  link="$(readlink "$self")"
  case "$link" in
    /*) self="$link" ;;
    *) self="$(dirname "$self")/$link" ;;
  esac
done
dir="$(cd "$(dirname "$self")" && pwd)"
if ! command -v node >/dev/null 2>&1; then
  echo "error: kubectl volume-doctor needs Node.js 20 or later, and there is no node on PATH; install Node.js (https://nodejs.org) and try again" >&2
  exit 3
fi
major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)"
case "$major" in
  '' | *[!0-9]*) major=0 ;;
esac
if [ "$major" -lt 20 ]; then
  echo "error: kubectl volume-doctor needs Node.js 20 or later; the node on PATH ($(command -v node)) is $(node --version 2>/dev/null || echo 'of unknown version')" >&2
  exit 3
fi
exec node "$dir/volume-doctor.cjs" "$@"
