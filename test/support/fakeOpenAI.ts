// A real OpenAI-compatible HTTP server on 127.0.0.1 with scripted replies, for tests of anything that
// talks to an LLM through the `openai` SDK. Streams SSE the way api.openai.com does: a role chunk,
// content chunks, a finish chunk, a usage chunk (when stream_options.include_usage), `data: [DONE]`.
//
// Library:    const fake = await startFakeOpenAI([{ reply: '```python\n...```' }]); fake.baseURL …
// Standalone: node out/test/support/fakeOpenAI.js --script steps.json [--port N]
//             (prints `FAKE_OPENAI_URL=http://127.0.0.1:PORT/v1` on stdout once listening).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export type FakeStep = FakeStepBase & (
  | { reply: string; chunkSize?: number; chunkDelayMs?: number; usage?: { prompt_tokens: number; completion_tokens: number } | null; finishReason?: string }
  | { status: number; message?: string; headers?: Record<string, string>; body?: unknown }
  | { hang: 'before-headers' | 'after-headers' | 'mid-stream'; reply?: string }
  | { garbage: string }
  | { dropMidStream: string }
);

export interface FakeStepBase {
  /** Only serve this step when the request's last message contains this text. */
  match?: string;
  /** Keep the step after serving it (otherwise each step serves one request). */
  repeat?: boolean;
  /** Wait this long before answering. */
  delayMs?: number;
}

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: ChatRequestBody;
  /** Index of the served step in the original script, or -1 when none matched (500). */
  step: number;
  /** The client went away before the reply finished (abort, timeout). */
  aborted: boolean;
}

export interface ChatRequestBody {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages?: { role: string; content: string }[];
  [key: string]: unknown;
}

export interface FakeOpenAI {
  baseURL: string;
  port: number;
  requests: RecordedRequest[];
  /** Appends steps to the script. */
  push(...steps: FakeStep[]): void;
  /** Steps not yet served. */
  remaining(): number;
  close(): Promise<void>;
}

export interface FakeOptions {
  port?: number;
  /** The models `/v1/models` lists and chat accepts; other names get a 404 like OpenAI's. Omitted: any. */
  models?: string[];
  /** Every route answers 401 (like OpenAI's) unless the request carries `Authorization: Bearer <key>`. */
  requireKey?: string;
}

/** Default usage numbers: crude but deterministic (prompt chars/4, reply chars/4). */
function estimateUsage(body: ChatRequestBody, reply: string) {
  const promptChars = (body.messages ?? []).reduce((n, m) => n + String(m.content ?? '').length, 0);
  return { prompt_tokens: Math.ceil(promptChars / 4), completion_tokens: Math.ceil(reply.length / 4) };
}

