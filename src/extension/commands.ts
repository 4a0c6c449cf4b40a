// Command handlers. Each one is small and delegates: generation to generate.ts, applying to apply.ts,
// verification to the backend. Commands that run code re-check Workspace Trust even though
// package.json hides them in untrusted workspaces (a keybinding or another extension can still call them).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { candidateLabel, reducedSuffix, shapeRestricted } from '../core/protocol/view';
import { candidateReportMarkdown } from '../core/protocol/reportMarkdown';
import { applyCandidate, pickPlacement, previewApply, type Placement } from './apply';
import { readSettings, verifyOptions } from './config';
import { closeOtherRunTabs, showOnce, sideColumn, type ReadOnlyViews } from './editors';
import { runIdOf } from './results';
import { UserError, type Ctx } from './ctx';
import { OriginalSelections, showCandidateDiff } from './diff';
import { guard } from './errors';
import { generate, retryLastRun, type GenerateOptions } from './generate';
import { selectInterpreter } from './interpreter';
import type { PanelHost } from './panel';
import type { Candidate, PanelToHostMessage, Run } from './protocol';
import { loadRunHistory, loadRun, reportMarkdown } from './history';
import type { RunsModel } from './runs';

export interface Commands {
  disposables: vscode.Disposable[];
  onPanelMessage(msg: PanelToHostMessage): Promise<void>;
  loadHistory(): Promise<void>;
}

function requireTrust(): void {
  if (!vscode.workspace.isTrusted) throw new UserError('This workspace is not trusted: Tritonize runs no code here. Trust the workspace to generate or verify kernels.');
}

function asUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string') return arg.includes('://') || arg.startsWith('file:') ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  if (arg && typeof arg === 'object' && 'fsPath' in arg) return vscode.Uri.file(String((arg as { fsPath: string }).fsPath));
  return undefined;
}

