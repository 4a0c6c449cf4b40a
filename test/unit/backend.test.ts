import assert from 'node:assert/strict';
import { mkdtempSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { assertUsable, BackendClient, BackendError, serverEnvironment, spawnServer } from '../../src/core/backend';
import { backendUnavailable, REPO_ROOT, VENV_PYTHON } from '../support/backend';
import { FIXTURES } from '../fixtures/replies';

describe('backend environment', () => {
  it('strips anything that looks like a credential and points PYTHONPATH at the backend', () => {
    const env = serverEnvironment('/ext/python-backend', {
      PATH: '/usr/bin', OPENAI_API_KEY: 'sk-x', GITHUB_TOKEN: 't', MY_SECRET: 's', api_key: 'lower', HOME: '/h',
      PYTHONPATH: '/old', PYTHONSTARTUP: '/x.py',
    });
    assert.equal(env.PATH, '/usr/bin');
    assert.equal(env.HOME, '/h');
    for (const name of Object.keys(env)) assert.doesNotMatch(name, /KEY|TOKEN|SECRET/i);
    assert.equal(env.PYTHONPATH, '/ext/python-backend:/old');
    assert.equal(env.PYTHONSTARTUP, undefined);
    assert.equal(serverEnvironment('/b', { PYTHONPATH: '/b:/x:' }).PYTHONPATH, '/b:/x', 'no duplicate or empty entries');
    assert.equal(serverEnvironment('/b', {}).PYTHONPATH, '/b');
  });

  it('the spawned child really does not see the API key', async function () {
    this.timeout(20_000);
    const python = backendUnavailable() ? 'python3' : VENV_PYTHON;
    const child = spawnServer({
      python, extensionRoot: REPO_ROOT,
      env: { ...process.env, OPENAI_API_KEY: 'sk-should-not-leak', HF_TOKEN: 'hf', AWS_SECRET_ACCESS_KEY: 'a' },
      args: ['-c', 'import os, json; print(json.dumps(dict(os.environ)))'],
    });
    let out = '';
    child.stdout!.on('data', (c) => (out += c));
    await new Promise((r) => child.on('close', r));
    const seen = JSON.parse(out) as Record<string, string>;
    assert.equal(seen.OPENAI_API_KEY, undefined);
    assert.ok(!Object.keys(seen).some((k) => /KEY|TOKEN|SECRET/i.test(k)), Object.keys(seen).join(','));
    assert.ok(!out.includes('sk-should-not-leak'));
    assert.match(seen.PYTHONPATH!, /python-backend/);
  });

  it('a missing interpreter is a python_not_found error naming the path', async () => {
    await assert.rejects(BackendClient.start({ python: '/nonexistent/python3', extensionRoot: REPO_ROOT }),
      (e: unknown) => e instanceof BackendError && e.kind === 'python_not_found' && /\/nonexistent\/python3/.test(e.message));
  });

  it('an interpreter that cannot import tritonize says the install is incomplete', async function () {
    this.timeout(20_000);
    const empty = mkdtempSync(join(tmpdir(), 'tritonize-noext-'));
    await assert.rejects(BackendClient.start({ python: 'python3', extensionRoot: empty }),
      (e: unknown) => e instanceof BackendError && e.kind === 'backend_not_found');
  });
});

describe('BackendClient error paths with the real server', function () {
  this.timeout(120_000);
  before(function () { if (backendUnavailable()) this.skip(); });

  it('an interpreter without torch/triton: environment() names what is missing and assertUsable gives the fix', async function () {
    const probe = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status === 0) this.skip(); // system python has torch here: nothing to test
    const client = await BackendClient.start({ python: 'python3', extensionRoot: REPO_ROOT });
    try {
      const env = await client.environment();
      assert.deepEqual([...(env.missing ?? [])].sort(), ['torch', 'triton']);
      assert.throws(() => assertUsable(env), (e: unknown) => e instanceof BackendError && e.kind === 'missing_dependency' && /pip install triton|PyTorch/.test(e.message));
    } finally {
      await client.dispose();
    }
  });

  it('a server that dies mid-request fails the request as crashed, and later requests too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tritonize-crash-'));
    for (const f of ['add_problem.py', 'add_hang.py']) copyFileSync(join(FIXTURES, f), join(dir, f));
    const client = await BackendClient.start({ python: VENV_PYTHON, extensionRoot: REPO_ROOT, poolSize: 0 });
    try {
      const p = client.verify({ problemPath: join(dir, 'add_problem.py'), candidatePath: join(dir, 'add_hang.py'), device: 'cpu', timeout: 300, benchmark: false });
      setTimeout(() => process.kill(client.pid!, 'SIGKILL'), 1_000);
      await assert.rejects(p, (e: unknown) => e instanceof BackendError && e.kind === 'crashed' && /exited \(killed by SIGKILL\)/.test(e.message));
      assert.equal(client.alive, false);
      await assert.rejects(client.environment(), (e: unknown) => e instanceof BackendError && e.kind === 'crashed');
    } finally {
      await client.dispose();
    }
  });
});

