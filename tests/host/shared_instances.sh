#!/usr/bin/env bash
# shared_instances.sh HOST GUEST MODEL N: runs 1 and then N instances of the guest in one process
# each (wasi-nn-run --instances), each instance loading MODEL and generating. With the model
# shared, the extra resident memory per added instance must stay well below the model's size
# (asserted: below a quarter of it). Prints the figures.
set -euo pipefail
host=$1 guest=$2 model=$3 n=$4
rss() {  # prints "before after" in KiB
  "$host" --report-rss --instances "$1" --nn-preload "m:GGML:AUTO:$model" "$guest" \
    generate m "Once upon a time" 8 2>&1 >/dev/null |
    sed -n 's/.*rss_kib before=\([0-9]*\) after=\([0-9]*\).*/\1 \2/p'
}
read -r b1 a1 < <(rss 1)
read -r bn an < <(rss "$n")
model_kib=$(( $(stat -L -c %s "$model") / 1024 ))
one=$(( a1 - b1 ))
per=$(( (an - bn - one) / (n - 1) ))
echo "model file: ${model_kib} KiB"
echo "1 instance: +${one} KiB resident (model loaded, one generation)"
echo "${n} instances: +$(( an - bn )) KiB resident"
echo "extra per added instance: ${per} KiB ($(( per * 100 / model_kib ))% of the model)"
if [ "$per" -ge $(( model_kib / 4 )) ]; then
  echo "shared_instances.sh: each instance costs ${per} KiB, not well below the model's ${model_kib} KiB: not shared?" >&2
  exit 1
fi
