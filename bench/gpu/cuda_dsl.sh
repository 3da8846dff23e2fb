#!/usr/bin/env bash
# The builtin model's CUDA C kernels (--dsl cuda) on the GPU: one `akg_cli bench` over the
# bench/tasks files the CUDA C emitter handles (every plan kind but conv), on the carried
# akg_cli (pack.sh), then nvcc's compile time per candidate on this machine
# (bench/cuda_compile_time.py: cold and cached load_cuda of each run's kernel).
#   GROUP=a|b|all  which half of the tasks (the whole list can pass one call's 10 minutes)
#   TASKS="name ..." overrides the list; LIMIT bounds the bench's seconds (default 500)
# Writes env.txt, bench.log, results.json, results.md, compile_time.txt and runs.tgz (the run
# folders: kernels, verify and profile logs) under $OUT.
set -euo pipefail
source bench/gpu/common.sh
record_env "$out/env.txt"
nvcc --version >> "$out/env.txt" 2>&1 || echo "no nvcc on PATH" >> "$out/env.txt"
group_a="pointwise_channel_bias_add pointwise_gelu_tanh_chain pointwise_hardswish
  pointwise_leaky_relu_clamp pointwise_sigmoid_gate pointwise_silu_scale_bias
  reduce_amax_dim1 reduce_argmax_last_dim reduce_argmin_dim1 reduce_mean_mid_dim reduce_min_dim0
  reduce_prod_small_dim reduce_sum_last_dim scan_cumprod scan_cumsum_last_dim scan_reverse_cumsum
  pool_avgpool2d pool_avgpool3d_ceil pool_maxpool1d pool_maxpool2d_stride_pad"
group_b="normalize_batch_norm2d normalize_group_norm normalize_instance_norm normalize_l2_dim1
  normalize_layer_norm normalize_log_softmax normalize_rms_norm normalize_softmax_last_dim
  loss_cross_entropy loss_huber loss_kl_div_batchmean loss_mse loss_triplet_margin
  matmul_bmm matmul_broadcast_batch matmul_linear_bias matmul_linear_relu matmul_linear_row_sum
  matmul_matvec matmul_square_4096 matmul_tall_skinny matmul_transposed_a"
case "${GROUP:-a}" in
  a) tasks="$group_a" ;;
  b) tasks="$group_b" ;;
  all) tasks="$group_a $group_b" ;;
  *) echo "GROUP must be a, b or all" >&2; exit 2 ;;
esac
tasks="${TASKS:-$tasks}"
suite=/tmp/akg-cuda-suite
bench=/tmp/akg-cuda-bench
rm -rf "$suite" "$bench" && mkdir -p "$suite"
for t in $tasks; do cp "bench/tasks/$t.py" "$suite/"; done
timeout "${LIMIT:-500}" .gpu/akg_cli bench "$suite" --backend cuda --arch h200 --dsl cuda \
  --out "$bench" > "$out/bench.log" 2>&1 || echo "bench exit $?" >> "$out/bench.log"
cp "$bench/results.json" "$bench/results.md" "$out/" 2>/dev/null || true
kernels=$(find "$bench" -name kernel.py -path '*attempt-01*' | sort)
if [ -n "$kernels" ]; then
  PYTHONPATH="$PWD/harness" AKG_CUDA_ARCH=sm_90 "$AKG_PYTHON" bench/cuda_compile_time.py $kernels \
    > "$out/compile_time.txt" 2>&1 || true
fi
tar czf "$out/runs.tgz" -C "$bench" --exclude='*.pt' --exclude='*.so' . 2>/dev/null || true
tail -60 "$out/bench.log"
cat "$out/compile_time.txt" 2>/dev/null | tail -8
