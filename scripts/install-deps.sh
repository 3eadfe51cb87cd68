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
  clang libclang-rt-14-dev parallel
# deploy/'s tests against the real tools (deploy_ssh_real, deploy_slurm_real) start their own
# sshd, munged, slurmctld and slurmd on loopback; the packages' own services are not wanted. Where
# no policy-rc.d exists, one is put in place for the install so that apt starts none of them, and
# on a machine run by systemd the services of packages installed here are disabled, so that
# installing zfan's test tools does not open an ssh server at the next boot.
deploy_test_services=(openssh-server:ssh munge:munge slurmctld:slurmctld slurmd:slurmd)
new_services=()
for entry in "${deploy_test_services[@]}"; do
  dpkg -s "${entry%%:*}" >/dev/null 2>&1 || new_services+=("${entry#*:}")
done
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# scripts/install-deps.sh: start no service while installing\nexit 101\n' |
    $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  added_policy=1
fi
install_rc=0
$SUDO apt-get install -y -q --no-install-recommends openssh-server openssh-client munge \
  slurm-wlm || install_rc=$?
[ "$added_policy" = 0 ] || $SUDO rm -f "$policy"
[ "$install_rc" = 0 ] || exit "$install_rc"
if [ -d /run/systemd/system ] && [ "${#new_services[@]}" -gt 0 ]; then
  $SUDO systemctl disable --now "${new_services[@]/%/.service}" || true
fi
# Benchmarks only (bench/README.md): ZFAN_BENCH_DEPS=1 scripts/install-deps.sh
if [ "${ZFAN_BENCH_DEPS:-0}" = "1" ]; then
  $SUDO apt-get install -y -q --no-install-recommends hyperfine gnuplot-nox aria2 curl \
    python3-aiohttp linux-perf
fi
