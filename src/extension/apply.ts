// "Apply": one WorkspaceEdit (so one Undo) that puts the verified kernel in the user's project and
// replaces the original selection with a call to it. Nothing is written until the user picks where
// the kernel goes; if the original text under the selection changed since the run, we refuse rather
// than overwrite something else.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { callText, importedName, kernelBlock, insertionLine, missingImports, siblingModuleName, type CallSpec, type Candidate } from './applyPlan';

export interface ApplyTarget {
  /** The user's file and the exact range + text the run was generated from. */
  uri: vscode.Uri;
  range: vscode.Range;
  originalText: string;
}

export type Placement = 'same-file' | 'new-module';

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

export async function buildApplyEdit(target: ApplyTarget, cand: Candidate, spec: CallSpec, placement: Placement): Promise<vscode.WorkspaceEdit> {
  const doc = await vscode.workspace.openTextDocument(target.uri);
  const current = doc.getText(target.range);
  if (current !== target.originalText)
    throw new Error(`The selection in ${path.basename(target.uri.fsPath)} changed since this run; select the code again and re-run.`);
  const fileText = doc.getText();
  const { imports, block } = kernelBlock(cand, spec);
  const at = insertionLine(fileText);
  if (target.range.start.line < at) throw new Error('The selection is inside the file\'s import block; cannot place the kernel above it.');
  const edit = new vscode.WorkspaceEdit();
  const meta = { label: 'Apply Triton kernel', needsConfirmation: false };
  const insertPos = new vscode.Position(at, 0);
  const sep = at > 0 && fileText.split('\n')[at - 1]?.trim() !== '' ? '\n' : '';

  if (placement === 'new-module') {
    const moduleName = siblingModuleName(path.basename(target.uri.fsPath, '.py'));
    const moduleUri = vscode.Uri.joinPath(target.uri, '..', `${moduleName}.py`);
    const exists = await vscode.workspace.fs.stat(moduleUri).then(() => true, () => false);
    if (exists) throw new Error(`${moduleName}.py already exists next to the file; choose "Same file" or move it away.`);
    const moduleText = `${imports.join('\n')}\n\n\n${block}`;
    edit.createFile(moduleUri, { contents: new TextEncoder().encode(moduleText) }, meta);
    const importLine = `from ${moduleName} import ${importedName(spec)}`;
    edit.insert(target.uri, insertPos, `${importLine}\n`, meta);
  } else {
    const add = missingImports(fileText, imports);
    edit.insert(target.uri, insertPos, `${sep}${add.length ? add.join('\n') + '\n\n' : ''}\n${block}\n\n`, meta);
  }
  const indent = /^\s*/.exec(doc.lineAt(target.range.start.line).text)?.[0] ?? '';
  // A snippet keeps the whitespace around the selection (e.g. a whole indented line selected).
  const around = spec.kind === 'snippet'
    ? [/^\s*/.exec(target.originalText)![0], /\s*$/.exec(target.originalText)![0]] : ['', ''];
  edit.replace(target.uri, target.range, around[0] + callText(spec, indent) + around[1], meta);
  return edit;
}

/** Applies and saves nothing else: the user sees a dirty editor and can undo with one Ctrl+Z. */
export async function applyCandidate(target: ApplyTarget, cand: Candidate, spec: CallSpec, placement: Placement): Promise<boolean> {
  const edit = await buildApplyEdit(target, cand, spec, placement);
  const ok = await vscode.workspace.applyEdit(edit, { isRefactoring: true });
  if (ok) {
    const editor = await vscode.window.showTextDocument(target.uri, { preview: false });
    editor.revealRange(new vscode.Range(target.range.start, target.range.start), vscode.TextEditorRevealType.InCenter);
  }
  return ok;
}
