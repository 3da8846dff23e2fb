#!/usr/bin/env bash
# On the GPU machine: the same searches (bench/gpu/search.sh, its settings pass through) with
# this tree's harness and with an older tree's (.gpu/old), each version's results under
# $OUT/<version>, then everything packed into $OUT/ab.tgz beside $OUT/ab.md (summaries and
# per-step phases of both), since a device run brings back at most 8 files. Pack the old tree
# on the build machine first (the C++ agent is the same .gpu/akg_cli; only AKG_HOME differs):
#   mkdir -p .gpu/old && git archive REV harness configs prompts skills | tar -x -C .gpu/old
#   VERSIONS="new old"   which trees, in this order
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
top="${OUT:-/tmp/out}"
mkdir -p "$top"
for v in ${VERSIONS:-new old}; do
  home="$PWD"; [ "$v" = old ] && home="$PWD/.gpu/old"
  [ -d "$home/harness" ] || { echo "no harness in $home (pack .gpu/old first)"; exit 2; }
  echo "##### $v harness ($home)"
  OUT="$top/$v" AKG_HOME="$home" bash "$here/search.sh"
done
{
  for v in ${VERSIONS:-new old}; do
    echo "## $v"; cat "$top/$v/env.txt" 2>/dev/null; echo
    cat "$top/$v/summary.md" 2>/dev/null; echo; cat "$top/$v/phases.md" 2>/dev/null; echo
  done
} > /tmp/ab.md
tar -C "$top" -czf /tmp/ab.tgz . && rm -rf "${top:?}"/* && mv /tmp/ab.tgz /tmp/ab.md "$top/"
cat "$top/ab.md"
