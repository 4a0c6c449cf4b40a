// Test index run INSIDE the VS Code extension host (code-server via scripts/run-integration.mjs,
// or desktop VS Code via scripts/run-integration-electron.mjs). Loads every compiled
// out/test/integration/**/*.test.js into mocha. Output goes through console.log, which the
// workbench forwards to the runner (window.codeAutomationLog), so the runner prints each test.
// TRITONIZE_TEST_GREP (env of code-server / VS Code) narrows the run.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

export function run(): Promise<void> {
  // mocha stays external (not bundled); mocha >= 12 is ESM-first and exposes the class as default.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('mocha');
  const Mocha = mod.default ?? mod;
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: 60_000 });
  if (process.env.TRITONIZE_TEST_GREP) mocha.grep(process.env.TRITONIZE_TEST_GREP);
  const files = testFiles(__dirname);
  console.log(`integration: ${files.length} test file(s) in ${__dirname}`);
  for (const f of files) mocha.addFile(f);
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures: number) => {
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else resolve();
      });
    } catch (err) {
      console.error(err);
      reject(err);
    }
  });
}
