#!/bin/bash
# Run every fuzz target of a fuzzing build for SECONDS each, from its seed
# corpus (a copy: new inputs stay out of the source tree).
#   usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=$1
seconds=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
for target in fuzz_packet:packet fuzz_conf_file:conf_file fuzz_domain_conf:domain_conf \
    fuzz_journal:journal fuzz_relay:relay fuzz_qemu_cpu:qemu_cpu; do
  exe=${target%%:*}
  corpus=${target##*:}
  work=$(mktemp -d)
  cp -r "$here/corpus/$corpus/." "$work/"
  echo "fuzzing $exe for ${seconds}s"
  "$build/tests/fuzz/$exe" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -print_final_stats=1 "$work" 2>&1 | tail -n 3
  rc=${PIPESTATUS[0]}
  rm -rf "$work"
  [ "$rc" = 0 ] || { echo "$exe failed" >&2; exit 1; }
done
