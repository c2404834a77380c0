// SPDX-License-Identifier: Apache-2.0
// One run, one emulator, two clients: the official JS SDK's reused runCode('pass') and
// sandbench's C++ client (bench/e2b_client_bench, BM_E2bReusedPass), plus the raw-HTTP floor
// (BM_E2bRawHttpPass: the same request over libcurl, nothing parsed). Each client gets its own
// warm sandbox on the same emulator; per-call medians are compared, and each client's overhead is
// its median minus the floor's.
//
//   run_conformance.sh LAUNCHER compare_clients.mjs PATH/TO/e2b_client_bench [CALLS]
//
// Prints a table and `N passed, N failed` (a failure only when a measurement could not be made).
import { Sandbox } from '@e2b/code-interpreter';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const bench = process.argv[2];
const calls = Number(process.argv[3] ?? 500);
if (!bench) {
    console.log('usage: compare_clients.mjs PATH/TO/e2b_client_bench [CALLS]');
    console.log('0 passed, 1 failed');
    process.exit(1);
}

function quantile(sorted, q) {
    return sorted[Math.floor(q * (sorted.length - 1))];
}

async function measureSdk() {
    const sandbox = await Sandbox.create();
    try {
        for (let i = 0; i < 20; i += 1) {
            await sandbox.runCode('pass');
        }
        const micros = [];
        for (let i = 0; i < calls; i += 1) {
            const begin = performance.now();
            const execution = await sandbox.runCode('pass');
            micros.push((performance.now() - begin) * 1000);
            if (execution.error) {
                throw new Error(`runCode('pass') failed: ${execution.error.name}`);
            }
        }
        micros.sort((a, b) => a - b);
        return { median: quantile(micros, 0.5), p10: quantile(micros, 0.1),
                 p90: quantile(micros, 0.9), calls };
    } finally {
        await sandbox.kill();
    }
}

function measureCpp() {
    const run = spawnSync(bench, [
        '--benchmark_filter=BM_E2bReusedPass|BM_E2bRawHttpPass',
        `--benchmark_min_time=${Math.max(1, Math.round(calls / 500))}`,
        '--benchmark_format=json',
    ], { encoding: 'utf8', env: process.env, maxBuffer: 16 << 20 });
    if (run.status !== 0) {
        throw new Error(`${bench} exited with ${run.status}: ${run.stderr}`);
    }
    const results = {};
    for (const entry of JSON.parse(run.stdout).benchmarks) {
        if (entry.error_occurred) {
            throw new Error(`${entry.name}: ${entry.error_message}`);
        }
        results[entry.name.split('/')[0]] = { median: entry.median_us, p10: entry.p10_us, p90: entry.p90_us,
                                calls: entry.iterations };
    }
    return results;
}

let failed = 0;
let sdk;
let cpp;
try {
    sdk = await measureSdk();
    cpp = measureCpp();
} catch (error) {
    console.log(`not ok - measurement: ${error.stack ?? error}`);
    failed += 1;
}
if (sdk && cpp && cpp.BM_E2bReusedPass && cpp.BM_E2bRawHttpPass) {
    const floor = cpp.BM_E2bRawHttpPass.median;
    const rows = [
        ['raw HTTP floor (libcurl, unparsed)', cpp.BM_E2bRawHttpPass],
        ['sandbench C++ client', cpp.BM_E2bReusedPass],
        ['official JS SDK runCode', sdk],
    ];
    console.log('reused execute("pass") against the E2B emulator, per call (microseconds)');
    console.log('client                                  median      p10      p90   calls  over floor');
    for (const [name, row] of rows) {
        console.log(`${name.padEnd(38)} ${row.median.toFixed(0).padStart(7)}  ` +
            `${row.p10.toFixed(0).padStart(7)}  ${row.p90.toFixed(0).padStart(7)}  ` +
            `${String(row.calls).padStart(6)}  ${(row.median - floor).toFixed(0).padStart(10)}`);
    }
    const difference = sdk.median - cpp.BM_E2bReusedPass.median;
    console.log(`median: the C++ client is ${Math.abs(difference).toFixed(0)} us ` +
        `${difference >= 0 ? 'faster' : 'slower'} than the JS SDK ` +
        `(client overhead above the floor: C++ ${(cpp.BM_E2bReusedPass.median - floor).toFixed(0)} us, ` +
        `JS ${(sdk.median - floor).toFixed(0)} us)`);
    console.log('ok - measurement');
} else if (failed === 0) {
    console.log(`not ok - measurement: missing results (${JSON.stringify(Object.keys(cpp ?? {}))})`);
    failed += 1;
}
console.log(`${failed === 0 ? 1 : 0} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
