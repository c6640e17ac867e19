#!/usr/bin/env bash
# Builds the initramfs of one cached kernel (tests/vm/fetch-kernel.sh fills the cache):
# static busybox, the kernel's 9p modules with their load order, and
# tests/vm/initramfs-init.sh as /init. Nothing in it is specific to a run (what to run
# comes through the result share), so the image is cached next to the kernel, named by a
# hash of its inputs, and rebuilt only when one of them changes.
#
# Usage: tests/vm/build-initramfs.sh ID    (prints the image's path)
#
# Env knobs:
#   VIGIL_VM_CACHE   the kernel cache (default /var/cache/vigil/vm)
#   VIGIL_VM_BUSYBOX a statically linked busybox (default: busybox on PATH)
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

(($# == 1)) || vm_die "usage: $0 ID"
id=$1
id_dir=$vm_cache/$id
[[ -f $id_dir/kernel.env && -f $id_dir/modules/modules.load ]] ||
  vm_die "$id is not in the cache: run tests/vm/fetch-kernel.sh $id"
command -v cpio >/dev/null || vm_die "needs cpio (busybox-static has one: busybox cpio)"
busybox=${VIGIL_VM_BUSYBOX:-$(command -v busybox || true)}
[[ -x $busybox ]] || vm_die "needs busybox (busybox-static)"
# The initramfs has no libraries: a dynamically linked busybox would not start.
if ldd "$busybox" >/dev/null 2>&1; then
  vm_die "$busybox is dynamically linked: install busybox-static or set VIGIL_VM_BUSYBOX"
fi
init=$vm_dir/initramfs-init.sh

mapfile -t modules <"$id_dir/modules/modules.load"
inputs=("$busybox" "$init" "$id_dir/modules/modules.load")
for m in "${modules[@]}"; do inputs+=("$id_dir/modules/$m"); done
hash=$(sha256sum "${inputs[@]}" | awk '{ print $1 }' | sha256sum | cut -c1-16)
image=$id_dir/initrd-$hash.cpio.gz
if [[ -s $image ]]; then
  printf '%s\n' "$image"
  exit 0
fi
# One builder at a time: a concurrent run must not delete the image another just made.
exec {lock_fd}>"$vm_cache/.initrd.lock"
flock "$lock_fd"
if [[ -s $image ]]; then
  printf '%s\n' "$image"
  exit 0
fi

stage=$(mktemp -d "$vm_cache/.initrd-$id.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,lib/modules,newroot,tmp}
cp "$busybox" "$root/bin/busybox"
cp "$init" "$root/init"
chmod 0755 "$root/init" "$root/bin/busybox"
cp "$id_dir/modules/modules.load" "$root/lib/modules/"
for m in "${modules[@]}"; do cp "$id_dir/modules/$m" "$root/lib/modules/"; done
# The kernel opens /dev/console for /init before anything is mounted.
mknod -m 600 "$root/dev/console" c 5 1
mknod -m 666 "$root/dev/null" c 1 3
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) |
  gzip -n -9 >"$stage/image"
rm -f "$id_dir"/initrd-*.cpio.gz
mv "$stage/image" "$image"
vm_log "$id: initramfs $(basename "$image") ($(du -k "$image" | cut -f1) KiB)"
printf '%s\n' "$image"
