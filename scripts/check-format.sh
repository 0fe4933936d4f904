#!/usr/bin/env bash
# Checks that every C and C++ file of the repository is formatted as .clang-format says, with
# clang-format 14 (Debian 12's; other versions break lines differently). Exits 0 when all are,
# 1 listing the files that are not, 77 (ctest: skipped) when clang-format-14 is not installed.
#   scripts/check-format.sh          check
#   scripts/check-format.sh --fix    reformat the files in place
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fmt="${CLANG_FORMAT:-$(command -v clang-format-14 || true)}"
if [ -z "$fmt" ]; then
  echo "check-format: clang-format-14 is not installed (scripts/install-deps.sh installs it)" >&2
  exit 77
fi
cd "$root"
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp')
if [ "${1:-}" = "--fix" ]; then
  "$fmt" -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  "$fmt" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check-format: ${#bad[@]} file(s) differ from .clang-format (scripts/check-format.sh --fix):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files follow .clang-format"
