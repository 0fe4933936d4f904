#!/usr/bin/env bash
# Checks that each ABI library exports exactly its ABI: every expected function, defined and of
# type T, and not one symbol more. Also checks that llama.cpp and ggml are linked in statically
# (no NEEDED entry names them), so nothing of theirs can clash with a host's own copy.
#
#   check_exports.sh <libwasi_nn_backend.so> <libwasi_nn_llamacpp.so>
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 <libwasi_nn_backend.so> <libwasi_nn_llamacpp.so>" >&2
  exit 2
fi

# docs/ABI.md, "The seed ABI": the 13 functions of the original project's ABI, plus streaming (3),
# unload, stats and the log callback (3).
seed_expected="
unload
wasi_nn_stats
wasi_nn_set_log_callback
close_execution_context
compute
compute_single
fini_single
get_output_single
deinit_backend
get_output
init_backend
init_backend_with_config
init_execution_context
init_execution_context_with_session_id
load
load_by_name
load_by_name_with_config
run_inference
set_input
"

# docs/ABI.md, "The WAMR ABI": the 9 functions WAMR 2.4's wasi-nn library dlsyms, plus streaming (3),
# unload, finalize_execution_context, stats, the log callback and the stream sink (5).
wamr_expected="
unload
finalize_execution_context
wasi_nn_stats
wasi_nn_set_log_callback
wasi_nn_set_stream_sink
compute
compute_single
fini_single
get_output_single
deinit_backend
get_output
init_backend
init_execution_context
load
load_by_name
load_by_name_with_config
set_input
"

status=0

check() {
  local lib="$1" expected="$2"
  local want got
  want=$(printf '%s\n' $expected | sort)
  # "ADDRESS TYPE NAME[@VERSION]"; every exported symbol must be a function (T).
  got=$(nm -D --defined-only "$lib" | awk '{ sub(/@.*/, "", $3); print $2 " " $3 }' | sort -k2)
  local names
  names=$(printf '%s\n' "$got" | awk '{ print $2 }' | sort)
  local missing extra
  missing=$(comm -23 <(printf '%s\n' "$want") <(printf '%s\n' "$names"))
  extra=$(comm -13 <(printf '%s\n' "$want") <(printf '%s\n' "$names"))
  if [ -n "$missing" ]; then
    echo "FAIL $lib: missing exports:" $missing
    status=1
  fi
  if [ -n "$extra" ]; then
    echo "FAIL $lib: unexpected exports:" $extra
    status=1
  fi
  local not_functions
  not_functions=$(printf '%s\n' "$got" | awk '$1 != "T" { print $2 "(" $1 ")" }')
  if [ -n "$not_functions" ]; then
    echo "FAIL $lib: exports that are not functions:" $not_functions
    status=1
  fi
  local needed
  needed=$(readelf -d "$lib" | awk '/NEEDED/ { print $NF }' | grep -Ei 'llama|ggml' || true)
  if [ -n "$needed" ]; then
    echo "FAIL $lib: links llama.cpp dynamically:" $needed
    status=1
  fi
  if [ -z "$missing$extra$not_functions$needed" ]; then
    echo "ok   $lib: exactly $(printf '%s\n' "$want" | wc -l) ABI functions exported"
  fi
}

check "$1" "$seed_expected"
check "$2" "$wamr_expected"
exit $status
