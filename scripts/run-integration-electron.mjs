#!/usr/bin/env node
// Runs the same integration suites (out/test/integration/index.js) in DESKTOP VS Code through
// @vscode/test-electron. Not used by CI: it downloads VS Code from update.code.visualstudio.com,
// which these build machines cannot reach (CI uses scripts/run-integration.mjs with code-server).
// On a machine with internet and a display (or xvfb-run):
//   node scripts/setup.mjs && node scripts/run-integration-electron.mjs
//   xvfb-run -a node scripts/run-integration-electron.mjs        # headless Linux
// Env: TRITONIZE_VSCODE_VERSION (default 1.100.3; "stable" for the latest),
//      TRITONIZE_TEST_GREP, TRITONIZE_TEST_WORKSPACE (default examples/).
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runTests } from '@vscode/test-electron';
import { loadHarness, root } from './lib/harness.mjs';

const index = join(root, 'out', 'test', 'integration', 'index.js');
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
if (build.status !== 0 || !existsSync(index)) process.exit(1);

const tmp = mkdtempSync(join(tmpdir(), 'tritonize-electron-'));
const workspace = join(tmp, 'workspace');
const source = process.env.TRITONIZE_TEST_WORKSPACE || join(root, 'examples');
if (existsSync(source)) cpSync(source, workspace, { recursive: true });
else mkdirSync(workspace, { recursive: true });
const userData = join(tmp, 'user-data');
mkdirSync(join(userData, 'User'), { recursive: true });
// Same user settings as the code-server runs (quiet workbench, Tritonize pointed at .venv).
const { defaultSettings } = await loadHarness();
writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(defaultSettings(root), null, 2));

let code = 1;
try {
  code = await runTests({
    version: process.env.TRITONIZE_VSCODE_VERSION || '1.100.3',
    extensionDevelopmentPath: root,
    extensionTestsPath: index,
    extensionTestsEnv: { TRITONIZE_TEST: '1', ...(process.env.TRITONIZE_TEST_GREP ? { TRITONIZE_TEST_GREP: process.env.TRITONIZE_TEST_GREP } : {}) },
    launchArgs: [workspace, '--user-data-dir', userData, '--extensions-dir', join(tmp, 'extensions'),
      '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--disable-telemetry'],
  });
} catch (err) {
  console.error(`run-integration-electron: ${err?.message ?? err}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
