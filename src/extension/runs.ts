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

export class RunsModel {
  private runs = new Map<string, Run>();
  private origins = new Map<string, RunOrigin>();
  private controllers = new Map<string, AbortController>();
  private history: RunSummary[] = [];
  private currentId: string | null = null;
  private selectedId: string | null = null;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

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
    for (const c of this.controllers.values()) c.abort();
    this.changed.dispose();
  }
}
