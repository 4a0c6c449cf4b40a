#!/usr/bin/env node
// Runs every test stage in order, continuing past failures, then summarises.
//   node scripts/test.mjs                 (`npm test` runs scripts/setup.mjs first)
//   node scripts/test.mjs unit python     (only the named stages)
// Stages: unit (mocha, out/test/unit), python (pytest, TRITON_INTERPRET=1 without a GPU),
// integration (mocha inside code-server), start (TRITONIZE_START_SMOKE=1 scripts/start.mjs), webview (mocha + Playwright, out/test/webview),
// e2e (mocha, out/test/e2e). The last line is always `total: N passed, M failed[, K skipped]`;
// the exit code is non-zero if anything failed.
// Env: TRITONIZE_STAGE_TIMEOUT_S (per stage, default 900).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const stageTimeoutMs = Number(process.env.TRITONIZE_STAGE_TIMEOUT_S || 900) * 1000;
const mochaBin = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
const python = join(root, '.venv', 'bin', 'python');

function filesUnder(dir, pred) {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const out = [];
  for (const name of readdirSync(abs)) {
    const p = join(dir, name);
    if (statSync(join(root, p)).isDirectory()) out.push(...filesUnder(p, pred));
    else if (pred(name)) out.push(p);
  }
  return out;
}

// Stages run in their own process groups (so a timeout can kill all of a stage); forward Ctrl-C.
const running = new Set();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const pid of running) { try { process.kill(-pid, 'SIGTERM'); } catch { /* gone */ } }
    process.exit(130);
  });
}

/** Runs a command, echoing its output live and returning it; kills its group on timeout. */
function runCaptured(cmd, args, env = {}, timeoutMs = stageTimeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.add(child.pid);
    let out = '';
    const onData = (stream) => (chunk) => { out += chunk; stream.write(chunk); };
    child.stdout.on('data', onData(process.stdout));
    child.stderr.on('data', onData(process.stderr));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    }, timeoutMs);
    child.on('error', (err) => { out += `\n${err.message}\n`; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child.pid);
      // Reap anything the stage left behind in its process group.
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* none left */ }
      resolve({ code: code ?? (signal ? 128 : 1), out, timedOut });
    });
  });
}

// Output of mocha's spec reporter: "  3 passing (2s)", "  1 failing", "  2 pending".
function parseMocha(out) {
  // Summed over every summary in the output (run-integration.mjs runs two mocha passes).
  const n = (re) => [...out.matchAll(re)].reduce((sum, m) => sum + Number(m[1]), 0);
  const found = /^\s*\d+ passing\b/m.test(out);
  return { found, passed: n(/^\s*(\d+) passing\b/gm), failed: n(/^\s*(\d+) failing\b/gm), skipped: n(/^\s*(\d+) pending\b/gm) };
}

// The failing tests' titles and first error line, for the summary (CI keeps only the output's tail).
function failuresOf(out) {
  const lines = out.split('\n');
  const found = [];
  // pytest's short summary: "FAILED tests/x.py::test_y - AssertionError: ..."; "ERROR ...".
  for (const l of lines) if (/^(FAILED|ERROR) \S/.test(l)) found.push(l.slice(0, 240));
  // mocha's spec reporter, after "N failing": "  1) suite", "       test title:", "     Error: ...".
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\d+ failing\b/.test(lines[i])) continue;
    for (let j = i + 1; j < lines.length; j++) {
      const m = /^\s{2}(\d+)\) (.*)$/.exec(lines[j]);
      if (!m) continue;
      const title = [m[2].trim()];
      let k = j + 1;
      for (; k < lines.length && lines[k].trim() && !/^\s+(\w*Error|AssertionError)\b/.test(lines[k]); k++) title.push(lines[k].trim());
      const err = k < lines.length ? lines[k].trim() : '';
      found.push(`${m[1]}) ${title.join(' ').replace(/:$/, '')}${err ? ` — ${err}` : ''}`.slice(0, 300));
      j = k;
    }
  }
  return found;
}

// pytest's last line: "== 3 passed, 1 failed, 2 skipped, 1 error in 4.2s ==" (any subset, any order).
function parsePytest(out) {
  const lines = out.trim().split('\n').filter((l) => /\b(passed|failed|skipped|error|errors|no tests ran|deselected|xfailed|xpassed)\b.* in [\d.]+s/.test(l));
  const last = lines.pop() ?? '';
  const count = (word) => { const m = new RegExp(`(\\d+) ${word}\\b`).exec(last); return m ? Number(m[1]) : 0; };
  return {
    found: !!last,
    passed: count('passed') + count('xpassed'),
    failed: count('failed') + count('errors?'),
    skipped: count('skipped') + count('xfailed'),
  };
}

const mochaStage = (name, dir) => ({
  name,
  needsBuild: true,
  async run() {
    const files = filesUnder(dir, (f) => f.endsWith('.test.js'));
    if (!files.length) return { note: `no tests yet (no ${dir}/**/*.test.js)` };
    const res = await runCaptured(process.execPath, [mochaBin, '--reporter', 'spec', '--no-color', ...files]);
    return { ...res, ...parseMocha(res.out) };
  },
});

