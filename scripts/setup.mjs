#!/usr/bin/env node
// Installs everything the project needs, and only what is missing; then builds.
//   node scripts/setup.mjs          (run by `npm start` and `npm test` first)
// Node built-ins only: this runs on a fresh clone before `npm ci`.
//
// Steps, each skipped when already satisfied:
//   1. Debian packages        chromium, libkrb5-dev, ripgrep, g++, make (apt-get; root only)
//   2. npm ci                 when node_modules is missing or package-lock.json changed (stamp)
//   3. Python venv `.venv`    python3.11/3.12 + torch, triton, numpy, pytest, pytest-timeout, pytest-xdist, ray,
//                             and python-backend installed editable
//   4. code-server            pinned version in .tools/code-server (a real VS Code for tests/start)
//   5. node scripts/build.mjs
// `--no-build` skips step 5 (scripts/test.mjs builds itself, so a build error is a test failure).
// Environment: TRITONIZE_SETUP_SKIP=apt,venv,code-server,build,npm skips steps (comma list).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const CODE_SERVER_VERSION = '4.100.3';
// @vscode/ripgrep bundled by that code-server: version of its downloader and of ripgrep it wants.
const RIPGREP_CACHE = { downloader: '1.15.11', ripgrep: 'v13.0.0-10' };
const TORCH_SPEC = process.env.TRITONIZE_TORCH_SPEC || 'torch==2.13.0';
// ray: optional for users (`tritonize suite --ray`), installed here so CI tests the suite on a real local
// Ray instance (about 10 s from the mirror when torch is already there).
const PY_PACKAGES = [TORCH_SPEC, 'triton', 'numpy', 'pytest', 'pytest-timeout', 'pytest-xdist', 'ray'];
const skip = new Set((process.env.TRITONIZE_SETUP_SKIP || '').split(',').map((s) => s.trim()).filter(Boolean));
if (process.argv.includes('--no-build')) skip.add('build');

const t0 = Date.now();
const log = (msg) => console.log(`setup: ${msg}`);
const rel = (p) => (p.startsWith(root + '/') ? p.slice(root.length + 1) : p);

/** Runs a command, its output lines prefixed with `[tag]`; rejects on failure. */
function run(tag, cmd, args, opts = {}) {
  log(`${tag}: $ ${[cmd, ...args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    for (const [stream, out] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
      let buf = '';
      stream.on('data', (chunk) => {
        const lines = (buf + chunk).split('\n');
        buf = lines.pop();
        for (const l of lines) if (!/^npm warn Unknown (user|cli|env) config/.test(l)) out.write(`  [${tag}] ${l}\n`);
      });
      stream.on('end', () => buf && out.write(`  [${tag}] ${buf}\n`));
    }
    child.on('error', (err) => reject(new Error(`${cmd}: ${err.message}`)));
    child.on('close', (code, signal) => (code === 0 ? resolve()
      : reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} … exited with ${code ?? signal}`))));
  });
}
/** Runs a command quietly; returns {ok, out}. */
function probe(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  return { ok: !r.error && r.status === 0, out: (r.stdout || '').trim(), err: (r.stderr || '').trim() };
}
function which(name) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return null;
}
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const steps = {};
/** Declares a step; `fn(run)` gets a `run` whose output is tagged with the step's name. */
const step = (name, fn) => { steps[name] = fn; };
async function runStep(name) {
  if (skip.has(name)) return name === 'build' ? undefined : log(`${name}: skipped (TRITONIZE_SETUP_SKIP)`);
  const s = Date.now();
  await steps[name]((cmd, args, opts) => run(name, cmd, args, opts));
  const dt = (Date.now() - s) / 1000;
  if (dt > 2) log(`${name}: done in ${dt.toFixed(0)} s`);
}

// 2. npm dependencies ------------------------------------------------------------------------
step('npm', async (run) => {
  const stamp = join(root, 'node_modules', '.tritonize-lock.sha256');
  const want = sha256(join(root, 'package-lock.json'));
  const have = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : null;
  if (have === want) return log('npm: node_modules matches package-lock.json');
  log(existsSync(join(root, 'node_modules')) ? 'npm: package-lock.json changed since the last install' : 'npm: node_modules missing');
  await run('npm', ['ci', '--no-audit', '--no-fund']);
  writeFileSync(stamp, want + '\n');
});

