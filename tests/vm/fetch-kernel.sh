#!/usr/bin/env bash
# Fetches the kernel of one kernels.conf column without installing it, and keeps what a VM
# boot needs in the cache: the kernel image, its config, and the modules that mount the
# host's root over 9p (virtio transport), with their dependencies, decompressed, and their
# load order.
#
# The package is downloaded with `apt-get download` through a private apt configuration
# per suite (sources, lists and archives under the cache), so the system's apt sources and
# state are never touched, and unpacked with `dpkg-deb -x`. The Debian mirror is the one
# the system's apt sources already use. Once a column is in the cache, running this again
# uses no network at all.
#
# Usage: tests/vm/fetch-kernel.sh ID      (an ID from kernels.conf; prints the cache dir)
#
# Cache layout (VIGIL_VM_CACHE, default /var/cache/vigil/vm):
#   ID/vmlinuz, ID/config          the kernel and its build configuration
#   ID/modules/*.ko                the 9p stack, ID/modules/modules.load its load order
#   ID/kernel.env                  key=value: spec, suite, package, version, release, modules
#   debs/                          downloaded packages (shared by columns of one package)
#   apt/SUITE/                     the private apt configuration, lists and archives
#
# Env knobs:
#   VIGIL_VM_CACHE            cache directory (see above)
#   VIGIL_VM_CONF             kernel list (default tests/vm/kernels.conf)
#   VIGIL_VM_REFRESH=1        update the package lists, re-resolve `*` and fetch again
#   VIGIL_VM_MIRROR           Debian archive URI (default: from /etc/apt/sources*)
#   VIGIL_VM_SECURITY_MIRROR  Debian security archive URI (default: likewise, or
#                             VIGIL_VM_MIRROR with -security appended)
#   VIGIL_VM_KEYRING          archive keyring (default
#                             /usr/share/keyrings/debian-archive-keyring.gpg)
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

# The modules that give the guest its root: 9p over virtio-pci. Dependencies are added
# from each module's own .modinfo.
readonly root_modules=(virtio_pci 9pnet_virtio 9p)

(($# == 1)) || vm_die "usage: $0 ID"
id=$1
vm_conf_load "$id" || vm_die "$vm_conf: no kernel '$id'"
[[ $conf_suite != - && $conf_package != - ]] || vm_die "'$id' is not a downloadable kernel"
for tool in apt-get apt-cache dpkg-deb xz flock; do
  command -v "$tool" >/dev/null || vm_die "needs $tool"
done

id_dir=$vm_cache/$id
refresh=${VIGIL_VM_REFRESH:-0}

kv() { sed -n "s/^$2=//p" "$1" | head -n 1; }

# Already in the cache, for the same package spec: nothing to do.
cached() {
  [[ $refresh != 1 && -f $id_dir/kernel.env &&
    $(kv "$id_dir/kernel.env" spec) == "$conf_package" &&
    $(kv "$id_dir/kernel.env" suite) == "$conf_suite" ]]
}
if cached; then
  printf '%s\n' "$id_dir"
  exit 0
fi

mkdir -p "$vm_cache"
exec {lock_fd}>"$vm_cache/.fetch.lock"
flock "$lock_fd"
# Another run may have fetched it while this one waited for the lock.
if cached; then
  printf '%s\n' "$id_dir"
  exit 0
fi

# The Debian archive (and security archive) URIs of the system's apt sources, one-line
# (sources.list) or deb822 (*.sources) format.
system_uris() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/ && $i !~ /=/) { print $i; break } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$f"
  done
}
mirror=${VIGIL_VM_MIRROR:-$(system_uris | grep -m 1 -E '/debian/?$' || true)}
mirror=${mirror%/}
[[ -n $mirror ]] || vm_die "no Debian mirror in /etc/apt/sources*: set VIGIL_VM_MIRROR"
security=${VIGIL_VM_SECURITY_MIRROR:-$(system_uris | grep -m 1 -E '/debian-security/?$' || true)}
security=${security%/}
security=${security:-$mirror-security}
keyring=${VIGIL_VM_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}

# The private apt configuration of the suite: the suite, its -updates and -security (and
# the suite itself when it is e.g. bookworm-backports).
base=${conf_suite%%-*}
apt_dir=$vm_cache/apt/$conf_suite
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
signed=""
[[ -f $keyring ]] && signed="[signed-by=$keyring] "
{
  printf 'deb %s%s %s main\n' "$signed" "$mirror" "$base"
  printf 'deb %s%s %s main\n' "$signed" "$mirror" "$base-updates"
  printf 'deb %s%s %s main\n' "$signed" "$security" "$base-security"
  [[ $conf_suite == "$base" ]] || printf 'deb %s%s %s main\n' "$signed" "$mirror" "$conf_suite"
} >"$apt_dir/sources.list.new"
if ! cmp -s "$apt_dir/sources.list.new" "$apt_dir/sources.list" 2>/dev/null; then
  mv "$apt_dir/sources.list.new" "$apt_dir/sources.list"
  refresh=1
else
  rm -f "$apt_dir/sources.list.new"
fi
: >>"$apt_dir/status"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
  -o "Dir::State::status=$apt_dir/status" -o "Dir::Etc::Preferences=$apt_dir/preferences"
  -o Dir::Etc::PreferencesParts=/dev/null -o Acquire::Languages=none
  -o APT::Get::List-Cleanup=true -o APT::Sandbox::User=root
)
apt_update() {
  vm_log "$id: updating the package lists of $conf_suite"
  apt-get "${apt_opts[@]}" -qq update >&2
}
if [[ $refresh == 1 ]] || ! compgen -G "$apt_dir/lists/*_Packages*" >/dev/null; then
  apt_update
