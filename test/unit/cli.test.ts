// The headless CLI as users run it: `node dist/cli.js generate …` against the fake OpenAI server
// and the real Python backend on CPU.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendUnavailable, REPO_ROOT, VENV_PYTHON } from '../support/backend';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { FIXTURES, fixture, replyWith } from '../fixtures/replies';

const CLI = join(REPO_ROOT, 'dist', 'cli.js');

function cli(args: string[], env: Record<string, string> = {}, onStderr?: (text: string, child: ReturnType<typeof spawn>) => void):
  Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, OPENAI_API_KEY: 'sk-test', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => { stderr += c; onStderr?.(stderr, child); });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('tritonize-agent CLI', function () {
  this.timeout(240_000);
  let fake: FakeOpenAI | undefined;
  afterEach(async () => { await fake?.close(); fake = undefined; });
  before(function () { if (!existsSync(CLI)) this.skip(); });

  it('--help documents the exit codes', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    for (const code of ['0 ', '1 ', '2 ', '3 ', '130']) assert.ok(r.stdout.includes(`\n  ${code}`), `exit code ${code} not documented`);
  });

  it('usage errors exit 2 with one actionable line', async () => {
    const r = await cli(['generate', join(FIXTURES, 'add_problem.py')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--model is required/);
    const r2 = await cli(['generate', '/nonexistent/problem.py', '--model', 'm']);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /cannot read/);
    const r3 = await cli(['generate', join(FIXTURES, 'add_problem.py'), '--model', 'm', '--python', '/nonexistent/python']);
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /Python interpreter not found/);
  });

  describe('with the real backend', () => {
    before(function () { if (backendUnavailable()) this.skip(); });

    it('generate: wrong then repaired candidate → exit 0, best.py and report.json written', async () => {
      fake = await startFakeOpenAI([
        { reply: replyWith(fixture('add_wrong_mul.py')) },
        { match: 'Verdict: incorrect', reply: replyWith(fixture('add_correct.py')) },
      ]);
      const out = mkdtempSync(join(tmpdir(), 'tritonize-cli-'));
      const r = await cli(['generate', join(FIXTURES, 'add_problem.py'), '--model', 'fake-model', '--turns', '3', '--candidates', '1',
        '--base-url', fake.baseURL, '--python', VENV_PYTHON, '--device', 'cpu', '--out', join(out, 'res'), '--workspace', out]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(join(out, 'res', 'best.py'), 'utf8'), fixture('add_correct.py'));
      const report = JSON.parse(readFileSync(join(out, 'res', 'report.json'), 'utf8'));
      assert.equal(report.status, 'done');
      assert.equal(report.best.report.verdict, 'correct');
      assert.deepEqual(report.candidates.map((c: { verdict: string }) => c.verdict), ['incorrect', 'correct']);
      assert.ok(existsSync(join(out, '.tritonize', 'runs', report.runId, 'run.json')));
      assert.match(r.stderr, /incorrect/);
    });

    it('Ctrl-C while the LLM streams cancels the run and exits 130', async () => {
      fake = await startFakeOpenAI([{ reply: replyWith(fixture('add_correct.py')), chunkSize: 2, chunkDelayMs: 200 }]);
      const out = mkdtempSync(join(tmpdir(), 'tritonize-cli-'));
      let sent = false;
      const r = await cli(['generate', join(FIXTURES, 'add_problem.py'), '--model', 'fake-model', '--base-url', fake.baseURL,
        '--python', VENV_PYTHON, '--device', 'cpu', '--out', out, '--workspace', out], {}, (text, child) => {
        if (!sent && /generating/.test(text)) { sent = true; setTimeout(() => child.kill('SIGINT'), 300); }
      });
      assert.equal(r.code, 130, r.stderr);
      assert.equal(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).status, 'cancelled');
      await new Promise((res) => setTimeout(res, 100));
      assert.equal(fake.requests[0]!.aborted, true);
    });

    it('a rejected key exits 3 with the fix', async () => {
      fake = await startFakeOpenAI([{ status: 401, repeat: true }]);
      const out = mkdtempSync(join(tmpdir(), 'tritonize-cli-'));
      const r = await cli(['generate', join(FIXTURES, 'add_problem.py'), '--model', 'fake-model', '--base-url', fake.baseURL,
        '--python', VENV_PYTHON, '--device', 'cpu', '--out', out, '--workspace', out]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /API key/);
    });
  });
});
