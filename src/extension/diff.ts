// The native diff of "what you selected" vs "what Tritonize proposes". The left side is a read-only
// virtual document (scheme `tritonize-original`) holding the selection exactly as it was when the run
// started, so the diff stays meaningful even after the user edits or applies.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { sideColumn } from './editors';

export const ORIGINAL_SCHEME = 'tritonize-original';

export class OriginalSelections implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();

  remember(runId: string, text: string): void {
    this.texts.set(runId, text);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.path.replace(/^\//, '').replace(/\/.*$/, '')) ?? '# (the original selection is no longer available)\n';
  }

  uri(runId: string, fileName: string): vscode.Uri {
    return vscode.Uri.from({ scheme: ORIGINAL_SCHEME, path: `/${runId}/${path.basename(fileName)}` });
  }
}

export async function showCandidateDiff(originals: OriginalSelections, runId: string, fileName: string, candidatePath: string, label: string): Promise<void> {
  await vscode.commands.executeCommand('vscode.diff', originals.uri(runId, fileName), vscode.Uri.file(candidatePath),
    `Tritonize: selection in ${path.basename(fileName)} ↔ ${label}`, { preview: true, viewColumn: sideColumn(vscode.Uri.file(fileName)) });
}
