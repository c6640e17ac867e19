#!/usr/bin/env bash
# Checks the Helm chart (deploy/helm/vigil) without helm or a cluster: builds the
# renderer (tests/deploy/helm/render) and the checker (tests/deploy/helm/check) offline
# from Debian's Go sources, then renders the chart under default and non-default values
# and checks the output (see tests/deploy/helm/check/main.go).
# Usage: scripts/check-chart.sh [BUILD_DIR] [-v]
# Needs: golang-go, golang-github-masterminds-sprig-dev, golang-gopkg-yaml.v3-dev
# (scripts/install-deps.sh). Exits non-zero on any failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}/chart-check
shift || true
start=$(date +%s)

for pkg in github.com/Masterminds/sprig gopkg.in/yaml.v3; do
  if [[ ! -d /usr/share/gocode/src/$pkg ]]; then
    echo "scripts/check-chart.sh: /usr/share/gocode/src/$pkg is missing: run scripts/install-deps.sh" >&2
    exit 1
  fi
done
command -v go >/dev/null || { echo "scripts/check-chart.sh: go is missing: run scripts/install-deps.sh" >&2; exit 1; }

mkdir -p "$build/gopath"
# GOPATH mode against Debian's packaged sources: no module download, no network.
export GO111MODULE=off GOPATH="$build/gopath:/usr/share/gocode" GOCACHE="$build/gocache" \
  GOFLAGS= GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0
cd "$top"
go build -o "$build/vigil-render" ./tests/deploy/helm/render
go build -o "$build/vigil-chart-check" ./tests/deploy/helm/check
go vet ./tests/deploy/helm/render ./tests/deploy/helm/check

"$build/vigil-chart-check" --render "$build/vigil-render" --chart deploy/helm/vigil \
  --rules-pack deploy/rules/vigil_rules.yaml --cases tests/deploy/helm/values \
  --work "$build/rendered" "$@"
# The default rendering, for reading: helm template's layout.
"$build/vigil-render" --chart deploy/helm/vigil --namespace vigil-system > "$build/default.yaml"
echo "scripts/check-chart.sh: chart checks passed in $(($(date +%s) - start))s (manifests: $build/rendered, $build/default.yaml)"
