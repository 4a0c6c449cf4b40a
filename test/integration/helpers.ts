// Shared helpers for the integration suites (run inside the VS Code extension host).
import * as vscode from 'vscode';
import type { TritonizeApi } from '../../src/extension/extension';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';

export const EXTENSION_ID = 'tritonize.tritonize';

export async function api(): Promise<TritonizeApi> {
  const ext = vscode.extensions.getExtension<TritonizeApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed`);
  return ext.isActive ? ext.exports : await ext.activate();
}

export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the integration workspace has no folder open');
  return folder.uri.fsPath;
}

/** Polls `check` until it returns a truthy value or the time is up (then throws with `what`). */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 60_000, everyMs = 200): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}


/** Mocha hooks for a suite that talks to the fake OpenAI server: starts it, points the settings at
 * it (CPU device, `maxTurns` turns), stores a key; undone after the suite. `use` gets the server. */
export function useFakeLlm(maxTurns: number, use: (fake: FakeOpenAI) => void): void {
  const config = () => vscode.workspace.getConfiguration('tritonize');
  let fake: FakeOpenAI | undefined;
  before(async () => {
    fake = await startFakeOpenAI();
    use(fake);
    await config().update('llm.baseUrl', fake.baseURL, vscode.ConfigurationTarget.Global);
    await config().update('llm.model', 'fake-model', vscode.ConfigurationTarget.Global);
    await config().update('agent.maxTurns', maxTurns, vscode.ConfigurationTarget.Global);
    await config().update('device', 'cpu', vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('tritonize.setApiKey', 'sk-fake-integration');
  });
  after(async () => {
    for (const key of ['llm.baseUrl', 'llm.model', 'agent.maxTurns', 'device']) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    const { ctx } = await api();
    await ctx.apiKey.clear();
    await fake?.close();
  });
}
