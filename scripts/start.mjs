#!/usr/bin/env node
// `npm start`: runs scripts/setup.mjs (output to .tools/logs/setup.log), packages the extension, starts a real VS Code
// (code-server, loopback only, no auth) with it installed, opens examples/, prints the URL and
// the compute device the backend will use, and runs until Ctrl-C, then stops the whole
// code-server process group.
// State (settings, secrets, installed extension) lives in .tools/start/ and survives restarts;
// `rm -rf .tools/start` resets it. XDG dirs under it are fresh on every start.
// Env: TRITONIZE_PORT=<port> (default: a free one); TRITONIZE_START_SMOKE=1: start, check
// /healthz and that the extension is installed, stop, exit 0 (for tests).
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const smoke = process.env.TRITONIZE_START_SMOKE === '1';
const log = (m) => console.log(`start: ${m}`);
const fail = (m) => { console.error(`start: ${m}`); process.exit(1); };

// 0. Setup (installs what is missing, builds). Its tool output (apt, npm, pip, code-server's
// native builds) goes to a log file; the terminal gets one line per step. On failure, the log's
// tail. TRITONIZE_START_VERBOSE=1 shows everything. Skipped when run with --no-setup.
const setupLog = join(root, '.tools', 'logs', 'setup.log');
// The smoke test (npm test's start stage) runs after npm test's own setup.
if (!process.argv.includes('--no-setup') && !smoke) await runSetup();

async function runSetup() {
  mkdirSync(join(root, '.tools', 'logs'), { recursive: true });
  const out = createWriteStream(setupLog);
  const verbose = process.env.TRITONIZE_START_VERBOSE === '1';
  const t0 = Date.now();
  log(`setting up (details: ${setupLog.slice(root.length + 1)})`);
  const child = spawn(process.execPath, [join(root, 'scripts', 'setup.mjs')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = [];
  const onLine = (line) => {
    out.write(line + '\n');
    tail.push(line);
    if (tail.length > 40) tail.shift();
    if (verbose) return console.log(line);
    // setup.mjs's own step lines ("setup: venv: …"), not the tools' output ("  [venv] …") nor the
    // commands it runs ("setup: npm: $ npm ci …").
    const m = /^setup: (.*)$/.exec(line);
    if (m && !/^\w[\w-]*: \$ /.test(m[1])) console.log(`  ${m[1]}`);
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (buf + chunk).split('\n');
      buf = lines.pop();
      lines.forEach(onLine);
    });
    stream.on('end', () => { if (buf) onLine(buf); });
  }
  const code = await new Promise((resolve) => child.on('close', (c) => resolve(c)));
  await new Promise((resolve) => out.end(resolve));
  if (code !== 0) {
    // The lines that say what went wrong, without pip's and npm's routine warnings.
    const noise = /Location .* is ignored|^\s*\[\w[\w-]*\] npm warn|DEPRECATION:/;
    console.error(tail.filter((l) => !noise.test(l)).slice(-20).join('\n'));
    fail(`setup failed after ${((Date.now() - t0) / 1000).toFixed(0)} s; full output: ${setupLog}`);
  }
}

const { loadHarness } = await import('./lib/harness.mjs');
const { packageExtension } = await import('./package.mjs');
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
  // The Extensions page shows only data: images from a local VSIX (scripts/package.mjs inlines them).
  const extDir = readdirSync(dirs.extensions).find((d) => d.startsWith(`${id}-`));
  const readmeName = extDir && readdirSync(join(dirs.extensions, extDir)).find((f) => /^readme\.md$/i.test(f));
  const readme = readmeName ? readFileSync(join(dirs.extensions, extDir, readmeName), 'utf8') : '';
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  const broken = images.filter((src) => !/^(data:image\/|https:)/.test(src));
  log(`installed README: ${readme.length} chars, ${images.length} image(s)${broken.length ? `, not shown on the Extensions page: ${broken.join(', ')}` : ''}`);
  stopping = true;
  await server.stop();
  rmSync(dirs.state, { recursive: true, force: true });
  if (!ok) fail(`${id} is not installed`);
  if (!readme || !images.length || broken.length) fail('the installed README has no image the Extensions page can show');
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

  First time? In the workbench: F1 → "Welcome: Open Walkthrough…" → "Get started with Tritonize"
  (it sets the LLM endpoint, tritonize.llm.baseUrl, and its key, "Tritonize: Set LLM API key").

  Press Ctrl-C to stop.
`);
