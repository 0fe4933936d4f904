#!/usr/bin/env bash
# Fetches WAMR's C source (WebAssembly Micro Runtime 2.4.3) from a pinned registry package into a
# cache outside the repo and prints the path of the WAMR tree. Offline once cached. No
# third-party code enters the repo.
#
# The crates.io crate wamrx-sys (a Rust binding) ships WAMR's full C runtime source, including
# core/iwasm/libraries/wasi-nn, under wasm-micro-runtime/. cargo fetches the exact version from
# a throwaway manifest (nothing is built); we check the .crate's sha256 and unpack it.
set -euo pipefail

CRATE="wamrx-sys"
VERSION="0.3.0"
CRATE_SHA256="ab9efc67ebd6c574684794e3a25933c58d2ad3f1b1078830f8c779974132e0d1"
WAMR_VERSION="2.4.3"

cache="${WASI_NN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/wasi_nn_backend}"
dest="$cache/wamr-$WAMR_VERSION"

if [ -f "$dest/.wasi_nn_ok" ]; then
  echo "$dest"
  exit 0
fi

command -v cargo >/dev/null || {
  echo "fetch-wamr: cargo is needed to fetch the crate $CRATE $VERSION (install Rust's cargo, e.g. apt-get install cargo)" >&2
  exit 1
}
mkdir -p "$cache"
work=$(mktemp -d "$cache/.fetch-wamr.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "fetch-wamr: fetching WAMR $WAMR_VERSION source from the crate $CRATE $VERSION ..." >&2
mkdir -p "$work/manifest/src"
cat >"$work/manifest/Cargo.toml" <<TOML
[package]
name = "wasi-nn-fetch-wamr"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$CRATE = "=$VERSION"
TOML
: >"$work/manifest/src/lib.rs"
# cargo keeps downloaded .crate files in its own registry cache; fetch resolves and downloads
# without compiling anything.
(cd "$work/manifest" && cargo fetch --quiet >&2)

cargo_home="${CARGO_HOME:-$HOME/.cargo}"
crate_file=$(ls -t "$cargo_home"/registry/cache/*/"$CRATE-$VERSION.crate" 2>/dev/null | head -n1 || true)
if [ -z "$crate_file" ]; then
  echo "fetch-wamr: cargo fetched nothing at $cargo_home/registry/cache/*/$CRATE-$VERSION.crate" >&2
  exit 1
fi
got=$(sha256sum "$crate_file" | cut -d' ' -f1)
if [ "$got" != "$CRATE_SHA256" ]; then
  echo "fetch-wamr: checksum mismatch for $CRATE $VERSION: expected $CRATE_SHA256, got $got" >&2
  exit 1
fi

tar -xzf "$crate_file" -C "$work" "$CRATE-$VERSION/wasm-micro-runtime"
tree="$work/$CRATE-$VERSION/wasm-micro-runtime"
for need in core/iwasm/include/wasm_export.h build-scripts/runtime_lib.cmake \
            core/iwasm/libraries/wasi-nn/src/wasi_nn.c; do
  [ -f "$tree/$need" ] || { echo "fetch-wamr: $CRATE $VERSION lacks $need" >&2; exit 1; }
done
grep -q "WAMR_VERSION_MINOR 4" "$tree/core/version.h" || {
  echo "fetch-wamr: $CRATE $VERSION does not carry WAMR 2.4 (see $tree/core/version.h)" >&2
  exit 1
}
rm -rf "$dest"
mv "$tree" "$dest"
touch "$dest/.wasi_nn_ok"
echo "fetch-wamr: WAMR $WAMR_VERSION cached at $dest" >&2
echo "$dest"
