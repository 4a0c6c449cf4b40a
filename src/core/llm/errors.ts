// Every failure of an LLM call becomes one `LlmError` with a kind the agent and UI can act on.
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';

export type LlmErrorKind =
  | 'auth' | 'model_not_found' | 'rate_limited' | 'server' | 'network' | 'timeout' | 'cancelled'
  | 'bad_request' | 'no_code';

export class LlmError extends Error {
  override readonly name = 'LlmError';
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly details: {
      status?: number; attempts?: number; cause?: unknown;
      /** no_code: the reply that had no usable code, and the tokens it cost. */
      reply?: string; usage?: { prompt: number; completion: number };
      /** network: nothing listens there or the host name does not resolve; retrying cannot help. */
      unreachable?: boolean;
    } = {},
  ) {
    super(message);
  }
  /** Worth another attempt after a pause (before giving up with this error). */
  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'server' || (this.kind === 'network' && !this.details.unreachable);
  }
  /** No later request with the same settings can succeed; the run should stop. */
  get fatal(): boolean {
    return this.kind === 'auth' || this.kind === 'model_not_found' || this.kind === 'bad_request';
  }
}

/** Maps whatever the SDK (or fetch) threw into an LlmError. `why` tells our own aborts apart. */
export function toLlmError(err: unknown, ctx: { model: string; baseURL: string; aborted?: 'cancelled' | 'timeout' }): LlmError {
  if (err instanceof LlmError) return err;
  if (ctx.aborted === 'cancelled') return new LlmError('cancelled', 'LLM request cancelled', { cause: err });
  if (ctx.aborted === 'timeout' || err instanceof APIConnectionTimeoutError)
    return new LlmError('timeout', `The LLM at ${ctx.baseURL} did not answer in time`, { cause: err });
  if (err instanceof APIUserAbortError) return new LlmError('cancelled', 'LLM request cancelled', { cause: err });
  if (err instanceof APIConnectionError) {
    // A refused connection or an unknown host fails the same way on every retry: say so at once.
    const code = causeCode(err);
    const unreachable = code === 'ECONNREFUSED' || code === 'ENOTFOUND';
    const why = code === 'ECONNREFUSED' ? 'connection refused (is the server running on that port?)'
      : code === 'ENOTFOUND' ? 'unknown host' : causeMessage(err);
    return new LlmError('network', `Cannot reach the LLM at ${ctx.baseURL}: ${why}`, { cause: err, unreachable });
  }
  if (err instanceof APIError) {
    const status = err.status;
    const detail = apiMessage(err);
    if (status === 401 || status === 403)
      return new LlmError('auth', `The LLM API rejected the key (${status}${detail}). Run "Tritonize: Set LLM API key" ` +
        'to store a valid key (the CLI reads OPENAI_API_KEY).', { status, cause: err });
    if (status === 404)
      return new LlmError('model_not_found', `Model "${ctx.model}" was not found at ${ctx.baseURL} (404${detail}). ` +
        'Check the tritonize.llm.model and tritonize.llm.baseUrl settings.', { status, cause: err });
    if (status === 429) return new LlmError('rate_limited', `The LLM API is rate limiting requests (429${detail})`, { status, cause: err });
    if (status !== undefined && status >= 500) return new LlmError('server', `The LLM API failed (${status}${detail})`, { status, cause: err });
    if (status === 408) return new LlmError('timeout', `The LLM API timed out (408${detail})`, { status, cause: err });
    if (status !== undefined) return new LlmError('bad_request', `The LLM API refused the request (${status}${detail})`, { status, cause: err });
    // An `error` event inside an SSE stream has no status: the server failed mid-reply.
    return new LlmError('server', `The LLM stream reported an error: ${err.message}`, { cause: err });
  }
  if (isAbortError(err)) return new LlmError('cancelled', 'LLM request cancelled', { cause: err });
  // Raw socket errors surfacing from the stream body after the response started.
  return new LlmError('network', `LLM connection failed: ${causeMessage(err)}`, { cause: err });
}

function apiMessage(err: APIError): string {
  const body = err.error as { message?: unknown } | undefined;
  return typeof body?.message === 'string' && body.message ? `: ${body.message}` : '';
}

/** The first `code` (ECONNREFUSED, ENOTFOUND…) along an error's cause chain. */
export function causeCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 6 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function causeMessage(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 4 && e instanceof Error && e.cause; i++) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err instanceof APIUserAbortError);
}
