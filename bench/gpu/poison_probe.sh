#!/usr/bin/env bash
# Whether the CPU poison reaches torch's small CPU allocations on this machine's glibc: freed
# blocks of the output's size (stale data) are left in glibc's caches, then, inside
# poison.poisoned(), two torch.empty tensors of that size are taken; prints how many of their
# elements hold a poison pattern ("old" = the spray as before the glibc 2.38 fix, for contrast).
set -uo pipefail
export PYTHONPATH="$PWD/harness"
python3 - <<'PY'
import platform
import torch
from akg_harness import poison

print("libc", platform.libc_ver(), "torch", torch.__version__)
for variant in ("new", "old"):
    if variant == "old":  # what the module did before: no posix_memalign spray, 1024-byte cut
        poison._TCACHE_BYTES = 1024
        real = poison._spray_small
        def old_spray(libc, nbytes, dtype, real=real):
            saved = libc.posix_memalign
            libc.posix_memalign = lambda p, a, n: 1  # the aligned spray allocates nothing
            try:
                real(libc, nbytes, dtype)
            finally:
                libc.posix_memalign = saved
        poison._spray_small = old_spray
    for shape in ((6, 43), (7, 37), (16,), (200,)):
        expected = [torch.randn(*shape)]
        counts = []
        for _ in range(4):
            stale = [torch.randn(*shape) for _ in range(20)]
            del stale
            with poison.poisoned(torch.device("cpu"), expected):
                a, b = torch.empty(*shape), torch.empty(*shape)
            counts.append((int(poison.is_poison(a).sum()), int(poison.is_poison(b).sum())))
        print(f"{variant} {shape} numel {expected[0].numel()}: poisoned elements per try {counts}")
PY
