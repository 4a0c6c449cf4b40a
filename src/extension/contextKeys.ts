// Context keys behind package.json's `when` clauses, so commands show only where they apply:
// "Verify/Benchmark this candidate" in a candidate file, "Apply best candidate" once a run of this
// session has a correct one, "Cancel" while a generation runs.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isGenerated } from './results';
import type { RunsModel } from './runs';

export const KEYS = {
  activeIsCandidate: 'tritonize.activeIsCandidate',
  canApply: 'tritonize.canApply',
  running: 'tritonize.running',
  interpreterSet: 'tritonize.interpreterSet',
  apiKeySet: 'tritonize.apiKeySet',
} as const;

/** A file the candidate commands apply to: a generated `cand-*.py`, or a module defining
 * `ModelNew` (a plain text test, only to decide whether the menu item shows; the backend judges). */
export function looksLikeCandidate(doc: vscode.TextDocument): boolean {
  if (doc.languageId !== 'python' || doc.uri.scheme !== 'file') return false;
  if (isGenerated(doc.uri.fsPath)) return /^cand-/.test(path.basename(doc.uri.fsPath));
  return doc.getText().includes('class ModelNew');
}

export function trackContextKeys(runs: RunsModel): vscode.Disposable {
  const set = (key: string, value: boolean) => void vscode.commands.executeCommand('setContext', key, value);
  const onEditor = () => {
    const doc = vscode.window.activeTextEditor?.document;
    set(KEYS.activeIsCandidate, !!doc && looksLikeCandidate(doc));
  };
  const onRuns = () => {
    set(KEYS.running, runs.busy);
    const run = runs.current;
    set(KEYS.canApply, !!run && !!runs.origin(run.id)?.call && run.candidates.some((c) => c.report?.verdict === 'correct'));
  };
  onEditor();
  onRuns();
  const subs = [
    vscode.window.onDidChangeActiveTextEditor(onEditor),
    vscode.workspace.onDidSaveTextDocument((d) => { if (d === vscode.window.activeTextEditor?.document) onEditor(); }),
    runs.onDidChange(onRuns),
  ];
  return vscode.Disposable.from(...subs);
}

/** Walkthrough completion for what is already set up (by `npm start`, or in an earlier session):
 * the interpreter setting has a value; an API key is stored. */
export function trackSetupKeys(secrets: vscode.SecretStorage, hasApiKey: () => Promise<boolean>): vscode.Disposable {
  const set = (key: string, value: boolean) => void vscode.commands.executeCommand('setContext', key, value);
  const onConfig = () => set(KEYS.interpreterSet, !!vscode.workspace.getConfiguration('tritonize').get<string>('python.interpreter'));
  const onSecrets = () => void hasApiKey().then((has) => set(KEYS.apiKeySet, has), () => undefined);
  onConfig();
  onSecrets();
  return vscode.Disposable.from(
    vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('tritonize.python.interpreter')) onConfig(); }),
    secrets.onDidChange(onSecrets),
  );
}
