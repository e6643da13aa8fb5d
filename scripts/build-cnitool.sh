#!/usr/bin/env bash
# Build cnitool (github.com/containernetworking/cni/cnitool: libcni, the
# library containerd and CRI-O use, as a command) from tools/cnitool/go.mod
# with the Go toolchain and the Go module proxy, into the user's cache,
# keyed by the module files and the Go version; print the binary's path.
# Idempotent: a cached binary is reused at once. Nothing lands in the
# checkout. fabric-cni's e2e tests drive the plugin through it.
#
#   scripts/build-cnitool.sh            build if needed, print the path
#
# Environment: GO (the go command; default: go on PATH, else
# /usr/local/go/bin/go), XDG_CACHE_HOME (default ~/.cache).
set -euo pipefail
cd "$(dirname "$0")/../tools/cnitool"

GO=${GO:-$(command -v go || true)}
if [ -z "$GO" ] && [ -x /usr/local/go/bin/go ]; then
  GO=/usr/local/go/bin/go
fi
if [ -z "$GO" ]; then
  echo "build-cnitool: no Go toolchain (go on PATH or /usr/local/go/bin/go); Go >= 1.24 builds cnitool, which fabric-cni's libcni tests need" >&2
  exit 1
fi
export GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false"

version=$(sed -n 's/^[[:space:]]*github.com\/containernetworking\/cni \(v[^ ]*\).*/\1/p' go.mod)
gover=$("$GO" env GOVERSION)
key=$(cat go.mod go.sum | sha256sum | cut -c1-12)
dir="${XDG_CACHE_HOME:-$HOME/.cache}/fabricd/cnitool-${version}-${gover}-${key}"
bin="$dir/cnitool"
if [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  echo "build-cnitool: building cnitool ${version} (libcni) with ${gover} into $dir" >&2
  start=$(date +%s)
  "$GO" build -trimpath -o "$bin.tmp.$$" github.com/containernetworking/cni/cnitool
  mv -f "$bin.tmp.$$" "$bin"
  echo "build-cnitool: built in $(($(date +%s) - start)) s" >&2
fi
echo "$bin"
