#!/usr/bin/env bash
# End-to-end benchmark of `xiaowei run` beside the PostgreSQL peer
# (../shared/peers), on generated data. Prints one table.
#
#   bench/run.sh                 # S = 300 and M = 2,000 villages
#   SIZES="300" bench/run.sh     # only S
#   SIZES="26369" PEER=0 bench/run.sh   # the province (slow to generate)
#
# Data is generated once per size into bench/data/v<N>/{csv,parquet}
# (git-ignored) and reused. Timings: /usr/bin/time -v (wall, user+sys CPU,
# peak RSS); per-stage seconds from summary.json (stage_seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"300 2000"}
PEER=${PEER:-1}
PART=${PART:-1}
DB=${DB:-postgres://postgres@127.0.0.1:5432/test}
AS_OF=2025-06-30
PEERS=${PEERS:-../shared/peers}
OUT=bench/data/out
mkdir -p bench/data/bin "$OUT"
go build -o bench/data/bin/xiaowei ./cmd/xiaowei
X=bench/data/bin/xiaowei
# Snapshot the rules so every run of this benchmark reads the same files.
rm -rf "$OUT/rules" && cp -r "${RULES:-rules}" "$OUT/rules"

gen() { # size format
  local d=bench/data/v$1/$2
  if [ ! -f "$d/.done" ]; then
    rm -rf "$d"
    echo "generating $1 villages ($2)…" >&2
    $X gen --out "$d" --villages "$1" --seed 1 --format "$2" --anomaly-rate 0.05 >/dev/null
    touch "$d/.done"
  fi
  echo "$d"
}

# timed NAME CMD…: runs CMD under /usr/bin/time -v, appends a result row.
rows=()
timed() {
  local name=$1; shift
  local tf; tf=$(mktemp)
  /usr/bin/time -v -o "$tf" "$@" >/dev/null
  local wall cpu rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$tf")
  cpu=$(awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{print u+s}' "$tf")
  rss=$(awk -F': ' '/Maximum resident/{printf "%.0f", $2/1024}' "$tf")
  rm -f "$tf"
  echo "$name|$wall|$cpu|$rss"
}

stages() { # summary.json -> "load 1.23s (4.5M rows/s), …"
  jq -r '
    ([.tables[].read] | add) as $rows
    | ([.rules[]?.rows] | add // 0) as $evrows
    | .stage_seconds | to_entries | sort_by(-.value)
    | map(.key + " " + (.value*100|round/100|tostring) + "s"
          + (if .key=="load" then " (" + (($rows/.value/1e6)*10|round/10|tostring) + "M rows/s)"
             elif .key=="evaluate" and .value>0 then " (" + (($evrows/.value/1e6)*10|round/10|tostring) + "M rule-rows/s)" else "" end))
    | join(", ")' "$1"
}

peer() { # csv dir; sets t0 t1 t2
  psql "$DB" -v ON_ERROR_STOP=1 -qf "$PEERS/postgres-schema.sql" >/dev/null 2>&1 || return 1
  t0=$(date +%s.%N)
  for t in villages persons kinship cadres beneficiaries payments ledger disclosures; do
    if [ -f "$1/$t.csv" ]; then psql "$DB" -v ON_ERROR_STOP=1 -qc "\\copy peer.$t from '$1/$t.csv' csv header" >/dev/null || return 1; fi
  done
  t1=$(date +%s.%N)
  (cd "$PEERS" && psql "$DB" -v ON_ERROR_STOP=1 -v as_of="'$AS_OF'" -qf postgres-rules.sql >/dev/null) || return 1
  t2=$(date +%s.%N)
}

printf '%-28s %9s %8s %9s %8s %9s  %s\n' "run" "rows" "MB" "wall s" "CPU s" "RSS MiB" "stages (summary.json)"
for n in $SIZES; do
  csv=$(gen "$n" csv)
  pq=$(gen "$n" parquet)
  nrows=$(( $(cat "$csv"/*.csv | wc -l) - 8 ))
  mb=$(du -sm "$csv" | cut -f1)
  rm -rf "$OUT/v$n-csv" "$OUT/v$n-parquet" "$OUT/v$n-partition"
  for mode in ${MODES:-csv parquet partition}; do
    args=(run --data "$csv" --out "$OUT/v$n-$mode" --as-of $AS_OF --rules "$OUT/rules" --quiet)
    case $mode in
      parquet) args=(run --data "$pq" --out "$OUT/v$n-$mode" --as-of $AS_OF --rules "$OUT/rules" --quiet) ;;
      partition) [ "$PART" = 1 ] || continue; args+=(--partition county --partition-tmp bench/data) ;;
    esac
    IFS='|' read -r name wall cpu rss < <(timed "xiaowei $mode" $X "${args[@]}")
    printf '%-28s %9d %8d %9.2f %8.2f %9d  %s\n' "v$n xiaowei $mode" "$nrows" "$mb" "$wall" "$cpu" "$rss" "$(stages "$OUT/v$n-$mode/summary.json")"
    eval "xw_${mode}_$n=$wall"
  done
  if [ "$PART" = 1 ] && [ -f "$OUT/v$n-partition/findings.jsonl" ]; then
    if cmp -s "$OUT/v$n-csv/findings.jsonl" "$OUT/v$n-partition/findings.jsonl"; then same=identical; else same=DIFFERENT; fi
    echo "    v$n partitioned vs whole findings.jsonl: $same ($(wc -l < "$OUT/v$n-csv/findings.jsonl") findings)"
  fi
  if [ "$PEER" = 1 ]; then
    if ! peer "$csv"; then echo "    v$n postgres peer failed (see above)"; continue; fi
    copy=$(echo "$t1 - $t0" | bc); checks=$(echo "$t2 - $t1" | bc); tot=$(echo "$t2 - $t0" | bc)
    printf '%-28s %9d %8d %9.2f %8s %9s  %s\n' "v$n postgres peer (8 checks)" "$nrows" "$mb" "$tot" "-" "-" "COPY ${copy}s, checks ${checks}s"
    w=xw_csv_$n
    echo "    v$n ratio postgres / xiaowei (CSV, all rules): $(echo "scale=1; $tot / ${!w}" | bc)x"
    psql "$DB" -qc "drop schema peer cascade" >/dev/null 2>&1 || true
  fi
done
echo "load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg) (wall times are only meaningful on an idle machine; CPU s is more robust)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3)"
