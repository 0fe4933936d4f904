#!/usr/bin/env bash
# Fetches llama.cpp's source from a pinned registry package into a cache outside the repo and
# prints the path of the source tree. Offline once cached. No third-party code enters the repo.
#
# The npm package node-llama-cpp ships llama.cpp's full source as a git bundle; we pin the
# package version, check the tarball's sha256, and check out the pinned commit.
set -euo pipefail

PKG="node-llama-cpp@3.21.1"
PKG_SHA256="7a231d6bafa14142a1cbed9893d4ec5bc6041b2a5f5939a623accaab4203c11f"
COMMIT="80fb11ac73e66d89eae2c6a91d8a77428fa733ed"

cache="${WASI_NN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/wasi_nn_backend}"
dest="$cache/llama.cpp-${COMMIT:0:12}"

if [ -f "$dest/.wasi_nn_ok" ]; then
  echo "$dest"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-llama: npm is needed to fetch $PKG (apt-get install npm)" >&2; exit 1; }
mkdir -p "$cache"
work=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "fetch-llama: fetching llama.cpp source from the npm package $PKG ..." >&2
(cd "$work" && npm pack "$PKG" --silent >/dev/null)
tgz=$(ls "$work"/*.tgz)
got=$(sha256sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$PKG_SHA256" ]; then
  echo "fetch-llama: checksum mismatch for $PKG: expected $PKG_SHA256, got $got" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$work" package/llama/gitRelease.bundle
rm -rf "$dest.tmp"
git -c advice.detachedHead=false clone --quiet "$work/package/llama/gitRelease.bundle" "$dest.tmp"
git -C "$dest.tmp" -c advice.detachedHead=false checkout --quiet "$COMMIT"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
touch "$dest/.wasi_nn_ok"
echo "fetch-llama: llama.cpp ${COMMIT:0:12} cached at $dest" >&2
echo "$dest"
