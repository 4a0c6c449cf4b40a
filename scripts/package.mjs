#!/usr/bin/env node
// Packages the extension as a .vsix from a staging copy holding only what ships (the files that
// .vscodeignore keeps): vsce run in the repo root walks .venv/, .tools/ and node_modules/ first,
// which takes a minute. The bundle in dist/ is self-contained, hence --no-dependencies.
//   node scripts/package.mjs [--out <file.vsix>]     (default: .tools/<name>-<version>.vsix)
// Run `node scripts/build.mjs` (or setup.mjs) first.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

/** The Extensions page renders the README under a CSP and sanitizer that drop relative (file)
 * images of a locally installed VSIX, but keep `data:` images (there is no repository URL to
 * rewrite them against, and the page may be offline): PNG/JPEG/GIF images become data URIs. */
function inlineImages(markdown) {
  const types = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif' };
  return markdown.replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (whole, alt, src) => {
    const type = types[src.split('.').pop().toLowerCase()];
    const file = join(root, src);
    if (/^[a-z]+:/i.test(src) || !type || !existsSync(file)) return whole;
    return `![${alt}](data:${type};base64,${readFileSync(file).toString('base64')})`;
  });
}

/** Builds the .vsix and returns its path; throws with vsce's output on failure. */
export function packageExtension(out) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const main = join(root, pkg.main ?? 'dist/extension.js');
  if (!existsSync(main)) throw new Error(`${pkg.main} is missing: run \`node scripts/build.mjs\` (is src/extension/extension.ts there?)`);
  out = resolve(out ?? join(root, '.tools', `${pkg.name}-${pkg.version}.vsix`));
  const stage = join(root, '.tools', 'package');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const keep = (src) => !/(__pycache__|\.pyc$|\.map$|\/\.gitignore$)/.test(src);
  for (const p of ['package.json', 'LICENSE', 'LICENSE.md', 'CHANGELOG.md', '.vscodeignore', 'dist', 'media',
    'python-backend/pyproject.toml', 'python-backend/tritonize']) {
    if (existsSync(join(root, p))) cpSync(join(root, p), join(stage, p), { recursive: true, filter: keep });
  }
  // The Extensions page shows the package's README: the user-facing one (what it does, quick
  // start, settings), not the repository's developer README (setup, tests, architecture).
  const userReadme = join(root, 'README.extension.md');
  const readme = readFileSync(existsSync(userReadme) ? userReadme : join(root, 'README.md'), 'utf8');
  writeFileSync(join(stage, 'README.md'), inlineImages(readme));
  mkdirSync(join(out, '..'), { recursive: true });
  const license = existsSync(join(root, 'LICENSE')) || existsSync(join(root, 'LICENSE.md')) ? [] : ['--skip-license'];
  // No repository URL to rewrite the README's relative links against: keep them as they are.
  const r = spawnSync(process.execPath, [join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies',
    '--allow-missing-repository', '--no-rewrite-relative-links', ...license, '--out', out], { cwd: stage, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  rmSync(stage, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`vsce package failed:\n${r.stdout}${r.stderr}`);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  try {
    const t = Date.now();
    const vsix = packageExtension(i > 0 ? process.argv[i + 1] : undefined);
    console.log(`package: ${vsix} (${((Date.now() - t) / 1000).toFixed(1)} s); install with: code --install-extension ${basename(vsix)}`);
  } catch (err) {
    console.error(`package: ${err.message}`);
    process.exit(1);
  }
}
