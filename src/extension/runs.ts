// The runs the panel shows: the current one (live) and the history (from disk). The host owns this
// state; the panel only renders `PanelState` snapshots of it.
import * as vscode from 'vscode';
import type { ApplySite } from './apply';
import { summarize } from '../core/store';
import type { PanelState, Run, RunSummary } from './protocol';

/** What Apply needs to know about where a run came from (kept in memory for this session). */
export interface RunOrigin {
  uri: vscode.Uri;
  range: vscode.Range;
  originalText: string;
  /** The selection Apply replaces; null when it was already a whole problem. */
  call: ApplySite | null;
}

/** Where `range` is after `change` when the change ends before it (text above, or earlier on its
 * first line); unchanged otherwise (a change inside or after it). */
export function shiftedBy(range: vscode.Range, change: { range: vscode.Range; text: string }): vscode.Range {
  const r = change.range;
  if (r.end.isAfter(range.start)) return range;
  const lines = change.text.split('\n');
  const endLine = r.start.line + lines.length - 1;
  const endChar = lines.length > 1 ? lines[lines.length - 1]!.length : r.start.character + change.text.length;
  const move = (p: vscode.Position) => p.line > r.end.line
    ? p.translate(endLine - r.end.line)
    : new vscode.Position(endLine, endChar + (p.character - r.end.character));
  return new vscode.Range(move(range.start), move(range.end));
}

export class RunsModel {
  private runs = new Map<string, Run>();
  private origins = new Map<string, RunOrigin>();
  private controllers = new Map<string, AbortController>();
  private history: RunSummary[] = [];
  private currentId: string | null = null;
  private selectedId: string | null = null;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  // The code a run replaces moves with edits above it (a line added while Accept waited made the
  // next Apply say "changed": try-out 12); an edit inside it still counts as a change.
  private readonly follow = vscode.workspace.onDidChangeTextDocument((e) => {
    for (const [id, o] of this.origins) {
      if (o.uri.toString() !== e.document.uri.toString()) continue;
      let { range } = o;
      let selection = o.call?.selection;
      for (const c of e.contentChanges) {
        range = shiftedBy(range, c);
        if (selection) selection = shiftedBy(selection, c);
      }
      this.origins.set(id, { ...o, range, call: o.call && selection ? { ...o.call, selection } : o.call });
    }
  });

  state(): PanelState {
    const shown = this.selectedId ?? this.currentId;
    return {
      current: shown ? this.runs.get(shown) ?? null : null,
      history: this.summaries(),
      selectedRunId: this.selectedId,
    };
  }

  private summaries(): RunSummary[] {
    const live = [...this.runs.values()].map((r) => summarize(r));
    const ids = new Set(live.map((s) => s.id));
    return [...live, ...this.history.filter((h) => !ids.has(h.id))].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  setHistory(history: RunSummary[]): void {
    this.history = history;
    this.changed.fire();
  }

  /** Records a run snapshot (the agent loop calls this on every change). */
  update(run: Run): void {
    this.runs.set(run.id, structuredClone(run));
    this.changed.fire();
  }

  start(run: Run, origin: RunOrigin | undefined, controller: AbortController): void {
    this.currentId = run.id;
    this.selectedId = null;
    if (origin) this.origins.set(run.id, origin);
    this.controllers.set(run.id, controller);
    this.update(run);
  }

  finish(runId: string): void {
    this.controllers.delete(runId);
    this.changed.fire();
  }

  select(runId: string | null): void {
    this.selectedId = runId === this.currentId ? null : runId;
    this.changed.fire();
  }

  /** "Clear results": the panel shows no run (they stay in History); a running one stays shown. */
  clearView(): void {
    if (!this.busy) this.currentId = null;
    this.selectedId = null;
    this.changed.fire();
  }

  get(runId: string): Run | undefined {
    return this.runs.get(runId);
  }

  add(run: Run): void {
    this.runs.set(run.id, run);
  }

  origin(runId: string): RunOrigin | undefined {
    return this.origins.get(runId);
  }

  get current(): Run | undefined {
    return this.currentId ? this.runs.get(this.currentId) : undefined;
  }

  /** Aborts a running generation; returns false if there was none. */
  cancel(runId?: string): boolean {
    const id = runId ?? [...this.controllers.keys()].pop();
    const c = id ? this.controllers.get(id) : undefined;
    c?.abort();
    return !!c;
  }

  get busy(): boolean {
    return this.controllers.size > 0;
  }

  dispose(): void {
    this.follow.dispose();
    for (const c of this.controllers.values()) c.abort();
    this.changed.dispose();
  }
}
