// SPDX-License-Identifier: Apache-2.0
// The official E2B JavaScript SDK (packages `e2b` and `@e2b/code-interpreter`, unchanged) against
// sandbench's E2B emulator. The environment says where it is: E2B_API_URL, E2B_SANDBOX_URL and
// E2B_API_KEY, exactly as for a self-hosted E2B; nothing else is configured.
//
// Each check prints "ok - name" or "not ok - name: why"; the last line is "N passed, N failed",
// and the exit code is 1 when anything failed.
import { Sandbox } from '@e2b/code-interpreter';
import assert from 'node:assert/strict';

let passed = 0;
let failed = 0;

async function check(name, body) {
    try {
        await body();
        passed += 1;
        console.log(`ok - ${name}`);
    } catch (error) {
        failed += 1;
        console.log(`not ok - ${name}: ${error && error.stack ? error.stack : error}`);
    }
}

/// The sandboxes the control plane lists, through the SDK.
async function listedIds() {
    const paginator = Sandbox.list();
    const ids = [];
    while (paginator.hasNext) {
        for (const info of await paginator.nextItems()) {
            ids.push(info.sandboxId);
        }
    }
    return ids;
}

for (const name of ['E2B_API_URL', 'E2B_SANDBOX_URL', 'E2B_API_KEY']) {
    if (!process.env[name]) {
        console.log(`not ok - environment: ${name} is not set`);
        console.log('0 passed, 1 failed');
        process.exit(1);
    }
}

let sandbox;
await check('Sandbox.create', async () => {
    sandbox = await Sandbox.create({ metadata: { suite: 'sandbench-conformance' } });
    assert.match(sandbox.sandboxId, /^[a-z0-9]+$/);
});
if (!sandbox) {
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(1);
}

await check('runCode: stdout, streamed to onStdout', async () => {
    const streamed = [];
    const execution = await sandbox.runCode('counter = 41\nprint("hello from the sandbox")', {
        onStdout: (message) => streamed.push(message.line),
    });
    assert.equal(execution.error, undefined);
    assert.deepEqual(execution.logs.stdout, ['hello from the sandbox\n']);
    assert.deepEqual(streamed, ['hello from the sandbox\n']);
    assert.ok(execution.executionCount >= 1);
});

await check('runCode: result text and state across calls', async () => {
    const execution = await sandbox.runCode('counter + 1');
    assert.equal(execution.text, '42');
    assert.equal(execution.results.length, 1);
    assert.equal(execution.results[0].isMainResult, true);
});

await check('runCode: a string result arrives without its quotes', async () => {
    const execution = await sandbox.runCode('"emulated"');
    assert.equal(execution.text, 'emulated');
});

await check('runCode: stderr', async () => {
    const execution = await sandbox.runCode('import sys\nprint("to stderr", file=sys.stderr)');
    assert.deepEqual(execution.logs.stderr, ['to stderr\n']);
});

await check('runCode: error name, value and traceback', async () => {
    const execution = await sandbox.runCode('numerator = 10\nnumerator / 0');
    assert.ok(execution.error, 'no error');
    assert.equal(execution.error.name, 'ZeroDivisionError');
    assert.equal(execution.error.value, 'division by zero');
    assert.match(execution.error.traceback, /ZeroDivisionError/);
    const after = await sandbox.runCode('numerator * 2');
    assert.equal(after.text, '20');
});

await check('runCode: a matplotlib figure as a png image', async () => {
    const execution = await sandbox.runCode(
        'import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.show()');
    assert.equal(execution.error, undefined);
    const images = execution.results.filter((result) => result.png);
    assert.equal(images.length, 1);
    const png = Buffer.from(images[0].png, 'base64');
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(images[0].formats().includes('png'));
});

await check('files.write, files.read, files.list, and the code sees the file', async () => {
    const info = await sandbox.files.write('/home/user/greeting.txt', 'hello from the SDK');
    assert.equal(info.path, '/home/user/greeting.txt');
    assert.equal(await sandbox.files.read('/home/user/greeting.txt'), 'hello from the SDK');
    const entries = await sandbox.files.list('/home/user');
    const entry = entries.find((item) => item.name === 'greeting.txt');
    assert.ok(entry, `greeting.txt not listed: ${JSON.stringify(entries)}`);
    assert.equal(entry.type, 'file');
    assert.equal(entry.size, 'hello from the SDK'.length);
    const execution = await sandbox.runCode('open("greeting.txt").read()');
    assert.equal(execution.text, 'hello from the SDK');
});

await check('files.write of bytes, read back as bytes', async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    await sandbox.files.write('data/bytes.bin', bytes.buffer);
    const back = await sandbox.files.read('data/bytes.bin', { format: 'bytes' });
    assert.deepEqual([...back], [...bytes]);
    assert.equal(await sandbox.files.exists('data/bytes.bin'), true);
    assert.equal(await sandbox.files.exists('data/missing.bin'), false);
});

await check('files.read of a missing file is FileNotFoundError', async () => {
    await assert.rejects(sandbox.files.read('/home/user/missing.txt'), (error) => {
        assert.equal(error.name, 'FileNotFoundError');
        assert.match(error.message, /missing\.txt/);
        return true;
    });
});

await check('contexts: create, run, list, restart, remove', async () => {
    const context = await sandbox.createCodeContext({ cwd: '/home/user/project' });
    assert.equal(context.cwd, '/home/user/project');
    const first = await sandbox.runCode('value = 7\nvalue * 6', { context });
    assert.equal(first.text, '42');
    const contexts = await sandbox.listCodeContexts();
    assert.ok(contexts.some((item) => item.id === context.id));
    await sandbox.restartCodeContext(context);
    const after = await sandbox.runCode('"value" in globals()', { context });
    assert.equal(after.text, 'False');
    await sandbox.removeCodeContext(context);
    const unaffected = await sandbox.runCode('counter');
    assert.equal(unaffected.text, '41');
});

await check('isRunning, setTimeout, getInfo', async () => {
    assert.equal(await sandbox.isRunning(), true);
    await sandbox.setTimeout(120_000);
    const info = await sandbox.getInfo();
    assert.equal(info.sandboxId, sandbox.sandboxId);
    assert.equal(info.metadata.suite, 'sandbench-conformance');
    assert.ok(info.endAt.getTime() - Date.now() <= 121_000);
});

await check('Sandbox.list shows the sandbox', async () => {
    assert.ok((await listedIds()).includes(sandbox.sandboxId));
});

await check('kill, then the sandbox is gone', async () => {
    await sandbox.kill();
    assert.equal(await sandbox.isRunning(), false);
    assert.ok(!(await listedIds()).includes(sandbox.sandboxId));
    await assert.rejects(sandbox.runCode('1'), { name: 'TimeoutError' });
    assert.equal(await Sandbox.kill(sandbox.sandboxId), false);
});

await check('a wrong API key is AuthenticationError (the emulator runs with api_key set)',
    async () => {
        await assert.rejects(
            Sandbox.create({ apiKey: 'e2b_0000000000000000000000000000000000000000' }),
            { name: 'AuthenticationError' });
    });

await check('no sandbox is left', async () => {
    assert.deepEqual(await listedIds(), []);
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
