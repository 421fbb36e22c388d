#!/usr/bin/env bash
# Checks what `npm run package` built (dist/package) with the real krew:
#   krew-check.sh                validate the manifest, install every archive with krew (which checks its sha256
#                                and unpacks its files), and run the linux-amd64 plugin through kubectl with no
#                                node on PATH on the example dump
#   krew-check.sh install DIR    install the linux-amd64 archive into DIR/krew and print a PATH that holds
#                                kubectl and the plugin but no node (the e2e test uses it)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/dist/package"
manifest="$out/volume-doctor.yaml"
version="$(node -p 'require(process.argv[1]).version' "$root/package.json")"
archive() { echo "$out/kubectl-volume_doctor-v$version-$1-$2.tar.gz"; }
[ -f "$manifest" ] || { echo "error: $manifest is missing; run npm run package first" >&2; exit 1; }
tools="$(bash "$root/hack/package/krew-tools.sh" | tail -1)"
kubectl_bin="$(command -v kubectl)"

# A PATH for the plugin without node: kubectl, krew and the plugins krew installed, nothing else.
install_linux() { # krew root
  mkdir -p "$1/tools"
  ln -sf "$kubectl_bin" "$1/tools/kubectl"
  ln -sf "$tools/krew" "$1/tools/kubectl-krew"
  KREW_ROOT="$1" PATH="$1/tools:/usr/bin:/bin" kubectl krew install --manifest="$manifest" --archive="$(archive linux amd64)" > "$1/install.log" 2>&1 \
    || { cat "$1/install.log" >&2; echo "error: krew could not install the linux/amd64 archive" >&2; exit 1; }
  echo "$1/tools:$1/bin"
}

if [ "${1:-}" = install ]; then
  install_linux "$2/krew"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== validate-krew-manifest"
"$tools/validate-krew-manifest" -manifest "$manifest" -skip-install

echo "== krew installs every archive (sha256 from the manifest, files, LICENSE)"
mkdir -p "$work/tools"
ln -s "$tools/krew" "$work/tools/kubectl-krew"
for platform in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64; do
  os="${platform%/*}" arch="${platform#*/}"
  krew_root="$work/$os-$arch"
  KREW_ROOT="$krew_root" KREW_OS="$os" KREW_ARCH="$arch" PATH="$work/tools:$PATH" \
    kubectl krew install --manifest="$manifest" --archive="$(archive "$os" "$arch")" > "$work/install.log" 2>&1 \
    || { cat "$work/install.log"; echo "error: krew could not install the $platform archive" >&2; exit 1; }
  store="$krew_root/store/volume-doctor/v$version"
  for f in LICENSE README.md; do [ -f "$store/$f" ] || { echo "error: $platform: $f not installed" >&2; exit 1; }; done
  echo "$platform: installed, $(du -sh "$(archive "$os" "$arch")" | cut -f1) archive"
done

echo "== the installed linux-amd64 plugin, through kubectl, with no node on PATH"
path="$(install_linux "$work/live")"
if PATH="$path" command -v node > /dev/null; then echo "error: node is on the test PATH" >&2; exit 1; fi
PATH="$path" kubectl volume-doctor version
set +e
PATH="$path" kubectl volume-doctor diagnose --from-file "$root/examples/stuck-cluster.json" -o json > "$work/krew.json"
code=$?
set -e
[ "$code" = 1 ] || { echo "error: diagnose --from-file exited $code, expected 1 (findings)" >&2; exit 1; }
node "$root/bin/kubectl-volume_doctor" diagnose --from-file "$root/examples/stuck-cluster.json" -o json > "$work/checkout.json" || true
if ! cmp -s "$work/krew.json" "$work/checkout.json"; then
  echo "error: the installed plugin's report differs from the checkout's" >&2
  diff "$work/krew.json" "$work/checkout.json" | head -20 >&2
  exit 1
fi
echo "diagnose --from-file examples/stuck-cluster.json: $(node -p 'const d = require(process.argv[1]); `${d.findings.length} findings, the same as the checkout`' "$work/krew.json")"
start=$(date +%s%N)
for _ in 1 2 3 4 5; do PATH="$path" kubectl volume-doctor version > /dev/null; done
echo "kubectl volume-doctor version: $(( ($(date +%s%N) - start) / 5000000 )) ms a run (through kubectl)"
