#!/usr/bin/env bash
# Runs client_bench in a tiny configuration so the binary cannot rot: it must
# start its server, run every method and redis-benchmark, and print the
# ratios. No speed thresholds (those are read from a full run, not tested).
set -euo pipefail
bench="$1"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"$bench" --keys=2000 --batch_keys=512 --fields_per_command=1,64 \
  --seconds=0.1 --rounds=1 --requests=5000 | tee "$out"
for line in "one-by-one HSET" "pipelined HMGET, 64 field(s)/cmd" \
  "redis-benchmark -P 16" "HMGET: pipelined" "done-when"; do
  grep -qF "$line" "$out" || { echo "missing line: $line" >&2; exit 1; }
done
