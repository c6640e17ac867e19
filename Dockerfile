# Vigil: one image with vigil-sensor, vigil-controller and vigilctl (docs/image.md).
#
#   podman build -t vigil:0.1.0 .        (or scripts/build-image.sh, which also checks it)
#   docker build -t vigil:0.1.0 .
#
# Build stage: the project's own dependency script (build set only), then an optimized
# build (-O2, stripped when installed) of the three binaries. Nothing built outside the
# image is copied in.
FROM debian:bookworm-slim AS build

ENV DEBIAN_FRONTEND=noninteractive
COPY scripts/install-deps.sh /src/scripts/install-deps.sh
RUN VIGIL_DEPS=build /src/scripts/install-deps.sh \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb

COPY . /src
# The compiler cache persists between builds of this Dockerfile on the same machine
# (a build-cache mount: never part of an image), so a rebuild after a small change
# recompiles little. The build tree sits where scripts/build.sh puts it (<source>/build),
# with the same build type and the same ccache settings, so a host's own cache can serve
# this build too: scripts/build-image.sh mounts it and sets VIGIL_CCACHE_DIR.
ARG VIGIL_CCACHE_DIR=/ccache
ENV CCACHE_DIR=${VIGIL_CCACHE_DIR} CCACHE_BASEDIR=/src CCACHE_NOHASHDIR=true \
    CCACHE_COMPILERCHECK=content LANG=C.UTF-8
RUN --mount=type=cache,target=/ccache,id=vigil-ccache \
    cmake -S /src -B /src/build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DVIGIL_BUILD_TESTS=OFF -DVIGIL_BUILD_BENCH=OFF \
 && cmake --build /src/build -j2 --target vigil-sensor vigil-controller vigilctl \
 && ccache --show-stats \
 && install -D -s -m 0755 -t /out/usr/bin \
      /src/build/bin/vigil-sensor /src/build/bin/vigil-controller /src/build/bin/vigilctl \
 && install -D -m 0755 -t /out/usr/local/bin /src/deploy/image/vigil-entrypoint \
 && install -d /out/etc/vigil/rules \
 && install -m 0644 -t /out/etc/vigil/rules /src/deploy/rules/*.yaml

# Runtime stage: the shared libraries the binaries link (ldd on the built binaries,
# mapped to packages with dpkg -S), CA certificates, the binaries, the rule pack.
FROM debian:bookworm-slim

ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      libabsl20220623 \
      libbpf1 \
      libc-ares2 \
      libelf1 \
      libgrpc++1.51 \
      libgrpc29 \
      libprometheus-cpp-core1.0 \
      libprotobuf32 \
      libre2-9 \
      libsqlite3-0 \
      libssl3 \
      libstdc++6 \
      libyaml-cpp0.7 \
      zlib1g \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log

# The default user (uid/gid 65532) for vigil-controller and vigilctl; the sensor needs
# root or capabilities (docs/image.md), which its pod sets.
RUN groupadd --system --gid 65532 vigil \
 && useradd --system --uid 65532 --gid vigil --home-dir /var/lib/vigil --no-create-home \
      --shell /usr/sbin/nologin vigil \
 && install -d -o vigil -g vigil -m 0750 /var/lib/vigil

COPY --from=build /out/ /
# Fail the build if a binary needs a library the list above does not bring.
RUN for b in /usr/bin/vigil-sensor /usr/bin/vigil-controller /usr/bin/vigilctl; do \
      if ldd "$b" | grep 'not found'; then echo "$b: missing shared libraries" >&2; exit 1; fi; \
    done

# Keep equal to project(VERSION) in CMakeLists.txt; scripts/build-image.sh passes it.
ARG VIGIL_VERSION=0.1.0
ARG VIGIL_REVISION=
LABEL org.opencontainers.image.title="vigil" \
      org.opencontainers.image.description="Vigil runtime-security sensor for Kubernetes: vigil-sensor, vigil-controller, vigilctl" \
      org.opencontainers.image.version="${VIGIL_VERSION}" \
      org.opencontainers.image.revision="${VIGIL_REVISION}" \
      org.opencontainers.image.base.name="debian:bookworm-slim"

USER vigil
WORKDIR /var/lib/vigil
ENTRYPOINT ["/usr/local/bin/vigil-entrypoint"]
CMD ["vigil-controller", "--help"]