export function registerCommands(ctx: Ctx, runs: RunsModel, panel: PanelHost, originals: OriginalSelections, views: ReadOnlyViews): Commands {
  const reg = (id: string, fn: (...args: any[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guard(ctx, fn));

  /** Finds the run and candidate a file belongs to (runs kept in memory, else its run.json). */
  async function candidateOf(file: vscode.Uri): Promise<{ run: Run; cand: Candidate } | undefined> {
    const same = (p: string | null) => !!p && path.resolve(p) === path.resolve(file.fsPath);
    for (const run of [runs.current, ...runs.state().history.map((h) => runs.get(h.id))]) {
      const cand = run?.candidates.find((c) => same(c.path));
      if (run && cand) return { run, cand };
    }
    const run = await loadRun(path.dirname(file.fsPath));
    const cand = run?.candidates.find((c) => same(c.path) || (c.path && path.basename(c.path) === path.basename(file.fsPath)));
    if (run && cand) { runs.add(run); return { run, cand }; }
    return undefined;
  }

  /** Problem file for a candidate: its run's, else problem.py next to it, else the user picks. */
  async function problemFor(file: vscode.Uri): Promise<string | undefined> {
    const owner = await candidateOf(file);
    if (owner) return owner.run.problemPath;
    const sibling = vscode.Uri.joinPath(file, '..', 'problem.py');
    if (await vscode.workspace.fs.stat(sibling).then(() => true, () => false)) return sibling.fsPath;
    const found = (await vscode.workspace.findFiles('**/*.py', '**/{node_modules,.venv,.git}/**', 500))
      .filter((u) => u.fsPath !== file.fsPath && /problem|level|reference|model/i.test(path.basename(u.fsPath)));
    const items: Array<vscode.QuickPickItem & { uri?: vscode.Uri }> = found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u }));
    items.push({ label: '$(folder-opened) Browse…' });
    const pick = await vscode.window.showQuickPick(items, { title: `Tritonize: which problem does ${path.basename(file.fsPath)} solve?`, placeHolder: 'A KernelBench-style file with Model, get_inputs, get_init_inputs' });
    if (!pick) return undefined;
    if (pick.uri) return pick.uri.fsPath;
    const chosen = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Python: ['py'] }, openLabel: 'Use as problem' });
    return chosen?.[0]?.fsPath;
  }

  async function verifyFile(arg: unknown, benchmark: boolean): Promise<unknown> {
    requireTrust();
    const file = asUri(arg) ?? vscode.window.activeTextEditor?.document.uri;
    if (!file || file.scheme !== 'file') throw new UserError('Open a candidate .py file (a module defining ModelNew) first.');
    // Saved text is what the worker runs; an unsaved edit would be silently ignored otherwise.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === file.toString());
    if (open?.isDirty) await open.save();
    // Opening it makes the language client send didOpen, so diagnostics/code lenses follow it.
    await vscode.workspace.openTextDocument(file);
    const problemPath = await problemFor(file);
    if (!problemPath) return undefined;
    const backend = await ctx.backend();
    const s = readSettings(file);
    const owner = await candidateOf(file);
    // Verified again on purpose: its run's results are shown again, an earlier cancel is void.
    const runId = runIdOf(file.fsPath);
    if (runId) ctx.results.showRun(runId);
    ctx.results.unmarkCancelled(file.fsPath);
    const device = s.device === 'auto' ? (ctx.environment?.interpreter === false ? 'cuda' : 'cpu') : s.device;
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Tritonize: ${benchmark ? 'benchmarking' : 'verifying'} ${path.basename(file.fsPath)}`, cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        return backend.verify({
          problemPath, candidatePath: file.fsPath, benchmark,
          device: s.device === 'auto' ? undefined : s.device,
          timeout: s.verify.timeoutSeconds, options: verifyOptions(s, device),
        }, { signal: ac.signal, onStage: (stage) => progress.report({ message: stage }) });
      },
    );
    if (!report) return undefined;
    if (owner) {
      owner.cand.report = report;
      runs.update(owner.run);
    }
    const ok = report.verdict === 'correct';
    const reduced = reducedSuffix(report);
    const text = `Tritonize: ${path.basename(file.fsPath)} — ${report.verdict}: ${report.summary}${reduced}`;
    ctx.log.info(`verify ${vscode.workspace.asRelativePath(file)}: ${report.verdict} — ${report.summary}${reduced}`);
    void (ok ? vscode.window.showInformationMessage(text) : vscode.window.showWarningMessage(text, 'Show problems'))
      .then((pick) => { if (pick === 'Show problems') void vscode.commands.executeCommand('workbench.actions.view.problems'); });
    return report;
  }

  async function applyFromRun(runId?: string, candidateId?: string, placementArg?: Placement): Promise<boolean> {
    requireTrust();
    const run = runId ? runs.get(runId) : runs.current;
    if (!run) throw new UserError('No Tritonize run to apply from. Generate a kernel first.');
    const cand = run.candidates.find((c) => c.id === (candidateId ?? run.bestCandidateId));
    if (!cand) throw new UserError('This run has no correct candidate to apply.');
    if (cand.report?.verdict !== 'correct') {
      const go = await vscode.window.showWarningMessage(`Candidate ${candidateLabel(cand, run)} is not verified correct (${cand.report?.verdict ?? 'not run'}). Apply anyway?`, { modal: true }, 'Apply anyway');
      if (go !== 'Apply anyway') return false;
    }
    const origin = runs.origin(run.id);
    if (!origin) throw new UserError('This run was not started from a selection in this session, so there is nothing to replace. Open the candidate and copy what you need.');
    if (!origin.call) throw new UserError('The selection was a whole KernelBench problem, so there is no call site to replace: use "Open diff" and copy the candidate.');
    // Before asking where the kernel goes: the code this run replaces must still be there (a second
    // Apply of the same run was asked for a placement, then refused; try-out 10).
    const now = await vscode.workspace.openTextDocument(origin.uri);
    if (now.getText(origin.range) !== origin.originalText)
      throw new UserError(`The code this run replaces in ${path.basename(origin.uri.fsPath)} has changed (or was applied already); select it again and re-run.`);
    const placement = placementArg ?? (await pickPlacement(origin.uri));
    if (!placement) return false;
    const label = candidateLabel(cand, run);
    const where = `${vscode.workspace.asRelativePath(origin.uri)}:${origin.range.start.line + 1}`;
    ctx.log.info(`apply: candidate ${label} of run ${run.id} (${cand.report?.verdict ?? 'not verified'}) into ${where} as ${placement}`);
    try {
      const applied = await applyCandidate(await ctx.backend(), ctx.questions, origin, { code: cand.code, runId: run.id, candidateId: cand.id, summary: cand.report?.summary ?? '', exactSizes: shapeRestricted(cand.report) }, origin.call, placement);
      if (applied) {
        ctx.log.info(`apply: candidate ${label} applied to ${where}`);
        // Verified in the interpreter: the edited program needs it too on a machine without a GPU.
        const cpu = cand.report?.device?.interpreter
          ? ' There is no CUDA GPU here: run the program with TRITON_INTERPRET=1 (Triton\'s CPU interpreter).' : '';
        void vscode.window.showInformationMessage(`Tritonize: candidate ${label} applied to ${where}; one undo (Ctrl+Z) reverts it.${cpu}`);
      }
      else ctx.log.info(`apply: candidate ${label} not applied (cancelled or refused)`);
      return applied;
    } catch (err) {
      ctx.log.error(`apply: candidate ${label} failed: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  /** A correct candidate with a call site to replace: the user's file as Apply would change it
   * (the edit itself, behaviour-checked; the end-of-run preview). Otherwise, or when the server
   * refuses the edit, the selection next to the candidate's code, titled as such. */
  async function openDiff(runId: string, candidateId: string): Promise<void> {
    const run = runs.get(runId);
    const cand = run?.candidates.find((c) => c.id === candidateId);
    if (!run || !cand?.path) throw new UserError('That candidate has no file yet.');
    const origin = runs.origin(runId);
    const verdict = cand.report?.verdict ?? cand.stage;
    const label = `candidate ${candidateLabel(cand, run)}`;
    if (origin?.call && verdict === 'correct') {
      try {
        await previewApply(await ctx.backend(), origin, { code: cand.code, runId, candidateId, summary: cand.report?.summary ?? '', exactSizes: shapeRestricted(cand.report) },
          origin.call, 'new-module', label);
        return;
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        ctx.log.info(`apply preview of ${label} not available (${why}); showing its code instead`);
        void vscode.window.showWarningMessage(`Tritonize: cannot preview the edit of ${label} (${why}). Showing its code next to your selection.`);
      }
    }
    if (origin) await showCandidateDiff(originals, runId, origin.uri.fsPath, cand.path, `${label} code (${verdict}${verdict === 'correct' ? '' : ', not applied'})`);
    // A run from an earlier session: its problem.py holds the original code as `Model`.
    else await vscode.commands.executeCommand('vscode.diff', vscode.Uri.file(run.problemPath), vscode.Uri.file(cand.path), `Tritonize: problem ↔ ${label}`,
      { preview: true, viewColumn: sideColumn() });
  }

  /** A run's best candidate (else its newest with a file) beside what it replaces, titled with the
   * run's start time so two runs' "candidate 1.1" are told apart. Cheap: nothing runs. */
  async function showRunCandidate(run: Run): Promise<void> {
    const cand = run.candidates.find((c) => c.id === run.bestCandidateId && c.path) ?? [...run.candidates].reverse().find((c) => c.path);
    if (!cand?.path) return;
    const at = new Date(run.startedAt);
    const when = Number.isNaN(at.getTime()) ? run.id : at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    const label = `candidate ${candidateLabel(cand, run)} of the ${when} run (${cand.report?.verdict ?? cand.stage})`;
    const origin = runs.origin(run.id);
    if (origin) await showCandidateDiff(originals, run.id, origin.uri.fsPath, cand.path, label);
    else await vscode.commands.executeCommand('vscode.diff', vscode.Uri.file(run.problemPath), vscode.Uri.file(cand.path),
      `Tritonize: problem ↔ ${label}`, { preview: true, viewColumn: sideColumn() });
  }

  async function onPanelMessage(msg: PanelToHostMessage): Promise<void> {
    switch (msg.type) {
      case 'apply': await applyFromRun(msg.runId, msg.candidateId); break;
      case 'openDiff': await openDiff(msg.runId, msg.candidateId); break;
      case 'openReport': {
        // A read-only view in the preview editor: no Untitled buffer to save or discard.
        const run = runs.get(msg.runId);
        const cand = run?.candidates.find((c) => c.id === msg.candidateId);
        if (!run || !cand?.report) throw new UserError('That candidate has no report yet.');
        await views.show(run.id, `report-${candidateLabel(cand, run)}.md`, candidateReportMarkdown(run, cand), true);
        break;
      }
      case 'openReply': {
        const run = runs.get(msg.runId);
        const cand = run?.candidates.find((c) => c.id === msg.candidateId);
        if (!run || !cand) throw new UserError('Unknown candidate.');
        await views.show(run.id, `reply-${candidateLabel(cand, run)}.md`, replyText(cand, candidateLabel(cand, run)));
        break;
      }
      case 'reverify':
      case 'benchmark': {
        const cand = runs.get(msg.runId)?.candidates.find((c) => c.id === msg.candidateId);
        if (cand?.path) await verifyFile(vscode.Uri.file(cand.path), msg.type === 'benchmark');
        break;
      }
      case 'cancel': runs.cancel(msg.runId); break;
      case 'selectRun': {
        if (!runs.get(msg.runId)) {
          const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
          const run = root ? await loadRun(path.join(root, '.tritonize', 'runs', msg.runId)) : undefined;
          if (run) runs.add(run);
        }
        runs.select(msg.runId);
        // The editors follow: the other runs' generated tabs close, Problems shows this run's
        // results, and where a run's tabs were open, this run's best candidate takes their place
        // (try-out 10 saw the newest run's "candidate 1.1" after choosing an older run).
        ctx.results.focusRun(msg.runId);
        const closed = await closeOtherRunTabs(msg.runId);
        const chosen = runs.get(msg.runId);
        if (closed && chosen) await showRunCandidate(chosen);
        break;
      }
      case 'copyReport':
      case 'exportReport': {
        const run = runs.get(msg.runId);
        if (!run) throw new UserError('Unknown run.');
        const text = msg.format === 'json' ? JSON.stringify(run, null, 2) : reportMarkdown(run);
        if (msg.type === 'copyReport') {
          await vscode.env.clipboard.writeText(text);
          void vscode.window.showInformationMessage('Tritonize: report copied.');
        } else {
          const target = await vscode.window.showSaveDialog({ filters: msg.format === 'json' ? { JSON: ['json'] } : { Markdown: ['md'] },
            defaultUri: vscode.Uri.file(path.join(path.dirname(run.problemPath), `report.${msg.format === 'json' ? 'json' : 'md'}`)) });
          if (target) await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
        }
        break;
      }
      case 'answer':
        if (!ctx.questions.answer(msg.questionId, msg.action, 'panel'))
          vscode.window.setStatusBarMessage('Tritonize: that question was already answered', 4000);
        break;
      case 'ready': break;
    }
  }

  const disposables = [
    reg('tritonize.generate', async (opts?: GenerateOptions) => { requireTrust(); return generate(ctx, runs, panel, originals, opts ?? {}); }),
    // Argument as tritonize.generate's. The failed run's problem as confirmed, sent again.
    reg('tritonize.retryLastRun', async (opts?: GenerateOptions) => { requireTrust(); return retryLastRun(ctx, runs, panel, originals, opts ?? {}); }),
    reg('tritonize.verifyAndBenchmark', async (arg?: unknown) => {
      requireTrust();
      let file = asUri(arg);
      if (!file) {
        const active = vscode.window.activeTextEditor?.document.uri;
        const picks = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Python: ['py'] }, openLabel: 'Verify this candidate',
          defaultUri: active ? vscode.Uri.joinPath(active, '..') : undefined, title: 'Tritonize: candidate file (defines ModelNew)' });
        file = picks?.[0];
      }
      return file ? verifyFile(file, true) : undefined;
    }),
    reg('tritonize.verifyCandidate', (arg?: unknown) => verifyFile(arg, false)),
    reg('tritonize.benchmarkCandidate', (arg?: unknown) => verifyFile(arg, true)),
    // Argument (optional): {runId, candidateId, placement: "same-file" | "new-module"}; placement skips the quick pick.
    reg('tritonize.applyCandidate', async (arg?: { runId?: string; candidateId?: string; placement?: Placement }) =>
      applyFromRun(arg?.runId, arg?.candidateId, arg?.placement)),
    reg('tritonize.setApiKey', async (value?: unknown) => {
      // A string argument stores it without a prompt (scripts, tests); the value is never logged.
      if (typeof value === 'string' && value.trim()) await ctx.apiKey.set(value.trim());
      else if (!(await ctx.apiKey.prompt())) return false;
      ctx.log.info('API key stored in secret storage');
      return true;
    }),
    reg('tritonize.showPanel', () => panel.reveal()),
    reg('tritonize.cancel', async () => {
      if (!runs.cancel()) void vscode.window.showInformationMessage('Tritonize: nothing is running.');
    }),
    reg('tritonize.selectInterpreter', () => selectInterpreter(ctx.interpreter)),
    reg('tritonize.showLog', async () => ctx.log.show()),
    reg('tritonize.openExample', async () => {
      // The walkthrough's last step: a small example in the workspace (copied once, never overwritten),
      // with the op selected, ready for "Generate Triton kernel".
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (!folder) throw new UserError('Open a folder first: Tritonize keeps its runs under <folder>/.tritonize/.');
      const target = vscode.Uri.joinPath(folder.uri, 'tritonize_example.py');
      const exists = await vscode.workspace.fs.stat(target).then(() => true, () => false);
      if (!exists) await vscode.workspace.fs.copy(vscode.Uri.joinPath(ctx.extensionUri, 'media', 'example', 'tritonize_example.py'), target);
      const editor = await showOnce(target, { preview: false });
      const op = 'torch.softmax(x * scale, dim=-1)';
      for (let i = 0; i < editor.document.lineCount; i++) {
        const col = editor.document.lineAt(i).text.indexOf(op);
        if (col >= 0) {
          editor.selection = new vscode.Selection(i, col, i, col + op.length);
          editor.revealRange(editor.selection, vscode.TextEditorRevealType.InCenter);
          break;
        }
      }
      return target.fsPath;
    }),
    reg('tritonize.clearResults', async () => {
      // Problems, the generated tabs (diffs, problem.py, candidates, reports) and the panel's run
      // all go (try-out 10: only Problems changed, so the command seemed to do nothing). The runs
      // stay in History; a running generation stays shown.
      const n = ctx.results.clear();
      const closed = await closeOtherRunTabs(undefined);
      runs.clearView();
      ctx.log.info(`results cleared (${n} file(s) had diagnostics shown, ${closed} tab(s) closed)`);
      // Said in the status bar (no notification to dismiss; try-out, session 7).
      const what = [n ? `results from ${n} file${n === 1 ? '' : 's'}` : '', closed ? `${closed} tab${closed === 1 ? '' : 's'}` : ''].filter(Boolean);
      vscode.window.setStatusBarMessage(what.length ? `Tritonize: cleared ${what.join(' and ')}` : 'Tritonize: no results to clear', 4000);
      return n;
    }),
    reg('tritonize.showStatus', () => ctx.status.showDetails()),
    reg('tritonize.showQuestion', async () => {
      ctx.questions.reshow();
      await panel.reveal();
    }),
    // The title-bar ✓ of problem.py while the run waits for its confirmation.
    reg('tritonize.problemLooksRight', async () => { ctx.questions.answerKind('confirm-problem', undefined, 'title bar'); }),
  ];

  return {
    disposables,
    onPanelMessage,
    async loadHistory() {
      const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      if (root) runs.setHistory(await loadRunHistory(root, ctx.log));
    },
  };
}

/** The raw LLM reply of a candidate, for its read-only view (what the model sent, verbatim). */
export function replyText(cand: Candidate, label: string): string {
  if (cand.reply) return cand.reply;
  // Runs of older versions kept only the extracted code; a failed call has no reply at all.
  if (cand.stage === 'generating') return `(candidate ${label} is still being generated)\n`;
  if (cand.error && !cand.code) return `(candidate ${label}: no reply — ${cand.error})\n`;
  if (cand.stage === 'cancelled' && !cand.code) return `(candidate ${label}: cancelled before the model replied)\n`;
  return `(the full reply was not kept by the version that made this run; the extracted code follows)\n\n\`\`\`python\n${cand.code}\n\`\`\`\n`;
}
