# Sourced by the GPU scripts: the carried akg_cli's environment (.gpu, see pack.sh), $out, and
# `record_env FILE`: date, GPUs, driver and the Python/torch/Triton/CUDA versions, also printed.
export AKG_HOME="${AKG_HOME:-$PWD}" AKG_PYTHON="${AKG_PYTHON:-python3}" LD_LIBRARY_PATH="$PWD/.gpu/lib:${LD_LIBRARY_PATH:-}"
out="${OUT:-/tmp/out}"
mkdir -p "$out"

record_env() {
  {
    date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
    "$AKG_PYTHON" -c 'import sys, torch, triton; print("python", sys.version.split()[0], "torch", torch.__version__, "triton", triton.__version__, "cuda", torch.version.cuda)'
  } > "$1" 2>&1
  cat "$1"
}
