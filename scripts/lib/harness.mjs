// Loads test/support/codeServer.ts (the one code-server/Playwright harness) from plain Node
// scripts: bundles it with esbuild into out/support/ and imports it.
import { build } from 'esbuild';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

export async function loadHarness() {
  // Written under a per-process name and renamed, so concurrent runs never import a half-written file.
  const outfile = join(root, 'out', 'support', 'codeServer.mjs');
  const tmp = join(root, 'out', 'support', `codeServer.${process.pid}.mjs`);
  await build({
    entryPoints: [join(root, 'test', 'support', 'codeServer.ts')], outfile: tmp, absWorkingDir: root,
    bundle: true, platform: 'node', target: 'node20', format: 'esm', external: ['playwright-core'], logLevel: 'warning',
  });
  renameSync(tmp, outfile);
  return import(pathToFileURL(outfile).href);
}
