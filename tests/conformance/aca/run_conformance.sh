#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The ACA conformance test (a ctest entry): installs the pinned public client (@llamaindex/azure,
# LlamaIndex's AzureDynamicSessionTool) with `npm ci`, starts sandbench's ACA emulator on a free
# loopback port with a random token, and runs conformance.mjs against it. The client is not
# changed: it is given only the pool management endpoint (through the variable it reads,
# AZURE_POOL_MANAGEMENT_ENDPOINT) and a token provider, as a user would.
#
#   run_conformance.sh LAUNCHER [SCRIPT [ARGS...]]
#
# LAUNCHER starts the emulator and prints the endpoint on its first line, then `export
# NAME='value'` lines: `sandbench emulate aca` (ctest passes it). Fails clearly when
# node, npm or the npm registry is missing: a conformance test that cannot run must not pass.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
launcher="${1:?usage: run_conformance.sh LAUNCHER [SCRIPT [ARGS...]]}"
shift
script="${1:-conformance.mjs}"
shift || true

for tool in node npm; do
    command -v "$tool" >/dev/null ||
        { echo "aca conformance: '$tool' is not installed" >&2; exit 1; }
done
# The client uses the global fetch, FormData and Blob of node >= 18.
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' || {
    echo "aca conformance: node $(node --version) is too old; the client needs >= 18" >&2
    exit 1
}

cd "$here"
# A stamp next to node_modules records the lock it was installed from, so that repeated runs skip
# the download.
if ! cmp -s package-lock.json node_modules/.sandbench-lock 2>/dev/null; then
    if ! npm ci --no-audit --no-fund --loglevel=error; then
        echo "aca conformance: 'npm ci' failed: is the npm registry reachable?" >&2
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

# The one token the emulator accepts, so that the client's authentication is exercised too.
token="aca-$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"
# shellcheck disable=SC2086 # LAUNCHER may be a command with arguments
$launcher --port 0 --set "token=$token" ${SANDBENCH_ACA_EMULATOR_ARGS:-} \
    >"$workdir/out" 2>"$workdir/emulator.log" &
emulator_pid=$!
for _ in $(seq 1 300); do
    grep -q '^export ' "$workdir/out" 2>/dev/null && break
    kill -0 "$emulator_pid" 2>/dev/null || break
    sleep 0.1
done
endpoint="$(head -n 1 "$workdir/out" 2>/dev/null || true)"
if [[ "$endpoint" != http* ]]; then
    echo "aca conformance: the emulator did not start:" >&2
    cat "$workdir/emulator.log" >&2
    exit 1
fi
# The client reads the endpoint from AZURE_POOL_MANAGEMENT_ENDPOINT; the token comes from the
# script's token provider. Proxies off: the emulator is on loopback.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export AZURE_POOL_MANAGEMENT_ENDPOINT="$endpoint"
export SANDBENCH_ACA_CONFORMANCE_TOKEN="$token"
# The client saves images under ./tool-output: run it in the scratch directory.
cd "$workdir"
node "$here/$script" "$@"
