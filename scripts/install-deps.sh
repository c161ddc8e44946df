#!/usr/bin/env bash
# Installs what building and testing corral needs on Debian 12, and only what is missing.
# Usage: scripts/install-deps.sh        (as root, or with sudo available)
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config                  # build
  libuv1-dev libspdlog-dev libtomlplusplus-dev      # event loop, corral's log, service files
  libcgroup-dev nlohmann-json3-dev libcli11-dev     # cgroups, JSON, command line
  libsimdjson-dev                                   # validating IPC messages
  zlib1g-dev                                        # CRC-32 of the spill journal's records
  libyaml-cpp-dev                                   # corral import: pm2's YAML ecosystem files
  libsystemd-dev                                    # sd_notify: readiness and watchdog under systemd
  libmicrohttpd-dev                                 # the Prometheus endpoint ([supervisor] metrics)
  doctest-dev                                       # tests
  clang libclang-rt-14-dev                          # fuzzing: libFuzzer and the sanitizer runtimes
  procps                                            # ps/free, used by the demo and benchmarks
  universal-ctags                                   # scripts/check-sizes.sh finds functions with it
  supervisor                                        # benchmarks: supervisord beside corral (compare.js, idle.js)
  prometheus                                        # tests: promtool check metrics, a real Prometheus scraping corral
)
command -v node >/dev/null 2>&1 || packages+=(nodejs)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: run as root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The benchmarks run supervisord by hand with their own configuration; its system service stays off.
if printf '%s\n' "${missing[@]}" | grep -qx supervisor && command -v systemctl >/dev/null 2>&1; then
  $sudo systemctl disable --now supervisor >/dev/null 2>&1 || true
fi
# The same for Prometheus: the tests start their own, on a free port with a temporary storage directory.
if printf '%s\n' "${missing[@]}" | grep -qx prometheus && command -v systemctl >/dev/null 2>&1; then
  $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