describe('BackendClient against the real kernel server (CPU)', function () {
  this.timeout(240_000);
  let client: BackendClient;
  let dir: string;
  before(async function () {
    const why = backendUnavailable();
    if (why) { console.log(`      skipped: ${why}`); this.skip(); }
    dir = mkdtempSync(join(tmpdir(), 'tritonize-backend-'));
    for (const f of ['add_problem.py', 'add_correct.py', 'add_wrong_mul.py']) copyFileSync(join(FIXTURES, f), join(dir, f));
    client = await BackendClient.start({ python: VENV_PYTHON, extensionRoot: REPO_ROOT, workspaceRoot: dir, poolSize: 1,
      env: { ...process.env, OPENAI_API_KEY: 'sk-nope' } });
  });
  after(async () => { await client?.dispose(); });

  it('reports the environment (CPU interpreter here)', async () => {
    const env = await client.environment();
    assert.equal(typeof env.torch, 'string');
    assert.equal(typeof env.triton, 'string');
    assert.equal(env.error ?? null, null);
    assert.equal(env.interpreter, env.devices.length === 0);
  });

  it('validates a problem and reports its inputs', async () => {
    const res = await client.validateProblem(join(dir, 'add_problem.py'), { device: 'cpu', timeout: 120 });
    assert.equal(res.ok, true, JSON.stringify(res.error));
    assert.equal(res.inputs.length, 2);
    assert.deepEqual(res.inputs[0]!.shape, [1000]);
  });

  it('verifies a correct candidate with progress stages', async () => {
    const stages: string[] = [];
    const report = await client.verify({ problemPath: join(dir, 'add_problem.py'), candidatePath: join(dir, 'add_correct.py'),
      device: 'cpu', timeout: 120, benchmark: false }, { onStage: (s) => stages.push(s) });
    assert.equal(report.verdict, 'correct', report.summary);
    assert.ok(stages.length >= 2, `stages: ${stages.join(',')}`);
  });

  it('parallel verifications each get their own progress stages', async () => {
    const a: string[] = [];
    const b: string[] = [];
    const [ra, rb] = await Promise.all([
      client.verify({ problemPath: join(dir, 'add_problem.py'), candidatePath: join(dir, 'add_correct.py'), device: 'cpu', timeout: 120, benchmark: false }, { onStage: (s) => a.push(s) }),
      client.verify({ problemPath: join(dir, 'add_problem.py'), candidatePath: join(dir, 'add_wrong_mul.py'), device: 'cpu', timeout: 120, benchmark: false }, { onStage: (s) => b.push(s) }),
    ]);
    assert.equal(ra.verdict, 'correct');
    assert.equal(rb.verdict, 'incorrect');
    assert.ok(a.includes('checking') && b.includes('checking'), `a: ${a.join(',')} b: ${b.join(',')}`);
  });

  it('verifies a wrong candidate as incorrect with mismatch evidence', async () => {
    const report = await client.verify({ problemPath: join(dir, 'add_problem.py'), candidatePath: join(dir, 'add_wrong_mul.py'),
      device: 'cpu', timeout: 120, benchmark: false });
    assert.equal(report.verdict, 'incorrect', report.summary);
    const failed = report.correctness?.trials.find((t) => !t.passed);
    assert.ok(failed, 'expected a failed trial');
  });

  it('cancels a running verification through the AbortSignal', async () => {
    const hang = join(dir, 'add_hang.py');
    copyFileSync(join(FIXTURES, 'add_hang.py'), hang);
    const ac = new AbortController();
    const stages: string[] = [];
    const p = client.verify({ problemPath: join(dir, 'add_problem.py'), candidatePath: hang, device: 'cpu', timeout: 300, benchmark: false },
      { signal: ac.signal, onStage: (s) => { stages.push(s); } });
    setTimeout(() => ac.abort(), 3_000);
    const t0 = Date.now();
    await assert.rejects(p, (e: unknown) => e instanceof BackendError && e.kind === 'cancelled');
    assert.ok(Date.now() - t0 < 20_000);
    // The server is still usable afterwards.
    const env = await client.environment();
    assert.equal(typeof env.python, 'string');
  });

  it('a problem file that does not exist is a clear request error', async () => {
    await assert.rejects(client.verify({ problemPath: join(dir, 'nope.py'), candidatePath: join(dir, 'add_correct.py'), device: 'cpu', benchmark: false }),
      (e: unknown) => e instanceof BackendError && /no such file/.test(e.message));
  });
});
