#!/usr/bin/env bash
# A long fuzz campaign: runs each libFuzzer target in DIR (a -DPL_FUZZ=ON
# build's bin folder, e.g. build-fuzz/fuzz) one at a time until RUNS
# executions or MAX_TIME seconds, whichever comes first, growing a corpus
# kept outside git in WORK/corpus/NAME (seeded from tests/fuzz/corpus/NAME).
# After each target the corpus is minimized with -merge=1 into the committed
# seeds: only inputs that reach an edge tests/fuzz/corpus/NAME does not are
# added (edges alone, not hit counts or value profiles, so the committed
# corpora stay small; the full corpus stays in WORK). MERGE=0 skips that
# step; MERGE_ONLY=1 skips the fuzzing and only merges WORK's corpora.
#
#   scripts/fuzz-campaign.sh DIR [TARGET...]      # default: every fuzz_* in DIR
#   scripts/fuzz-campaign.sh --table              # WORK/summary.tsv as Markdown
#
# Environment: RUNS (10000000), MAX_TIME (1800 s), WORK (/work/campaign, or
# ~/.cache/parley-fuzz when /work is absent), MERGE (1), MERGE_ONLY (0),
# VALUE_PROFILE (1), MAX_LEN (libFuzzer's default when empty), FLAGS (more
# libFuzzer flags, e.g. "-len_control=0" for a slow target whose inputs
# would otherwise stay short for hours).
#
# Each target's log is WORK/logs/NAME.log, a crash lands in
# WORK/crashes/NAME/, and one line per target is appended to
# WORK/summary.tsv: name, executions, seconds, exec/s, coverage (edges),
# features, corpus files, peak RSS MB, crashes, result. A target that stops
# on a crash, leak or timeout marks the campaign failed (exit 1), but the
# remaining targets still run.
set -uo pipefail
dir=${1:?usage: fuzz-campaign.sh DIR [TARGET...] | --table}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-10000000}
max_time=${MAX_TIME:-1800}
merge=${MERGE:-1}
merge_only=${MERGE_ONLY:-0}
vp=${VALUE_PROFILE:-1}
if [ -n "${WORK:-}" ]; then work=$WORK
elif [ -d /work ]; then work=/work/campaign
else work=$HOME/.cache/parley-fuzz; fi
if [ "$dir" = --table ]; then
  # The last row of each target (a rerun replaces an earlier one).
  awk -F'\t' 'NR > 1 { row[$1] = $0; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
    END {
      print "| target | executions | seconds | exec/s | edges | features | corpus | peak RSS MB | crashes | result |"
      print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
      for (i = 1; i <= n; i++) {
        split(row[order[i]], f, "\t")
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f[1], f[2], f[3], f[4],
               f[5], f[6], f[7], f[8], f[9], f[10]
      }
    }' "$work/summary.tsv"
  exit 0
fi
mkdir -p "$work/logs" "$work/corpus" "$work/crashes" "$work/bin"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$dir"/fuzz_*; do [ -x "$f" ] && targets+=("$(basename "$f")"); done
fi
# Copies of the binaries: a rebuild of DIR while the campaign runs must not
# swap a target under a running libFuzzer.
for t in "${targets[@]}"; do
  cp "$dir/$t" "$work/bin/$t" || { echo "no target $dir/$t" >&2; exit 2; }
done
[ -f "$work/summary.tsv" ] || printf 'target\texecs\tseconds\texec_per_s\tcov\tft\tcorpus\tpeak_rss_mb\tcrashes\tresult\tdate\n' >"$work/summary.tsv"

status=0
for t in "${targets[@]}"; do
  bin=$work/bin/$t
  corpus=$work/corpus/$t
  seeds=$root/tests/fuzz/corpus/$t
  crashes=$work/crashes/$t
  log=$work/logs/$t.log
  mkdir -p "$corpus" "$crashes" "$seeds"
  extra=()
  [ -n "${MAX_LEN:-}" ] && extra+=(-max_len="$MAX_LEN")
  if [ "$merge_only" = 1 ]; then
    before=$(find "$seeds" -type f | wc -l)
    "$bin" -merge=1 -use_counters=0 "${extra[@]}" "$seeds" "$corpus" \
      >"$work/logs/$t.merge.log" 2>&1
    echo "$t merged: $before -> $(find "$seeds" -type f | wc -l) seed files ($(du -sh --apparent-size "$seeds" | cut -f1))"
    continue
  fi
  echo "== $t: up to $runs runs or ${max_time}s ($(date -u +%H:%M:%S))"
  start=$(date +%s)
  "$bin" -runs="$runs" -max_total_time="$max_time" -use_value_profile="$vp" \
    -timeout=25 -print_final_stats=1 -artifact_prefix="$crashes/" "${extra[@]}" ${FLAGS:-} \
    "$corpus" "$seeds" >"$log" 2>&1
  rc=$?
  secs=$(($(date +%s) - start))
  execs=$(grep -oE 'stat::number_of_executed_units: +[0-9]+' "$log" | tail -1 | awk '{print $2}')
  rss=$(grep -oE 'stat::peak_rss_mb: +[0-9]+' "$log" | tail -1 | awk '{print $2}')
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  [ -z "$execs" ] && execs=$(echo "$last" | sed -E 's/^#([0-9]+).*/\1/')
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | awk '{print $2}')
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | awk '{print $2}')
  files=$(find "$corpus" -type f | wc -l)
  ncrash=$(find "$crashes" -type f | wc -l)
  result=ok
  if [ $rc -ne 0 ]; then
    result="FAIL(rc=$rc)"
    status=1
    grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' "$log" >&2
  fi
  eps=$(( secs > 0 ? ${execs:-0} / secs : 0 ))
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${execs:-0}" "$secs" "$eps" \
    "${cov:-?}" "${ft:-?}" "$files" "${rss:-?}" "$ncrash" "$result" \
    "$(date -u +%FT%TZ)" >>"$work/summary.tsv"
  echo "   $t: ${execs:-0} execs in ${secs}s, cov ${cov:-?}, $result"
  if [ "$merge" = 1 ]; then
    # -merge=1 SEEDS CORPUS adds to SEEDS only what reaches a new edge.
    before=$(find "$seeds" -type f | wc -l)
    "$bin" -merge=1 -use_counters=0 "${extra[@]}" "$seeds" "$corpus" \
      >"$work/logs/$t.merge.log" 2>&1
    after=$(find "$seeds" -type f | wc -l)
    echo "   merged: $before -> $after seed files ($(du -sh --apparent-size "$seeds" | cut -f1))"
  fi
done
exit $status
