#!/usr/bin/env bash
# End-to-end benchmark: authsift against DuckDB and jq on the same generated exports.
#
#   benches/e2e.sh [SIZE...]          e.g. benches/e2e.sh 1GB 4GB   (default: 1GB)
#
# Generates realistic exports (examples/generate.rs, seeded) of each shape into $BENCH_DIR
# (default /tmp/authsift-bench; reused when present), then times each tool RUNS times (default
# 5) with a warm page cache (each input evicted and read back once first) and prints, per
# question and input, the median wall time, MB/s, peak RSS and the ratio to DuckDB run in the
# same session. DuckDB's time is its query alone, measured inside Python (its interpreter
# start-up is not counted); the others are whole runs. Needs python3 with pip (DuckDB is
# installed from PyPI into $BENCH_DIR/venv), jq, openssl and GNU dd (to evict). Writes nothing
# outside $BENCH_DIR.
#
# The report's one pass includes the SHA-256 custody hash of each input. By hand, a responder
# would hash the file as well as query it: a note per input compares the report with DuckDB's
# faster question plus `openssl dgst -sha256` (SHA-NI accelerated, faster than coreutils'
# sha256sum) on the same file.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_DIR=${BENCH_DIR:-/tmp/authsift-bench}
RUNS=${RUNS:-5}
THREADS=${THREADS:-2}
SIZES=("${@:-1GB}")
mkdir -p "$BENCH_DIR"

cargo build --release --quiet --bin authsift --example generate
AUTHSIFT=$PWD/target/release/authsift
GENERATE=$PWD/target/release/examples/generate

if [ ! -x "$BENCH_DIR/venv/bin/python" ]; then
  python3 -m venv "$BENCH_DIR/venv"
  "$BENCH_DIR/venv/bin/pip" install --quiet duckdb
fi
PYTHON=$BENCH_DIR/venv/bin/python
command -v jq >/dev/null || { echo "jq is required (apt-get install jq)" >&2; exit 2; }
command -v openssl >/dev/null || { echo "openssl is required (apt-get install openssl)" >&2; exit 2; }

# The SQL a responder would hand-write for each question, DuckDB limited to $THREADS threads.
cat > "$BENCH_DIR/duck.py" <<'PY'
import sys, time, duckdb
question, shape, path, threads, timings = sys.argv[1:6]
con = duckdb.connect()
con.execute(f"SET threads={threads}")
if shape == "csv":
    src = f"read_csv('{path}', header=true, all_varchar=true)"
    published, event_type, result = '"timestamp"', '"event_type"', '"outcome.result"'
    user_agent, actor, ip = '"client.user_agent.raw_user_agent"', '"actor.alternate_id"', '"client.ip_address"'
    legacy = ("(\"event_type\" = 'user.authentication.auth_via_richclient' OR \"legacy_event_type\" LIKE 'app.rich_client.%'"
              " OR lower(\"debug_context.debug_data.request_uri\") LIKE '%/sso/wsfed/active%')")
else:
    fmt = "newline_delimited" if shape == "ndjson" else "array"
    columns = ("{published:'VARCHAR', eventType:'VARCHAR', legacyEventType:'VARCHAR', "
               "outcome:'STRUCT(result VARCHAR, reason VARCHAR)', actor:'STRUCT(alternateId VARCHAR)', "
               "client:'STRUCT(ipAddress VARCHAR, userAgent STRUCT(rawUserAgent VARCHAR))', "
               "debugContext:'STRUCT(debugData STRUCT(requestUri VARCHAR))'}")
    src = f"read_json('{path}', format='{fmt}', columns={columns})"
    published, event_type, result = "published", "eventType", "outcome.result"
    user_agent, actor, ip = "client.userAgent.rawUserAgent", "actor.alternateId", "client.ipAddress"
    legacy = ("(eventType = 'user.authentication.auth_via_richclient' OR legacyEventType LIKE 'app.rich_client.%'"
              " OR lower(debugContext.debugData.requestUri) LIKE '%/sso/wsfed/active%')")
