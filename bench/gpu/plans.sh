#!/usr/bin/env bash
# The builtin model's kernel plans at GPU sizes: one `akg_cli bench` over bench/tasks files
# (TASKS="name ..." picks them; default: a sample across the plan kinds), on the carried
# akg_cli (pack.sh). Writes env.txt, bench.log, results.json, results.md and runs.tgz (the run
# folders: kernels, verify and profile logs) under $OUT. LIMIT bounds the bench's seconds.
set -euo pipefail
source bench/gpu/common.sh
record_env "$out/env.txt"
tasks="${TASKS:-reduce_sum_last_dim reduce_mean_mid_dim reduce_amax_dim1 reduce_argmax_last_dim
  normalize_softmax_last_dim normalize_log_softmax normalize_layer_norm normalize_rms_norm
  normalize_l2_dim1 loss_mse loss_huber matmul_square_4096 matmul_linear_relu matmul_matvec
  matmul_linear_row_sum pointwise_channel_bias_add matmul_transposed_a matmul_bmm
  matmul_linear_bias matmul_tall_skinny normalize_instance_norm reduce_min_dim0 reduce_prod_small_dim
  reduce_argmin_dim1 pointwise_silu_scale_bias pointwise_gelu_tanh_chain}"
suite=/tmp/akg-plans-suite
rm -rf "$suite" /tmp/akg-plans-bench && mkdir -p "$suite"
for t in $tasks; do cp "bench/tasks/$t.py" "$suite/"; done
timeout "${LIMIT:-540}" .gpu/akg_cli bench "$suite" --backend cuda --arch h200 --dsl triton_cuda \
  --out /tmp/akg-plans-bench > "$out/bench.log" 2>&1 || echo "bench exit $?" >> "$out/bench.log"
cp /tmp/akg-plans-bench/results.json /tmp/akg-plans-bench/results.md "$out/" 2>/dev/null || true
tar czf "$out/runs.tgz" -C /tmp/akg-plans-bench --exclude='*.pt' --exclude='*.so' . 2>/dev/null || true
tail -40 "$out/bench.log"
