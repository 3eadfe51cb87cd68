#!/usr/bin/env bash
# Installs every build, test and benchmark dependency of zfan from Debian 12's packages.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
  build-essential cmake pkgconf ca-certificates python3 \
  libzmq3-dev cppzmq-dev libmsgpack-cxx-dev libcurl4-openssl-dev nlohmann-json3-dev \
  catch2 libcli11-dev libspdlog-dev libfmt-dev libprimesieve-dev primesieve \
  libcpp-httplib-dev libstb-dev libxxhash-dev libssl-dev iproute2 procps shellcheck \
  clang libclang-rt-14-dev
# Benchmarks only (bench/README.md): ZFAN_BENCH_DEPS=1 scripts/install-deps.sh
if [ "${ZFAN_BENCH_DEPS:-0}" = "1" ]; then
  $SUDO apt-get install -y -q --no-install-recommends hyperfine gnuplot-nox aria2 curl \
    python3-aiohttp
fi
