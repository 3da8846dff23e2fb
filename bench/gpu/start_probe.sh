#!/usr/bin/env bash
# On the GPU machine: what a cold harness Python pays before a task's inspection is done:
# importing torch (twice: the first from a cold page cache), torch + triton + torch._dynamo
# (what torch.export pulls in), and one cold `inspect` of a task with its elapsed-time notes.
#   bash bench/gpu/start_probe.sh TASK.py > start.txt
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
task="$(realpath "${1:-bench/gpu_tasks/kb19_relu_published.py}")"
t() { local s=$EPOCHREALTIME; "$@" > /dev/null 2>&1; awk "BEGIN{printf \"%.2f s\", $EPOCHREALTIME - $s}"; }
echo "import torch (first):          $(t "$AKG_PYTHON" -c 'import torch')"
echo "import torch (again):          $(t "$AKG_PYTHON" -c 'import torch')"
echo "import torch, triton, _dynamo: $(t "$AKG_PYTHON" -c 'import torch, triton, torch._dynamo')"
echo "torch + CUDA start:            $(t "$AKG_PYTHON" -c 'import torch; torch.zeros(1, device="cuda")')"
req="$(mktemp)"; res="$(mktemp)"
echo "{\"task_path\": \"$task\", \"device\": \"cuda\", \"seed\": 0}" > "$req"
s=$EPOCHREALTIME
PYTHONPATH="$AKG_HOME/harness" "$AKG_PYTHON" -m akg_harness inspect --request "$req" --result "$res" 2>&1 | grep akg_harness
echo "cold inspect (whole process):  $(awk "BEGIN{printf \"%.2f s\", $EPOCHREALTIME - $s}")"
