#!/usr/bin/env node
// Runs the extension integration tests (out/test/integration/**/*.test.js, via the index
// out/test/integration/index.js) inside a real VS Code: code-server from .tools/, driven by
// headless Debian chromium. Prints each test line; exits with the suite's exit code. A second pass
// opens an untrusted folder (Workspace Trust on) and runs only the Workspace Trust suite.
//   node scripts/run-integration.mjs            (after `node scripts/setup.mjs`)
// Env: TRITONIZE_TEST_GREP=<pattern>, TRITONIZE_INTEGRATION_TIMEOUT_S (default 1800),
//      TRITONIZE_TEST_WORKSPACE=<folder copied as the opened workspace> (default: examples/ if present).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadHarness, root } from './lib/harness.mjs';

const index = join(root, 'out', 'test', 'integration', 'index.js');
if (!existsSync(index)) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(index)) {
    console.error('run-integration: out/test/integration/index.js missing after build');
    process.exit(1);
  }
}
const { runExtensionTests } = await loadHarness();
const examples = join(root, 'examples');
const workspaceSource = process.env.TRITONIZE_TEST_WORKSPACE || (existsSync(examples) ? examples : undefined);
const res = await runExtensionTests({
  root,
  testsPath: index,
  workspaceSource,
  timeoutMs: Number(process.env.TRITONIZE_INTEGRATION_TIMEOUT_S || 1800) * 1000,
  env: process.env.TRITONIZE_TEST_GREP ? { TRITONIZE_TEST_GREP: process.env.TRITONIZE_TEST_GREP } : {},
});
for (const a of res.artifacts) console.log(`run-integration: saved ${a}`);
console.log(`run-integration: exit ${res.exitCode}${res.timedOut ? ' (timed out)' : ''} in ${(res.elapsedMs / 1000).toFixed(1)} s`);

// Second pass: a fresh code-server with Workspace Trust on and the folder untrusted, running only
// the Workspace Trust suite (test/integration/untrusted.test.ts; the first pass skips it).
const UNTRUSTED_SUITE = 'Workspace Trust (untrusted folder)';
const grep = process.env.TRITONIZE_TEST_GREP;
let untrustedExit = 0;
if (!grep || new RegExp(grep).test(UNTRUSTED_SUITE)) {
  const u = await runExtensionTests({
    root,
    testsPath: index,
    untrustedWorkspace: true,
    timeoutMs: Number(process.env.TRITONIZE_INTEGRATION_TIMEOUT_S || 1800) * 1000,
    env: { TRITONIZE_TEST_GREP: UNTRUSTED_SUITE.replace(/[()]/g, '\\$&') },
  });
  for (const a of u.artifacts) console.log(`run-integration: saved ${a}`);
  console.log(`run-integration: untrusted pass exit ${u.exitCode}${u.timedOut ? ' (timed out)' : ''} in ${(u.elapsedMs / 1000).toFixed(1)} s`);
  untrustedExit = u.exitCode;
}
process.exit(res.exitCode || untrustedExit);
