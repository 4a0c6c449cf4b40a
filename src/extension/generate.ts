// "Generate Triton kernel": selection → problem (confirmed by the user and validated by the server
// before any LLM call) → agent loop (cancellable, live in the panel) → native diff → offer Apply.
// Writes only under `.tritonize/runs/<id>/`; the user's files change only through Apply.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
// The panel's own naming ("2.1" = turn 2, first candidate), so messages and panel agree.
import { candidateLabel, reducedSuffix, silentSeconds } from '../core/protocol/view';
import { checkEndpoint, endpointProblem } from '../core/llm/check';
import { readSettings, type Settings } from './config';
import { UserError, type Ctx } from './ctx';
import type { OriginalSelections } from './diff';
import { showCandidateDiff } from './diff';
import { previewApply } from './apply';
import { askEntryPoint, entryFor } from './entryPoint';
import { closeOtherRunTabs, showOnce, sideColumn } from './editors';
import { buildProblemDraft, newRunId, runAgentLoop } from './engine';
import { remainingTodos } from './problemEdits';
import type { PanelHost } from './panel';
import type { Questions } from './questions';
import type { Run, ValidateProblemResult } from './protocol';
import type { RunsModel } from './runs';

/** Command argument of `tritonize.generate` (all optional; for tests and scripts). */
export interface GenerateOptions {
  /** false: skip the "Looks right / Edit" confirmation (default: setting tritonize.generate.confirmProblem). */
  confirmProblem?: boolean;
  /** false: don't open the diff at the end (default true). */
  showDiff?: boolean;
}

/** The end-of-run diff: the user's file against what Apply would write (new-module placement, the
 * first choice Apply offers); where the server cannot build that edit (e.g. unconfirmed guessed
 * shapes), the selection against the candidate, and the log says why. */
async function showResultDiff(ctx: Ctx, runs: RunsModel, run: Run, best: Run['candidates'][number], label: string,
  fallback: (why: string) => Promise<void>): Promise<void> {
  const origin = runs.origin(run.id);
  let why = 'the selection was a whole problem, with no call site to replace';
  if (origin?.call) {
    try {
      await previewApply(await ctx.backend(), origin, { code: best.code, runId: run.id, candidateId: best.id, summary: best.report?.summary ?? '' },
        origin.call, 'new-module', label, true);
      return;
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
      ctx.log.info(`apply preview of ${label} not available (${why}); showing the candidate instead`);
    }
  }
  await fallback(why);
}

function workspaceRoot(doc: vscode.TextDocument): string {
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri) ?? vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new UserError('Open a folder first: Tritonize keeps runs under <folder>/.tritonize/runs.');
  return folder.uri.fsPath;
}

/** Asks "Looks right / Edit" until the user accepts or cancels. Returns false on cancel. The
 * GUESSED list is re-read from the document each time, so confirmed shapes stop being asked for. */
