// "Generate Triton kernel": selection → problem (confirmed by the user and validated by the server
// before any LLM call) → agent loop (cancellable, live in the panel) → native diff → offer Apply.
// Writes only under `.tritonize/runs/<id>/`; the user's files change only through Apply.
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
// The panel's own naming ("2.1" = turn 2, first candidate), so messages and panel agree.
import { candidateLabel } from '../core/protocol';
import { readSettings } from './config';
import { UserError, type Ctx } from './ctx';
import type { OriginalSelections } from './diff';
import { showCandidateDiff } from './diff';
import { buildProblemDraft, newRunId, runAgentLoop } from './engine';
import type { PanelHost } from './panel';
import type { Run, ValidateProblemResult } from './protocol';
import type { RunsModel } from './runs';

/** Command argument of `tritonize.generate` (all optional; for tests and scripts). */
export interface GenerateOptions {
  /** false: skip the "Looks right / Edit" confirmation (default: setting tritonize.generate.confirmProblem). */
  confirmProblem?: boolean;
  /** false: don't open the diff at the end (default true). */
  showDiff?: boolean;
}

function workspaceRoot(doc: vscode.TextDocument): string {
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri) ?? vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new UserError('Open a folder first: Tritonize keeps runs under <folder>/.tritonize/runs.');
  return folder.uri.fsPath;
}

/** Asks "Looks right / Edit" until the user accepts or cancels. Returns false on cancel. */
async function confirmProblem(problemUri: vscode.Uri, todos: string[]): Promise<boolean> {
  const doc = await vscode.workspace.openTextDocument(problemUri);
  await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Beside });
  const fill = todos.length ? ` Fill in first (marked TODO): ${todos.join('; ')}.` : '';
  for (;;) {
    const pick = await vscode.window.showInformationMessage(
      `Tritonize: this is the problem the model will solve (Model = your selection; get_inputs = example inputs).${fill} Does it look right?`,
      'Looks right', 'Edit', 'Cancel');
    if (pick === 'Looks right') {
      if (doc.isDirty) await doc.save();
      return true;
    }
    if (pick !== 'Edit') return false;
    await vscode.window.showTextDocument(doc, { preview: false });
    const done = await vscode.window.showInformationMessage('Edit problem.py (inputs, shapes, dtypes), then continue.', 'Continue', 'Cancel');
    if (done !== 'Continue') return false;
    if (doc.isDirty) await doc.save();
  }
}

async function ensureApiKey(ctx: Ctx): Promise<string> {
  const key = await ctx.apiKey.get();
  if (key) return key;
  if (await ctx.apiKey.prompt()) return (await ctx.apiKey.get())!;
  throw new UserError('No LLM API key: set one to generate kernels.', ['Set API key']);
}

