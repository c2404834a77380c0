#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The E2B conformance test (a ctest entry): installs the pinned official SDK packages with
# `npm ci`, starts sandbench's E2B emulator on a free loopback port, and runs conformance.mjs (or
# the script given) against it with only E2B_API_URL, E2B_SANDBOX_URL and E2B_API_KEY set.
#
#   run_conformance.sh LAUNCHER [SCRIPT [ARGS...]]
#
# LAUNCHER is the command that starts the emulator and prints `export NAME='value'` lines
# (`sandbench emulate e2b`, as ctest passes it). Extra emulator flags can come from
# SANDBENCH_E2B_EMULATOR_ARGS.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
conformance=e2b
# shellcheck source=../common.sh
source "$here/../common.sh"
launcher="${1:?usage: run_conformance.sh LAUNCHER [SCRIPT [ARGS...]]}"
shift
script="${1:-conformance.mjs}"
shift || true

# The SDK needs node >= 20.18.1 (its `engines`; undici 7).
require_node 20 18 1 "the SDK"
install_pinned "$here"

# The key the emulator insists on, so that the SDK's authentication path is exercised too.
key="e2b_$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"
# shellcheck disable=SC2086 # LAUNCHER may be a command with arguments
start_emulator '^export E2B_API_KEY=' $launcher --port 0 --set "api_key=$key" \
    ${SANDBENCH_E2B_EMULATOR_ARGS:-}
# shellcheck disable=SC1091
source "$workdir/out"
# Nothing else: no E2B_DEBUG, no domain; proxies off for loopback (node's fetch ignores them
# anyway, but a child might not).
unset E2B_DEBUG E2B_DOMAIN http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
node "$here/$script" "$@"