async function confirmProblem(questions: Questions, problemUri: vscode.Uri, todos: string[], keptEdits: boolean, warnings: string[] = [],
  source?: vscode.Uri): Promise<boolean | 'rerun'> {
  const editor = await showOnce(problemUri, { preview: false, viewColumn: sideColumn(source) });
  const doc = editor.document;
  for (;;) {
    const left = remainingTodos(doc.getText(), todos);
    const fill = left.length ? ` Confirm first (marked GUESSED in get_inputs): ${left.join('; ')}.` : '';
    const kept = keptEdits ? ' (your edits from the last run of this selection are kept)' : '';
    const note = warnings.length ? ` Note: ${warnings.join('; ')}.` : '';
    // Guessed shapes: Apply will need the real ones, which a command that runs the code records.
    const entry = todos.length && source ? ' Apply needs the real input shapes: "Set entry point" names the command that runs this code.' : '';
    const pick = await questions.ask('confirm-problem',
      `this is the problem the model will solve${kept} (Model = your selection; get_inputs = example inputs).${fill}${note}${entry} Does it look right?`,
      ['Looks right', 'Edit', ...(entry ? ['Set entry point…'] : []), 'Cancel']);
    if (pick === 'Set entry point…') {
      if (await askEntryPoint(source!)) return 'rerun';
      continue;
    }
    if (pick === 'Looks right') {
      if (doc.isDirty) await doc.save();
      return true;
    }
    if (pick !== 'Edit') return false;
    await showOnce(problemUri, { preview: false });
    const done = await questions.ask('confirm-problem', 'edit problem.py (inputs, shapes, dtypes), then continue.', ['Continue', 'Cancel']);
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

/**
 * Checks that the endpoint answers and takes the key (GET /models, one attempt, seconds) before the
 * user spends time on the problem. Interactive: Retry / Open Settings / Set API key until it passes
 * or the user gives up (undefined). Not interactive: a UserError with those actions.
 */
/** Endpoint + model pairs the user chose to use although the endpoint does not list the model:
 * not asked again in this window (the try-out was asked on every run). */
const modelsContinued = new Set<string>();

async function checkLlm(ctx: Ctx, settings: Settings, interactive: boolean): Promise<string | undefined> {
  for (;;) {
    const apiKey = await ensureApiKey(ctx);
    const cfg = { baseURL: settings.llm.baseUrl, model: settings.llm.model, apiKey };
    ctx.status.setActivity('checking the LLM endpoint');
    const check = await Promise.resolve(vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Tritonize: checking the LLM endpoint' },
      () => checkEndpoint(cfg, { timeoutMs: 8_000 }))).finally(() => ctx.status.setActivity(undefined));
    const problem = endpointProblem(check, cfg);
    const listed = check.ok && check.models?.length && !check.models.includes(cfg.model) ? check.models : null;
    const seen = `${cfg.baseURL}\u0000${cfg.model}`;
    if (problem && listed && modelsContinued.has(seen)) return apiKey; // asked once this session: "Continue anyway"
    if (!problem) {
      ctx.log.info(`LLM endpoint ${cfg.baseURL} answered in ${check.ms} ms${check.ok && check.models ? ` (${check.models.length} model(s) listed)` : ''}`);
      return apiKey;
    }
    ctx.log.warn(`LLM endpoint check failed after ${check.ms} ms: ${problem.message}`);
    if (!interactive) throw new UserError(problem.message, problem.actions.filter((a) => a !== 'Continue anyway'), 'llm-check');
    // A listed model can be taken in one click (the try-out's endpoint listed exactly one).
    const use = listed ? `Use "${listed[0]}"` : null;
    // Four buttons were cut to "Re…" / "Open Setti…" in the try-out: with a listed model, no Retry.
    const actions = use ? problem.actions.filter((a) => a !== 'Retry') : problem.actions;
    const pick = await vscode.window.showErrorMessage(`Tritonize: ${problem.message}`, ...(use ? [use] : []), ...actions);
    if (pick === 'Retry') continue;
    if (use && pick === use) {
      // Where the user set the model (their user settings, most often), not a new workspace file.
      const seenAt = vscode.workspace.getConfiguration('tritonize.llm').inspect<string>('model');
      const target = seenAt?.workspaceFolderValue !== undefined ? vscode.ConfigurationTarget.WorkspaceFolder
        : seenAt?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
      await vscode.workspace.getConfiguration('tritonize.llm', target === vscode.ConfigurationTarget.WorkspaceFolder ? vscode.window.activeTextEditor?.document.uri : undefined)
        .update('model', listed![0], target);
      ctx.log.info(`tritonize.llm.model set to "${listed![0]}" (${vscode.ConfigurationTarget[target]} settings), as listed by ${cfg.baseURL}`);
      settings = { ...settings, llm: { ...settings.llm, model: listed![0] } };
      continue;
    }
    if (pick === 'Continue anyway') {
      if (listed) modelsContinued.add(seen);
      return apiKey;
    }
    if (pick === 'Set API key') {
      if (await ctx.apiKey.prompt()) continue;
      return undefined;
    }
    if (pick === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'tritonize.llm');
    return undefined;
  }
}

/** One line for the status bar: turn and what the newest unfinished candidate is doing. */
function activityOf(run: Run): string {
  const busy = run.candidates.filter((c) => c.stage !== 'done' && c.stage !== 'failed' && c.stage !== 'cancelled');
  const shown = busy.length ? busy : run.candidates.slice(-1);
  const what = shown.map((c) => {
    const silent = silentSeconds(c);
    return `${candidateLabel(c, run)} ${c.report?.verdict ?? c.stage}${silent >= 5 ? ` (no reply for ${silent} s)` : ''}`;
  }).join(', ');
  return `turn ${run.turn}/${run.maxTurns}${what ? ` · ${what}` : ''}`;
}

/** A problem the user confirmed and the server validated: what a Retry of a failed run (a
 * rejected key, an endpoint that was down) sends again, without recording the program and asking
 * for the confirmation a second time (try-out 11: "Set API key" started from scratch). */
interface Prepared {
  /** The run that failed, when this is being retried (History names it: try-out 12). */
  failed?: Run;
  doc: vscode.TextDocument;
  selection: vscode.Selection | vscode.Range;
  selectedText: string;
  draft: Awaited<ReturnType<typeof buildProblemDraft>>;
  originalText: string;
  problemText: string;
  inputs: ValidateProblemResult['inputs'] | undefined;
  root: string;
}

/** The last run that failed for the LLM's sake (key, endpoint): "Retry" sends its problem again. */
let retryable: Prepared | undefined;

function setRetryable(p: Prepared | undefined): void {
  retryable = p;
  void vscode.commands.executeCommand('setContext', 'tritonize.canRetry', !!p);
}

/** `tritonize.retryLastRun`: the failed run's confirmed problem again (refused where the code it
 * replaces changed since). */
export async function retryLastRun(ctx: Ctx, runs: RunsModel, panel: PanelHost, originals: OriginalSelections, opts: GenerateOptions): Promise<Run | undefined> {
  if (!retryable) throw new UserError('No failed Tritonize run to retry: select the code and run "Generate Triton kernel".');
  if (runs.busy) throw new UserError('A generation is already running: cancel it first (Tritonize: Cancel).');
  return generate(ctx, runs, panel, originals, opts, retryable);
}

export async function generate(ctx: Ctx, runs: RunsModel, panel: PanelHost, originals: OriginalSelections, opts: GenerateOptions,
  again?: Prepared): Promise<Run | undefined> {
  // A retry of a confirmed problem: only while the code it replaces is unchanged. Where it is now is
  // the failed run's origin, which follows edits above it (RunsModel); the document is opened again
  // (VS Code disposes the object of a file whose tab was closed).
  if (again) {
    const origin = again.failed ? runs.origin(again.failed.id) : undefined;
    const replaced = origin?.range ?? again.draft.replaced;
    const now = await vscode.workspace.openTextDocument(again.doc.uri);
    if (now.getText(replaced) !== again.originalText)
      throw new UserError(`The code the failed run replaced in ${path.basename(now.fileName)} has changed since; select it again and run "Generate Triton kernel".`);
    again = { ...again, doc: now, draft: { ...again.draft, replaced, call: origin?.call ?? again.draft.call } };
    let settings = readSettings(again.doc.uri);
    const apiKey = await checkLlm(ctx, settings, opts.confirmProblem ?? settings.generate.confirmProblem);
    if (!apiKey) return undefined;
    settings = readSettings(again.doc.uri);
    const runId = newRunId();
    ctx.results.beginRun(runId);
    await closeOtherRunTabs(runId);
    const runDir = path.join(again.root, '.tritonize', 'runs', runId);
    await mkdir(runDir, { recursive: true });
    const problemPath = path.join(runDir, 'problem.py');
    await writeFile(problemPath, again.problemText);
    ctx.log.info(`run ${runId}: the confirmed problem "${again.draft.name}" sent again (retry of run ${again.failed?.id ?? '?'}) → ${problemPath}`);
    const at = again.failed ? new Date(again.failed.startedAt) : undefined;
    const when = at && !Number.isNaN(at.getTime()) ? at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : undefined;
    const base = again.draft.name.replace(/ \(retry[^)]*\)$/, ''); // a retry of a retry: named once
    const draft = { ...again.draft, name: `${base} (retry${when ? ` of the ${when} run` : ''})` };
    return runConfirmed(ctx, runs, panel, originals, opts, { ...again, draft, runId, problemPath, apiKey, settings });
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'python') throw new UserError('Open a Python file and select the PyTorch code to turn into a Triton kernel.');
  // A Tritonize view (the end-of-run preview keeps the keyboard focus elsewhere but can be the
  // active editor: try-out 12b) or an unsaved buffer has no program to record.
  if (editor.document.uri.scheme !== 'file')
    throw new UserError(`The active editor is ${editor.document.uri.scheme.startsWith('tritonize-') ? 'a Tritonize view' : 'not a file on disk'}: click into your Python file, select the PyTorch code, and run Generate again.`);
  if (runs.busy) throw new UserError('A generation is already running: cancel it first (Tritonize: Cancel).');
  const doc = editor.document;
  const selection = editor.selection.isEmpty ? doc.lineAt(editor.selection.active.line).range : editor.selection;
  const selectedText = doc.getText(selection);
  if (!selectedText.trim()) throw new UserError('Select the PyTorch code (an expression or a few statements) first.');
  const root = workspaceRoot(doc);
  let settings = readSettings(doc.uri);

  // 1. The LLM endpoint first (seconds): a closed port or a bad key is found before the file is
  // run to record shapes (8.5 s in the new-user try-out) and before the user reviews the problem.
  const confirm = opts.confirmProblem ?? settings.generate.confirmProblem;
  const apiKey = await checkLlm(ctx, settings, confirm);
  if (!apiKey) return undefined;
  settings = readSettings(doc.uri); // the check may have set tritonize.llm.model ("Use ...")

  // 2. The problem, written where the run lives so the server (and the user) can open it.
  const backend = await ctx.backend();
  const draft = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Tritonize: extracting the selection (running the file once to record input shapes)…' },
    () => buildProblemDraft(backend, { fileText: doc.getText(), fileName: doc.fileName, selection, entry: entryFor(doc.uri) }));
  const replaced = draft.replaced;
  const originalText = doc.getText(replaced);
  const runId = newRunId();
  // A new run: earlier runs' results leave Problems, their untouched generated tabs close.
  ctx.results.beginRun(runId);
  await closeOtherRunTabs(runId);
  // Same place core's RunStore keeps the run: the problem the user confirms is the one it stores.
  const runDir = path.join(root, '.tritonize', 'runs', runId);
  await mkdir(runDir, { recursive: true });
  const problemPath = path.join(runDir, 'problem.py');
  // The same selection as an earlier run starts from the user's edits of that run's problem.
  const kept = ctx.problemEdits.lookup(draft.source);
  await writeFile(problemPath, kept ?? draft.source);
  await ctx.problemEdits.track(runId, draft.source);
  ctx.log.info(`run ${runId}: problem "${draft.name}" from ${vscode.workspace.asRelativePath(doc.uri)}:${selection.start.line + 1}-${selection.end.line + 1} → ${problemPath}${kept ? ' (the user\'s edits from an earlier run kept)' : ''}`);
  const problemUri = vscode.Uri.file(problemPath);

  // 3. Confirm and validate the problem, before spending tokens.
  let inputs: ValidateProblemResult['inputs'] | undefined;
  for (;;) {
    if (confirm) {
      // Asked in a notification, the panel and problem.py's title bar; the status item says the
      // run waits (Ctx wires the question to it).
      const ok = await confirmProblem(ctx.questions, problemUri, draft.todos, !!kept, draft.warnings, doc.uri);
      if (ok === 'rerun') {
        // Extract again with the entry point: this run's folder goes, the next run records shapes.
        await rm(runDir, { recursive: true, force: true });
        const again = await showOnce(doc.uri);
        again.selection = new vscode.Selection(selection.start, selection.end);
        return generate(ctx, runs, panel, originals, opts);
      }
      if (!ok) return undefined;
    }
    ctx.status.setActivity('checking the problem runs');
    const validation = await Promise.resolve(vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Tritonize: checking the problem runs…' },
      () => backend.validateProblem(problemPath, { device: settings.device === 'auto' ? undefined : settings.device, timeout: settings.verify.timeoutSeconds })))
      .finally(() => ctx.status.setActivity(undefined));
    if (validation.ok) { inputs = validation.inputs; break; }
    const line = validation.error?.line ?? null;
    const msg = `The problem does not run${line ? ` (problem.py line ${line})` : ''}: ${validation.error?.message ?? 'unknown error'}`;
    ctx.log.error(`run ${runId}: ${msg}`);
    const shown = await showOnce(problemUri, { preview: false });
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
  // What the user confirmed is kept for the next run of this selection (an unchanged draft is not).
  const problemText = await readFile(problemPath, 'utf8');
  await ctx.problemEdits.remember(draft.source, problemText);
  return runConfirmed(ctx, runs, panel, originals, opts, {
    doc, selection, selectedText, draft, originalText, problemText, inputs, root, runId, problemPath, apiKey, settings,
  });
}