if question == "timeline":
    sql = (f"SELECT date_trunc('hour', CAST({published} AS TIMESTAMP)) AS hour, {event_type}, count(*) "
           f"FROM {src} WHERE {result} IN ('FAILURE', 'DENY') GROUP BY ALL ORDER BY ALL")
else:
    sql = (f"SELECT coalesce({user_agent}, '') AS ua, count(*) AS events, "
           f"count(*) FILTER (WHERE {result} = 'SUCCESS') AS successes, "
           f"count(*) FILTER (WHERE {result} IN ('FAILURE', 'DENY')) AS failures, "
           f"count(DISTINCT lower({actor})) AS users, count(DISTINCT {ip}) AS ips, "
           f"min({published}), max({published}) FROM {src} WHERE {legacy} GROUP BY ALL ORDER BY events DESC, ua")
start = time.perf_counter()
rows = con.execute(sql).fetchall()
with open(timings, "a") as out:  # the query alone, without Python's start-up
    out.write(f"{time.perf_counter() - start:.3f}\n")
PY

# jq's answer to "failures per hour" on NDJSON.
JQ_TIMELINE='select(.outcome.result == "FAILURE" or .outcome.result == "DENY") | .published[0:13]'

# median_run LABEL FILE COMMAND...: runs COMMAND $RUNS times, prints "seconds rss_kb".
median_run() {
  shift 2
  local times=() rss=()
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$BENCH_DIR/time.txt" "$@" >/dev/null 2>"$BENCH_DIR/stderr.txt" \
      || { echo "failed: $* ($(tail -1 "$BENCH_DIR/stderr.txt"))" >&2; exit 2; }
    read -r t m < "$BENCH_DIR/time.txt"
    times+=("$t"); rss+=("$m")
  done
  local mid=$(( RUNS / 2 ))
  local t m
  t=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$((mid + 1))p")
  m=$(printf '%s\n' "${rss[@]}" | sort -n | sed -n "$((mid + 1))p")
  echo "$t $m"
}

row() { # question shape size tool seconds rss_kb bytes duck_seconds
  awk -v q="$1" -v s="$2" -v z="$3" -v tool="$4" -v t="$5" -v m="$6" -v b="$7" -v d="$8" 'BEGIN {
    mbs = (t > 0) ? b / 1e6 / t : 0
    ratio = (t > 0 && d > 0) ? sprintf("%.2fx", d / t) : "-"
    printf "| %s | %s | %s | %s | %.2f | %.0f | %.0f | %s |\n", q, s, z, tool, t, mbs, m / 1024, ratio }'
}

notes=""
echo "| question | input | size | tool | median s | MB/s | peak RSS MB | vs DuckDB (speed) |"
echo "|---|---|---|---|---|---|---|---|"
for size in "${SIZES[@]}"; do
  for shape in ndjson json csv; do
    file=$BENCH_DIR/okta-$size.$shape
    if [ ! -s "$file" ]; then
      case $shape in
        ndjson) "$GENERATE" --shape ndjson --size "$size" --seed 7 -o "$file" ;;
        # DuckDB reads one JSON array, not concatenated API pages: join the pages into one.
        json) "$GENERATE" --shape json --size "$size" --seed 7 -o "$file.pages"
              "$PYTHON" - "$file.pages" "$file" <<'PY'
import sys
with open(sys.argv[1], "rb") as src, open(sys.argv[2], "wb") as dst:
    carry = b""
    while block := src.read(1 << 24):
        block = (carry + block).replace(b"]\n[", b",")
        carry, block = block[-2:], block[:-2]
        dst.write(block)
    dst.write(carry)
