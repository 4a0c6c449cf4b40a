// The typed `tritonize/*` requests, once, for every client of the kernel server: the CLI and tests
// (BackendClient: a server process of their own) and the extension (its language client). Each
// supplies a Transport; answers are validated with the protocol's zod schemas and server errors
// become the same BackendError kinds everywhere (e.g. 'problem': the problem file is broken).
import type { z } from 'zod';
import {
  ApplyParams, ApplyResult, EnvironmentResult, ErrorCodes, ExtractParams, Extraction, Methods,
  ValidateProblemResult, VerifyParams, VerifyReport,
} from '../protocol';
import { BackendError } from './errors';

export interface TransportOptions {
  signal?: AbortSignal;
  /** Client-side limit; the server bounds its own work by the request's `timeout`. */
  timeoutMs?: number;
}

export interface Transport {
  /** Sends a request; rejects with a BackendError (use `toBackendError` for server answers). */
  request(method: string, params: unknown, opts: TransportOptions): Promise<unknown>;
  /** Stage messages of `$/progress` for one work-done token; returns the unsubscribe. */
  onStage(token: string, listener: (stage: string) => void): () => void;
}

export interface VerifyRequest {
  problemPath: string;
  candidatePath: string;
  device?: 'cpu' | 'cuda' | `cuda:${number}`;
  timeout?: number;
  benchmark: boolean;
  options?: Record<string, unknown>;
}

export interface RequestOptions {
  /** Stage names from `$/progress` ("queued", "starting", "compiling", "checking", "benchmarking", "done"). */
  onStage?: (stage: string) => void;
  signal?: AbortSignal;
}

/** What the agent loop needs from a verifier. */
export interface Verifier {
  verify(req: VerifyRequest, opts?: RequestOptions): Promise<VerifyReport>;
}

let tokenSeq = 0;

export class KernelClient implements Verifier {
  constructor(private readonly transport: Transport) {}

  async environment(opts: { signal?: AbortSignal } = {}): Promise<EnvironmentResult> {
    return parse(EnvironmentResult, await this.transport.request(Methods.environment, {}, opts), 'environment');
  }

  async validateProblem(problemPath: string, opts: { device?: string; timeout?: number; signal?: AbortSignal } = {}): Promise<ValidateProblemResult> {
    const raw = await this.transport.request(Methods.validateProblem, { problemPath, device: opts.device, timeout: opts.timeout },
      { signal: opts.signal, timeoutMs: guard(opts.timeout) });
    return parse(ValidateProblemResult, raw, 'problem validation');
  }

  async verify(req: VerifyRequest, opts: RequestOptions = {}): Promise<VerifyReport> {
    const token = `tritonize-verify-${process.pid}-${++tokenSeq}`;
    const params = VerifyParams.parse({ ...req, workDoneToken: token });
    const off = opts.onStage ? this.transport.onStage(token, opts.onStage) : undefined;
    try {
      const raw = await this.transport.request(Methods.verify, params, { signal: opts.signal, timeoutMs: guard(req.timeout) });
      return parse(VerifyReport, raw, 'verify report');
    } finally {
      off?.();
    }
  }

  /** Selection → KernelBench problem (runs the file's entry point once to record real shapes). */
  async extract(params: ExtractParams, opts: { signal?: AbortSignal } = {}): Promise<Extraction> {
    const raw = await this.transport.request(Methods.extract, ExtractParams.parse(params),
      { signal: opts.signal, timeoutMs: guard(params.timeout) });
    return parse(Extraction, raw, 'extraction');
  }

  /** The edits that put a verified candidate in place of the selection, checked but not written. */
  async apply(params: ApplyParams, opts: { signal?: AbortSignal } = {}): Promise<ApplyResult> {
    const raw = await this.transport.request(Methods.apply, ApplyParams.parse(params),
      { signal: opts.signal, timeoutMs: guard(params.timeout) * 2 });
    return parse(ApplyResult, raw, 'apply result');
  }
}

/** A server's error answer (any vscode-jsonrpc ResponseError, duck-typed: the extension's language
 * client may carry its own copy of the class) → BackendError. */
export function toBackendError(method: string, err: unknown): BackendError {
  if (err instanceof BackendError) return err;
  const e = err as { code?: unknown; message?: unknown; data?: unknown } | null;
  if (e && typeof e.code === 'number' && typeof e.message === 'string') {
    const data = e.data as { kind?: string; line?: number; missing?: string[]; fix?: string } | undefined;
    if (e.code === ErrorCodes.requestCancelled) return new BackendError('cancelled', `${method} cancelled`, { code: e.code });
    if (data?.missing?.length) return new BackendError('missing_dependency', data.fix ?? e.message, { code: e.code, data });
    if (data?.kind === 'problem') return new BackendError('problem', e.message, { code: e.code, data, line: data.line });
    if (data?.kind === 'selection') return new BackendError('selection', e.message, { code: e.code, data, line: data.line });
    return new BackendError('request_failed', `${method} failed: ${e.message}`, { code: e.code, data });
  }
  return new BackendError('request_failed', `${method} failed: ${err instanceof Error ? err.message : String(err)}`);
}

function parse<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new BackendError('protocol', `The kernel server sent an invalid ${what} (${issues}). `
    + 'The extension and its Python backend may be out of step; reinstall the extension.', { data: raw });
}

/** Client-side limit for a request the server itself bounds by `timeout` seconds. */
function guard(timeoutS?: number): number {
  return ((timeoutS ?? 120) + 120) * 1000;
}
