// "Apply": the kernel server computes the edit (python-backend/tritonize/extract: the call site,
// the kernel in the same file or a new module, a parse check and a behaviour check on the recorded
// inputs). The user sees a diff of their own file against the proposed text (and the new module)
// and picks Accept or Discard (also the commands tritonize.acceptApply / tritonize.discardApply);
// nothing is written before Accept, and then as one WorkspaceEdit: one undo reverts all of it.
// (VS Code's refactor preview, `needsConfirmation`, did not resolve its preview documents in
// code-server's remote workbench, so the diff is ours.) If the code under the selection changed
// since the run, we refuse rather than overwrite something else.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BackendError } from '../core/backend';
import { applyTextEdits, type Extraction, type LspRange } from '../core/protocol';
import type { Backend } from './backend';
import { askEntryPoint, entryFor } from './entryPoint';
import { closeTabsWhere, findTab, showOnce, sideColumn } from './editors';
import type { Questions } from './questions';

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
  /** The report's flag shape_restricted: the kernel declined other sizes than the verified ones. */
  exactSizes?: boolean;
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

/** Recent server answers keyed by the exact request they answered (file text included), so a
 * preview followed by Apply, or clicking between candidates, runs the user's code once each. */
const answers = new Map<string, Awaited<ReturnType<Backend['apply']>>>();
const KEPT_ANSWERS = 8;

export async function buildApplyEdit(backend: Backend, target: ApplyTarget, cand: Candidate, site: ApplySite,
  placement: Placement, inferenceOnly = false, quiet = false): Promise<{ edit: vscode.WorkspaceEdit; check: string; proposed: string;
    module: { uri: vscode.Uri; text: string } | null; sourceText: string }> {
  const doc = await vscode.workspace.openTextDocument(target.uri);
  if (doc.getText(target.range) !== target.originalText)
    throw new Error(`The selection in ${path.basename(target.uri.fsPath)} changed since this run; select the code again and re-run.`);
  // The recording runs the program as saved: typed lines not yet saved moved the selection away
  // from what ran ("the entry point finished without running the selected code", or inputs of
  // other code), which the CPU interpreter's slow start used to hide behind VS Code's own save.
  if (doc.isDirty) {
    if (quiet) throw new Error(`${path.basename(target.uri.fsPath)} has unsaved changes: the Apply preview waits for a save.`);
    if (!(await doc.save())) throw new Error(`${path.basename(target.uri.fsPath)} could not be saved; Apply records the inputs by running the saved program.`);
  }
  const defaultEntry = entryFor(target.uri);
  const params = {
    path: target.uri.fsPath, text: doc.getText(), range: toLspRange(site.selection), candidateCode: cand.code,
    placement: placement === 'new-module' ? 'module' as const : 'same-file' as const, runLabel: `run ${cand.runId}, candidate ${cand.candidateId}`,
    ...(inferenceOnly ? { inferenceOnly: true } : {}),
    // The verifier's flag: the kernel raised at other sizes than the problem's, so only these run.
    ...(cand.exactSizes ? { exactSizes: true } : {}),
    ...(defaultEntry ? { defaultEntry } : {}),
  };
  // The end-of-run preview already ran the behaviour check on this very text: Apply right after
  // reuses it instead of running the user's code twice more (13-29 s in the try-out, session 7).
  const key = JSON.stringify(params);
  // The end-of-run preview works in the background (status bar); Apply, which the user asked for,
  // says what it waits for in a notification.
  const res = answers.get(key) ?? await vscode.window.withProgress(
    quiet ? { location: vscode.ProgressLocation.Window, title: 'Tritonize: preparing the Apply preview' }
      : { location: vscode.ProgressLocation.Notification, title: 'Tritonize: checking that the applied code behaves like the original…' },
    () => backend.apply(params));
  answers.delete(key);
  answers.set(key, res);
  for (const old of answers.keys()) if (answers.size > KEPT_ANSWERS) answers.delete(old);
  const edit = new vscode.WorkspaceEdit();
  const check = res.check?.reason ?? 'not checked';
  const meta: vscode.WorkspaceEditEntryMetadata = { label: 'Apply Triton kernel', needsConfirmation: false };
  const module = res.module ? { uri: vscode.Uri.file(res.module.path), text: res.module.text } : null;
  if (module) edit.createFile(module.uri, { contents: new TextEncoder().encode(module.text) }, meta);
  for (const e of res.edits) edit.replace(target.uri, fromLspRange(e.range), e.newText, meta);
  return { edit, check, proposed: applyTextEdits(doc.getText(), res.edits), module, sourceText: params.text };
}

const PROPOSED_SCHEME = 'tritonize-proposed';
// Read-only look at what Apply would do, opened when a run ends: its own scheme, so the
// Accept/Discard title buttons (contributed for PROPOSED_SCHEME) do not show on it.
const PREVIEW_SCHEME = 'tritonize-preview';
const proposals = new Map<string, string>();

/** At activation: the proposed-text provider and the Accept/Discard commands (contributed as
 * buttons on the proposed diff; they answer the open "accept-apply" question). */
export function registerPreview(questions: Questions): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.workspace.registerTextDocumentContentProvider(PROPOSED_SCHEME, { provideTextDocumentContent: (uri) => proposals.get(uri.path) ?? '' }),
    vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, { provideTextDocumentContent: (uri) => proposals.get(`preview:${uri.path}`) ?? '' }),
    vscode.commands.registerCommand('tritonize.acceptApply', () => questions.answerKind('accept-apply', 'Accept', 'title bar')),
    vscode.commands.registerCommand('tritonize.discardApply', () => questions.answerKind('accept-apply', 'Discard', 'title bar')),
  );
}

