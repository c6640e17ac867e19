#!/bin/busybox sh
# /init of the kernel-matrix VMs (busybox sh, PID 1; tests/vm/build-initramfs.sh puts it in
# the initramfs). It turns a bare Debian kernel into a copy of the host, read-only, and runs
# tests/vm/guest.sh there:
#   - loads the 9p stack (/lib/modules/modules.load, dependencies first), mounts the host's
#     root read-only over 9p (tag hostroot) and the run's result directory read-write (tag
#     xfer), whose vm.env says what to run;
#   - puts tmpfs on /tmp, /run and /var (the tests write there; paths in VM_KEEP that live
#     below them are carried over from the host), and mounts proc, sys, dev, devpts,
#     /dev/shm, debugfs, tracefs, bpffs, cgroup2 and securityfs in the new root;
#   - brings loopback up (without it every test that talks to 127.0.0.1 times out);
#   - chroots, runs guest.sh BUILD_DIR OUT_DIR, prints "VIGIL-VM-RESULT rc=N" on the
#     console and powers off. Any failure before that prints rc=125.
#
# vm.env (written by tests/vm/run-matrix.sh, sourced here) sets:
#   VM_GUEST_SCRIPT  guest.sh's path on the host
#   VM_BUILD_DIR     the build tree on the host
#   VM_KEEP          host paths below /tmp, /run or /var the guest needs (blank-separated)
#   VM_GTEST_FILTER  passed to guest.sh as VIGIL_VM_GTEST_FILTER
#   VM_TIME_SCALE    passed to the tests as VIGIL_TEST_TIME_SCALE
#   VM_BENCH         passed to guest.sh as VIGIL_VM_BENCH
#   VM_HOSTNAME      the guest's host name
# shellcheck shell=sh

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

say() { echo "VIGIL-VM: $*"; }
finish() {
  echo "VIGIL-VM-RESULT rc=$1"
  sync
  umount /newroot/run/vigil-vm/out 2>/dev/null
  poweroff -f
  sleep 60
}
fail() {
  say "init failed: $*"
  finish 125
}
# Mounts that are nice to have (the tests say what they miss) only warn.
try_mount() {
  mkdir -p "$4" 2>/dev/null
  mount -t "$1" -o "$2" "$3" "$4" || say "warning: cannot mount $1 on $4"
}

mount -t proc proc /proc || fail "mount /proc"
mount -t sysfs sysfs /sys || fail "mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "mount /dev"
say "init started on $(uname -r) after $(cut -d" " -f1 /proc/uptime) s"
ip link set lo up || fail "ip link set lo up"

while read -r module; do
  [ -n "$module" ] || continue
  insmod "/lib/modules/$module" || fail "insmod $module"
done </lib/modules/modules.load

p9="trans=virtio,version=9p2000.L,msize=262144"
mkdir -p /newroot /xfer /keep
mount -t 9p -o "$p9,ro,cache=loose" hostroot /newroot || fail "mount the host root (9p hostroot)"
mount -t 9p -o "$p9" xfer /xfer || fail "mount the result share (9p xfer)"
[ -f /xfer/vm.env ] || fail "no vm.env in the result share"
# shellcheck source=/dev/null
. /xfer/vm.env

# Host paths below the directories that get a tmpfs: bind them aside, mount the tmpfs,
# move them back in.
n=0
for path in $VM_KEEP; do
  case $path in
    /tmp/* | /run/* | /var/*)
      n=$((n + 1))
      mkdir -p "/keep/$n"
      mount --bind "/newroot$path" "/keep/$n" || fail "keep $path"
      ;;
  esac
done
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp || fail "tmpfs /tmp"
mount -t tmpfs -o mode=0755 tmpfs /newroot/run || fail "tmpfs /run"
mount -t tmpfs -o mode=0755 tmpfs /newroot/var || fail "tmpfs /var"
mkdir -p /newroot/run/lock /newroot/var/lib /newroot/var/log /newroot/var/cache \
  /newroot/var/spool /newroot/var/tmp
chmod 1777 /newroot/var/tmp
ln -s /run /newroot/var/run
ln -s /run/lock /newroot/var/lock
n=0
for path in $VM_KEEP; do
  case $path in
    /tmp/* | /run/* | /var/*)
      n=$((n + 1))
      mkdir -p "/newroot$path"
      mount --move "/keep/$n" "/newroot$path" || fail "keep $path"
      ;;
  esac
done
out=/run/vigil-vm/out
mkdir -p "/newroot$out"
mount --move /xfer "/newroot$out" || fail "move the result share"

mount -t proc proc /newroot/proc || fail "mount /proc in the new root"
mount -t sysfs sysfs /newroot/sys || fail "mount /sys in the new root"
mount -t devtmpfs devtmpfs /newroot/dev || fail "mount /dev in the new root"
try_mount devpts gid=5,mode=620,ptmxmode=666 devpts /newroot/dev/pts
try_mount tmpfs mode=1777 tmpfs /newroot/dev/shm
for link in fd:/proc/self/fd stdin:/proc/self/fd/0 stdout:/proc/self/fd/1 stderr:/proc/self/fd/2; do
  [ -e "/newroot/dev/${link%%:*}" ] || ln -s "${link#*:}" "/newroot/dev/${link%%:*}"
done
try_mount debugfs defaults debugfs /newroot/sys/kernel/debug
try_mount tracefs defaults tracefs /newroot/sys/kernel/tracing
try_mount bpf mode=0700 bpf /newroot/sys/fs/bpf
try_mount cgroup2 defaults cgroup2 /newroot/sys/fs/cgroup
try_mount securityfs defaults securityfs /newroot/sys/kernel/security
hostname "${VM_HOSTNAME:-vigil-vm}"

say "running $VM_GUEST_SCRIPT after $(cut -d" " -f1 /proc/uptime) s"
chroot /newroot /usr/bin/env -i \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  TERM=dumb VIGIL_VM_GUEST=1 VIGIL_VM_GTEST_FILTER="$VM_GTEST_FILTER" \
  VIGIL_TEST_TIME_SCALE="${VM_TIME_SCALE:-1}" VIGIL_VM_BENCH="${VM_BENCH:-0}" \
  /bin/bash "$VM_GUEST_SCRIPT" "$VM_BUILD_DIR" "$out"
finish $?
