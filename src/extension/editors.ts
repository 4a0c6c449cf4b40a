// Tab discipline. Generated files (problem.py, candidates) open in one reused editor, reports and
// raw LLM replies open as read-only virtual documents (no "Untitled" buffers to save or discard),
// a file already open anywhere is revealed where it is instead of opened a second time, and a new
// run closes the previous runs' untouched generated tabs.
import * as vscode from 'vscode';
import { isGenerated, runIdOf } from './results';

export const VIEW_SCHEME = 'tritonize-view';
/** Virtual documents whose path starts with their run's id: our views, diff.ts's selection as it
 * was (`tritonize-original`) and apply.ts's end-of-run preview (`tritonize-preview`); named here,
 * not imported, to keep editors.ts free of cycles. */
const RUN_SCHEMES = [VIEW_SCHEME, 'tritonize-original', 'tritonize-preview'];

/** Read-only documents (`tritonize-view:/<runId>/<name>`) whose text the extension supplies. */
export class ReadOnlyViews implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.path) ?? '(no longer available: open it again from the Tritonize panel)\n';
  }

  /** Shows `text` as the read-only document `/<runId>/<name>` in the preview editor; other views
   * close (one slot: a view tab VS Code pinned would otherwise stay beside the new one).
   * `rendered`: a Markdown report opens as VS Code's Markdown preview (locked to it), not as its
   * source (try-out 11 read pipe tables and a JSON block); the source stays one command away. */
  async show(runId: string, name: string, text: string, rendered = false): Promise<void> {
    const uri = vscode.Uri.from({ scheme: VIEW_SCHEME, path: `/${runId}/${name}` });
    this.texts.set(uri.path, text);
    this.changed.fire(uri); // an already open view of the same name shows the new text
    await closeTabsWhere((t) => (t.input instanceof vscode.TabInputText && t.input.uri.scheme === VIEW_SCHEME
      && t.input.uri.toString() !== uri.toString()) || isViewPreview(t));
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await showOnce(doc.uri, { preview: true, viewColumn: sideColumn() }, doc);
    if (!rendered) return;
    // The Markdown preview opens in the active editor's group: the one just shown. Locked, so it
    // keeps showing this report when another Markdown file becomes active.
    const shown = await vscode.commands.executeCommand('markdown.showPreview', uri, [uri], { locked: true }).then(() => true, () => false);
    if (!shown) return; // no Markdown extension: the source stays
    VIEW_PREVIEWS.add(previewLabel(name));
    const source = editor.document.uri.toString();
    await closeTabsWhere((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === source);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Labels of the Markdown previews of our views ("[Preview] report-1.1.md"): the preview is a
 * webview tab, which names no document, only its title. */
const VIEW_PREVIEWS = new Set<string>();
const previewLabel = (name: string) => `[Preview] ${name}`;

function isViewPreview(tab: vscode.Tab): boolean {
  return tab.input instanceof vscode.TabInputWebview && VIEW_PREVIEWS.has(tab.label);
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

/** Closes every tab `pred` picks. Queried afresh after each close: a Tab object goes stale when
 * another tab of its group closes, and closing a stale one failed silently (try-out 12: the proposed
 * module's tab stayed open after Accept, with Accept/Discard buttons that did nothing). */
export async function closeTabsWhere(pred: (tab: vscode.Tab) => boolean): Promise<number> {
  let closed = 0;
  for (let round = 0; round < 200; round++) {
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find(pred);
    if (!tab) break;
    if (!(await vscode.window.tabGroups.close(tab, true).then(() => true, () => false))) break;
    closed += 1;
  }
  return closed;
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

/** Closes tabs of generated files and views that belong to runs other than `keepRunId` (all of
 * them when undefined; unsaved edits are kept open). */
export async function closeOtherRunTabs(keepRunId: string | undefined): Promise<number> {
  return closeTabsWhere((tab) => {
    if (tab.isDirty) return false;
    if (isViewPreview(tab)) return true; // one report preview at a time
    const input = tab.input;
    // A diff's either side: the end-of-run preview's left side is the user's file, its right side
    // a preview document; the candidate diff's right side is the generated file.
    const uris = input instanceof vscode.TabInputText ? [input.uri]
      : input instanceof vscode.TabInputTextDiff ? [input.modified, input.original] : [];
    return uris.some((uri) => {
      const runId = RUN_SCHEMES.includes(uri.scheme) ? uri.path.split('/')[1]
        : uri.scheme === 'file' && isGenerated(uri.fsPath) ? runIdOf(uri.fsPath) : undefined;
      return !!runId && runId !== keepRunId;
    });
  });
}
