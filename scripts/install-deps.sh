#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, only those missing. Needs root (or
# sudo). Safe to run repeatedly. Tools count as present when their command is on PATH (npm or
# cargo may come from elsewhere than apt, e.g. nodesource or rustup).
set -euo pipefail

# command:package — build, tests, wasm guests (clang-14 for wasm32-wasi, wabt), cargo, which
# fetches WAMR's source crate (scripts/fetch-wamr.sh), and pip + unzip, which fetch the demo's
# model (scripts/fetch-model.sh), and clang-format-14 (the format check). The Rust guests (guests/rust) need Debian's own rustc and
# cargo in /usr/bin (rustup toolchains elsewhere on PATH lack wasm32-wasi), so those two are
# checked by path, not by command.
tools=(cmake:cmake ninja:ninja-build g++:g++ git:git npm:npm ccache:ccache
       clang-14:clang-14 wasm-ld-14:lld-14 wasm-objdump:wabt cargo:cargo
       pip3:python3-pip unzip:unzip clang-format-14:clang-format-14)
# file:package — libraries and sysroots.
files=(/usr/include/gtest/gtest.h:libgtest-dev
       /usr/bin/rustc:rustc /usr/bin/cargo:cargo
       /usr/lib/rustlib/wasm32-wasi/lib/libstd-*.rlib:libstd-rust-dev-wasm32
       /usr/include/wasm32-wasi/stdio.h:wasi-libc
       /usr/lib/llvm-14/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a:libclang-rt-14-dev-wasm32
       /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev)

missing=()
for t in "${tools[@]}"; do command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}"); done
for f in "${files[@]}"; do compgen -G "${f%%:*}" >/dev/null || missing+=("${f#*:}"); done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
