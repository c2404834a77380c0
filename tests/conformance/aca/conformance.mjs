// SPDX-License-Identifier: Apache-2.0
// Drives LlamaIndex's AzureDynamicSessionTool (@llamaindex/azure, unchanged, from the npm
// registry) against sandbench's ACA emulator: upload, list, execute (state, results, errors,
// images), download, and a refused token. The tool takes its endpoint from
// AZURE_POOL_MANAGEMENT_ENDPOINT, as it does for a real pool; run_conformance.sh sets it and
// SANDBENCH_ACA_CONFORMANCE_TOKEN. Each check prints one line; any failure exits non-zero.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";

import { AzureDynamicSessionTool } from "@llamaindex/azure";

const token = process.env.SANDBENCH_ACA_CONFORMANCE_TOKEN;
assert.ok(process.env.AZURE_POOL_MANAGEMENT_ENDPOINT, "AZURE_POOL_MANAGEMENT_ENDPOINT is not set");
assert.ok(token, "SANDBENCH_ACA_CONFORMANCE_TOKEN is not set");

// The tool logs every payload and output with console.log; keep the report readable.
const report = console.log.bind(console);
console.log = () => {};

let failures = 0;
async function check(name, body) {
  try {
    await body();
    report(`ok   ${name}`);
  } catch (error) {
    failures += 1;
    report(`FAIL ${name}: ${error?.stack ?? error}`);
  }
}

const sessionId = `sandbench-conformance-${randomUUID()}`;
const tool = new AzureDynamicSessionTool({
  sessionId,
  azureADTokenProvider: async () => token,
});
const csv = "region,units\neast,3\nwest,4\n";

await check("uploadFile returns the stored file's metadata", async () => {
  const meta = await tool.uploadFile({ data: new Blob([csv]), remoteFilename: "sales.csv" });
  assert.equal(meta.filename, "sales.csv");
  assert.equal(meta.size, csv.length);
});

await check("uploadFile into a folder (the tool's documented example)", async () => {
  const meta = await tool.uploadFile({
    data: new Blob(["nested"]),
    remoteFilename: "folder/file.txt",
  });
  assert.equal(meta.filename, "folder/file.txt");
  assert.equal(meta.size, 6);
});

await check("listFiles lists the uploads", async () => {
  const files = await tool.listFiles();
  const names = files.map((file) => file.filename).sort();
  assert.ok(names.includes("sales.csv"), `got ${JSON.stringify(names)}`);
  const sales = files.find((file) => file.filename === "sales.csv");
  assert.equal(sales.size, csv.length);
});

await check("call runs code that reads the upload and returns the last value", async () => {
  const output = await tool.call({
    code: "import csv\nrows = list(csv.reader(open('sales.csv')))\nprint(len(rows))\n" +
      "total = sum(int(r[1]) for r in rows[1:])\ntotal",
  });
  assert.equal(output.stdout, "3\n");
  assert.equal(output.stderr, "");
  assert.equal(output.result, 7);
});

await check("state persists between calls of one session, also from a second tool", async () => {
  const again = new AzureDynamicSessionTool({ sessionId, azureADTokenProvider: async () => token });
  const output = await again.call({ code: "total * 6" });
  assert.equal(output.result, 42);
});

await check("a raised exception comes back in stderr", async () => {
  const output = await tool.call({ code: "print('before')\n1 / 0" });
  assert.equal(output.stdout, "before\n");
  assert.match(output.stderr, /ZeroDivisionError: division by zero/);
});

await check("a figure comes back as an image the tool saves to disk", async () => {
  const output = await tool.call({
    code: "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n_ = ax.plot([1, 3, 2])",
  });
  assert.equal(typeof output.result, "string");
  assert.match(output.result, /\.png$/);
  // The tool decoded base64_data into tool-output/<uuid>.png. (It then reports the path with the
  // file name twice, "tool-output/<uuid>.png/<uuid>.png": a bug of the client, kept as is.)
  const saved = output.result.slice(0, output.result.lastIndexOf("/"));
  for (let i = 0; i < 50 && !existsSync(saved); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const png = readFileSync(saved);
  assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
});

await check("downloadFile returns what the code wrote", async () => {
  await tool.call({ code: "with open('report.txt', 'w') as f:\n    f.write('total: 42')" });
  const stream = await tool.downloadFile({ remoteFilename: "report.txt" });
  assert.equal(await new Response(stream).text(), "total: 42");
});

await check("downloadFile of a file in a folder", async () => {
  const stream = await tool.downloadFile({ remoteFilename: "folder/file.txt" });
  assert.equal(await new Response(stream).text(), "nested");
});

await check("a wrong token is refused", async () => {
  const intruder = new AzureDynamicSessionTool({
    sessionId,
    azureADTokenProvider: async () => "not-the-token",
  });
  await assert.rejects(intruder.listFiles());
  const output = await intruder.call({ code: "total" });
  assert.notEqual(output.result, 7);
});

if (failures > 0) {
  report(`${failures} check(s) failed`);
  process.exit(1);
}
report("all checks passed: @llamaindex/azure works against the emulator unchanged");
