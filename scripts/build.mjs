// Bundles every TypeScript entry point with esbuild. Node built-ins only besides esbuild, since
// setup.mjs runs this right after `npm ci` on a fresh machine.
import { build } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const watch = process.argv.includes('--watch');
const exists = (p) => existsSync(join(root, p));

/** All `*.test.ts` files under a folder, recursively. */
function testsUnder(dir) {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const out = [];
  for (const name of readdirSync(abs)) {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) out.push(...testsUnder(join(dir, name)));
    else if (name.endsWith('.test.ts')) out.push(join(dir, name));
  }
  return out;
}

const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' };
const jobs = [];
if (exists('src/extension/extension.ts'))
  jobs.push({ ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] });
if (exists('src/cli/main.ts'))
  jobs.push({ ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } });
if (exists('webview/main.ts'))
  jobs.push({ bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: true,
    entryPoints: ['webview/main.ts'], outfile: 'media/panel.js', logLevel: 'warning' });
// Tests: unit tests run under plain mocha; integration tests run inside VS Code (vscode external).
for (const dir of ['test/unit', 'test/integration', 'test/webview', 'test/e2e']) {
  const entries = testsUnder(dir);
  if (exists(`${dir}/index.ts`)) entries.push(`${dir}/index.ts`);
  if (entries.length)
    jobs.push({ ...node, entryPoints: entries.map((e) => join(root, e)), outdir: join(root, 'out', dir),
      outbase: join(root, dir), external: ['vscode', 'mocha', 'playwright-core'] });
}

// Test helpers that also run as standalone scripts (e.g. `node out/test/support/fakeOpenAI.js --script s.json`).
if (exists('test/support/fakeOpenAI.ts'))
  jobs.push({ ...node, entryPoints: ['test/support/fakeOpenAI.ts'], outfile: 'out/test/support/fakeOpenAI.js' });

for (const job of jobs) job.absWorkingDir = root;
await Promise.all(jobs.map((j) => build(j)));
console.log(`build: ${jobs.length} bundles`);
