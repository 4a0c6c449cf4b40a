#!/usr/bin/env node
// `npm start` (after scripts/setup.mjs): packages the extension, starts a real VS Code
// (code-server, loopback only, no auth) with it installed, opens examples/, prints the URL and
// the compute device the backend will use, and runs until Ctrl-C, then stops the whole
// code-server process group.
// State (settings, secrets, installed extension) lives in .tools/start/ and survives restarts;
// `rm -rf .tools/start` resets it. XDG dirs under it are fresh on every start.
// Env: TRITONIZE_PORT=<port> (default: a free one); TRITONIZE_START_SMOKE=1: start, check
// /healthz and that the extension is installed, stop, exit 0 (for tests).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadHarness, root } from './lib/harness.mjs';
import { packageExtension } from './package.mjs';

const smoke = process.env.TRITONIZE_START_SMOKE === '1';
const log = (m) => console.log(`start: ${m}`);
const fail = (m) => { console.error(`start: ${m}`); process.exit(1); };
const h = await loadHarness();

// 1. Package the extension.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
log(`packaging ${pkg.publisher}.${pkg.name}@${pkg.version}`);
const tPack = Date.now();
let vsix;
try { vsix = packageExtension(); } catch (err) { fail(err.message); }
log(`packaged ${vsix.slice(root.length + 1)} in ${((Date.now() - tPack) / 1000).toFixed(1)} s`);

// 2. Fresh XDG dirs, persistent user data; install the .vsix.
const dirs = h.codeServerDirs(smoke ? join(root, '.tools', 'runs', `start-smoke-${process.pid}`) : join(root, '.tools', 'start'));
h.prepareState(dirs, { fresh: smoke, settings: h.defaultSettings(root) });
h.installExtension(root, dirs, vsix);
const id = `${pkg.publisher}.${pkg.name}`;

// 3. Start code-server.
const folder = existsSync(join(root, 'examples')) ? join(root, 'examples') : root;
const port = process.env.TRITONIZE_PORT ? Number(process.env.TRITONIZE_PORT) : undefined;
const server = await h.startCodeServer({ root, dirs, folder, port });
let stopping = false;
const stop = async (code) => {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.exit(code);
};
process.on('SIGINT', () => { console.log(''); log('stopping code-server'); void stop(0); });
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', () => void stop(0));
void server.exited.then((code) => { if (!stopping) { log(`code-server exited (${code}); log: ${dirs.log}`); void stop(1); } });

// 4. Which device the backend will use.
const py = join(root, '.venv', 'bin', 'python');
const cuda = spawnSync(py, ['-c', 'import torch; print(torch.cuda.is_available())'], { encoding: 'utf8' });
const device = cuda.status !== 0 ? `unknown (${py} could not import torch)`
  : /True/.test(cuda.stdout) ? 'CUDA GPU (torch.cuda.is_available() is True)'
    : 'no CUDA GPU: candidates run in the Triton CPU interpreter (correctness only, timings not meaningful)';

if (smoke) {
  const health = await h.waitForHealth(server.url, 5000);
  const installed = h.listExtensions(root, dirs);
  const ok = installed.some((e) => e.startsWith(`${id}@`));
  log(`healthz: ${JSON.stringify(health)}`);
  log(`installed extensions: ${installed.join(', ') || '(none)'}`);
  log(`device: ${device}`);
  stopping = true;
  await server.stop();
  rmSync(dirs.state, { recursive: true, force: true });
  if (!ok) fail(`${id} is not installed`);
  log('smoke OK');
  process.exit(0);
}

console.log(`
  Tritonize in VS Code (code-server ${h.CODE_SERVER_VERSION}) is running:

    ${server.workbenchUrl(folder)}

  Backend python: ${py}
  Device:         ${device}
  Log:            ${dirs.log}
  Remote machine? Forward the port first: ssh -L ${server.port}:127.0.0.1:${server.port} <host>

  Press Ctrl-C to stop.
`);