/** Shows the diff of the user's file (and the new module), writes only on Accept (the editor stays
 * dirty: one Ctrl+Z reverts the file and the new module). */
export async function applyCandidate(backend: Backend, questions: Questions, target: ApplyTarget, cand: Candidate, site: ApplySite,
  placement: Placement): Promise<boolean> {
  if (questions.kind === 'accept-apply') throw new Error('Another Apply is waiting for Accept or Discard.');
  let built: Awaited<ReturnType<typeof buildApplyEdit>> | undefined;
  let inferenceOnly = false;
  while (!built) {
    try {
      built = await buildApplyEdit(backend, target, cand, site, placement, inferenceOnly);
    } catch (err) {
      const reason = err instanceof BackendError ? (err.details.data as { reason?: string } | undefined)?.reason : undefined;
      if (reason === 'guessed') {
        // No entry point ran the code: Apply needs the real inputs; the user names the command.
        const pick = await vscode.window.showWarningMessage(`Tritonize: ${(err as Error).message}`, { modal: true }, 'Set entry point…');
        if (pick !== 'Set entry point…' || !(await askEntryPoint(target.uri))) return false;
        continue;
      }
      // Inputs that require grad where gradients are on: the user may know this code is inference
      // only; they say so explicitly (the kernel has no backward), never by default.
      if (reason !== 'autograd' || inferenceOnly) throw err;
      const text = (err as Error).message.replace(/apply with --inference-only/g, 'choose "Apply for inference only" (a backward through the kernel then raises)');
      const pick = await vscode.window.showWarningMessage(`Tritonize: ${text}`, { modal: true }, 'Apply for inference only');
      if (pick !== 'Apply for inference only') return false;
      inferenceOnly = true;
    }
  }
  const { edit, check, proposed, module } = built;
  const name = path.basename(target.uri.fsPath);
  const proposedUri = vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: `/${Date.now()}/${name}` });
  proposals.set(proposedUri.path, proposed);
  let moduleUri: vscode.Uri | null = null;
  // The user's file as a diff where it is open; the new module beside it, not as a preview tab (the
  // diff, opened after, replaced a preview module tab: the try-out never saw the new file).
  const column = findTab(target.uri)?.group.viewColumn ?? vscode.ViewColumn.Active;
  await vscode.commands.executeCommand('vscode.diff', target.uri, proposedUri, `Tritonize Apply: ${name} ↔ proposed`, { preview: true, viewColumn: column });
  if (module) {
    moduleUri = vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: `/${Date.now()}/${path.basename(module.uri.fsPath)}` });
    proposals.set(moduleUri.path, module.text);
    await vscode.window.showTextDocument(moduleUri, { preview: false, viewColumn: sideColumn(target.uri), preserveFocus: true });
  }
  const what = module ? `${name} and a new ${path.basename(module.uri.fsPath)}` : name;
  const accepted = (await questions.ask('accept-apply', `apply the Triton kernel to ${what}? Behaviour check: ${check}.`, ['Accept', 'Discard'])) === 'Accept';
  // The proposed diff and module, and the end-of-run preview (it showed the same edit), close.
  await closeTabsWhere((tab) => {
    const input = tab.input as { modified?: vscode.Uri; uri?: vscode.Uri } | undefined;
    const shown = input?.modified ?? input?.uri;
    return shown?.scheme === PROPOSED_SCHEME || shown?.scheme === PREVIEW_SCHEME;
  });
  proposals.delete(proposedUri.path);
  if (moduleUri) proposals.delete(moduleUri.path);
  if (!accepted) return false;
  // The edit was computed from the text as it was then; typed into since, its ranges point
  // elsewhere (try-out 12: the call landed inside a comment line, and "applied" was said).
  const now = await vscode.workspace.openTextDocument(target.uri);
  if (now.getText() !== built.sourceText)
    throw new Error(`${name} changed while the Apply waited for Accept; nothing was written. Apply again to compute the edit on the current text.`);
  const ok = await vscode.workspace.applyEdit(edit);
  if (ok) {
    const editor = await showOnce(target.uri, { preview: false }); // where it is open, not a second editor
    editor.revealRange(new vscode.Range(target.range.start, target.range.start), vscode.TextEditorRevealType.InCenter);
  }
  return ok;
}

/** When a run ends with a correct candidate: the diff of the user's own file against what Apply
 * would write there (the edit itself, behaviour-checked by the server), not the selection against
 * the candidate module. Writes nothing; Apply recomputes on the then-current text. Throws what the
 * server refused (the caller falls back to the candidate). */
export async function previewApply(backend: Backend, target: ApplyTarget, cand: Candidate, site: ApplySite,
  placement: Placement, label: string, quiet = false): Promise<void> {
  const { proposed, module } = await buildApplyEdit(backend, target, cand, site, placement, false, quiet);
  const name = path.basename(target.uri.fsPath);
  const stamp = Date.now();
  // The run in the path: a new run, a History choice or "Clear results" closes it (editors.ts).
  const uri = vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: `/${cand.runId}/${stamp}/${name}` });
  // One preview at a time: older ones are dropped with their tabs' content.
  for (const key of [...proposals.keys()]) if (key.startsWith('preview:')) proposals.delete(key);
  proposals.set(`preview:${uri.path}`, proposed);
  const where = module ? `, kernel in a new ${path.basename(module.uri.fsPath)}` : ', kernel in the same file';
  // Quiet (the end of a run): shown beside the file without taking the focus (try-out 12).
  await vscode.commands.executeCommand('vscode.diff', target.uri, uri, `Tritonize: ${name} after Apply of ${label}${where} (preview)`,
    { preview: true, viewColumn: sideColumn(target.uri), preserveFocus: quiet });
}
