// The agent loop end to end: the real openai SDK against the fake OpenAI server, the real Python
// kernel server verifying on CPU (Triton interpreter), the real run store in a temp workspace.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAgent, type AgentConfig, type AgentEvent } from '../../src/core/agent';
import { BackendClient } from '../../src/core/backend';
import { LlmClient } from '../../src/core/llm';
import { Run } from '../../src/core/protocol';
import { RunStore } from '../../src/core/store';
import { backendUnavailable, REPO_ROOT, VENV_PYTHON } from '../support/backend';
import { startFakeOpenAI, type FakeOpenAI, type FakeStep } from '../support/fakeOpenAI';
import { fixture, replyWith } from '../fixtures/replies';

const CPU = { type: 'cpu' as const, name: 'CPU (Triton interpreter)' };
const CONFIG: AgentConfig = { maxTurns: 3, candidates: 1, targetSpeedup: 1, device: 'cpu', timeoutS: 120, benchmark: true };

describe('agent loop with the real backend on CPU', function () {
  this.timeout(300_000);
  let backend: BackendClient;
  let fake: FakeOpenAI;
  let ws: string;
  let store: RunStore;

  before(async function () {
    const why = backendUnavailable();
    if (why) { console.log(`      skipped: ${why}`); this.skip(); }
    backend = await BackendClient.start({ python: VENV_PYTHON, extensionRoot: REPO_ROOT, poolSize: 1 });
  });
  after(async () => { await backend?.dispose(); });
  beforeEach(() => {
    ws = mkdtempSync(join(tmpdir(), 'tritonize-ws-'));
    store = new RunStore(ws);
  });
  afterEach(async () => { await fake?.close(); });

  const llm = () => new LlmClient({ baseURL: fake.baseURL, model: 'fake-model', temperature: 0.2, maxTokens: 4096, apiKey: 'sk-test' },
    { baseDelayMs: 10, maxDelayMs: 20, idleTimeoutMs: 10_000 });
  const task = () => ({ problemName: 'vector_add', problemSource: fixture('add_problem.py'), device: CPU, inputs: [{ shape: [1000], dtype: 'float32' }, { shape: [1000], dtype: 'float32' }] });
  const start = async (...steps: FakeStep[]) => { fake = await startFakeOpenAI(steps); };

  it('wrong kernel, then the repair turn fixes it with the verifier evidence', async () => {
    await start(
      { reply: replyWith(fixture('add_wrong_mul.py')), usage: { prompt_tokens: 100, completion_tokens: 50 } },
      { match: 'Verdict: incorrect', reply: replyWith(fixture('add_correct.py')), usage: { prompt_tokens: 300, completion_tokens: 60 } },
    );
    const events: AgentEvent[] = [];
    const run = await runAgent(task(), CONFIG, { llm: llm(), verifier: backend, store, onEvent: (e) => events.push(e) });

    assert.equal(run.status, 'done', run.error ?? '');
    assert.equal(run.candidates.length, 2);
    const [first, second] = run.candidates;
    assert.equal(first!.report?.verdict, 'incorrect', first!.report?.summary);
    assert.equal(second!.report?.verdict, 'correct', second!.report?.summary);
    assert.equal(run.bestCandidateId, second!.id);
    assert.equal(run.turn, 2);
    assert.deepEqual(run.tokens, { prompt: 400, completion: 110 });
    assert.deepEqual(second!.tokens, { prompt: 300, completion: 60 });

    // The repair request carried the evidence and the wrong code.
    const repair = fake.requests[1]!.body.messages!;
    const lastUser = repair.at(-1)!.content;
    assert.match(lastUser, /Verdict: incorrect/);
    assert.match(lastUser, /trial .*max abs err/);
    assert.equal(repair.at(-2)!.role, 'assistant');
    assert.match(repair.at(-2)!.content, /a \* b/);
    assert.match(repair[0]!.content, /no try\/except/);

    // Files and run.json on disk; reopening and listing work.
    assert.ok(existsSync(join(ws, '.tritonize', 'runs', run.id, 'run.json')));
    assert.equal(readFileSync(second!.path!, 'utf8'), fixture('add_correct.py'));
    const reopened = await store.load(run.id);
    assert.deepEqual(Run.parse(reopened), reopened);
    assert.equal(reopened.bestCandidateId, second!.id);
    const list = await store.list();
    assert.equal(list.length, 1);
    assert.equal(list[0]!.bestVerdict, 'correct');

    // The UI saw stages and streamed text.
    assert.ok(events.some((e) => e.type === 'delta'));
    const stages = new Set(events.flatMap((e) => (e.type === 'update' ? e.run.candidates.map((c) => c.stage) : [])));
    for (const s of ['generating', 'compiling', 'done']) assert.ok(stages.has(s as never), `missing stage ${s}: ${[...stages]}`);
  });

  it('K parallel candidates: one wrong, one right → best is the right one and the run stops after one turn', async () => {
    await start({ reply: replyWith(fixture('add_wrong_mul.py')) }, { reply: replyWith(fixture('add_correct.py')) });
    const run = await runAgent(task(), { ...CONFIG, candidates: 2 }, { llm: llm(), verifier: backend, store });
    assert.equal(run.status, 'done', run.error ?? '');
    assert.equal(run.turn, 1);
    assert.deepEqual(run.candidates.map((c) => c.id).sort(), ['t1c0', 't1c1']);
    assert.deepEqual(run.candidates.map((c) => c.report?.verdict).sort(), ['correct', 'incorrect']);
    const best = run.candidates.find((c) => c.id === run.bestCandidateId)!;
    assert.equal(best.report?.verdict, 'correct');
    assert.equal(fake.requests.length, 2);
    const asks = fake.requests.map((r) => r.body.messages!.at(-1)!.content);
    assert.equal(asks.filter((a) => /Candidate 2 of 2/.test(a)).length, 1, 'the second lineage is asked for a different strategy');
  });

  it('a reply without code is answered with a format reminder, then succeeds', async () => {
    await start(
      { reply: 'Sure! Triton is great for this kind of thing.' },
      { match: 'did not contain a ```python block', reply: replyWith(fixture('add_correct.py')) },
    );
    const run = await runAgent(task(), CONFIG, { llm: llm(), verifier: backend, store });
    assert.equal(run.status, 'done');
    assert.equal(run.candidates[0]!.stage, 'failed');
    assert.match(run.candidates[0]!.error!, /no ```python block/);
    assert.equal(run.candidates[1]!.report?.verdict, 'correct');
  });

  it('a bad key stops the run at once with the fix, without verifying anything', async () => {
    await start({ status: 401, repeat: true });
    const run = await runAgent(task(), { ...CONFIG, candidates: 2 }, { llm: llm(), verifier: backend, store });
    assert.equal(run.status, 'failed');
    assert.match(run.error!, /Tritonize: Set LLM API key/);
    assert.equal(run.candidates.length, 2);
    assert.ok(run.candidates.every((c) => c.stage === 'failed' && c.report === null));
    assert.equal(fake.requests.length, 2);
  });

  it('cancel during streaming stops the LLM request', async () => {
    await start({ reply: replyWith(fixture('add_correct.py')), chunkSize: 4, chunkDelayMs: 30 });
    const ac = new AbortController();
    const run = await runAgent(task(), CONFIG, {
      llm: llm(), verifier: backend, store,
      onEvent: (e) => { if (e.type === 'delta') ac.abort(); },
    }, ac.signal);
    assert.equal(run.status, 'cancelled');
    // Cancel is a state, not a failure: no error blamed on the candidate.
    assert.equal(run.candidates[0]!.stage, 'cancelled');
    assert.equal(run.candidates[0]!.error, null);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(fake.requests[0]!.aborted, true);
    assert.equal((await store.load(run.id)).status, 'cancelled');
  });

  it('cancel during verification stops the running verification', async () => {
    await start({ reply: replyWith(fixture('add_hang.py')) });
    const ac = new AbortController();
    const t0 = Date.now();
    const run = await runAgent(task(), CONFIG, {
      llm: llm(), verifier: backend, store,
      onEvent: (e) => { if (e.type === 'update' && e.run.candidates[0]?.stage === 'compiling') setTimeout(() => ac.abort(), 1500); },
    }, ac.signal);
    assert.equal(run.status, 'cancelled');
    assert.ok(Date.now() - t0 < 60_000, 'cancel should not wait for the 120 s verify timeout');
    assert.equal(run.candidates[0]!.report, null);
    assert.equal(run.candidates[0]!.stage, 'cancelled', 'a cancelled verification is no verdict (no runtime_error from the killed worker)');
    assert.equal(run.candidates[0]!.error, null);
    // The backend still answers afterwards.
    assert.equal(typeof (await backend.environment()).python, 'string');
  });
});
