# SPDX-License-Identifier: Apache-2.0
# What the conformance scripts share (sourced, not run): checking node, installing the pinned
# public clients, and starting an emulator in a process of its own. Every failure names the
# test ($conformance) and exits 1: a conformance test that cannot run must not pass.

# require_node MAJOR MINOR PATCH WHY: node and npm are installed and node is at least that version.
require_node() {
    local tool
    for tool in node npm; do
        command -v "$tool" >/dev/null || fail "'$tool' is not installed"
    done
    node -e 'const [a, b, c] = process.versions.node.split(".").map(Number);
             const [x, y, z] = process.argv.slice(1).map(Number);
             process.exit(a > x || (a === x && (b > y || (b === y && c >= z))) ? 0 : 1)' \
        "$1" "$2" "$3" ||
        fail "node $(node --version) is too old; $4 needs >= $1.$2.$3"
}

# install_pinned DIR: `npm ci` from DIR's lock file, skipped when node_modules was installed from
# the same lock (a stamp next to it records which).
install_pinned() {
    cd "$1"
    if ! cmp -s package-lock.json node_modules/.sandbench-lock 2>/dev/null; then
        npm ci --no-audit --no-fund --loglevel=error ||
            fail "'npm ci' failed: is the npm registry reachable?"
        cp package-lock.json node_modules/.sandbench-lock
    fi
}

# start_emulator READY_PATTERN LAUNCHER...: runs the launcher command in the background with its
# stdout in $workdir/out, and waits (at most 30 s) until a line matches READY_PATTERN. Sets
# $workdir (a scratch directory) and $emulator_pid; both are cleaned up at exit.
start_emulator() {
    local ready="$1"
    shift
    workdir="$(mktemp -d)"
    emulator_pid=""
    trap stop_emulator EXIT
    "$@" >"$workdir/out" 2>"$workdir/emulator.log" &
    emulator_pid=$!
    for _ in $(seq 1 300); do
        grep -q "$ready" "$workdir/out" 2>/dev/null && return 0
        kill -0 "$emulator_pid" 2>/dev/null || break
        sleep 0.1
    done
    cat "$workdir/emulator.log" >&2
    fail "the emulator did not start (no line matching '$ready')"
}

stop_emulator() {
    if [[ -n "${emulator_pid:-}" ]] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill -TERM "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    [[ -n "${workdir:-}" ]] && rm -rf "$workdir"
}

fail() {
    echo "$conformance conformance: $*" >&2
    exit 1
}
