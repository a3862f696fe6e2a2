#!/usr/bin/env bash
# End-to-end benchmark of `xiaowei run` beside the DuckDB and PostgreSQL
# peers (../shared/peers), on generated data. Prints, in one run, the M
# table (CSV, Parquet, partitioned, equal work against both peers) and the
# province row (partitioned), then the per-row cost of every stage.
#
#   bench/run.sh                       # M = 2,000 villages, then the province (26,369)
#   SIZES="300 2000" PROVINCE=0 bench/run.sh   # S and M only
#   PEER=0 bench/run.sh                # without the SQL peers
#
# Data is generated once per size into bench/data/v<N>/{csv,parquet}
# (git-ignored, ~11 GB for the province) and reused; delete bench/data
# afterwards. Timings: /usr/bin/time -v (wall, user+sys CPU, peak RSS) of
# whole processes; per-stage seconds from summary.json (stage_seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"2000"}
PROVINCE=${PROVINCE:-1}
PROVINCE_SIZE=${PROVINCE_SIZE:-26369}
PEER=${PEER:-1}
DB=${DB:-postgres://postgres@127.0.0.1:5432/test}
AS_OF=2025-06-30
PEERS=${PEERS:-../shared/peers}
OUT=bench/data/out
mkdir -p bench/data/bin "$OUT"
go build -o bench/data/bin/xiaowei ./cmd/xiaowei
X=bench/data/bin/xiaowei
DUCK=""
if [ "$PEER" = 1 ]; then
  if (cd bench/duckdb && CGO_ENABLED=1 go build -o ../data/bin/duckdb-peer .) >&2; then
    DUCK=bench/data/bin/duckdb-peer
  else
    echo "(DuckDB peer did not build: needs cgo and a C compiler; its rows are left out)" >&2
  fi
fi
# Snapshot the rules so every run of this benchmark reads the same files.
rm -rf "$OUT/rules" && cp -r "${RULES:-rules}" "$OUT/rules"
cp bench/peer-equal-work.yaml "$OUT/peer-equal-work.yaml"

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

# timed CMD…: runs CMD under /usr/bin/time -v; prints "wall|cpu|rss_mib"
# (CMD's stdout goes to $OUT/last.out).
timed() {
  local tf; tf=$(mktemp)
  /usr/bin/time -v -o "$tf" "$@" >"$OUT/last.out"
  local wall cpu rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$tf")
  cpu=$(awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{print u+s}' "$tf")
  rss=$(awk -F': ' '/Maximum resident/{printf "%.0f", $2/1024}' "$tf")
  rm -f "$tf"
  echo "$wall|$cpu|$rss"
}

stages() { # summary.json -> "load 1.23s (4.5M rows/s), …"
  jq -r '
    ([.tables[].read] | add) as $rows
    | ([.rules[]?.rows] | add // 0) as $evrows
    | .stage_seconds | to_entries | map(select(.value >= 0.005)) | sort_by(-.value)
    | map(.key + " " + (.value*100|round/100|tostring)
          + (if .key=="load" then " (" + (($rows/.value/1e6)*10|round/10|tostring) + "M rows/s)"
             elif .key=="evaluate" and .value>0 then " (" + (($evrows/.value/1e6)*10|round/10|tostring) + "M rule-rows/s)" else "" end))
    | join(", ")' "$1"
}

perrow=()   # "label|summary.json" for the per-row table
row() { # label rows mb wall cpu rss target stages
  printf '%-34s %10s %7s %8s %8s %8s  %-22s %s\n' "$@"
}

peer_pg() { # csv dir; sets pg_copy pg_checks pg_tot
  psql "$DB" -v ON_ERROR_STOP=1 -qf "$PEERS/postgres-schema.sql" >/dev/null 2>&1 || return 1
  local t0 t1 t2
  t0=$(date +%s.%N)
  for t in villages persons kinship cadres beneficiaries payments ledger disclosures; do
    if [ -f "$1/$t.csv" ]; then psql "$DB" -v ON_ERROR_STOP=1 -qc "\\copy peer.$t from '$1/$t.csv' csv header" >/dev/null || return 1; fi
  done
  t1=$(date +%s.%N)
  (cd "$PEERS" && psql "$DB" -v ON_ERROR_STOP=1 -v as_of="'$AS_OF'" -qf postgres-rules.sql >/dev/null) || return 1
  t2=$(date +%s.%N)
  psql "$DB" -qc "drop schema peer cascade" >/dev/null 2>&1 || true
  pg_copy=$(printf '%.2f' "$(echo "$t1 - $t0" | bc)"); pg_checks=$(printf '%.2f' "$(echo "$t2 - $t1" | bc)")
  pg_tot=$(printf '%.2f' "$(echo "$t2 - $t0" | bc)")
}

ratio() { echo "scale=2; $1 / $2" | bc; }
same() { if cmp -s "$1" "$2"; then echo identical; else echo DIFFERENT; fi; }

row run rows MB "wall s" "CPU s" "RSS MiB" target "stages s (summary.json)"
for n in $SIZES; do
  csv=$(gen "$n" csv)
  pq=$(gen "$n" parquet)
  nrows=$(( $(cat "$csv"/*.csv | wc -l) - $(ls "$csv"/*.csv | wc -l) ))
  mb=$(du -sm --exclude=expected.csv "$csv" | cut -f1)
  M=""; [ "$n" = 2000 ] && M=1
  for mode in csv parquet partition equal; do
    rm -rf "$OUT/v$n-$mode"
    args=(run --data "$csv" --out "$OUT/v$n-$mode" --as-of $AS_OF --builtin-rules=false --rules "$OUT/rules" --quiet)
    target=""
    case $mode in
      csv) [ -n "$M" ] && target="≤ 4 s, ≤ 1200 MiB" ;;
      parquet) args[2]=$pq; [ -n "$M" ] && target="≤ 2 s" ;;
      partition) args+=(--partition county) ;;
      equal) args+=(--rules "$OUT/peer-equal-work.yaml") ;;
    esac
    IFS='|' read -r wall cpu rss < <(timed $X "${args[@]}")
    row "v$n xiaowei $mode" "$nrows" "$mb" "$wall" "$cpu" "$rss" "$target" "$(stages "$OUT/v$n-$mode/summary.json")"
    eval "xw_${mode}_$n=$wall; xwcpu_${mode}_$n=$cpu"
    [ "$mode" = equal ] || perrow+=("v$n $mode|$nrows|$OUT/v$n-$mode/summary.json")
  done
  echo "    v$n findings.jsonl: partitioned vs whole $(same "$OUT/v$n-csv/findings.jsonl" "$OUT/v$n-partition/findings.jsonl"), Parquet vs CSV $(same "$OUT/v$n-csv/findings.jsonl" "$OUT/v$n-parquet/findings.jsonl") ($(wc -l < "$OUT/v$n-csv/findings.jsonl") findings)"
  if [ -n "$DUCK" ]; then
    IFS='|' read -r wall cpu rss < <(timed $DUCK -peers "$PEERS" -data "$csv")
    row "v$n duckdb peer (8 checks)" "$nrows" "$mb" "$wall" "$cpu" "$rss" "" "$(cat "$OUT/last.out")"
    eq=xw_equal_$n; eqc=xwcpu_equal_$n
    echo "    v$n equal work, DuckDB / xiaowei: wall $(ratio "$wall" "${!eq}")x, CPU $(ratio "$cpu" "${!eqc}")x (target: xiaowei ≥ 2x faster)"
  fi
  if [ "$PEER" = 1 ]; then
    if peer_pg "$csv"; then
      row "v$n postgres peer (8 checks)" "$nrows" "$mb" "$pg_tot" "-" "-" "" "COPY $pg_copy, checks $pg_checks"
      eq=xw_equal_$n
      echo "    v$n equal work, PostgreSQL / xiaowei: wall $(ratio "$pg_tot" "${!eq}")x"
    else
      echo "    v$n postgres peer failed"
    fi
  fi
done
if [ "$PROVINCE" = 1 ]; then
  n=$PROVINCE_SIZE
  csv=$(gen "$n" csv)
  nrows=$(( $(cat "$csv"/*.csv | wc -l) - $(ls "$csv"/*.csv | wc -l) ))
  mb=$(du -sm --exclude=expected.csv "$csv" | cut -f1)
  rm -rf "$OUT/v$n-partition"
  IFS='|' read -r wall cpu rss < <(timed $X run --data "$csv" --out "$OUT/v$n-partition" --as-of $AS_OF --builtin-rules=false --rules "$OUT/rules" --quiet --partition county)
  row "v$n (province) xiaowei partition" "$nrows" "$mb" "$wall" "$cpu" "$rss" "≤ 150 s, ≤ 4096 MiB" "$(stages "$OUT/v$n-partition/summary.json")"
  perrow+=("v$n partition|$nrows|$OUT/v$n-partition/summary.json")
fi
echo
echo "per-row cost of each stage, ns per input row (stage seconds / rows read):"
stagelist=$(for p in "${perrow[@]}"; do jq -r '.stage_seconds | keys[]' "${p##*|}"; done | sort -u | grep -v -e '^write$' -e '^dispositions$' | tr '\n' ' ')
printf '%-22s' "run"; for s in $stagelist; do printf ' %12s' "$s"; done; echo
for p in "${perrow[@]}"; do
  IFS='|' read -r label rows file <<<"$p"
  printf '%-22s' "$label"
  for s in $stagelist; do
    printf ' %12s' "$(jq -r --arg s "$s" --argjson n "$rows" '.stage_seconds[$s] // empty | . * 1e9 / $n | round' "$file")"
  done
  echo
done
echo "load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg) (wall times are only meaningful on an idle machine; CPU s is more robust)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3)"
