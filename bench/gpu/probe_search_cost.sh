#!/usr/bin/env bash
# On the GPU machine: a warm-forked verify/profile child under cProfile (bench/gpu/child_profile.py)
# on the builtin model's relu kernel, then a 4-candidate relu evolve with every candidate's
# timings and elapsed-time notes. Carry .gpu (see pack.sh). Results in $OUT.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
.gpu/akg_cli op --framework torch --backend cuda --arch h100 --dsl triton_cuda --devices 0 \
  --task examples/tasks/relu.py --workflow kernelgen_only --out /tmp/kgen > /dev/null 2>&1
python3 bench/gpu/child_profile.py examples/tasks/relu.py /tmp/kgen/kernel.py > $out/child_profile.txt 2>&1
grep -E "^(===|warm|after|prime|\[akg)" $out/child_profile.txt
cat > $out/e.yaml <<YAML
profile_settings: {run_times: 30, warmup_times: 5, baselines: [eager]}
verify_settings: {trials: 3}
search: {rounds: 2, islands: 2, population: 2, elite: 1, migration_interval: 2, inspirations: 2,
         max_candidates: 4, max_wall_s: 120, patience: 6, concurrency: 2, ucb_c: 1.0, seed: 0}
YAML
s=$SECONDS; .gpu/akg_cli op --framework torch --backend cuda --arch h100 --dsl triton_cuda --devices 0 --task examples/tasks/relu.py --workflow evolve --config $out/e.yaml --out /tmp/r1 > $out/evolve.log 2>&1; echo "evolve exit $? in $((SECONDS-s)) s"
grep -i "note\|utilisation" $out/evolve.log
for c in /tmp/r1/candidates/*; do python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["timings_s"])' $c/meta.json; grep -h "akg_harness +" $c/verify.log $c/profile.log | tr '\n' ' '; echo; done
