// Loads test/support/codeServer.ts (the one code-server/Playwright harness) from plain Node
// scripts: bundles it with esbuild into out/support/ and imports it.
import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

export async function loadHarness() {
  const outfile = join(root, 'out', 'support', 'codeServer.mjs');
  await build({
    entryPoints: [join(root, 'test', 'support', 'codeServer.ts')], outfile, absWorkingDir: root,
    bundle: true, platform: 'node', target: 'node20', format: 'esm', external: ['playwright-core'], logLevel: 'warning',
  });
  return import(pathToFileURL(outfile).href + `?t=${Date.now()}`);
}