PY
              rm -f "$file.pages" ;;
        csv) "$GENERATE" --shape csv-admin --size "$size" --seed 7 -o "$file" ;;
      esac >&2
    fi
    bytes=$(stat -c %s "$file")
    # The same page cache for every run and tool: the file evicted and read back once, as after
    # a reboot. Read from disk, Linux (6.x, ext4) caches it in large folios that a map takes
    # 2 MiB at a time; pages left cached by writing the file are mapped 4 KiB at a time.
    dd if="$file" iflag=nocache count=0 status=none
    cat "$file" > /dev/null
    fastest_duck=""
    for question in timeline agents; do
      : > "$BENCH_DIR/duck-times.txt"
      read -r _ dm < <(median_run duckdb "$file" "$PYTHON" "$BENCH_DIR/duck.py" "$question" "$shape" "$file" "$THREADS" "$BENCH_DIR/duck-times.txt")
      dt=$(sort -n "$BENCH_DIR/duck-times.txt" | sed -n "$(( RUNS / 2 + 1 ))p")
      row "$question" "$shape" "$size" "DuckDB $THREADS threads" "$dt" "$dm" "$bytes" "$dt"
      fastest_duck=$(awk -v a="$dt" -v b="${fastest_duck:-$dt}" 'BEGIN { print (a < b) ? a : b }')
      case $question in
        timeline) args=(timeline --by event-type) ;;
        agents) args=(agents) ;;
      esac
      read -r at am < <(median_run authsift "$file" "$AUTHSIFT" --threads "$THREADS" "${args[@]}" -q -f json "$file")
      row "$question" "$shape" "$size" "authsift $THREADS threads" "$at" "$am" "$bytes" "$dt"
      if [ "$question" = timeline ] && [ "$shape" = ndjson ]; then
        read -r jt jm < <(median_run jq "$file" jq -r "$JQ_TIMELINE" "$file")
        row "$question" "$shape" "$size" "jq $(jq --version | tr -d 'jq-')" "$jt" "$jm" "$bytes" "$dt"
      fi
    done
    read -r st sm < <(median_run authsift "$file" "$AUTHSIFT" --threads "$THREADS" summary -q -f json "$file")
    row "summary (+SHA-256)" "$shape" "$size" "authsift $THREADS threads" "$st" "$sm" "$bytes" 0
    read -r ht hm < <(median_run authsift "$file" "$AUTHSIFT" --threads "$THREADS" hunt -q -f json "$file")
    row "hunt (13 detections)" "$shape" "$size" "authsift $THREADS threads" "$ht" "$hm" "$bytes" 0
    read -r rt rm < <(median_run authsift "$file" "$AUTHSIFT" --threads "$THREADS" report -q -o "$BENCH_DIR/report.html" "$file")
    row "report (one pass, +SHA-256)" "$shape" "$size" "authsift $THREADS threads" "$rt" "$rm" "$bytes" 0
    read -r ot om < <(median_run openssl "$file" openssl dgst -sha256 "$file")
    row "custody hash only" "$shape" "$size" "openssl dgst -sha256" "$ot" "$om" "$bytes" 0
    notes+=$(awk -v s="$size" -v f="$shape" -v r="$rt" -v d="$fastest_duck" -v o="$ot" 'BEGIN {
      printf "%s %s: report %.2f s; DuckDB %.2f s alone (%.2fx), %.2f s with the openssl hash (%.2fx)\n", s, f, r, d, d / r, d + o, (d + o) / r }')$'\n'
  done
  gz=$BENCH_DIR/okta-$size.ndjson.gz
  [ -s "$gz" ] || gzip -c -6 "$BENCH_DIR/okta-$size.ndjson" > "$gz"
  bytes=$(stat -c %s "$BENCH_DIR/okta-$size.ndjson")
  read -r gt gm < <(median_run gzip "$gz" gzip -dc "$gz")
  row "decompress only" "ndjson.gz" "$size" "gzip -dc" "$gt" "$gm" "$bytes" 0
  read -r at am < <(median_run authsift "$gz" "$AUTHSIFT" --threads "$THREADS" timeline --by event-type -q -f json "$gz")
  row "timeline" "ndjson.gz" "$size" "authsift $THREADS threads" "$at" "$am" "$bytes" 0
  notes+=$(awk -v s="$size" -v a="$at" -v g="$gt" 'BEGIN { printf "%s gzip: authsift timeline takes %.2fx the time of gzip -dc alone\n", s, a / g }')$'\n'
done
printf '\n%s' "$notes"