/** Steps 4 and 5 of a run: the agent loop on a confirmed problem, then the result. */
async function runConfirmed(ctx: Ctx, runs: RunsModel, panel: PanelHost, originals: OriginalSelections, opts: GenerateOptions,
  p: Prepared & { runId: string; problemPath: string; apiKey: string; settings: Settings }): Promise<Run | undefined> {
  const { doc, selection, selectedText, draft, originalText, inputs, root, runId, problemPath, apiKey, settings } = p;
  const replaced = draft.replaced;
  const prepared: Prepared = { doc, selection, selectedText, draft, originalText, problemText: p.problemText, inputs, root };
  const backend = await ctx.backend();
  setRetryable(undefined);

  // 4. The agent loop: cancellable from the notification, the panel and `tritonize.cancel`.
  const controller = new AbortController();
  originals.remember(runId, selectedText);
  await panel.reveal();
  let run: Run | undefined;
  // A silent model sends no updates: the status bar's waiting time ticks on its own.
  const ticker = setInterval(() => {
    if (runs.current?.id === runId && runs.current.status === 'running') ctx.status.setActivity(activityOf(runs.current));
  }, 5_000);
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Tritonize: ${draft.name}`, cancellable: true },
    async (progress, token) => {
      token.onCancellationRequested(() => controller.abort());
      run = await runAgentLoop({
        runId, root, problemPath, problemName: draft.name, apiKey, settings, backend, log: ctx.log,
        environment: ctx.environment, inputs, signal: controller.signal,
        onStart: (r) => {
          runs.start(r, { uri: doc.uri, range: replaced, originalText, call: draft.call }, controller);
          ctx.status.setActivity(activityOf(r));
        },
        onUpdate: (r) => {
          runs.update(r);
          const activity = activityOf(r);
          ctx.status.setActivity(activity);
          progress.report({ message: activity });
          // A cancelled candidate has no verdict: whatever the server publishes for it is not shown.
          for (const c of r.candidates) if (c.stage === 'cancelled' && c.path) ctx.results.markCancelled(c.path);
        },
      });
    },
  ).then(undefined, (err) => { clearInterval(ticker); runs.finish(runId); ctx.status.setActivity(undefined); throw err; });
  clearInterval(ticker);
  runs.finish(runId);
  ctx.status.setActivity(undefined);
  if (!run) return undefined;
  for (const c of run.candidates) if (c.stage === 'cancelled' && c.path) ctx.results.markCancelled(c.path);
  const outcome = `run ${runId}: ${run.status}${run.error ? ` (${run.error})` : ''}; ${run.candidates.length} candidate(s) `
    + `[${run.candidates.map((c) => `${candidateLabel(c, run!)}: ${c.report?.verdict ?? c.stage}`).join(', ')}], `
    + `best ${run.bestCandidateId ? candidateLabel(run.candidates.find((c) => c.id === run!.bestCandidateId)!, run) : 'none'}, `
    + `${run.tokens.prompt} prompt + ${run.tokens.completion} completion tokens`;
  if (run.status === 'failed') ctx.log.error(outcome);
  else ctx.log.info(outcome);

  // 4. Result: diff + Apply, or what went wrong.
  const best = run.candidates.find((c) => c.id === run!.bestCandidateId);
  if (run.status === 'cancelled') {
    void vscode.window.showInformationMessage('Tritonize: generation cancelled.');
  } else if (best?.path && best.report?.verdict === 'correct') {
    const label = `candidate ${candidateLabel(best, run)}`;
    if (opts.showDiff !== false) await showResultDiff(ctx, runs, run, best, label, (why) => showCandidateDiff(originals, runId, doc.fileName, best.path!,
      `${label} code (correct; no Apply preview: ${why.length > 90 ? `${why.slice(0, 90)}…` : why})`));
    const reduced = reducedSuffix(best.report);
    void vscode.window.showInformationMessage(`Tritonize: ${label} is correct — ${best.report.summary}${reduced}`, 'Apply', 'Show panel').then(async (pick) => {
      // VS Code cannot close a notification: this one may be clicked long after a newer run.
      if (pick === 'Apply' && runs.current && runs.current.id !== runId) {
        const go = await vscode.window.showWarningMessage(
          `Tritonize: this notification is from an earlier run (${runId}); the latest run is ${runs.current.id}. Apply ${label} of the earlier run?`,
          { modal: true }, 'Apply earlier run');
        if (go !== 'Apply earlier run') return;
      }
      if (pick === 'Apply') void vscode.commands.executeCommand('tritonize.applyCandidate', { runId, candidateId: best.id });
      if (pick === 'Show panel') void panel.reveal();
    });
  } else if (run.status === 'failed' && run.error) {
    // The LLM or the backend stopped the run: the fixes are one click away, and Retry re-runs the
    // same selection.
    const actions = /\b40[13]\b|API key/i.test(run.error) ? ['Set API key', 'Retry', 'Open Settings'] : ['Retry', 'Open Settings', 'Show log'];
    ctx.lastError = { message: run.error, actions, source: 'run' };
    setRetryable({ ...prepared, failed: run });
    void vscode.window.showErrorMessage(`Tritonize: ${run.error}`, ...actions).then(async (pick) => {
      // A new key is what the user fixed: the run goes again with it (try-out 10 was left at "failed").
      const keySet = pick === 'Set API key' && await vscode.commands.executeCommand<boolean>('tritonize.setApiKey');
      if (pick === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'tritonize.llm');
      if (pick === 'Show log') ctx.log.show();
      // The same confirmed problem again (no new recording, no second confirmation).
      if (pick === 'Retry' || keySet) void vscode.commands.executeCommand('tritonize.retryLastRun', opts);
    });
  } else {
    // The reason every candidate shared (a model that never wrote a ModelNew block), said here, not
    // only per candidate in the panel (try-out 10).
    const reasons = run.candidates.map((c) => c.error ?? c.report?.summary ?? '').filter(Boolean);
    const shared = reasons.length > 1 && reasons.every((r) => r === reasons[0]) ? ` (each one: ${reasons[0]!.length > 160 ? `${reasons[0]!.slice(0, 160)}…` : reasons[0]})` : '';
    const why = run.error ?? `no correct candidate in ${run.turn} turn(s)${shared}`;
    void vscode.window.showWarningMessage(`Tritonize: ${why}`, 'Show panel', 'Show log').then((pick) => {
      if (pick === 'Show panel') void panel.reveal();
      if (pick === 'Show log') ctx.log.show();
    });
  }
  return run;
}
