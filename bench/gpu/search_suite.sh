#!/usr/bin/env bash
# On a two-GPU machine, within one device call: (1) evolve with --devices 0 against
# --devices 0,1 on MULTI_TASKS (the multi-GPU throughput comparison), then (2) default, evolve
# and adaptive_search on WORKFLOW_TASKS_A (GPU 0) and WORKFLOW_TASKS_B (GPU 1) side by side
# (the workflow comparison; each run uses one GPU). Each part is bench/gpu/search.sh.
# Results in $OUT: multi.md, workflows-a.md, workflows-b.md, suite.log, all.tar.gz.
set -uo pipefail
out="${OUT:-/tmp/out}"; mkdir -p "$out"
export TASK_DIR="${TASK_DIR:-examples/tasks}"
budget="${SUITE_S:-580}"; start=$SECONDS
left() { echo $(( budget - (SECONDS - start) )); }
{
  OUT="$out/multi" TASKS="${MULTI_TASKS:-relu gelu_scale_add swish}" RUNS="evolve:0 evolve:0,1" \
    MAX_CANDIDATES="${MULTI_CANDIDATES:-16}" ROUNDS=$(( (${MULTI_CANDIDATES:-16} + 3) / 4 )) \
    SEARCH_WALL_S=150 timeout "${MULTI_S:-320}" bash bench/gpu/search.sh
  echo "multi part done at $((SECONDS - start)) s"
  for half in a:0 b:1; do
    name="${half%%:*}"; gpu="${half#*:}"
    [ "$name" = a ] && tasks="${WORKFLOW_TASKS_A:-relu gelu_scale_add swish}" || tasks="${WORKFLOW_TASKS_B:-softsign mish}"
    OUT="$out/workflows-$name" TASKS="$tasks" RUNS="default:$gpu evolve:$gpu adaptive_search:$gpu" \
      MAX_CANDIDATES="${WORKFLOW_CANDIDATES:-8}" ROUNDS=2 SEARCH_WALL_S=45 \
      timeout "$(left)" bash bench/gpu/search.sh > "$out/workflows-$name.log" 2>&1 &
  done
  wait
  echo "workflow part done at $((SECONDS - start)) s"
} > "$out/suite.log" 2>&1
for part in multi workflows-a workflows-b; do
  [ -f "$out/$part/summary.md" ] && cp "$out/$part/summary.md" "$out/$part.md"
  [ -d "$out/$part/runs" ] && tar -C "$out/$part" -czf "$out/$part/runs.tar.gz" runs && rm -rf "$out/$part/runs"
done
cat "$out"/workflows-*.log >> "$out/suite.log" 2>/dev/null; rm -f "$out"/workflows-*.log
tar -C "$out" -czf "$out/all.tar.gz" multi workflows-a workflows-b && rm -rf "$out/multi" "$out/workflows-a" "$out/workflows-b"
cat "$out"/*.md
