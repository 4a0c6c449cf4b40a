import assert from 'node:assert/strict';
import { checkEndpoint, endpointProblem, LlmClient, LlmError, type LlmConfig, type LlmTuning } from '../../src/core/llm';
import { startFakeOpenAI, type FakeOpenAI, type FakeStep } from '../support/fakeOpenAI';
import { fixture, replyWith } from '../fixtures/replies';
import { generateCandidate } from '../../src/core/llm/generate';

const FAST: Partial<LlmTuning> = { baseDelayMs: 10, maxDelayMs: 50, idleTimeoutMs: 2_000 };

describe('LLM client through the real openai SDK against a fake OpenAI server', function () {
  this.timeout(15_000);
  let fake: FakeOpenAI;
  const client = (over: Partial<LlmConfig> = {}, tuning: Partial<LlmTuning> = FAST) =>
    new LlmClient({ baseURL: fake.baseURL, model: 'fake-model', temperature: 0.2, maxTokens: 512, apiKey: 'sk-test', ...over }, tuning);
  const start = async (...steps: FakeStep[]) => { fake = await startFakeOpenAI(steps); };
  afterEach(async () => { await fake?.close(); });
  const msgs = [{ role: 'user' as const, content: 'write ModelNew' }];

  it('streams deltas in order and records usage from the usage chunk', async () => {
    const text = replyWith(fixture('add_correct.py'));
    await start({ reply: text, chunkSize: 7, usage: { prompt_tokens: 123, completion_tokens: 45 } });
    const deltas: string[] = [];
    const out = await client().complete(msgs, { onDelta: (d) => deltas.push(d) });
    assert.ok(deltas.length > 10, `expected many deltas, got ${deltas.length}`);
    assert.equal(deltas.join(''), text);
    assert.equal(out.text, text);
    assert.deepEqual(out.usage, { prompt: 123, completion: 45 });
    assert.equal(out.usageReported, true);
    assert.equal(out.finishReason, 'stop');
    const body = fake.requests[0]!.body;
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(body.model, 'fake-model');
    assert.equal(body.max_tokens, 512);
    assert.equal(fake.requests[0]!.headers.authorization, 'Bearer sk-test');
  });

  it('retries a 429, waiting the retry-after the server asked for, then succeeds', async () => {
    await start({ status: 429, headers: { 'retry-after': '1' } }, { reply: 'ok' });
    const retries: number[] = [];
    const t0 = Date.now();
    const out = await client().complete(msgs, { onRetry: (r) => retries.push(r.delayMs) });
    assert.equal(out.text, 'ok');
    assert.equal(out.attempts, 2);
    assert.deepEqual(retries, [1000]);
    assert.ok(Date.now() - t0 >= 950, 'should have waited ~1 s');
    assert.equal(fake.requests.length, 2);
  });

  it('retries 500s with back-off and gives up after the bounded number of retries', async () => {
    await start({ status: 500, repeat: true });
    const c = client({}, { ...FAST, maxRetries: 2 });
    await assert.rejects(c.complete(msgs), (e: unknown) => e instanceof LlmError && e.kind === 'server' && e.details.attempts === 3);
    assert.equal(fake.requests.length, 3);
  });

  it('fails at once as rate_limited when retry-after exceeds what we wait for', async () => {
    await start({ status: 429, headers: { 'retry-after': '3600' } });
    await assert.rejects(client().complete(msgs), (e: unknown) => e instanceof LlmError && e.kind === 'rate_limited' && /3600 s/.test(e.message));
    assert.equal(fake.requests.length, 1);
  });

  it('maps 401 to an auth error that says how to set the key, without retrying', async () => {
    await start({ status: 401 }, { reply: 'never' });
    await assert.rejects(client().complete(msgs), (e: unknown) => {
      assert.ok(e instanceof LlmError);
      assert.equal(e.kind, 'auth');
      assert.match(e.message, /Tritonize: Set LLM API key/);
      assert.equal(e.fatal, true);
      return true;
    });
    assert.equal(fake.requests.length, 1);
  });

  it('maps 404 to model_not_found naming the model', async () => {
    await start({ status: 404 });
    await assert.rejects(client({ model: 'gpt-nope' }).complete(msgs),
      (e: unknown) => e instanceof LlmError && e.kind === 'model_not_found' && /gpt-nope/.test(e.message));
  });

  it('times out a reply that stops mid-stream', async () => {
    await start({ hang: 'mid-stream', reply: 'partial…' });
    await assert.rejects(client({}, { ...FAST, idleTimeoutMs: 300 }).complete(msgs),
      (e: unknown) => e instanceof LlmError && e.kind === 'timeout');
  });

  it('times out a server that never sends headers', async () => {
    await start({ hang: 'before-headers' });
    await assert.rejects(client({}, { ...FAST, idleTimeoutMs: 300 }).complete(msgs),
      (e: unknown) => e instanceof LlmError && e.kind === 'timeout');
  });

  it('abort cancels a streaming request and the server sees the connection go', async () => {
    await start({ reply: 'x'.repeat(2000), chunkSize: 10, chunkDelayMs: 20 });
    const ac = new AbortController();
    let seen = 0;
    const p = client().complete(msgs, { signal: ac.signal, onDelta: () => { if (++seen === 3) ac.abort(); } });
    await assert.rejects(p, (e: unknown) => e instanceof LlmError && e.kind === 'cancelled');
    assert.ok(seen < 50, `stream kept going after abort (${seen} deltas)`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(fake.requests[0]!.aborted, true);
  });

  it('a dropped connection is retried and the UI is told to discard the partial text', async () => {
    await start({ dropMidStream: 'class Mod' }, { reply: 'done' });
    const events: string[] = [];
    const out = await client().complete(msgs, { onDelta: (d) => events.push(d), onRetry: () => events.push('<retry>') });
    assert.equal(out.text, 'done');
    assert.ok(events.includes('<retry>'));
    assert.equal(events.slice(events.indexOf('<retry>') + 1).join(''), 'done');
  });

  it('switches to max_completion_tokens when the model asks for it', async () => {
    await start({ status: 400, message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." }, { reply: 'ok' });
    const out = await client().complete(msgs);
    assert.equal(out.text, 'ok');
    assert.equal(fake.requests[1]!.body.max_completion_tokens, 512);
    assert.equal(fake.requests[1]!.body.max_tokens, undefined);
  });

  it('a reply without a python ModelNew block is a no_code error carrying the reply and its tokens', async () => {
    await start({ reply: 'I think you should use cuBLAS for this. Good luck!', usage: { prompt_tokens: 10, completion_tokens: 12 } });
    await assert.rejects(generateCandidate(client(), msgs), (e: unknown) => {
      assert.ok(e instanceof LlmError);
      assert.equal(e.kind, 'no_code');
      assert.match(e.details.reply ?? '', /cuBLAS/);
      assert.deepEqual(e.details.usage, { prompt: 10, completion: 12 });
      return true;
    });
  });

  it('non-SSE junk from the server yields no text and a no_code error', async () => {
    await start({ garbage: '<html>502 Bad Gateway</html>' });
    await assert.rejects(generateCandidate(client(), msgs), (e: unknown) => e instanceof LlmError && e.kind === 'no_code');
  });

  it('generateCandidate returns the extracted module', async () => {
    await start({ reply: replyWith(fixture('add_correct.py')) });
    const out = await generateCandidate(client(), msgs);
    assert.match(out.code, /^import torch/);
    assert.match(out.code, /class ModelNew/);
    assert.doesNotMatch(out.code, /```/);
  });

  it('a closed port fails fast: one attempt, no retries, says the connection was refused', async () => {
    await start();
    const url = fake.baseURL;
    await fake.close();
    // Real back-off: a retried refusal would take ≥ 1 s here.
    const c = new LlmClient({ baseURL: url, model: 'm', temperature: 0, maxTokens: 10, apiKey: 'k' }, { maxRetries: 4, baseDelayMs: 1000 });
    const retries: unknown[] = [];
    const t0 = Date.now();
    await assert.rejects(c.complete(msgs, { onRetry: (i) => retries.push(i) }),
      (e: unknown) => e instanceof LlmError && e.kind === 'network' && !e.retryable && /connection refused/.test(e.message));
    assert.equal(retries.length, 0);
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
  });

  it('a dropped connection mid-stream is still retried (transient, unlike a refused one)', async () => {
    await start({ dropMidStream: 'partial' }, { reply: 'ok' });
    const c = new LlmClient({ baseURL: fake.baseURL, model: 'm', temperature: 0, maxTokens: 10, apiKey: 'k' }, { ...FAST, maxRetries: 1 });
    const out = await c.complete(msgs);
    assert.equal(out.text, 'ok');
    assert.equal(out.attempts, 2);
  });
});

describe('LLM endpoint check (models.list through the real openai SDK)', () => {
  let fake: FakeOpenAI | undefined;
  afterEach(async () => { await fake?.close(); fake = undefined; });
  const cfg = (baseURL: string, extra: Partial<{ model: string; apiKey: string }> = {}) => ({ baseURL, model: 'fake-model', apiKey: 'sk-good', ...extra });

  it('passes a reachable endpoint that lists the model', async () => {
    fake = await startFakeOpenAI([], { models: ['fake-model', 'other'] });
    const check = await checkEndpoint(cfg(fake.baseURL));
    assert.ok(check.ok);
    assert.deepEqual(check.models, ['fake-model', 'other']);
    assert.equal(endpointProblem(check, cfg(fake.baseURL)), null);
    assert.equal(fake.requests.length, 0, 'no chat request (no tokens spent)');
  });

  it('a rejected key: auth problem with Set API key first', async () => {
    fake = await startFakeOpenAI([], { requireKey: 'sk-good' });
    const check = await checkEndpoint(cfg(fake.baseURL, { apiKey: 'sk-bad' }));
    assert.equal(check.ok, false);
    const p = endpointProblem(check, cfg(fake.baseURL))!;
    assert.match(p.message, /rejected the API key \(HTTP 401\)/);
    assert.deepEqual(p.actions, ['Set API key', 'Retry', 'Open Settings']);
    assert.ok((await checkEndpoint(cfg(fake.baseURL))).ok, 'the right key passes');
  });

  it('a closed port fails in well under a second with Retry / Open Settings', async () => {
    fake = await startFakeOpenAI();
    const url = fake.baseURL;
    await fake.close();
    fake = undefined;
    const check = await checkEndpoint(cfg(url));
    assert.equal(check.ok, false);
    assert.ok(check.ms < 1000, `${check.ms} ms`);
    const p = endpointProblem(check, cfg(url))!;
    assert.match(p.message, /connection refused/);
    assert.deepEqual(p.actions, ['Retry', 'Open Settings']);
  });

  it('a model the server does not list: Open Settings, or continue anyway', async () => {
    fake = await startFakeOpenAI([], { models: ['llama-3'] });
    const check = await checkEndpoint(cfg(fake.baseURL));
    const p = endpointProblem(check, cfg(fake.baseURL))!;
    assert.match(p.message, /does not list the model "fake-model" \(it has "llama-3"\)/);
    assert.deepEqual(p.actions, ['Retry', 'Open Settings', 'Continue anyway']);
  });
});