export async function startFakeOpenAI(script: FakeStep[] = [], opts: FakeOptions = {}): Promise<FakeOpenAI> {
  const queue = script.map((step, index) => ({ step, index }));
  let nextIndex = script.length;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(err), type: 'server_error' } }));
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (opts.requireKey !== undefined && req.headers.authorization !== `Bearer ${opts.requireKey}`) {
      if (req.method === 'POST') await readBody(req);
      return json(res, 401, { error: { message: defaultMessage(401), type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    if (req.method === 'GET' && url.pathname.endsWith('/models')) {
      return json(res, 200, { object: 'list', data: (opts.models ?? ['fake-model']).map((id) => ({ id, object: 'model', owned_by: 'fake' })) });
    }
    if (req.method !== 'POST' || !url.pathname.endsWith('/chat/completions'))
      return json(res, 404, { error: { message: `no route ${req.method} ${url.pathname}`, type: 'invalid_request_error' } });
    const raw = await readBody(req);
    let body: ChatRequestBody;
    try {
      body = JSON.parse(raw) as ChatRequestBody;
    } catch {
      return json(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
    }
    const last = String(body.messages?.at(-1)?.content ?? '');
    const at = queue.findIndex(({ step }) => step.match === undefined || last.includes(step.match));
    const rec: RecordedRequest = { path: url.pathname, headers: req.headers, body, step: at < 0 ? -1 : queue[at]!.index, aborted: false };
    requests.push(rec);
    res.on('close', () => { if (!res.writableFinished) rec.aborted = true; });
    if (opts.models && body.model && !opts.models.includes(body.model))
      return json(res, 404, { error: { message: `The model \`${body.model}\` does not exist`, type: 'invalid_request_error', code: 'model_not_found' } });
    if (at < 0) return json(res, 500, { error: { message: 'fake OpenAI: script exhausted', type: 'server_error' } });
    const { step } = queue[at]!;
    if (!step.repeat) queue.splice(at, 1);
    if (step.delayMs) await sleep(step.delayMs);
    await serve(step, body, req, res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    push: (...steps) => { for (const step of steps) queue.push({ step, index: nextIndex++ }); },
    remaining: () => queue.length,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy(); // hung replies would keep close() waiting forever
      server.close(() => resolve());
    }),
  };
}

async function serve(step: FakeStep, body: ChatRequestBody, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if ('status' in step) {
    const message = step.message ?? defaultMessage(step.status);
    const payload = step.body ?? { error: { message, type: errorType(step.status), code: null } };
    res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
    res.end(JSON.stringify(payload));
    return;
  }
  if ('garbage' in step) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(step.garbage);
    return;
  }
  if ('hang' in step) {
    if (step.hang === 'before-headers') return; // never answer; the socket stays open
    sseHead(res);
    if (step.hang === 'mid-stream') {
      for (const chunk of contentChunks(body, step.reply ?? 'thinking', 8)) res.write(sse(chunk));
    }
    return; // headers (and maybe some chunks) sent, then silence
  }
  if ('dropMidStream' in step) {
    sseHead(res);
    for (const chunk of contentChunks(body, step.dropMidStream, 8)) res.write(sse(chunk));
    await sleep(10);
    req.socket.destroy();
    return;
  }
  const streaming = body.stream === true;
  const usage = step.usage === undefined ? estimateUsage(body, step.reply) : step.usage;
  const finish = step.finishReason ?? 'stop';
  if (!streaming) {
    return json(res, 200, {
      id: 'chatcmpl-fake', object: 'chat.completion', created: now(), model: body.model ?? 'fake-model',
      choices: [{ index: 0, message: { role: 'assistant', content: step.reply }, finish_reason: finish, logprobs: null }],
      ...(usage ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } : {}),
    });
  }
  sseHead(res);
  for (const chunk of contentChunks(body, step.reply, step.chunkSize ?? 16)) {
    if (res.destroyed) return;
    res.write(sse(chunk));
    if (step.chunkDelayMs) await sleep(step.chunkDelayMs);
  }
  res.write(sse(chunkOf(body, { choices: [{ index: 0, delta: {}, finish_reason: finish, logprobs: null }] })));
  if (usage && body.stream_options?.include_usage)
    res.write(sse(chunkOf(body, { choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } })));
  res.end('data: [DONE]\n\n');
}

function* contentChunks(body: ChatRequestBody, text: string, size: number) {
  yield chunkOf(body, { choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null }] });
  for (let i = 0; i < text.length; i += size)
    yield chunkOf(body, { choices: [{ index: 0, delta: { content: text.slice(i, i + size) }, finish_reason: null, logprobs: null }] });
}

function chunkOf(body: ChatRequestBody, rest: object) {
  return { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: now(), model: body.model ?? 'fake-model',
    system_fingerprint: 'fp_fake', ...(body.stream_options?.include_usage ? { usage: null } : {}), ...rest };
}

const sse = (obj: object) => `data: ${JSON.stringify(obj)}\n\n`;
const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sseHead(res: ServerResponse) {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
}

function json(res: ServerResponse, status: number, payload: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(payload));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function defaultMessage(status: number): string {
  switch (status) {
    case 401: return 'Incorrect API key provided: sk-fake***. You can find your API key at https://platform.openai.com/account/api-keys.';
    case 403: return 'You are not allowed to sample from this model';
    case 404: return 'The model `fake-model` does not exist or you do not have access to it.';
    case 429: return 'Rate limit reached for requests';
    default: return status >= 500 ? 'The server had an error while processing your request.' : `HTTP ${status}`;
  }
}

function errorType(status: number): string {
  if (status === 401) return 'invalid_request_error';
  if (status === 429) return 'requests';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

/** Standalone entry: `--script FILE` (a JSON array of FakeStep) and `--port N`. */
async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const file = arg('--script');
  const script: FakeStep[] = file ? JSON.parse(readFileSync(file, 'utf8')) : [];
  if (!Array.isArray(script)) throw new Error('--script must hold a JSON array of steps');
  const port = Number(arg('--port') ?? 0);
  const fake = await startFakeOpenAI(script, { port });
  process.stdout.write(`FAKE_OPENAI_URL=${fake.baseURL}\n`);
  const stop = () => { void fake.close().then(() => process.exit(0)); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (typeof require !== 'undefined' && require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`fakeOpenAI: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
