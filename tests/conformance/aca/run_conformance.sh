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
# NAME='value'` lines: `sandbench emulate aca` (ctest passes it). Extra emulator flags can come
# from SANDBENCH_ACA_EMULATOR_ARGS.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
conformance=aca
# shellcheck source=../common.sh
source "$here/../common.sh"
launcher="${1:?usage: run_conformance.sh LAUNCHER [SCRIPT [ARGS...]]}"
shift
script="${1:-conformance.mjs}"
shift || true

# The client uses the global fetch, FormData and Blob of node >= 18.
require_node 18 0 0 "the client"
install_pinned "$here"

# The one token the emulator accepts, so that the client's authentication is exercised too.
token="aca-$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"
# shellcheck disable=SC2086 # LAUNCHER may be a command with arguments
start_emulator '^export ' $launcher --port 0 --set "token=$token" ${SANDBENCH_ACA_EMULATOR_ARGS:-}
endpoint="$(head -n 1 "$workdir/out")"
[[ "$endpoint" == http* ]] || fail "the emulator printed no endpoint: '$endpoint'"

# The client reads the endpoint from AZURE_POOL_MANAGEMENT_ENDPOINT; the token comes from the
# script's token provider. Proxies off: the emulator is on loopback.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export AZURE_POOL_MANAGEMENT_ENDPOINT="$endpoint"
export SANDBENCH_ACA_CONFORMANCE_TOKEN="$token"
# The client saves images under ./tool-output: run it in the scratch directory.
cd "$workdir"
node "$here/$script" "$@"
