#!/usr/bin/env bash
# Builds the Vigil container image with podman and checks it.
#
# Usage: scripts/build-image.sh [--refresh-base]
#
#   1. Makes the base image debian:bookworm-slim (fully qualified, as podman names it)
#      offline when podman does not have it: debootstrap (bookworm, minbase) from the
#      Debian mirror configured for apt on this machine, then `podman import`. The root
#      file system is kept as a tarball in the cache directory, so a machine whose podman
#      store was wiped re-imports it without running debootstrap again. --refresh-base
#      rebuilds it from the mirror.
#   2. podman build -t vigil:VERSION -t vigil:latest . (VERSION from CMakeLists.txt).
#   3. Checks the image: each binary's --version, no shared library missing, no compiler in
#      the runtime image; prints the image size.
#
# The last line on stdout is `build-image.sh: vigil:VERSION ok (N MB)`; anything else
# goes to stderr. Exits non-zero with a reason on any failure. Run as root, after
# scripts/install-deps.sh.
#
# Environment:
#   VIGIL_IMAGE          image name (default: vigil)
#   VIGIL_IMAGE_CACHE    cache directory (default: /var/cache/vigil/image)
#   VIGIL_DEBIAN_MIRROR  Debian mirror for the base (default: the one apt uses here)
#   VIGIL_IMAGE_HOST_CCACHE  1 (default): mount this host's ccache directory into the
#                        build stage, so what scripts/build.sh compiled is reused; 0: not
#   VIGIL_IMAGE_NETWORK  network mode of the build's RUN steps (default: host, so apt in
#                        the build reaches the mirror exactly as the host does)
set -euo pipefail

prog=build-image.sh
top=$(cd "$(dirname "$0")/.." && pwd)

log() { echo "$prog: $*" >&2; }
die() {
  echo "$prog: error: $*" >&2
  exit 1
}

refresh_base=0
for arg in "$@"; do
  case "$arg" in
    --refresh-base) refresh_base=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$arg' (usage: $prog [--refresh-base])" ;;
  esac
done

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap and rootful podman)"
for tool in podman debootstrap runc tar flock; do
  command -v "$tool" >/dev/null || die "'$tool' not found: run scripts/install-deps.sh first"
done

image=${VIGIL_IMAGE:-vigil}
cache=${VIGIL_IMAGE_CACHE:-/var/cache/vigil/image}
network=${VIGIL_IMAGE_NETWORK:-host}
suite=bookworm
base=docker.io/library/debian:bookworm-slim
podman=(podman --runtime runc --cgroup-manager cgroupfs)

version=$(sed -n 's/^project(vigil VERSION \([0-9][0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
[[ -n "$version" ]] || die "cannot read the project VERSION from $top/CMakeLists.txt"

start=$SECONDS

# One run at a time per cache directory (the base tarball, the logs).
mkdir -p -- "$cache" || die "cannot create the cache directory $cache"
exec 9>"$cache/lock"
flock -w 3600 9 || die "another build-image.sh holds $cache/lock"

# --- The Debian mirror apt uses on this machine --------------------------------------

# Prints the first URI of an enabled `deb` source for suite $1, from the deb822 files
# (*.sources) and the one-line files (sources.list, *.list).
apt_source_uri() {
  local want=$1 file
  for file in /etc/apt/sources.list.d/*.sources; do
    [[ -r "$file" ]] || continue
    awk -v want="$want" '
      BEGIN { RS = ""; FS = "\n" }
      {
        types = ""; uris = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          line = $i
          if (line ~ /^[ \t]*#/) continue
          key = tolower(line); sub(/:.*/, "", key)
          value = line; sub(/^[^:]*:[ \t]*/, "", value)
          if (key == "types") types = value
          else if (key == "uris") uris = value
          else if (key == "suites") suites = value
          else if (key == "enabled") enabled = tolower(value)
        }
        if (enabled == "no") next
        if ((" " types " ") !~ / deb / || (" " suites " ") !~ (" " want " ")) next
        split(uris, u, /[ \t]+/); print u[1]; exit
      }' "$file"
  done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r "$file" ]] || continue
    awk -v want="$want" '
      /^[ \t]*deb[ \t]/ {
        line = $0; sub(/\[[^]]*\]/, "", line); n = split(line, f, /[ \t]+/)
        j = (f[1] == "") ? 2 : 1
        if (f[j + 2] == want) { print f[j + 1]; exit }
      }' "$file"
  done
}

mirror=${VIGIL_DEBIAN_MIRROR:-$(apt_source_uri "$suite" | head -n 1)}
security_mirror=$(apt_source_uri "$suite-security" | head -n 1)

# apt's own proxy setting, if any, for debootstrap (which reads only http_proxy).
if [[ -z "${http_proxy:-}" ]] && command -v apt-config >/dev/null; then
  apt_proxy=""
  eval "$(apt-config shell apt_proxy Acquire::http::Proxy)"
  if [[ -n "$apt_proxy" && "$apt_proxy" != DIRECT ]]; then
    export http_proxy="$apt_proxy"
  fi
fi

# --- Base image -----------------------------------------------------------------------

tarball="$cache/debian-$suite-minbase-$(dpkg --print-architecture).tar"
rootfs=""
cleanup() {
  if [[ -n "$rootfs" && -d "$rootfs" ]]; then
    rm -rf --one-file-system -- "$rootfs"
  fi
  rm -f -- "$tarball.partial"
}
trap cleanup EXIT

