#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Installs every Debian 12 package sandbench needs (idempotent: apt-get runs only when something
# is missing) and builds with the given CMake preset (default: ci, which also builds the tests).
#
#   scripts/setup.sh [preset]
set -euo pipefail

preset="${1:-ci}"
cd "$(dirname "$0")/.."

packages=(
    # toolchain
    build-essential cmake ninja-build git clang-format clang-tidy
    # libraries, all found with find_package
    libcurl4-openssl-dev nlohmann-json3-dev libboost-dev libboost-filesystem-dev libspdlog-dev
    libfmt-dev libcli11-dev catch2 libbenchmark-dev libyaml-cpp-dev libtomlplusplus-dev
    libcpp-httplib-dev
    # the local backend: Debian's Python with the packages the workloads use, and bubblewrap
    python3 python3-numpy python3-pandas python3-matplotlib bubblewrap
    # the HTML report's screenshot test (headless)
    chromium
    # Google Benchmark's tools/compare.py (and the scipy it imports), for the gbench-json test
    libbenchmark-tools python3-scipy
)

# The conformance tests run the public JS clients (E2B's SDK needs node >= 20.18): use the
# machine's node when it is recent enough, else Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done

if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
        sudo_cmd=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -q
    "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
