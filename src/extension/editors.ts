// Tab discipline. Generated files (problem.py, candidates) open in one reused editor, reports and
// raw LLM replies open as read-only virtual documents (no "Untitled" buffers to save or discard),
// a file already open anywhere is revealed where it is instead of opened a second time, and a new
// run closes the previous runs' untouched generated tabs.
import * as vscode from 'vscode';
import { isGenerated, runIdOf } from './results';

export const VIEW_SCHEME = 'tritonize-view';

/** Read-only documents (`tritonize-view:/<runId>/<name>`) whose text the extension supplies. */
export class ReadOnlyViews implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.path) ?? '(no longer available: open it again from the Tritonize panel)\n';
  }

  /** Shows `text` as the read-only document `/<runId>/<name>` in the preview editor; other views
   * close (one slot: a view tab VS Code pinned would otherwise stay beside the new one). */
  async show(runId: string, name: string, text: string): Promise<vscode.TextEditor> {
    const uri = vscode.Uri.from({ scheme: VIEW_SCHEME, path: `/${runId}/${name}` });
    this.texts.set(uri.path, text);
    this.changed.fire(uri); // an already open view of the same name shows the new text
    const others = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText
      && t.input.uri.scheme === VIEW_SCHEME && t.input.uri.toString() !== uri.toString());
    if (others.length) await vscode.window.tabGroups.close(others, true).then(undefined, () => false);
    const doc = await vscode.workspace.openTextDocument(uri);
    return showOnce(doc.uri, { preview: true, viewColumn: sideColumn() }, doc);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** The tab showing `uri` (text editor, or either side of a diff), if any. */
export function findTab(uri: vscode.Uri): vscode.Tab | undefined {
  const key = uri.toString();
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      const input = tab.input;
      if (input instanceof vscode.TabInputText && input.uri.toString() === key) return tab;
    }
  }
  return undefined;
}

/** Whether `uri` is something Tritonize made (a generated file or one of its read-only views). */
function ours(uri: vscode.Uri): boolean {
  return uri.scheme.startsWith('tritonize-') || (uri.scheme === 'file' && isGenerated(uri.fsPath));
}

/** The one editor group Tritonize opens its documents in: right of the user's file (`origin`, else
 * the active editor when it is the user's, else the first group). Opening everything "beside the
 * active editor" made a new group each time the active one was already ours (4 groups of ~270 px
 * in the try-out of session 10). */
export function sideColumn(origin?: vscode.Uri): vscode.ViewColumn {
  const at = origin && findTab(origin)?.group.viewColumn;
  const active = vscode.window.activeTextEditor;
  const base = at ?? (active?.viewColumn && !ours(active.document.uri) ? active.viewColumn : vscode.ViewColumn.One);
  return base + 1;
}

/** Shows `uri` where it is already open; opens it (with `opts`) only when no tab shows it. */
export async function showOnce(uri: vscode.Uri, opts: vscode.TextDocumentShowOptions = {}, doc?: vscode.TextDocument): Promise<vscode.TextEditor> {
  const tab = findTab(uri);
  const document = doc ?? (await vscode.workspace.openTextDocument(uri));
  if (tab) return vscode.window.showTextDocument(document, { ...opts, viewColumn: tab.group.viewColumn, preview: tab.isPreview && opts.preview !== false });
  return vscode.window.showTextDocument(document, opts);
}

/** Closes tabs of generated files and views that belong to runs other than `keepRunId`
 * (unsaved edits are kept open). */
export async function closeOtherRunTabs(keepRunId: string): Promise<number> {
  const stale: vscode.Tab[] = [];
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      if (tab.isDirty) continue;
      const input = tab.input;
      const uris = input instanceof vscode.TabInputText ? [input.uri]
        : input instanceof vscode.TabInputTextDiff ? [input.modified] : [];
      for (const uri of uris) {
        const runId = uri.scheme === VIEW_SCHEME ? uri.path.split('/')[1]
          : uri.scheme === 'file' && isGenerated(uri.fsPath) ? runIdOf(uri.fsPath) : undefined;
        if (runId && runId !== keepRunId) stale.push(tab);
      }
    }
  }
  if (stale.length) await vscode.window.tabGroups.close(stale, true);
  return stale.length;
}
