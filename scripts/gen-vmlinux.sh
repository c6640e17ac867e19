#!/usr/bin/env bash
# Regenerates bpf/vmlinux.h from the running kernel's BTF. The checked-in header only
# supplies type layouts at compile time; CO-RE relocates every field access at load
# time against the target kernel, so one header serves all kernels with BTF.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
btf=${1:-/sys/kernel/btf/vmlinux}
bpftool btf dump file "$btf" format c > "$top/bpf/vmlinux.h.tmp"
mv "$top/bpf/vmlinux.h.tmp" "$top/bpf/vmlinux.h"
echo "wrote bpf/vmlinux.h from $btf"
