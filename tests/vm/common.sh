# Helpers shared by the kernel-matrix scripts (sourced, not run): where the kernel list
# and the cache are, how a kernels.conf line is read, and logging.
#
# Env knobs:
#   VIGIL_VM_CONF   the kernel list (default tests/vm/kernels.conf)
#   VIGIL_VM_CACHE  downloaded kernels and built initramfs images
#                   (default /var/cache/vigil/vm)
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables set here are read by the sourcing script

vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vm_conf=${VIGIL_VM_CONF:-$vm_dir/kernels.conf}
vm_cache=${VIGIL_VM_CACHE:-/var/cache/vigil/vm}

vm_log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
vm_die() {
  vm_log "$*"
  exit 1
}

# Every ID in kernels.conf, in file order.
vm_conf_ids() {
  local id rest
  while read -r id rest; do
    [[ -z $id || $id == \#* ]] && continue
    printf '%s\n' "$id"
  done <"$vm_conf"
}

# Sets conf_id, conf_suite, conf_package, conf_cmdline ("" for "-"), conf_expect ("" for
# "-") and conf_tests ("" for "-": every test) from the kernels.conf line of ID. Returns 1
# when ID is not listed.
vm_conf_load() {
  local want=$1 id suite package cmdline expect tests extra
  while read -r id suite package cmdline expect tests extra; do
    [[ -z $id || $id == \#* || $id != "$want" ]] && continue
    [[ $id =~ ^[A-Za-z0-9._-]+$ ]] || vm_die "$vm_conf: bad ID '$id' (letters, digits, . _ -)"
    [[ -n $tests && -z $extra ]] || vm_die "$vm_conf: line '$id' needs exactly 6 fields"
    [[ $tests != *"'"* ]] || vm_die "$vm_conf: line '$id': quotes in TESTS"
    conf_id=$id
    conf_suite=$suite
    conf_package=$package
    conf_cmdline=${cmdline#-}
    conf_expect=${expect#-}
    conf_tests=${tests#-}
    [[ $tests == - ]] && conf_tests=""
    return 0
  done <"$vm_conf"
  return 1
}

# Seconds since the epoch (for the timings the summary reports).
vm_now() { date +%s; }
