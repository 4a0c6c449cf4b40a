// Streaming chat completions against any OpenAI-compatible endpoint, through the `openai` SDK.
// The SDK's own retries are off: we retry ourselves so the UI hears about each retry (and can
// drop a half-streamed reply), and so the back-off is bounded and testable.
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { LlmError, toLlmError } from './errors';

export interface LlmConfig {
  baseURL: string;
  model: string;
  temperature: number;
  maxTokens: number;
  /** Empty for local servers that need none; a 401 then says how to set one. */
  apiKey: string;
}

export interface LlmTuning {
  /** Retries after the first attempt for 429/5xx/network failures. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `retry-after` longer than this is not waited for: the call fails as rate_limited. */
  maxRetryAfterMs: number;
  /** Abort an attempt when no byte of the reply arrived for this long. */
  idleTimeoutMs: number;
}

export const DEFAULT_TUNING: LlmTuning = {
  maxRetries: 4, baseDelayMs: 1000, maxDelayMs: 20_000, maxRetryAfterMs: 60_000,
  // Reasoning models can think for minutes before their first streamed token.
  idleTimeoutMs: 300_000,
};

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface Usage {
  prompt: number;
  completion: number;
}

export interface RetryInfo {
  attempt: number;
  delayMs: number;
  error: LlmError;
}

export interface CompleteOptions {
  onDelta?: (text: string) => void;
  /** A retry is about to happen; any text already delivered through onDelta is void. */
  onRetry?: (info: RetryInfo) => void;
  signal?: AbortSignal;
}

export interface Completion {
  text: string;
  usage: Usage;
  /** False when the server sent no usage chunk (then `usage` counts only what we could see: 0). */
  usageReported: boolean;
  finishReason: string | null;
  attempts: number;
}

/** The chat model the agent talks to; `LlmClient` is the real one. */
export interface ChatModel {
  complete(messages: ChatMessage[], opts?: CompleteOptions): Promise<Completion>;
}

export class LlmClient implements ChatModel {
  private readonly sdk: OpenAI;
  private readonly tuning: LlmTuning;
  // Learned from 400 replies: some models want max_completion_tokens, refuse temperature, or the
  // server does not know stream_options. Remembered for later calls on this client.
  private tokenParam: 'max_tokens' | 'max_completion_tokens' = 'max_tokens';
  private sendTemperature = true;
  private sendStreamOptions = true;

  constructor(readonly config: LlmConfig, tuning: Partial<LlmTuning> = {}) {
    this.tuning = { ...DEFAULT_TUNING, ...tuning };
    this.sdk = new OpenAI({
      apiKey: config.apiKey || 'no-key',
      baseURL: config.baseURL,
      maxRetries: 0,
      timeout: this.tuning.idleTimeoutMs + 5_000, // ours fires first; this only backs it up
    });
  }

  async complete(messages: ChatMessage[], opts: CompleteOptions = {}): Promise<Completion> {
    const { signal } = opts;
    let adjustments = 0;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new LlmError('cancelled', 'LLM request cancelled');
      try {
        return { ...(await this.attempt(messages, opts)), attempts: attempt };
      } catch (raw) {
        const err = raw as LlmError;
        if (err.kind === 'bad_request' && adjustments < 3 && this.adjustFor(err)) {
          adjustments++;
          attempt--; // a parameter fix is not a retry
          continue;
        }
        const retriesLeft = attempt <= this.tuning.maxRetries;
        if (!err.retryable || !retriesLeft) throw withAttempts(err, attempt);
        const hinted = retryAfterMs(err);
        if (hinted !== null && hinted > this.tuning.maxRetryAfterMs)
          throw withAttempts(new LlmError(err.kind, `${err.message}; the server asks to retry after ` +
            `${Math.ceil(hinted / 1000)} s`, err.details), attempt);
        const delayMs = hinted ?? backoff(attempt, this.tuning);
        opts.onRetry?.({ attempt, delayMs, error: err });
        await sleep(delayMs, signal);
      }
    }
  }

  private async attempt(messages: ChatMessage[], opts: CompleteOptions): Promise<Omit<Completion, 'attempts'>> {
    const { model, baseURL } = this.config;
    const controller = new AbortController();
    let aborted: 'cancelled' | 'timeout' | undefined;
    const onAbort = () => { aborted = 'cancelled'; controller.abort(); };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => { aborted ??= 'timeout'; controller.abort(); }, this.tuning.idleTimeoutMs);
    };
    const body: ChatCompletionCreateParamsStreaming = { model, messages, stream: true };
    body[this.tokenParam] = this.config.maxTokens;
    if (this.sendTemperature) body.temperature = this.config.temperature;
    if (this.sendStreamOptions) body.stream_options = { include_usage: true };
    let text = '';
    let finishReason: string | null = null;
    let usage: Usage | null = null;
    try {
      arm();
      const stream = await this.sdk.chat.completions.create(body, { signal: controller.signal });
      for await (const chunk of stream) {
        arm();
        if (chunk.usage) usage = { prompt: chunk.usage.prompt_tokens ?? 0, completion: chunk.usage.completion_tokens ?? 0 };
        const choice = chunk.choices?.[0];
        if (!choice) continue;
        const delta = choice.delta?.content;
        if (delta) {
          text += delta;
          opts.onDelta?.(delta);
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
    } catch (err) {
      throw toLlmError(err, { model, baseURL, aborted });
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
    if (aborted) throw toLlmError(new Error(aborted), { model, baseURL, aborted });
    return { text, usage: usage ?? { prompt: 0, completion: 0 }, usageReported: usage !== null, finishReason };
  }

  /** Adapts the request to a 400 that names a parameter we sent; false when there is nothing to adapt. */
  private adjustFor(err: LlmError): boolean {
    const msg = err.message;
    if (/max_tokens/.test(msg) && /max_completion_tokens/.test(msg) && this.tokenParam === 'max_tokens') {
      this.tokenParam = 'max_completion_tokens';
      return true;
    }
    if (/temperature/i.test(msg) && this.sendTemperature) {
      this.sendTemperature = false;
      return true;
    }
    if (/stream_options|include_usage/i.test(msg) && this.sendStreamOptions) {
      this.sendStreamOptions = false;
      return true;
    }
    return false;
  }
}

function withAttempts(err: LlmError, attempts: number): LlmError {
  return new LlmError(err.kind, attempts > 1 ? `${err.message} (after ${attempts} attempts)` : err.message,
    { ...err.details, attempts });
}

function backoff(attempt: number, t: LlmTuning): number {
  const exp = Math.min(t.maxDelayMs, t.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp * (0.75 + Math.random() * 0.25)); // jitter so parallel candidates spread out
}

/** `retry-after-ms` (OpenAI) or `retry-after` (seconds or an HTTP date), when the error carries one. */
export function retryAfterMs(err: LlmError): number | null {
  const cause = err.details.cause as { headers?: Headers } | undefined;
  const headers = cause?.headers;
  if (!headers || typeof headers.get !== 'function') return null;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get('retry-after');
  if (!raw) return null;
  const secs = Number(raw);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new LlmError('cancelled', 'LLM request cancelled'));
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(new LlmError('cancelled', 'LLM request cancelled')); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