const stages = [
  {
    name: 'build',
    async run() {
      const res = await runCaptured(process.execPath, [join(root, 'scripts', 'build.mjs')]);
      // Not a test: a clean build counts nothing, a broken one counts as one failure.
      return { ...res, note: res.code === 0 ? undefined : 'esbuild failed: the TypeScript stages are not run' };
    },
  },
  mochaStage('unit', 'out/test/unit'),
  {
    name: 'python',
    async run() {
      const tests = filesUnder('python-backend/tests', (f) => /^test_.*\.py$|_test\.py$/.test(f));
      if (!tests.length) return { note: 'no tests yet (no python-backend/tests/test_*.py)' };
      if (!existsSync(python)) return { code: 1, out: '', passed: 0, failed: 1, skipped: 0, note: '.venv missing: run node scripts/setup.mjs' };
      // No GPU here → the Triton interpreter on CPU. Respect an explicit TRITON_INTERPRET.
      const gpu = spawnSync(python, ['-c', 'import torch; print(torch.cuda.is_available())'], { encoding: 'utf8' });
      const env = {};
      if (!/True/.test(gpu.stdout ?? '') && process.env.TRITON_INTERPRET === undefined) env.TRITON_INTERPRET = '1';
      console.log(`python: ${env.TRITON_INTERPRET ? 'no CUDA device: TRITON_INTERPRET=1 (Triton CPU interpreter)' : 'CUDA device visible'}`);
      // The verifier's tests spawn sandboxed workers and run kernels in the Triton interpreter: on
      // two cores this stage takes far longer than the others, so it gets its own limit.
      // Two pytest workers on two cores: a verify keeps about one core busy (its judge waits on its
      // worker, and CPU workers fork from a warm zygote), so the stage takes ~40% less wall time.
      const xdist = spawnSync(python, ['-c', 'import xdist'], { encoding: 'utf8' }).status === 0;
      const n = Number(process.env.TRITONIZE_PYTEST_WORKERS || Math.min(4, Math.max(1, cpus().length)));
      const par = xdist && n > 1 ? ['-n', String(n)] : [];
      const res = await runCaptured(python, ['-m', 'pytest', 'python-backend/tests', '-q', '-p', 'no:cacheprovider', '--durations=25', ...par], env,
        Number(process.env.TRITONIZE_PYTHON_TIMEOUT_S || 3600) * 1000);
      const parsed = parsePytest(res.out);
      if (res.code === 5) return { ...res, code: 0, ...parsed, note: 'pytest collected no tests' };
      return { ...res, ...parsed };
    },
  },
  {
    name: 'integration',
    needsBuild: true,
    async run() {
      const files = filesUnder('out/test/integration', (f) => f.endsWith('.test.js'));
      if (!files.length) return { note: 'no tests yet (no out/test/integration/**/*.test.js)' };
      // Two passes in a real VS Code (trusted and untrusted folder); the results-lifecycle tests
      // alone take minutes on two cores.
      const res = await runCaptured(process.execPath, [join(root, 'scripts', 'run-integration.mjs')], {},
        Number(process.env.TRITONIZE_INTEGRATION_STAGE_S || 2400) * 1000);
      return { ...res, ...parseMocha(res.out) };
    },
  },
  {
    // `npm start` end to end: package the .vsix, install it into code-server, /healthz, stop.
    name: 'start',
    needsBuild: true,
    async run() {
      const res = await runCaptured(process.execPath, [join(root, 'scripts', 'start.mjs')], { TRITONIZE_START_SMOKE: '1' });
      return { ...res, passed: res.code === 0 ? 1 : 0, failed: res.code === 0 ? 0 : 1 };
    },
  },
  mochaStage('webview', 'out/test/webview'),
  mochaStage('e2e', 'out/test/e2e'),
];

const only = process.argv.slice(2);
const unknown = only.filter((s) => !stages.some((st) => st.name === s));
if (unknown.length) {
  console.error(`test: unknown stage(s) ${unknown.join(', ')}; stages: ${stages.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const results = [];
const t0 = Date.now();
for (const stage of stages) {
  if (only.length && !only.includes(stage.name)) continue;
  console.log(`\n=== ${stage.name} ${'='.repeat(Math.max(0, 60 - stage.name.length))}`);
  const s = Date.now();
  let r;
  const buildFailed = results.some((x) => x.name === 'build' && x.failed);
  try {
    if (stage.needsBuild && buildFailed) r = { notRun: true, note: 'not run: the build failed' };
    else r = await stage.run();
  } catch (e) {
    r = { code: 1, out: '', note: `stage crashed: ${e.message}` };
  }
  r = { passed: 0, failed: 0, skipped: 0, ...r, name: stage.name, seconds: (Date.now() - s) / 1000 };
  if (r.timedOut) r.note = `timed out after ${stageTimeoutMs / 1000} s`;
  // A non-zero exit with no failing test counted (crash, import error, timeout) is one failure.
  if (r.code !== undefined && r.code !== 0 && r.failed === 0) {
    r.failed = 1;
    r.note ??= `exited with ${r.code} and reported no failing test`;
  }
  if (r.failed && r.out) r.failures = failuresOf(r.out);
  results.push(r);
}

console.log(`\n=== summary ${'='.repeat(53)}`);
for (const r of results) {
  const counts = r.code === undefined ? '-' : `${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}`;
  const status = r.notRun ? 'SKIP ' : r.code === undefined ? 'EMPTY' : r.failed ? 'FAIL ' : 'ok   ';
  console.log(`${status} ${r.name.padEnd(12)} ${counts.padEnd(36)} ${r.seconds.toFixed(1).padStart(6)} s${r.note ? `  (${r.note})` : ''}`);
  for (const f of r.failures ?? []) console.log(`        ✗ ${f}`);
}
const sum = (k) => results.reduce((a, r) => a + r[k], 0);
const [passed, failed, skipped] = [sum('passed'), sum('failed'), sum('skipped')];
console.log(`tests took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`total: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed ? 1 : 0;
