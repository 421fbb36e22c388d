#!/usr/bin/env bash
# Builds krew and validate-krew-manifest (sigs.k8s.io/krew) from the Go module proxy into a cache outside the
# checkout, keyed by the krew and Go versions. A second run finds them and returns at once.
# Prints the bin directory on its last line.
set -euo pipefail
KREW_VERSION=v0.4.3
export PATH="/usr/local/go/bin:$PATH"
go_version="$(go env GOVERSION)"
bin="${VOLUME_DOCTOR_CACHE:-$HOME/.cache/volume-doctor}/krew/krew-${KREW_VERSION}_${go_version}/bin"
if [ -x "$bin/krew" ] && [ -x "$bin/validate-krew-manifest" ]; then echo "$bin"; exit 0; fi
mkdir -p "$bin"
start=$(date +%s)
echo "[krew] building sigs.k8s.io/krew $KREW_VERSION with $go_version (a few minutes on 2 cores, once)" >&2
# A temporary GOBIN, moved into place only when both built, so an interrupted build is not taken as done.
tmp="$(mktemp -d "$bin/../tmp.XXXX")"
trap 'rm -rf "$tmp"' EXIT
GOFLAGS="-trimpath" GOTOOLCHAIN=local GOBIN="$tmp" \
  go install -ldflags "-s -w -X sigs.k8s.io/krew/internal/version.gitTag=$KREW_VERSION" \
  "sigs.k8s.io/krew/cmd/krew@$KREW_VERSION" "sigs.k8s.io/krew/cmd/validate-krew-manifest@$KREW_VERSION" >&2
mv "$tmp/krew" "$tmp/validate-krew-manifest" "$bin/"
echo "[krew] built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
