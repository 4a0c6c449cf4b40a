// `tritonize-agent suite` as users run it: `node dist/cli.js suite DIR …` against the fake OpenAI
// server and the real Python backend on CPU, including resuming after an interrupted run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendUnavailable, REPO_ROOT, VENV_PYTHON } from '../support/backend';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { FIXTURES, fixture, replyWith } from '../fixtures/replies';

const CLI = join(REPO_ROOT, 'dist', 'cli.js');

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, OPENAI_API_KEY: 'sk-test' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function problemsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tritonize-suite-problems-'));
  copyFileSync(join(FIXTURES, 'add_problem.py'), join(dir, 'a_add.py'));
  copyFileSync(join(FIXTURES, 'add_problem.py'), join(dir, 'b_add.py'));
  return dir;
}

describe('tritonize-agent suite', function () {
  this.timeout(300_000);
  let fake: FakeOpenAI | undefined;
  afterEach(async () => { await fake?.close(); fake = undefined; });
  before(function () { if (!existsSync(CLI)) this.skip(); });

  it('usage errors exit 2 with one line', async () => {
    const r = await cli(['suite', '/nonexistent/dir', '--model', 'm']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read the directory/);
    const empty = mkdtempSync(join(tmpdir(), 'tritonize-suite-empty-'));
    mkdirSync(join(empty, 'sub'));
    const r2 = await cli(['suite', empty, '--model', 'm', '--base-url', 'http://127.0.0.1:9/v1']);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /no problem files/);
    const r3 = await cli(['suite', empty]);
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /--model is required/);
  });

  describe('with the real backend', () => {
    before(function () { if (backendUnavailable()) this.skip(); });

    it('an LLM failure stops the suite (exit 3); the next run resumes with the unfinished problem only', async () => {
      const problems = problemsDir();
      const out = mkdtempSync(join(tmpdir(), 'tritonize-suite-out-'));
      const common = ['--model', 'fake-model', '--turns', '2', '--python', VENV_PYTHON, '--device', 'cpu', '--out', out];
      // First run: problem a gets a wrong then a correct kernel; b meets a rejected key.
      fake = await startFakeOpenAI([
        { reply: replyWith(fixture('add_wrong_mul.py')) },
        { match: 'Verdict: incorrect', reply: replyWith(fixture('add_correct.py')) },
        { status: 401, repeat: true },
      ]);
      const r1 = await cli(['suite', problems, ...common, '--base-url', fake.baseURL]);
      assert.equal(r1.code, 3, r1.stderr);
      const a = JSON.parse(readFileSync(join(out, 'results', 'a_add.json'), 'utf8'));
      assert.equal(a.verdict, 'correct');
      assert.equal(a.candidates, 2);
      assert.equal(readFileSync(join(out, 'candidates', 'a_add.py'), 'utf8'), fixture('add_correct.py'));
      assert.equal(existsSync(join(out, 'results', 'b_add.json')), false, 'an interrupted problem must not look finished');
      let summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).summary;
      assert.deepEqual([summary.total, summary.correct, summary.problems, summary.finished], [1, 1, 2, 1]);
      await fake.close();

      // Second run: only b is generated (one request), and the summary covers both.
      fake = await startFakeOpenAI([{ reply: replyWith(fixture('add_wrong_mul.py')), repeat: true }]);
      const r2 = await cli(['suite', problems, ...common, '--turns', '1', '--base-url', fake.baseURL]);
      assert.equal(r2.code, 0, r2.stderr);
      assert.match(r2.stderr, /resuming: 1 of 2 problems already finished/);
      assert.equal(fake.requests.length, 1);
      assert.equal(JSON.parse(readFileSync(join(out, 'results', 'b_add.json'), 'utf8')).verdict, 'incorrect');
      summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).summary;
      assert.deepEqual([summary.total, summary.correct, summary.correct_rate, summary.verdicts], [2, 1, 0.5, { correct: 1, incorrect: 1 }]);
      assert.equal(summary.fast_1_vs_eager, null, 'no meaningful timings on the CPU: fast_p is not reported');
      const md = readFileSync(join(out, 'summary.md'), 'utf8');
      assert.match(md, /\| a_add \| correct \| 2 \|/);
      assert.match(md, /\*\*1\/2 correct\*\* \(50%\)/);
    });
  });
});