export async function generate(ctx: Ctx, runs: RunsModel, panel: PanelHost, originals: OriginalSelections, opts: GenerateOptions): Promise<Run | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'python') throw new UserError('Open a Python file and select the PyTorch code to turn into a Triton kernel.');
  if (runs.busy) throw new UserError('A generation is already running: cancel it first (Tritonize: Cancel).');
  const doc = editor.document;
  const selection = editor.selection.isEmpty ? doc.lineAt(editor.selection.active.line).range : editor.selection;
  const selectedText = doc.getText(selection);
  if (!selectedText.trim()) throw new UserError('Select the PyTorch code (an expression or a few statements) first.');
  const root = workspaceRoot(doc);
  const settings = readSettings(doc.uri);

  // 1. The problem, written where the run lives so the server (and the user) can open it.
  const backend = await ctx.backend();
  const draft = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Tritonize: extracting the selection (running the file once to record input shapes)…' },
    () => buildProblemDraft(backend, { fileText: doc.getText(), fileName: doc.fileName, selection }));
  const replaced = draft.replaced;
  const originalText = doc.getText(replaced);
  const runId = newRunId();
  // Same place core's RunStore keeps the run: the problem the user confirms is the one it stores.
  const runDir = path.join(root, '.tritonize', 'runs', runId);
  await mkdir(runDir, { recursive: true });
  const problemPath = path.join(runDir, 'problem.py');
  await writeFile(problemPath, draft.source);
  ctx.log.info(`run ${runId}: problem "${draft.name}" from ${vscode.workspace.asRelativePath(doc.uri)}:${selection.start.line + 1}-${selection.end.line + 1} → ${problemPath}`);
  const problemUri = vscode.Uri.file(problemPath);

  // 2. Confirm and validate before spending tokens.
  const confirm = opts.confirmProblem ?? settings.generate.confirmProblem;
  let inputs: ValidateProblemResult['inputs'] | undefined;
  for (;;) {
    if (confirm && !(await confirmProblem(problemUri, draft.todos))) return undefined;
    const validation = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Tritonize: checking the problem runs…' },
      () => backend.validateProblem(problemPath, { device: settings.device === 'auto' ? undefined : settings.device, timeout: settings.verify.timeoutSeconds }));
    if (validation.ok) { inputs = validation.inputs; break; }
    const line = validation.error?.line ?? null;
    const msg = `The problem does not run${line ? ` (problem.py line ${line})` : ''}: ${validation.error?.message ?? 'unknown error'}`;
    ctx.log.error(`run ${runId}: ${msg}`);
    const shown = await vscode.window.showTextDocument(problemUri, { preview: false });
    if (line) {
      const pos = new vscode.Position(Math.max(0, line - 1), 0);
      shown.selection = new vscode.Selection(pos, pos);
      shown.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
    }
    if (!confirm) throw new UserError(msg, ['Show log']);
    const pick = await vscode.window.showErrorMessage(`Tritonize: ${msg}`, 'Edit and retry', 'Cancel');
    if (pick !== 'Edit and retry') return undefined;
    const go = await vscode.window.showInformationMessage('Fix problem.py, then retry.', 'Retry', 'Cancel');
    if (go !== 'Retry') return undefined;
    if (shown.document.isDirty) await shown.document.save();
  }
  const apiKey = await ensureApiKey(ctx);

  // 3. The agent loop: cancellable from the notification, the panel and `tritonize.cancel`.
  const controller = new AbortController();
  originals.remember(runId, selectedText);
  await panel.reveal();
  let run: Run | undefined;
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Tritonize: ${draft.name}`, cancellable: true },
    async (progress, token) => {
      token.onCancellationRequested(() => controller.abort());
      run = await runAgentLoop({
        runId, root, problemPath, problemName: draft.name, apiKey, settings, backend, log: ctx.log,
        environment: ctx.environment, inputs, signal: controller.signal,
        onStart: (r) => runs.start(r, { uri: doc.uri, range: replaced, originalText, call: draft.call }, controller),
        onUpdate: (r) => {
          runs.update(r);
          const cand = r.candidates[r.candidates.length - 1];
          progress.report({ message: `turn ${r.turn}/${r.maxTurns}${cand ? ` · candidate ${candidateLabel(cand, r)}: ${cand.report?.verdict ?? cand.stage}` : ''}` });
          // Candidate files must be known to the language client so their diagnostics and
          // code lenses arrive; opening (not showing) a document sends didOpen.
          for (const c of r.candidates) if (c.path) void vscode.workspace.openTextDocument(vscode.Uri.file(c.path)).then(undefined, () => undefined);
        },
      });
    },
  ).then(undefined, (err) => { runs.finish(runId); throw err; });
  runs.finish(runId);
  if (!run) return undefined;
  ctx.log.info(`run ${runId}: ${run.status}${run.error ? ` (${run.error})` : ''}; ${run.candidates.length} candidate(s) `
    + `[${run.candidates.map((c) => `${c.id}: ${c.report?.verdict ?? c.stage}`).join(', ')}], best ${run.bestCandidateId ?? 'none'}, `
    + `${run.tokens.prompt} prompt + ${run.tokens.completion} completion tokens`);

  // 4. Result: diff + Apply, or what went wrong.
  const best = run.candidates.find((c) => c.id === run!.bestCandidateId);
  if (run.status === 'cancelled') {
    void vscode.window.showInformationMessage('Tritonize: generation cancelled.');
  } else if (best?.path && best.report?.verdict === 'correct') {
    const label = `candidate ${candidateLabel(best, run)}`;
    if (opts.showDiff !== false) await showCandidateDiff(originals, runId, doc.fileName, best.path, `${label} (correct)`);
    void vscode.window.showInformationMessage(`Tritonize: ${label} is correct — ${best.report.summary}`, 'Apply', 'Show panel').then((pick) => {
      if (pick === 'Apply') void vscode.commands.executeCommand('tritonize.applyCandidate', { runId, candidateId: best.id });
      if (pick === 'Show panel') void panel.reveal();
    });
  } else if (run.status === 'failed' && run.error && /\b40[13]\b|API key/i.test(run.error)) {
    // The loop stops on a rejected key; the fix is one click away.
    void vscode.window.showErrorMessage(`Tritonize: ${run.error}`, 'Set API key').then((pick) => {
      if (pick === 'Set API key') void vscode.commands.executeCommand('tritonize.setApiKey');
    });
  } else {
    const why = run.error ?? `no correct candidate in ${run.turn} turn(s)`;
    void vscode.window.showWarningMessage(`Tritonize: ${why}`, 'Show panel', 'Show log').then((pick) => {
      if (pick === 'Show panel') void panel.reveal();
      if (pick === 'Show log') ctx.log.show();
    });
  }
  return run;
}
