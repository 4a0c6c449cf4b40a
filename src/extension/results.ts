// Which verification results the editor shows. The kernel server publishes diagnostics for every
// candidate it verifies; shown as they come, they pile up in Problems across runs, sit on files the
// user never opened and colour `.tritonize/` red in the Explorer. This filter sits between the
// language client and VS Code (its `handleDiagnostics` middleware) and keeps, for generated files
// (anything under `.tritonize/`), only those of the current run's files that are open in an editor
// tab and whose candidate was not cancelled. A new run or "Clear results" empties it. Files
// outside `.tritonize/` (a candidate the user verifies by hand) pass through unchanged.
import * as path from 'node:path';
import * as vscode from 'vscode';

const GENERATED = `${path.sep}.tritonize${path.sep}`;

/** `<root>/.tritonize/runs/<id>/…` → `<id>`; undefined for other paths. */
export function runIdOf(fsPath: string): string | undefined {
  const parts = path.normalize(fsPath).split(path.sep);
  const at = parts.lastIndexOf('.tritonize');
  return at >= 0 && parts[at + 1] === 'runs' ? parts[at + 2] : undefined;
}

export function isGenerated(fsPath: string): boolean {
  return path.normalize(fsPath).includes(GENERATED);
}

export class ResultsFilter implements vscode.Disposable {
  /** What the server sent last, per URI (kept so a file opened later gets its diagnostics). */
  private readonly received = new Map<string, { uri: vscode.Uri; diags: vscode.Diagnostic[] }>();
  /** Runs whose results are shown; a new run replaces the set, "Clear results" empties it. */
  private readonly liveRuns = new Set<string>();
  /** Files whose verification was cancelled: a cancel is not a verdict, so nothing is shown. */
  private readonly cancelled = new Set<string>();
  private sink: vscode.DiagnosticCollection | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    // Opening or closing a tab decides whether a generated file's diagnostics are shown.
    this.disposables.push(vscode.window.tabGroups.onDidChangeTabs(() => this.refresh()));
  }

  /** The language client's collection, once it exists (it is created when the client starts). */
  attach(sink: vscode.DiagnosticCollection | undefined): void {
    this.sink = sink;
    this.refresh();
  }

  /** languageclient middleware: remember what came, pass on what may be shown. */
  handle(uri: vscode.Uri, diags: vscode.Diagnostic[], next: (uri: vscode.Uri, diags: vscode.Diagnostic[]) => void): void {
    this.received.set(uri.toString(), { uri, diags });
    next(uri, this.visible(uri) ? diags : []);
  }

  /** A new run starts: earlier runs' results go. */
  beginRun(runId: string): void {
    this.liveRuns.clear();
    this.liveRuns.add(runId);
    this.cancelled.clear();
    this.forgetGenerated((id) => id !== runId);
    this.refresh();
  }

  /** A file of an earlier run was re-verified by the user: its run's results count again. */
  showRun(runId: string): void {
    this.liveRuns.add(runId);
    this.refresh();
  }

  /** A run chosen in History: its results are the ones shown (earlier ones stay received). */
  focusRun(runId: string): void {
    this.liveRuns.clear();
    this.liveRuns.add(runId);
    this.refresh();
  }

  markCancelled(fsPath: string): void {
    this.cancelled.add(path.resolve(fsPath));
    this.refresh();
  }

  /** A file is verified again: a cancel of an earlier verification no longer applies. */
  unmarkCancelled(fsPath: string): void {
    this.cancelled.delete(path.resolve(fsPath));
  }

  /** "Clear results": nothing of any run stays in Problems. Returns how many files were cleared. */
  clear(): number {
    const shown = [...this.received.values()].filter((r) => this.visible(r.uri) && r.diags.length).length;
    this.liveRuns.clear();
    this.cancelled.clear();
    this.forgetGenerated(() => true);
    // Results on files outside .tritonize/ (verified by hand) go too; static warnings come back
    // with the next edit or open.
    for (const r of this.received.values()) this.sink?.set(r.uri, []);
    this.received.clear();
    return shown;
  }

  private forgetGenerated(drop: (runId: string | undefined) => boolean): void {
    for (const [key, r] of this.received) {
      if (isGenerated(r.uri.fsPath) && drop(runIdOf(r.uri.fsPath))) {
        this.sink?.set(r.uri, []);
        this.received.delete(key);
      }
    }
  }

  /** Whether the diagnostics of `uri` are shown now. */
  visible(uri: vscode.Uri): boolean {
    if (uri.scheme !== 'file' || !isGenerated(uri.fsPath)) return true;
    if (this.cancelled.has(path.resolve(uri.fsPath))) return false;
    const runId = runIdOf(uri.fsPath);
    if (!runId || !this.liveRuns.has(runId)) return false;
    return openInTab(uri);
  }

  private refresh(): void {
    if (!this.sink) return;
    for (const r of this.received.values()) this.sink.set(r.uri, this.visible(r.uri) ? r.diags : []);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** Whether some editor tab (text or diff, either side) shows `uri`. */
export function openInTab(uri: vscode.Uri): boolean {
  const key = uri.toString();
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      const input = tab.input;
      if (input instanceof vscode.TabInputText && input.uri.toString() === key) return true;
      if (input instanceof vscode.TabInputTextDiff && (input.modified.toString() === key || input.original.toString() === key)) return true;
    }
  }
  return false;
}
