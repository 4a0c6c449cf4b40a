// Typed `tritonize/*` requests over the language client. AbortSignal in, LSP cancellation out
// ($/cancelRequest makes the server kill the worker's process tree); stage names from `$/progress`.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { WorkDoneProgress, type LanguageClient } from 'vscode-languageclient/node';
import type { z } from 'zod';
import type { RequestOptions, Verifier, VerifyRequest } from '../core/backend/client';
import {
  EnvironmentResultSchema, Methods, ValidateProblemResultSchema, VerifyReportSchema,
  type EnvironmentResult, type ValidateProblemResult, type VerifyReport,
} from './protocol';

export type EnvironmentInfo = EnvironmentResult;

/** LSP error code for a request the client cancelled. */
export const REQUEST_CANCELLED = -32800; // = ErrorCodes.requestCancelled

export class Backend implements Verifier {
  constructor(private readonly client: LanguageClient, private readonly log: vscode.LogOutputChannel) {}

  environment(): Promise<EnvironmentInfo> {
    return this.request(Methods.environment, {}, EnvironmentResultSchema);
  }

  validateProblem(problemPath: string, opts: { device?: string; timeout?: number }, signal?: AbortSignal): Promise<ValidateProblemResult> {
    return this.request(Methods.validateProblem, { problemPath, ...opts }, ValidateProblemResultSchema, signal);
  }

  /** Same shape as core's `Verifier`, so the agent loop can verify through the language client. */
  async verify(params: VerifyRequest, opts: RequestOptions = {}): Promise<VerifyReport> {
    const { signal, onStage } = opts;
    const token = `tritonize-${randomUUID()}`;
    const sub = onStage
      ? this.client.onProgress(WorkDoneProgress.type, token, (v) => { if (v.message) onStage(v.message); })
      : undefined;
    try {
      return await this.request(Methods.verify, { ...params, workDoneToken: token }, VerifyReportSchema, signal);
    } finally {
      sub?.dispose();
    }
  }

  /** Sends a request and validates the answer: a malformed result is an error here, not a crash later. */
  private async request<S extends z.ZodType>(method: string, params: object, schema: S, signal?: AbortSignal): Promise<z.infer<S>> {
    // Logged: method and parameters (paths, flags) — never file contents or credentials.
    this.log.info(`→ ${method} ${JSON.stringify(params)}`);
    const cts = new vscode.CancellationTokenSource();
    const onAbort = () => cts.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) cts.cancel();
    const started = Date.now();
    try {
      const raw = await this.client.sendRequest<unknown>(method, params, cts.token);
      const parsed = schema.safeParse(raw);
      if (!parsed.success) throw new Error(`The kernel server sent a malformed ${method} result: ${parsed.error.message.slice(0, 300)}`);
      this.log.info(`← ${method} ok in ${Date.now() - started} ms${summarise(parsed.data)}`);
      return parsed.data;
    } catch (err) {
      // A cancel the user asked for is not a warning.
      if (signal?.aborted) this.log.info(`← ${method} cancelled after ${Date.now() - started} ms`);
      else this.log.warn(`← ${method} failed in ${Date.now() - started} ms: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      cts.dispose();
    }
  }
}

function summarise(result: unknown): string {
  if (result && typeof result === 'object' && 'verdict' in result)
    return `: ${(result as { verdict: string }).verdict} — ${(result as { summary?: string }).summary ?? ''}`;
  if (result && typeof result === 'object' && 'ok' in result) return `: ok=${(result as { ok: boolean }).ok}`;
  return '';
}
