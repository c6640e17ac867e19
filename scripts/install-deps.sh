#!/usr/bin/env bash
# Installs every Debian 12 package that Vigil's build, tests and benchmarks need.
# Idempotent: safe to run again; it only installs what is missing.
#
# VIGIL_DEPS selects the set:
#   all    (default) build, tests, benchmarks, fuzzing, the image and chart tooling
#   build  only what building vigil-sensor, vigil-controller and vigilctl needs
#          (used by the Dockerfile's build stage)
set -euo pipefail

deps=${VIGIL_DEPS:-all}
case "$deps" in
  all | build) ;;
  *)
    echo "install-deps.sh: VIGIL_DEPS must be 'all' or 'build', not '$deps'" >&2
    exit 2
    ;;
esac

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: must run as root (it calls apt-get)" >&2
  exit 1
fi

# What building the three binaries needs (Release, no tests or benchmarks).
build_packages=(
  # toolchain (clang compiles the BPF programs, bpftool makes their skeletons)
  build-essential clang cmake pkg-config ccache
  # eBPF
  bpftool libbpf-dev libelf-dev zlib1g-dev
  # gRPC / protobuf / abseil
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libssl-dev
  # metrics, config, storage
  prometheus-cpp-dev libyaml-cpp-dev libsqlite3-dev
)

packages=(
  # toolchain
  build-essential clang llvm cmake pkg-config ccache git
  # fuzzing: libFuzzer and the clang sanitizer runtimes
  libclang-rt-dev
  # eBPF
  bpftool libbpf-dev libelf-dev zlib1g-dev
  # gRPC / protobuf / abseil
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libssl-dev
  # metrics, config, storage
  prometheus-cpp-dev libyaml-cpp-dev libsqlite3-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev python3
  # used by real-kernel tests (setuid exec as an unprivileged user)
  passwd procps
  # development certificates (scripts/dev-ca.sh) and their tests
  openssl
  # a real Prometheus server scraping sensor and controller in the metrics test
  prometheus
  # the container image: an offline base (debootstrap) built and run with podman
  podman runc buildah debootstrap uidmap fuse-overlayfs
  # rendering and checking the Helm chart (Go text/template + sprig, YAML parsing)
  golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev
  # the kernel matrix (tests/vm/): Debian kernels booted in qemu from a busybox initramfs
  qemu-system-x86 busybox-static cpio jq xz-utils
)

if [[ "$deps" == build ]]; then
  packages=("${build_packages[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends "${missing[@]}" >&2
else
  echo "install-deps.sh: all packages present" >&2
fi
