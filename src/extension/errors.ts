// Turning failures into messages a person can act on. Every command handler goes through `guard`,
// so no error escapes as an anonymous "command failed" toast.
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { UserError, errorText } from './ctx';

/** Error shapes we recognise from the openai SDK and the language client, by duck typing. */
function httpStatus(err: unknown): number | undefined {
  const s = (err as { status?: unknown })?.status;
  return typeof s === 'number' ? s : undefined;
}

export function isAbort(err: unknown): boolean {
  const e = err as { name?: string; code?: number } | undefined;
  return e?.name === 'AbortError' || e?.name === 'APIUserAbortError' || e?.code === -32800 ||
    (e?.name === 'LlmError' && (err as { kind?: string }).kind === 'cancelled');
}

export interface Explained { message: string; actions: string[] }

export function explain(err: unknown): Explained & { source?: string } {
  if (err instanceof UserError) return { message: err.message, actions: err.actions, source: err.code };
  // Core's LlmError already has a good message; we only add the button that fixes it.
  const kind = (err as { name?: string; kind?: string })?.name === 'LlmError' ? (err as { kind: string }).kind : undefined;
  if (kind) {
    const actions = kind === 'auth' ? ['Set API key', 'Retry'] : kind === 'model_not_found' || kind === 'network' ? ['Retry', 'Open Settings', 'Show log'] : ['Retry', 'Show log'];
    return { message: errorText(err), actions };
  }
  const status = httpStatus(err);
  if (status === 401 || status === 403)
    return { message: `The LLM API rejected the key (HTTP ${status}). Set a valid key for ${vscode.workspace.getConfiguration('tritonize').get('llm.baseUrl')}.`, actions: ['Set API key'] };
  if (status === 429) return { message: 'The LLM API is rate limiting (HTTP 429). Wait a moment and try again.', actions: ['Show log'] };
  if (status === 404) return { message: `The LLM API answered 404: check tritonize.llm.model and tritonize.llm.baseUrl. (${errorText(err)})`, actions: ['Open Settings'] };
  if (status !== undefined && status >= 500) return { message: `The LLM API failed (HTTP ${status}). Try again later.`, actions: ['Show log'] };
  const name = (err as { name?: string })?.name ?? '';
  if (/Timeout/i.test(name)) return { message: 'The LLM API timed out. Check tritonize.llm.baseUrl or try again.', actions: ['Show log'] };
  if (/Connection/i.test(name)) return { message: `Cannot reach the LLM API: ${errorText(err)}`, actions: ['Retry', 'Open Settings', 'Show log'] };
  return { message: errorText(err), actions: ['Show log'] };
}

export async function showError(ctx: Ctx, err: unknown, retry?: () => unknown): Promise<void> {
  const { message, actions: all, source } = explain(err);
  // "Retry" only where there is something to retry (a command, re-run with its arguments).
  const actions = retry ? all : all.filter((a) => a !== 'Retry');
  ctx.lastError = { message, actions, source };
  ctx.log.error(message);
  const pick = await vscode.window.showErrorMessage(`Tritonize: ${message}`, ...actions);
  if (pick === 'Retry') retry?.();
  else await runAction(ctx, pick);
}

export async function runAction(ctx: Ctx, action: string | undefined): Promise<void> {
  switch (action) {
    case 'Set API key': await vscode.commands.executeCommand('tritonize.setApiKey'); break;
    case 'Show log': ctx.log.show(); break;
    case 'Select interpreter': await vscode.commands.executeCommand('tritonize.selectInterpreter'); break;
    case 'Open Settings': await vscode.commands.executeCommand('workbench.action.openSettings', 'tritonize'); break;
  }
}

/** Wraps a command handler: errors become actionable messages (Retry runs it again with the same
 * arguments), cancellations are silent. */
export function guard<A extends unknown[]>(ctx: Ctx, fn: (...args: A) => Promise<unknown>): (...args: A) => Promise<unknown> {
  const wrapped = async (...args: A): Promise<unknown> => {
    try {
      return await fn(...args);
    } catch (err) {
      if (isAbort(err)) return undefined;
      // Not awaited: the command resolves now, the message waits for the user on its own.
      void showError(ctx, err, () => void wrapped(...args));
      return undefined;
    }
  };
  return wrapped;
}
