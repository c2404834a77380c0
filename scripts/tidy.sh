#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# clang-tidy (.clang-tidy) over every sandbench source and test, warnings as errors.
#
#   scripts/tidy.sh                 # everything: about 25 minutes on 2 CPUs
#   scripts/tidy.sh harness/src     # only files under these paths
#
# It configures the `tidy` preset for its compile_commands.json and generates the headers the
# sources include, but compiles nothing: clang-tidy parses each file itself, so this takes half
# the time of building the preset (which runs clang-tidy beside the compiler).
set -euo pipefail
cd "$(dirname "$0")/.."

build=build/tidy
cmake --preset tidy >/dev/null
# The only generated headers; the build graph names them by path.
ninja -C "$build" harness/generated/pricing_table.hpp harness/generated/git_revision.hpp \
    harness/generated/html_report_css.hpp \
    backends/local/generated/local/kernel_script.hpp >/dev/null

if (($# == 0)); then
    set -- backends bench common emulators harness tests
fi
pattern="^$(pwd)/($(IFS='|'; echo "$*"))/"
log="$build/clang-tidy.log"
# run-clang-tidy 14 has no -warnings-as-errors, so the findings are counted from its output.
status=0
run-clang-tidy-14 -p "$build" -j "$(nproc)" -quiet "$pattern" 2>&1 |
    sed 's/\x1b\[[0-9;]*m//g' >"$log" || status=$?  # without the colours it adds
finding='^/.+:[0-9]+:[0-9]+: (warning|error): '
findings=$(grep -cE "$finding" "$log" || true)
grep -E "$finding" "$log" | sort -u || true
if ((findings > 0 || status != 0)); then
    echo "clang-tidy: $findings findings (exit $status); the whole output is in $log" >&2
    exit 1
fi
echo "clang-tidy: no findings"
