#!/usr/bin/env bash
# Peak resident memory of each command at two sizes, and how much it grows from one to the
# other (issue 3: at most 256 MB, growing by at most 25% from 1 GB to 4 GB).
#
#   benches/memory.sh [SMALL LARGE]      default: 1GB 4GB
#
# Uses the exports benches/e2e.sh generates into $BENCH_DIR (default /tmp/authsift-bench; run
# it first, or it is run here for the missing sizes). Each input is evicted from the page cache
# and read back before its runs, as in benches/e2e.sh: how the cache holds a file decides how
# many of its pages a map takes at once, and so the resident set. Each command runs RUNS times
# (default 7) on THREADS threads (default 2); the table gives the median peak RSS with the
# range in brackets, and the growth of the medians. Writes nothing outside $BENCH_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_DIR=${BENCH_DIR:-/tmp/authsift-bench}
RUNS=${RUNS:-7}
THREADS=${THREADS:-2}
SMALL=${1:-1GB}
LARGE=${2:-4GB}

for size in "$SMALL" "$LARGE"; do
  for input in ndjson json csv ndjson.gz; do
    [ -s "$BENCH_DIR/okta-$size.$input" ] || { RUNS=1 benches/e2e.sh "$size" >/dev/null; break; }
  done
done
cargo build --release --quiet --bin authsift
AUTHSIFT=$PWD/target/release/authsift

# peak FILE COMMAND...: "median min max" of the peak RSS in MB over $RUNS runs.
peak() {
  local file=$1
  shift
  dd if="$file" iflag=nocache count=0 status=none
  cat "$file" > /dev/null
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%M" -o "$BENCH_DIR/time.txt" "$AUTHSIFT" --threads "$THREADS" "$@" -q "$file" \
      >/dev/null 2>"$BENCH_DIR/stderr.txt" \
      || { echo "failed: $* $file ($(tail -1 "$BENCH_DIR/stderr.txt"))" >&2; exit 2; }
    cat "$BENCH_DIR/time.txt"
  done | sort -n | awk -v runs="$RUNS" '{ kb[NR] = $1 }
    END { printf "%.0f %.0f %.0f\n", kb[int(runs / 2) + 1] / 1024, kb[1] / 1024, kb[runs] / 1024 }'
}

echo "| command | input | $SMALL | $LARGE | growth |"
echo "|---|---|---|---|---|"
while IFS='|' read -r label inputs args; do
  for input in $inputs; do
    read -r sm slo shi < <(peak "$BENCH_DIR/okta-$SMALL.$input" $args)
    read -r lm llo lhi < <(peak "$BENCH_DIR/okta-$LARGE.$input" $args)
    awk -v c="$label" -v i="$input" -v sm="$sm" -v slo="$slo" -v shi="$shi" \
      -v lm="$lm" -v llo="$llo" -v lhi="$lhi" -v s="$SMALL" -v l="$LARGE" 'BEGIN {
      printf "| `%s` | %s | %d (%d-%d) MB | %d (%d-%d) MB | %+.0f%% |\n",
        c, i, sm, slo, shi, lm, llo, lhi, (lm / sm - 1) * 100 }'
  done
done <<'COMMANDS'
timeline --by event-type|ndjson json csv ndjson.gz|timeline --by event-type -f json
agents|ndjson json csv ndjson.gz|agents -f json
summary|ndjson json csv|summary -f json
hunt|ndjson json csv|hunt -f json
report|ndjson json csv|report -f json --now 2026-01-01T00:00:00Z
COMMANDS
