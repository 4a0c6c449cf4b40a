// "Apply": the kernel server computes the edit (python-backend/tritonize/extract: the call site,
// the kernel in the same file or a new module, a parse check and a behaviour check on the recorded
// inputs); here it becomes one WorkspaceEdit that needs confirmation, so the user sees VS Code's
// refactor preview of their own file (and of the new module) and accepts or discards it. One undo
// reverts all of it. If the code under the selection changed since the run, we refuse rather than
// overwrite something else.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Extraction, LspRange } from '../core/protocol';
import type { Backend } from './backend';

/** Where a run's selection came from: enough to ask the server for the edit again. */
export interface ApplySite {
  kind: Extraction['kind'];
  name: string;
  /** The user's selection (the server re-extracts from it on the current text). */
  selection: vscode.Range;
}

export interface ApplyTarget {
  /** The user's file and the exact range + text the call replaces. */
  uri: vscode.Uri;
  range: vscode.Range;
  originalText: string;
}

export interface Candidate {
  code: string;
  runId: string;
  candidateId: string;
  summary: string;
}

export type Placement = 'same-file' | 'new-module';

export function siblingModuleName(fileStem: string): string {
  const clean = fileStem.replace(/\W+/g, '_').replace(/^_+|_+$/g, '').toLowerCase() || 'kernel';
  return /^\d/.test(clean) ? `_${clean}_triton` : `${clean}_triton`;
}

export async function pickPlacement(fileUri: vscode.Uri): Promise<Placement | undefined> {
  const stem = path.basename(fileUri.fsPath, '.py');
  const pick = await vscode.window.showQuickPick(
    [
      { label: `$(new-file) New module ${siblingModuleName(stem)}.py next to ${stem}.py`, placement: 'new-module' as const,
        detail: 'Kernel code in its own file; the selection becomes a call imported from it' },
      { label: `$(file-code) Same file (${stem}.py)`, placement: 'same-file' as const,
        detail: 'Kernel code inserted after the imports; the selection becomes a call' },
    ],
    { title: 'Tritonize: where should the kernel go?', ignoreFocusOut: true },
  );
  return pick?.placement;
}

export function toLspRange(r: vscode.Range): LspRange {
  return { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } };
}

export function fromLspRange(r: LspRange): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

export async function buildApplyEdit(backend: Backend, target: ApplyTarget, cand: Candidate, site: ApplySite,
  placement: Placement): Promise<{ edit: vscode.WorkspaceEdit; check: string }> {
  const doc = await vscode.workspace.openTextDocument(target.uri);
  if (doc.getText(target.range) !== target.originalText)
    throw new Error(`The selection in ${path.basename(target.uri.fsPath)} changed since this run; select the code again and re-run.`);
  const res = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Tritonize: checking that the applied code behaves like the original…' },
    () => backend.apply({
      path: target.uri.fsPath, text: doc.getText(), range: toLspRange(site.selection), candidateCode: cand.code,
      placement: placement === 'new-module' ? 'module' : 'same-file', runLabel: `run ${cand.runId}, candidate ${cand.candidateId}`,
    }));
  const edit = new vscode.WorkspaceEdit();
  const check = res.check?.reason ?? 'not checked';
  const meta: vscode.WorkspaceEditEntryMetadata = {
    label: 'Apply Triton kernel', description: `behaviour check: ${check}`, needsConfirmation: true,
  };
  if (res.module) edit.createFile(vscode.Uri.file(res.module.path), { contents: new TextEncoder().encode(res.module.text) }, meta);
  for (const e of res.edits) edit.replace(target.uri, fromLspRange(e.range), e.newText, meta);
  return { edit, check };
}

/** Shows the refactor preview; writes only what the user accepts (the editor stays dirty: one
 * Ctrl+Z reverts the file and the new module). */
export async function applyCandidate(backend: Backend, target: ApplyTarget, cand: Candidate, site: ApplySite,
  placement: Placement): Promise<boolean> {
  const { edit } = await buildApplyEdit(backend, target, cand, site, placement);
  const ok = await vscode.workspace.applyEdit(edit, { isRefactoring: true });
  if (ok) {
    const editor = await vscode.window.showTextDocument(target.uri, { preview: false });
    editor.revealRange(new vscode.Range(target.range.start, target.range.start), vscode.TextEditorRevealType.InCenter);
  }
  return ok;
}
