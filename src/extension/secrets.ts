// The LLM API key. Lives in SecretStorage; `OPENAI_API_KEY` from the extension host's environment is
// the fallback for people who already export it. It is never written to settings or logs, and the
// kernel server's environment is scrubbed of it (see server.ts) because candidates are untrusted code.
import * as vscode from 'vscode';

const KEY = 'tritonize.llm.apiKey';

export class ApiKeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  /** The stored key, else the environment's, else undefined. */
  async get(): Promise<string | undefined> {
    const stored = await this.secrets.get(KEY);
    if (stored) return stored;
    const env = process.env.OPENAI_API_KEY;
    return env && env.trim() ? env.trim() : undefined;
  }

  async set(value: string): Promise<void> {
    await this.secrets.store(KEY, value);
  }

  async clear(): Promise<void> {
    await this.secrets.delete(KEY);
  }

  /** Ask the user for a key (password box). Returns true when one was stored. */
  async prompt(): Promise<boolean> {
    const url = vscode.workspace.getConfiguration('tritonize').get<string>('llm.baseUrl', 'https://api.openai.com/v1');
    const value = await vscode.window.showInputBox({
      title: 'Tritonize: LLM API key',
      prompt: `For ${url} (tritonize.llm.baseUrl). Stored in VS Code secret storage; sent only there.`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'Enter a key, or press Escape to cancel'),
    });
    if (!value) return false;
    await this.set(value.trim());
    void vscode.window.showInformationMessage(`Tritonize: API key stored for ${url}.`);
    return true;
  }
}
