#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Google Benchmark's own tools/compare.py reads two `sandbench report --format gbench-json`
exports as-is: two fake-backend runs (the second with a slower create) are exported, compared
by compare.py unchanged, and its JSON dump must pair every phase row, carry the medians that
sandbench's summary.json reports, and run its U test on the repetitions.

    gbench_compare_test.py SANDBENCH_BINARY FIXTURES_DIR [COMPARE_PY]

COMPARE_PY defaults to /usr/share/benchmark/compare.py from Debian's libbenchmark-tools, which
scripts/setup.sh installs (with python3-scipy, which compare.py imports). Exit codes: 0 pass,
1 fail. The test checks what compare.py read, never how fast anything ran.
"""

import json
import os
import subprocess
import sys
import tempfile

DEFAULT_COMPARE_PY = "/usr/share/benchmark/compare.py"
ITERATIONS = 9  # compare.py calls fewer than 9 repetitions unreliable


def fail(message):
    print(f"FAIL: {message}")
    return 1


def run_backend(sandbench, fixtures, tmp, name, create_ms):
    """One cold+reused run of the fake greeting workload; returns the run directory."""
    config = os.path.join(tmp, f"{name}.toml")
    with open(config, "w", encoding="utf-8") as out:
        out.write(f'[backends.fake]\ntype = "fake"\ncreate_ms = {create_ms}\n')
    run_dir = os.path.join(tmp, name)
    subprocess.run(
        [sandbench, "--config", config, "-q", "run", "--backend", "fake", "--workload",
         os.path.join(fixtures, "workloads", "fake_greeting.py"), "--scenario", "cold,reused",
         "--iterations", str(ITERATIONS), "--warmup", "0", "--out", run_dir],
        check=True, capture_output=True, text=True)
    export = os.path.join(tmp, f"{name}-export")
    subprocess.run([sandbench, "report", run_dir, "--format", "gbench-json", "--out", export],
                   check=True, capture_output=True, text=True)
    return run_dir, os.path.join(export, "gbench.json")


def summary_rows(run_dir):
    """'backend/workload/scenario/phase' -> (n, median wall ms), from the run's summary.json."""
    with open(os.path.join(run_dir, "summary.json"), encoding="utf-8") as source:
        rows = json.load(source)["rows"]
    return {f"{r['backend']}/{r['workload']}/{r['scenario']}/{r['phase']}":
            (r["wall_ms"]["n"], r["wall_ms"]["median"]) for r in rows if r["wall_ms"]["n"] > 0}


def close(a, b):
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__)
        return 2
    sandbench, fixtures = sys.argv[1], sys.argv[2]
    compare_py = sys.argv[3] if len(sys.argv) == 4 else DEFAULT_COMPARE_PY
    if not os.path.isfile(compare_py):
        return fail(f"{compare_py} is missing: install libbenchmark-tools (scripts/setup.sh does)")

    with tempfile.TemporaryDirectory(prefix="sandbench-gbench-") as tmp:
        base_dir, base_json = run_backend(sandbench, fixtures, tmp, "base", create_ms=2)
        new_dir, new_json = run_backend(sandbench, fixtures, tmp, "new", create_ms=6)
        dump = os.path.join(tmp, "compare.json")
        # Debian's python3 (not a virtualenv's) has the numpy and scipy that compare.py imports.
        compared = subprocess.run(
            ["/usr/bin/python3", compare_py, "--no-color", "-d", dump, "benchmarks", base_json,
             new_json], capture_output=True, text=True)
        print(compared.stdout)
        if compared.returncode != 0:
            return fail(f"compare.py exited {compared.returncode}: {compared.stderr.strip()}")
        with open(dump, encoding="utf-8") as source:
            rows = json.load(source)

        base_rows, new_rows = summary_rows(base_dir), summary_rows(new_dir)
        expected = sorted(set(base_rows) & set(new_rows))
        if not any(name.endswith("/cold/create") for name in expected):
            return fail(f"the runs have no cold create row: {expected}")

        by_name = {}
        for row in rows:
            by_name.setdefault(row["name"], row)
        problems = []
        for name in expected:
            (n, base_median), (new_n, new_median) = base_rows[name], new_rows[name]
            iterations = by_name.get(name)
            if iterations is None:
                problems.append(f"{name}: compare.py did not pair it")
                continue
            if len(iterations["measurements"]) != min(n, new_n):
                problems.append(f"{name}: {len(iterations['measurements'])} repetitions paired, "
                                f"the runs have {n} and {new_n}")
            if min(n, new_n) < 2:
                continue  # one sample (a reused session's close): no aggregates, no U test
            utest = iterations.get("utest", {})
            if utest.get("nr_of_repetitions") != n or "time_pvalue" not in utest:
                problems.append(f"{name}: no U test over {n} repetitions: {utest}")
            median = by_name.get(name + "_median")
            if median is None:
                problems.append(f"{name}: compare.py did not pair its median")
                continue
            measured = median["measurements"][0]
            if not close(measured["real_time"], base_median):
                problems.append(f"{name}: old median {measured['real_time']}, "
                                f"summary.json says {base_median}")
            if not close(measured["real_time_other"], new_median):
                problems.append(f"{name}: new median {measured['real_time_other']}, "
                                f"summary.json says {new_median}")
            if base_median > 0 and not close(measured["time"],
                                             (new_median - base_median) / base_median):
                problems.append(f"{name}: relative change {measured['time']} is not "
                                f"{new_median} / {base_median} - 1")
        if problems:
            return fail("; ".join(problems))
        if "fake/fake_greeting/cold/create_median" not in compared.stdout:
            return fail("the printed comparison has no cold create median row")
        print(f"PASS: compare.py paired all {len(expected)} rows and their medians")
        return 0


if __name__ == "__main__":
    sys.exit(main())
