#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The E2B conformance test (a ctest entry): installs the pinned official SDK packages with
# `npm ci`, starts sandbench's E2B emulator on a free loopback port, and runs conformance.mjs (or
# the script given) against it with only E2B_API_URL, E2B_SANDBOX_URL and E2B_API_KEY set.
#
#   run_conformance.sh LAUNCHER [SCRIPT [ARGS...]]
#
# LAUNCHER is the command that starts the emulator and prints `export NAME='value'` lines
# (`sandbench emulate e2b`, as ctest passes it). Fails clearly when node, npm or
# the npm registry is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
launcher="${1:?usage: run_conformance.sh LAUNCHER [SCRIPT [ARGS...]]}"
shift
script="${1:-conformance.mjs}"
shift || true

for tool in node npm; do
    command -v "$tool" >/dev/null || { echo "e2b conformance: '$tool' is not installed" >&2; exit 1; }
done
# The SDK needs node >= 20.18.1 (its `engines`; undici 7).
node -e 'const [a,b,c]=process.versions.node.split(".").map(Number);
         process.exit(a>20||(a===20&&(b>18||(b===18&&c>=1)))?0:1)' ||
    { echo "e2b conformance: node $(node --version) is too old; the SDK needs >= 20.18.1" >&2; exit 1; }

cd "$here"
# A stamp next to node_modules records the lock it was installed from, so that repeated runs skip
# the download.
if ! cmp -s package-lock.json node_modules/.sandbench-lock 2>/dev/null; then
    if ! npm ci --no-audit --no-fund --loglevel=error; then
        echo "e2b conformance: 'npm ci' failed: is the npm registry reachable?" >&2
        exit 1
    fi
    cp package-lock.json node_modules/.sandbench-lock
fi

workdir="$(mktemp -d)"
emulator_pid=""
cleanup() {
    if [[ -n "$emulator_pid" ]] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill -TERM "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

# The key the emulator insists on, so that the SDK's authentication path is exercised too.
key="e2b_$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"
# shellcheck disable=SC2086 # LAUNCHER may be a command with arguments
$launcher --port 0 --set "api_key=$key" ${SANDBENCH_E2B_EMULATOR_ARGS:-} \
    >"$workdir/env" 2>"$workdir/emulator.log" &
emulator_pid=$!
for _ in $(seq 1 300); do
    grep -q '^export E2B_API_KEY=' "$workdir/env" 2>/dev/null && break
    kill -0 "$emulator_pid" 2>/dev/null || break
    sleep 0.1
done
if ! grep -q '^export E2B_API_KEY=' "$workdir/env"; then
    echo "e2b conformance: the emulator did not start:" >&2
    cat "$workdir/emulator.log" >&2
    exit 1
fi
# shellcheck disable=SC1091
source "$workdir/env"
# Nothing else: no E2B_DEBUG, no domain; proxies off for loopback (node's fetch ignores them
# anyway, but a child might not).
unset E2B_DEBUG E2B_DOMAIN http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
node "$script" "$@"