make_base_tarball() {
  [[ -n "$mirror" ]] || die "no Debian '$suite' source found in /etc/apt/sources.list*; set VIGIL_DEBIAN_MIRROR"
  mkdir -p -- "$cache"
  rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
  log "debootstrap $suite (minbase) from $mirror"
  if ! debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1; then
    tail -n 20 "$cache/debootstrap.log" >&2 || true
    die "debootstrap failed (full log: $cache/debootstrap.log)"
  fi

  # The sources apt uses inside the image: the same mirrors as this machine.
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' \
      "$mirror" "$suite" "$suite"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    if [[ -n "$security_mirror" ]]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' \
        "$security_mirror" "$suite"
      printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    fi
  } >"$rootfs/etc/apt/sources.list.d/debian.sources"
  rm -f -- "$rootfs/etc/apt/sources.list"

  # Slim, as Debian's official -slim images: no documentation, manuals or translations
  # now or in packages installed later; no downloaded package files or lists.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  if [[ -d "$rootfs/usr/share/doc" ]]; then
    find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  fi
  rm -rf -- "$rootfs"/usr/share/{man,info,groff,lintian,linda}/*
  if [[ -d "$rootfs/usr/share/locale" ]]; then
    find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf -- {} +
  fi
  rm -rf -- "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* \
    "$rootfs"/tmp/* "$rootfs"/root/.cache
  : >"$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/hostname"

  tar -C "$rootfs" --numeric-owner --xattrs -cf "$tarball.partial" .
  mv -- "$tarball.partial" "$tarball"
  rm -rf --one-file-system -- "$rootfs"
  rootfs=""
}

if ((refresh_base)) || ! podman image exists "$base"; then
  if ((refresh_base)) || [[ ! -s "$tarball" ]]; then
    make_base_tarball
  else
    log "base root file system cached: $tarball"
  fi
  log "podman import $base"
  podman import --quiet --change 'CMD ["bash"]' "$tarball" "$base" >/dev/null ||
    die "podman import of $tarball failed"
else
  log "base image present: $base"
fi

log "base ready after $((SECONDS - start))s"

# --- Build ----------------------------------------------------------------------------

revision=$(git -C "$top" rev-parse HEAD 2>/dev/null || true)
log "podman build $image:$version (network: $network)"
build_log="$cache/build.log"
mkdir -p -- "$cache"
# The host's compiler cache (filled by scripts/build.sh with the same settings) serves the
# build stage, so objects the host already compiled are not compiled again.
ccache_args=()
if [[ "${VIGIL_IMAGE_HOST_CCACHE:-1}" == 1 ]] && command -v ccache >/dev/null; then
  host_ccache=$(ccache -k cache_dir 2>/dev/null || true)
  if [[ -n "$host_ccache" ]] && mkdir -p -- "$host_ccache"; then
    ccache_args=(--volume "$host_ccache:/host-ccache" --build-arg VIGIL_CCACHE_DIR=/host-ccache)
    log "compiler cache: $host_ccache"
  fi
fi
if ! "${podman[@]}" build --pull=never --network "$network" "${ccache_args[@]}" \
  --build-arg "VIGIL_VERSION=$version" --build-arg "VIGIL_REVISION=$revision" \
  -t "$image:$version" -t "$image:latest" -f "$top/Dockerfile" "$top" 2>&1 |
  tee "$build_log" >&2; then
  die "podman build failed (log: $build_log)"
fi

log "image built after $((SECONDS - start))s"

# --- Checks ---------------------------------------------------------------------------

# Small fixed limits: podman's defaults for a rootful container (open files, processes)
# can exceed what a CI machine lets a process set, which fails the run before it starts.
run() {
  "${podman[@]}" run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@"
}

for binary in vigil-sensor vigil-controller vigilctl; do
  out=$(run "$image:$version" "$binary" --version 2>&1) ||
    die "'$binary --version' failed in $image:$version: $out"
  [[ "$out" == "$binary $version" ]] ||
    die "'$binary --version' in $image:$version printed '$out', expected '$binary $version'"
  log "$out"
done

out=$(run "$image:$version" 2>&1 | head -n 1) || true
[[ "$out" == *vigil-controller* ]] ||
  die "the image's default command should print vigil-controller's usage, printed '$out'"

# No missing shared library, no compiler, the rule pack in place, the default user.
# shellcheck disable=SC2016 # the script runs in the image, unexpanded here
out=$(run --entrypoint /bin/sh "$image:$version" -c '
  set -eu
  for b in /usr/bin/vigil-sensor /usr/bin/vigil-controller /usr/bin/vigilctl; do
    if ldd "$b" | grep "not found"; then echo "missing libraries: $b"; exit 1; fi
  done
  for c in cc gcc g++ c++ clang clang++ ld; do
    if command -v "$c" >/dev/null 2>&1; then echo "compiler in the runtime image: $c"; exit 1; fi
  done
  if ls /usr/lib/gcc/*/*/cc1* >/dev/null 2>&1; then echo "compiler in the runtime image: cc1"; exit 1; fi
  ls /etc/vigil/rules/*.yaml >/dev/null 2>&1 || { echo "no rule pack in /etc/vigil/rules"; exit 1; }
  id -un' 2>&1) || die "image check failed: $out"
[[ "$out" == vigil ]] || die "the image's default user is '$out', expected 'vigil'"

label=$(podman image inspect --format '{{index .Labels "org.opencontainers.image.version"}}' "$image:$version") ||
  die "cannot inspect $image:$version"
[[ "$label" == "$version" ]] || die "the image's version label is '$label', expected '$version'"

bytes=$(podman image inspect --format '{{.Size}}' "$image:$version") ||
  die "cannot read the size of $image:$version"
mb=$(((bytes + 500000) / 1000000))
elapsed=$((SECONDS - start))
log "done in $((elapsed / 60))m$((elapsed % 60))s"
echo "$prog: $image:$version ok ($mb MB)"
