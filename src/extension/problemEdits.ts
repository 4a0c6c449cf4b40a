// The user's edits to a generated problem.py survive a re-run. Each run remembers which draft it
// started from (the text built from the selection); when the user saves that run's problem.py with
// changes (filled-in shapes, other dtypes), the edited text is kept for that draft, and the next
// run from the same selection starts from it instead of the guessed shapes (marked GUESSED).
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runIdOf } from './results';

const EDITS_KEY = 'tritonize.problemEdits';
const RUNS_KEY = 'tritonize.problemDrafts';
/** Kept per workspace; the oldest go first. */
const MAX_KEPT = 50;

type Store = Record<string, { text: string; at: number }>;

export class ProblemEdits implements vscode.Disposable {
  private readonly sub: vscode.Disposable;

  constructor(private readonly state: vscode.Memento) {
    this.sub = vscode.workspace.onDidSaveTextDocument((doc) => void this.onSave(doc));
  }

  static keyOf(draft: string): string {
    return createHash('sha256').update(draft).digest('hex').slice(0, 24);
  }

  /** The user's edited problem for this draft, if they changed one before. */
  lookup(draft: string): string | undefined {
    return this.state.get<Store>(EDITS_KEY, {})[ProblemEdits.keyOf(draft)]?.text;
  }

  /** Ties a run's problem.py to the draft it came from (so a later save is kept for that draft). */
  async track(runId: string, draft: string): Promise<void> {
    const runs = { ...this.state.get<Record<string, string>>(RUNS_KEY, {}), [runId]: ProblemEdits.keyOf(draft) };
    await this.state.update(RUNS_KEY, trim(runs));
  }

  /** Records `text` as the problem for `draft` (dropped again when it equals the draft). */
  async remember(draft: string, text: string): Promise<void> {
    await this.rememberKey(ProblemEdits.keyOf(draft), text, text === draft);
  }

  private async rememberKey(key: string, text: string, same: boolean): Promise<void> {
    const all = { ...this.state.get<Store>(EDITS_KEY, {}) };
    if (same) delete all[key];
    else all[key] = { text, at: Date.now() };
    const kept = Object.entries(all).sort((a, b) => b[1].at - a[1].at).slice(0, MAX_KEPT);
    await this.state.update(EDITS_KEY, Object.fromEntries(kept));
  }

  private async onSave(doc: vscode.TextDocument): Promise<void> {
    if (doc.uri.scheme !== 'file' || path.basename(doc.uri.fsPath) !== 'problem.py') return;
    const runId = runIdOf(doc.uri.fsPath);
    const key = runId ? this.state.get<Record<string, string>>(RUNS_KEY, {})[runId] : undefined;
    if (key) await this.rememberKey(key, doc.getText(), false);
  }

  dispose(): void {
    this.sub.dispose();
  }
}

function trim(runs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(runs).sort((a, b) => b[0].localeCompare(a[0])).slice(0, MAX_KEPT));
}

/** The guessed inputs of the draft still marked in `text`. The backend writes each guessed input of
 * get_inputs as `<value>,  # <input>  # GUESSED: confirm`; deleting the marker (or the line)
 * confirms it. `todos` are the draft's `<input>: <what to do>` lines. */
export function remainingTodos(text: string, todos: string[]): string[] {
  const marked = text.split('\n').filter((line) => line.includes('# GUESSED'));
  if (!marked.length) return [];
  return todos.filter((t) => {
    const input = t.includes(': ') ? t.slice(0, t.indexOf(': ')) : t;
    return marked.some((line) => line.includes(`# ${input}  # GUESSED`));
  });
}