fi

# The package: the name as written, or the newest name a `*` pattern matches.
resolve_package() {
  local spec=$1
  if [[ $spec != *'*'* ]]; then
    printf '%s\n' "$spec"
    return
  fi
  local regex=${spec//./\\.}
  regex=${regex//+/\\+}
  regex="^${regex//\*/[^-]+}\$"
  local name
  while read -r name; do
    # Named somewhere in the lists is not enough: it must have a version to download.
    if [[ -n $(apt-cache "${apt_opts[@]}" madison "$name" 2>/dev/null) ]]; then
      printf '%s\n' "$name"
      return
    fi
  done < <(apt-cache "${apt_opts[@]}" pkgnames linux-image- | grep -E "$regex" | sort -V -r)
  vm_die "$id: no package in $conf_suite matches $spec"
}
package=$(resolve_package "$conf_package")
candidate() { apt-cache "${apt_opts[@]}" policy "$package" 2>/dev/null | sed -n 's/^ *Candidate: //p'; }
version=$(candidate)
if [[ -z $version || $version == "(none)" ]]; then
  apt_update
  version=$(candidate)
  [[ -n $version && $version != "(none)" ]] || vm_die "$id: $package is not in $conf_suite"
fi

# Download (unless a column of the same package already did).
debs=$vm_cache/debs
mkdir -p "$debs"
deb_of() { printf '%s/%s_%s_amd64.deb' "$debs" "$package" "${version//:/%3a}"; }
download() {
  vm_log "$id: downloading $package $version"
  (cd "$debs" && apt-get "${apt_opts[@]}" -qq download "$package=$version" >&2)
}
deb=$(deb_of)
if [[ ! -s $deb ]]; then
  # Lists older than the archive name files it no longer has: update once and retry.
  if ! download; then
    apt_update
    version=$(candidate)
    deb=$(deb_of)
    download
  fi
  [[ -s $deb ]] || vm_die "$id: apt-get download did not leave $deb"
fi

# Unpack into a scratch dir, keep what the VM needs, drop the rest.
work=$(mktemp -d "$vm_cache/.$id.XXXXXX")
trap 'rm -rf "$work"' EXIT
vm_log "$id: unpacking $(basename "$deb")"
dpkg-deb -x "$deb" "$work/x"
moddir=""
for d in "$work"/x/lib/modules/* "$work"/x/usr/lib/modules/*; do
  [[ -d $d/kernel ]] && moddir=$d
done
[[ -n $moddir ]] || vm_die "$id: no lib/modules/*/kernel in $deb"
release=$(basename "$moddir")
new=$work/out
mkdir -p "$new/modules"
cp "$work/x/boot/vmlinuz-$release" "$new/vmlinuz"
cp "$work/x/boot/config-$release" "$new/config" 2>/dev/null || true

# Module name (dashes as underscores) -> file, and the names built into the kernel.
declare -A module_file=() builtin=()
while IFS= read -r -d '' f; do
  name=$(basename "$f")
  name=${name%%.ko*}
  module_file[${name//-/_}]=$f
done < <(find "$moddir/kernel" -name '*.ko*' -print0)
if [[ -f $moddir/modules.builtin ]]; then
  while read -r path; do
    name=$(basename "$path" .ko)
    builtin[${name//-/_}]=1
  done <"$moddir/modules.builtin"
fi

# Plain .ko copies (the initramfs has no decompressor for insmod), dependencies first.
decompress() {
  case $1 in
    *.ko.xz) xz -dc "$1" ;;
    *.ko.zst) zstd -qdc "$1" ;;
    *.ko.gz) gzip -dc "$1" ;;
    *) cat "$1" ;;
  esac
}
declare -A state=()
order=()
add_module() {
  local name=${1//-/_} dep deps
  [[ -n ${state[$name]:-} ]] && return
  if [[ -z ${module_file[$name]:-} ]]; then
    [[ -n ${builtin[$name]:-} ]] || vm_die "$id: module $name is neither a file nor built in"
    state[$name]=builtin
    return
  fi
  state[$name]=visiting
  decompress "${module_file[$name]}" >"$new/modules/$name.ko"
  deps=$(tr '\0' '\n' <"$new/modules/$name.ko" | sed -n 's/^depends=//p' | head -n 1)
  local -a dep_list=()
  IFS=, read -r -a dep_list <<<"$deps"
  for dep in "${dep_list[@]}"; do
    [[ -n $dep ]] || continue
    [[ ${state[${dep//-/_}]:-} == visiting ]] && vm_die "$id: module dependency cycle at $dep"
    add_module "$dep"
  done
  state[$name]=loaded
  order+=("$name")
}
for m in "${root_modules[@]}"; do add_module "$m"; done
for m in "${order[@]}"; do printf '%s.ko\n' "$m"; done >"$new/modules/modules.load"

{
  printf 'spec=%s\nsuite=%s\npackage=%s\nversion=%s\nrelease=%s\n' \
    "$conf_package" "$conf_suite" "$package" "$version" "$release"
  printf 'modules=%s\n' "${order[*]}"
  printf 'fetched=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$new/kernel.env"

rm -rf "$id_dir"
mv "$new" "$id_dir"
vm_log "$id: $package $version ($release), modules: ${order[*]:-none}"
printf '%s\n' "$id_dir"
