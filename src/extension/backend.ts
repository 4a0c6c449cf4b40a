// The extension's side of the kernel server: core's KernelClient (the same typed requests, schemas
// and error mapping the CLI uses) over the language client. AbortSignal in, LSP cancellation out
// ($/cancelRequest makes the server kill the worker's process tree); stage names from `$/progress`.
import * as vscode from 'vscode';
import { WorkDoneProgress, type LanguageClient } from 'vscode-languageclient/node';
import {
  KernelClient, toBackendError, type RequestOptions, type Transport, type Verifier, type VerifyRequest,
} from '../core/backend';
import type {
  ApplyParams, ApplyResult, EnvironmentResult, ExtractParams, Extraction, ValidateProblemResult, VerifyReport,
} from '../core/protocol';

export type EnvironmentInfo = EnvironmentResult;

/** LSP error code for a request the client cancelled. */
export const REQUEST_CANCELLED = -32800; // = ErrorCodes.requestCancelled

export class Backend implements Verifier {
  private readonly kernel: KernelClient;

  constructor(client: LanguageClient, log: vscode.LogOutputChannel) {
    this.kernel = new KernelClient(languageClientTransport(client, log));
  }

  environment(): Promise<EnvironmentInfo> {
    return this.kernel.environment();
  }

  validateProblem(problemPath: string, opts: { device?: string; timeout?: number }, signal?: AbortSignal): Promise<ValidateProblemResult> {
    return this.kernel.validateProblem(problemPath, { ...opts, signal });
  }

  verify(params: VerifyRequest, opts: RequestOptions = {}): Promise<VerifyReport> {
    return this.kernel.verify(params, opts);
  }

  extract(params: ExtractParams, signal?: AbortSignal): Promise<Extraction> {
    return this.kernel.extract(params, { signal });
  }

  apply(params: ApplyParams, signal?: AbortSignal): Promise<ApplyResult> {
    return this.kernel.apply(params, { signal });
  }
}

function languageClientTransport(client: LanguageClient, log: vscode.LogOutputChannel): Transport {
  return {
    async request(method, params, { signal }) {
      // Logged: the method and its parameters without file contents or code (never credentials).
      log.info(`→ ${method} ${JSON.stringify(params, (k, v) => (k === 'text' || k === 'candidateCode' ? `<${String(v).length} chars>` : v))}`);
      const cts = new vscode.CancellationTokenSource();
      const onAbort = () => cts.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) cts.cancel();
      const started = Date.now();
      try {
        const raw = await client.sendRequest<unknown>(method, params, cts.token);
        log.info(`← ${method} ok in ${Date.now() - started} ms${summarise(raw)}`);
        return raw;
      } catch (err) {
        const mapped = toBackendError(method, err);
        log.warn(`← ${method} failed in ${Date.now() - started} ms: ${mapped.message}`);
        throw mapped;
      } finally {
        signal?.removeEventListener('abort', onAbort);
        cts.dispose();
      }
    },
    onStage(token, listener) {
      const sub = client.onProgress(WorkDoneProgress.type, token, (v) => { if ('message' in v && v.message) listener(v.message); });
      return () => sub.dispose();
    },
  };
}

function summarise(result: unknown): string {
  if (result && typeof result === 'object' && 'verdict' in result)
    return `: ${(result as { verdict: string }).verdict} — ${(result as { summary?: string }).summary ?? ''}`;
  if (result && typeof result === 'object' && 'ok' in result) return `: ok=${(result as { ok: boolean }).ok}`;
  return '';
}
