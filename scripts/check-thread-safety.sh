#!/usr/bin/env bash
# Clang's thread-safety analysis (-Wthread-safety) over our C++ sources: a member marked
# GUARDED_BY(mu) touched without mu held, or a REQUIRES(mu) function called without it, fails
# the check. It compiles each of our translation units with clang in syntax-only mode, with the
# flags the build used (from compile_commands.json), so it needs no second build.
#   scripts/check-thread-safety.sh [BUILD_DIR]   (default: build; CLANG overrides clang++-14)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
clang="${CLANG:-clang++-14}"
command -v "$clang" >/dev/null || { echo "check-thread-safety: $clang not found (apt-get install clang-14)" >&2; exit 2; }
[ -f "$build/compile_commands.json" ] || { echo "check-thread-safety: $build/compile_commands.json missing (configure with CMAKE_EXPORT_COMPILE_COMMANDS=ON)" >&2; exit 2; }
list=$(mktemp)
trap 'rm -f "$list"' EXIT
python3 - "$build/compile_commands.json" "$PWD/src/" "$clang" > "$list" <<'PY'
import json, shlex, sys
db, src, clang = sys.argv[1], sys.argv[2], sys.argv[3]
seen = set()
for e in json.load(open(db)):
    f = e["file"]
    if not f.startswith(src) or not f.endswith(".cpp") or f in seen:
        continue
    seen.add(f)
    args = shlex.split(e["command"])[1:]
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-o", "-c"):
            skip = a == "-o"
            continue
        if a == f or a.startswith("-mindirect-branch") or a.startswith("-mfunction-return"):
            continue  # GCC-only hardening flags (WAMR's build adds them)
        out.append(a)
    flags = ["-fsyntax-only", "-Wthread-safety", "-Werror=thread-safety", "-Wno-unknown-warning-option"]
    print(shlex.join(["cd", e["directory"]]) + " && " + shlex.join([clang] + out + flags + [f]))
PY
n=$(wc -l < "$list")
fails=0
while read -r cmd; do
  if ! out=$(bash -c "$cmd" 2>&1); then
    echo "$out" >&2
    fails=$((fails + 1))
  elif grep -q "warning:.*thread-safety\|-Wthread-safety" <<<"$out"; then
    echo "$out" >&2
    fails=$((fails + 1))
  fi
done < "$list"
echo "check-thread-safety: $n translation units, $fails with findings"
[ "$fails" -eq 0 ]
