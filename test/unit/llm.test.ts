import assert from 'node:assert/strict';
import { LlmClient, LlmError, type LlmConfig, type LlmTuning } from '../../src/core/llm';
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

  it('cannot reach a closed port → network error after retries', async () => {
    await start();
    const url = fake.baseURL;
    await fake.close();
    const c = new LlmClient({ baseURL: url, model: 'm', temperature: 0, maxTokens: 10, apiKey: 'k' }, { ...FAST, maxRetries: 1 });
    await assert.rejects(c.complete(msgs), (e: unknown) => e instanceof LlmError && e.kind === 'network' && e.details.attempts === 2);
  });
});
