#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler, etcd and kwok from the Go module proxy into a
# cache outside the checkout, keyed by every version. A second run finds them and returns at once.
# Prints the bin directory on its last line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
export PATH="/usr/local/go/bin:$PATH"
go_version="$(go env GOVERSION)"
key="k8s-${KUBERNETES_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_${go_version}"
cache="${VOLUME_DOCTOR_CACHE:-$HOME/.cache/volume-doctor}/controlplane/$key"
bin="$cache/bin"
binaries=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)

all_there() { for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || return 1; done; }
if all_there; then echo "$bin"; exit 0; fi

mkdir -p "$bin" "$cache/src"
start=$(date +%s)
log() { echo "[controlplane $(( $(date +%s) - start ))s] $*" >&2; }
export GOFLAGS="-trimpath" GOTOOLCHAIN=local

# Kubernetes cannot be `go install`ed: its go.mod points the staging repos at ./staging. A wrapper module
# requires the release and replaces each staging module with its published v0.<minor>.<patch> twin, with the
# list generated from the release's own go.mod.
kube_src="$cache/src/kube"
mkdir -p "$kube_src"
staging_version="v0.${KUBERNETES_VERSION#v1.}"
if [ ! -f "$kube_src/go.sum" ]; then
  log "resolving k8s.io/kubernetes@$KUBERNETES_VERSION"
  release_mod="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')"
  {
    echo "module volume-doctor.local/controlplane/kube"
    echo
    echo "go $(sed -n 's/^go //p' "$release_mod")"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    echo "replace ("
    grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$release_mod" | awk -v v="$staging_version" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } > "$kube_src/go.mod"
  cat > "$kube_src/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
  (cd "$kube_src" && go mod tidy -e >&2)
fi

minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date -X $pkg.gitCommit=volume-doctor-build"
done
if [ ! -x "$bin/kube-apiserver" ] || [ ! -x "$bin/kube-controller-manager" ] || [ ! -x "$bin/kube-scheduler" ]; then
  log "building kube-apiserver, kube-controller-manager, kube-scheduler $KUBERNETES_VERSION (one go build, so shared packages compile once; a cold build takes 15-30 minutes on 2 cores)"
  (cd "$kube_src" && go build -ldflags "$ldflags" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler >&2)
  log "kubernetes binaries done"
fi

if [ ! -x "$bin/etcd" ]; then
  etcd_src="$cache/src/etcd"
  mkdir -p "$etcd_src"
  cat > "$etcd_src/go.mod" <<MOD
module volume-doctor.local/controlplane/etcd

go 1.24

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
MOD
  cat > "$etcd_src/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  log "building etcd $ETCD_VERSION"
  (cd "$etcd_src" && go mod tidy >&2 && go build -ldflags "-s -w" -o "$bin/etcd" . >&2)
  log "etcd done"
fi

if [ ! -x "$bin/kwok" ]; then
  log "building kwok $KWOK_VERSION"
  GOBIN="$bin" go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2
  log "kwok done"
fi

all_there || { echo "build incomplete in $bin" >&2; exit 1; }
log "all binaries in $bin"
echo "$bin"