// 1. Debian packages ---------------------------------------------------------------------------
step('apt', async (run) => {
  const pythonOk = ['python3.11', 'python3.12'].some((p) => probe(p, ['-c', 'import venv, ensurepip']).ok);
  const need = [
    ['chromium', existsSync('/usr/bin/chromium') || !!which('chromium')],
    ['libkrb5-dev', existsSync('/usr/include/gssapi/gssapi.h')], // kerberos (code-server native module)
    ['ripgrep', !!which('rg')],
    ['g++', !!which('g++')],
    ['make', !!which('make')],
    ['python3-venv', pythonOk],
  ].filter(([, ok]) => !ok).map(([pkg]) => pkg);
  if (!need.length) return log('apt: chromium, libkrb5-dev, ripgrep, g++, make, python present');
  if (!which('apt-get')) return log(`apt: missing ${need.join(' ')} and no apt-get here: install them yourself`);
  if (process.getuid && process.getuid() !== 0) {
    return log(`apt: missing ${need.join(' ')}; not root, so not installing. Run:\n` +
      `  sudo apt-get update && sudo apt-get install -y ${need.join(' ')}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-q'], { env });
  await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...need], { env });
});

// 3. Python venv -------------------------------------------------------------------------------
/** pip index options: the configured mirror if there is one, else pip's defaults. */
function pipIndexArgs(pip) {
  const r = probe(pip, ['config', 'list']);
  const conf = {};
  for (const line of r.out.split('\n')) {
    const m = /^([^=]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const key = m[1].replace(/^:env:\./, 'env.').split('.').pop();
    conf[key] ??= m[2].replace(/^'(.*)'$/, '$1');
  }
  const urls = [...(conf['index-url'] || '').split(/\s+/), ...(conf['extra-index-url'] || '').split(/\s+/)]
    .filter((u) => u && !/pypi\.org|pythonhosted\.org/.test(u));
  const links = (conf['find-links'] || '').split(/\s+/).filter(Boolean);
  if (!urls.length && !links.length) return { args: [], desc: 'pip defaults (no mirror configured)' };
  const args = urls.length ? ['--index-url', urls[0]] : ['--no-index'];
  for (const l of links) args.push('--find-links', l);
  return { args, desc: `mirror ${urls[0] || '(none)'}${links.length ? ` + find-links ${links.join(' ')}` : ''}` };
}

step('venv', async (run) => {
  const venv = join(root, '.venv');
  const py = join(venv, 'bin', 'python');
  if (!existsSync(py) || !probe(py, ['-c', 'import sys']).ok) {
    const base = ['python3.11', 'python3.12'].find((p) => probe(p, ['-c', 'import venv, ensurepip']).ok);
    if (!base) throw new Error('venv: neither python3.11 nor python3.12 (with venv) found; install one (apt-get install python3-venv)');
    if (existsSync(venv)) rmSync(venv, { recursive: true, force: true });
    log(`venv: creating .venv with ${base} (${probe(base, ['--version']).out})`);
    await run(base, ['-m', 'venv', venv]);
  }
  // find_spec is fast (no torch import); the backend must be the editable one of *this* checkout.
  const check = probe(py, ['-c', `
import importlib.util as u, json
mods = ["torch", "triton", "numpy", "pytest", "pytest_timeout", "xdist", "setuptools", "ray"]
missing = [m for m in mods if u.find_spec(m) is None]
s = u.find_spec("tritonize")
print(json.dumps({"missing": missing, "tritonize": s.origin if s else None}))`]);
  const state = check.ok ? JSON.parse(check.out.split('\n').pop()) : { missing: ['?'], tritonize: null };
  const backendOk = state.tritonize && state.tritonize.startsWith(join(root, 'python-backend', 'tritonize') + '/');
  if (!state.missing.length && backendOk) return log('venv: .venv has torch, triton, numpy, pytest, pytest-timeout, pytest-xdist, ray and the editable backend');
  const pip = join(venv, 'bin', 'pip');
  const index = pipIndexArgs(pip);
  if (state.missing.length) {
    log(`venv: installing ${state.missing.join(', ')} from ${index.desc}`);
    const pkgs = [...PY_PACKAGES, 'setuptools>=64'];
    await run(pip, ['install', '-q', '--disable-pip-version-check', '--progress-bar', 'off', ...index.args, ...pkgs]);
  }
  log('venv: installing python-backend (editable)');
  await run(pip, ['install', '-q', '--disable-pip-version-check', '--no-build-isolation', '--no-deps', ...index.args, '-e', 'python-backend']);
});

// 4. code-server -------------------------------------------------------------------------------
step('code-server', async (run) => {
  const dir = join(root, '.tools', 'code-server');
  const stamp = join(dir, '.installed');
  const entry = join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === CODE_SERVER_VERSION && existsSync(entry))
    return log(`code-server: ${CODE_SERVER_VERSION} present in ${rel(dir)}`);
  log(`code-server: installing ${CODE_SERVER_VERSION} into ${rel(dir)} (~1-2 min, ~300 MB)`);
  rmSync(dir, { recursive: true, force: true });
  const tmp = join(root, '.tools', 'tmp');
  mkdirSync(dir, { recursive: true });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tritonize-tools', private: true }) + '\n');
  // @vscode/ripgrep downloads rg from GitHub (unreachable here); its downloader looks in
  // $TMPDIR/vscode-ripgrep-cache-<ver>/ first, so put Debian's rg there as the expected tarball.
  const rg = which('rg');
  const target = { x64: 'x86_64-unknown-linux-musl', arm64: 'aarch64-unknown-linux-gnu' }[process.arch];
  if (rg && target && process.platform === 'linux') {
    const cache = join(tmp, `vscode-ripgrep-cache-${RIPGREP_CACHE.downloader}`);
    const tarball = join(cache, `ripgrep-${RIPGREP_CACHE.ripgrep}-${target}.tar.gz`);
    if (!existsSync(tarball)) {
      const stage = join(tmp, 'rg-stage');
      mkdirSync(stage, { recursive: true });
      mkdirSync(cache, { recursive: true });
      copyFileSync(rg, join(stage, 'rg'));
      chmodSync(join(stage, 'rg'), 0o755);
      await run('tar', ['czf', tarball, '-C', stage, 'rg']);
    }
  } else log('code-server: no local rg to seed the ripgrep cache; its download may fail offline');
  const env = {
    ...process.env,
    TMPDIR: tmp,
    npm_config_yes: 'true', // node-pty's build runs `npx node-gyp`; the user npmrc may say yes=false
    // npm >= 11.19 skips dependency install scripts unless allowed; code-server's postinstall
    // (and the native modules of the VS Code it bundles) must run. Scoped to this tool install.
    npm_config_dangerously_allow_all_scripts: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  };
  await run('npm', ['install', '--unsafe-perm', '--no-save', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`], { cwd: dir, env });
  if (!existsSync(entry)) throw new Error('code-server: install finished but out/node/entry.js is missing');
  const native = join(dir, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules', 'node-pty', 'build', 'Release', 'pty.node');
  if (!existsSync(native)) throw new Error('code-server: its postinstall did not build the native modules (node-pty missing)');
  writeFileSync(stamp, CODE_SERVER_VERSION + '\n');
});

// 5. build -------------------------------------------------------------------------------------
step('build', (run) => run(process.execPath, [join(root, 'scripts', 'build.mjs')]));

// One after the other: on a 2-core machine, running npm ci, the torch install and code-server's
// native builds side by side measured slower (468 s) than in sequence (268 s).
try {
  for (const name of ['apt', 'npm', 'venv', 'code-server', 'build']) await runStep(name);
} catch (err) {
  console.error(`setup: FAILED after ${((Date.now() - t0) / 1000).toFixed(0)} s:\n  ${err.message}`);
  process.exit(1);
}
log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
