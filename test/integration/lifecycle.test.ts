// The editor experience around a run, in a real VS Code (code-server) with the real kernel server
// on CPU and the fake OpenAI server: results tied to the current run and the files the user opens,
// cancel as a state, reused editors, problem edits kept across re-runs, the endpoint pre-check.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Run } from '../../src/extension/protocol';
import { VIEW_SCHEME } from '../../src/extension/editors';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { api, EXTENSION_ID, useFakeLlm, waitFor, workspaceRoot } from './helpers';

const fixture = (rel: string) =>
  readFileSync(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, rel), 'utf8');
const cand = (name: string) => fixture(`python-backend/tests/candidates/${name}`);
const fence = (code: string) => `Here you go.\n\n\`\`\`python\n${code.trimEnd()}\n\`\`\`\n`;

const ADD_FILE = `import torch


def main():
    a = torch.randn(3000)
    b = torch.randn(3000)
    c = a + b
    print(float(c.sum()))
`;

async function selectIn(name: string, text: string, body = ADD_FILE): Promise<vscode.TextEditor> {
  const file = path.join(workspaceRoot(), name);
  writeFileSync(file, body);
  const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
  const at = editor.document.getText().indexOf(text);
  assert.ok(at >= 0, `${text} not in ${name}`);
  const start = editor.document.positionAt(at);
  editor.selection = new vscode.Selection(start, editor.document.positionAt(at + text.length));
  return editor;
}

const generate = () => vscode.commands.executeCommand('tritonize.generate', { confirmProblem: false, showDiff: false }) as Thenable<Run | undefined>;
const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'tritonize');
// Read through a function: TypeScript would keep `ctx.lastError` narrowed to the undefined we set.
const lastError = (ctx: { lastError?: { message: string; actions: string[]; source?: string } }) => ctx.lastError;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tabsWhere = (pred: (uri: vscode.Uri) => boolean) => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => {
  const input = t.input;
  return input instanceof vscode.TabInputText && pred(input.uri);
});

describe('run lifecycle in the editor (fake LLM, real kernel server on CPU)', function () {
  this.timeout(300_000);
  let fake: FakeOpenAI;
  const config = () => vscode.workspace.getConfiguration('tritonize');

  useFakeLlm(2, (f) => { fake = f; });

  it('results: shown only for opened files of the current run; a new run and Clear results remove them', async () => {
    fake.push({ reply: fence(cand('wrong_off_by_one_mask.py')) }, { reply: fence(cand('vector_add_correct.py')) });
    await selectIn('life_diag.py', 'a + b');
    const first = await generate();
    assert.equal(first?.status, 'done', first?.error ?? 'no run');
    assert.deepEqual(first!.candidates.map((c) => c.report?.verdict), ['incorrect', 'correct']);
    const wrong = vscode.Uri.file(first!.candidates[0]!.path!);
    assert.equal(path.basename(wrong.fsPath), 'cand-1.1.py', 'candidate files are named like the panel labels');
    // Published by the server, but the user has not opened the file: nothing in Problems.
    await sleep(1500);
    assert.deepEqual(ours(wrong), [], 'diagnostics on a generated file the user did not open');
    // Opened: the evidence appears, on the line the report names.
    await vscode.window.showTextDocument(wrong, { preview: true });
    const diags = await waitFor('diagnostics once the wrong candidate is open', () => ours(wrong).length ? ours(wrong) : undefined, 30_000);
    const reportLines = first!.candidates[0]!.report!.diagnostics.filter((d) => d.file === 'candidate' && d.line > 0).map((d) => d.line - 1);
    for (const d of diags) if (reportLines.length) assert.ok(reportLines.includes(d.range.start.line), `diagnostic at line ${d.range.start.line + 1}, report says ${reportLines.map((l) => l + 1)}`);

    // A new run: the earlier run's results go (and its untouched tabs close).
    fake.push({ reply: fence(cand('vector_add_correct.py')) });
    await selectIn('life_diag2.py', 'a + b');
    const second = await generate();
    assert.equal(second?.status, 'done', second?.error ?? 'no run');
    assert.deepEqual(ours(wrong), [], 'the previous run\'s diagnostics survived a new run');
    assert.equal(tabsWhere((u) => u.fsPath === wrong.fsPath).length, 0, 'the previous run\'s candidate tab stayed open');

    // Re-verifying the old file on purpose shows its results again; Clear results removes them.
    await vscode.window.showTextDocument(wrong);
    await vscode.commands.executeCommand('tritonize.verifyCandidate', wrong);
    await waitFor('diagnostics after re-verifying', () => ours(wrong).length > 0, 60_000);
    const cleared = await vscode.commands.executeCommand('tritonize.clearResults');
    assert.ok(typeof cleared === 'number' && cleared >= 1);
    assert.deepEqual(ours(wrong), [], 'Clear results left diagnostics');
  });

  it('cancel is a state: the candidate reads cancelled, no runtime_error, nothing in Problems', async () => {
    fake.push({ reply: fence(fixture('test/fixtures/add_hang.py')) });
    await selectIn('life_cancel.py', 'a + b');
    const { runs, ctx } = await api();
    const pending = generate();
    await waitFor('the hanging candidate to be verified', () => runs.current?.candidates[0]?.stage === 'checking' || runs.current?.candidates[0]?.stage === 'compiling', 120_000);
    await sleep(1500); // the worker is running the infinite loop
    assert.match(ctx.status.text, /Tritonize: turn 1\/2 · 1\.1 (compiling|checking)/, 'the status bar shows the running stage');
    await vscode.commands.executeCommand('tritonize.cancel');
    const run = await pending;
    assert.equal(run?.status, 'cancelled');
    const c = run!.candidates[0]!;
    assert.equal(c.stage, 'cancelled');
    assert.equal(c.report, null);
    assert.equal(c.error, null);
    assert.doesNotMatch(ctx.status.text, /turn/, 'the status bar went back to the device');
    // Stored that way too (the panel's history reads run.json).
    const stored = JSON.parse(readFileSync(path.join(workspaceRoot(), '.tritonize', 'runs', run!.id, 'run.json'), 'utf8')) as Run;
    assert.equal(stored.candidates[0]!.stage, 'cancelled');
    assert.equal(runs.state().history.find((h) => h.id === run!.id)?.status, 'cancelled');
    // Opened, the file shows no verdict evidence: a cancel is not a verdict.
    if (c.path) {
      await vscode.window.showTextDocument(vscode.Uri.file(c.path));
      await sleep(3000);
      assert.deepEqual(ours(vscode.Uri.file(c.path)).filter((d) => /runtime_error|SIGKILL|worker died/i.test(d.message + String(d.code))), []);
    }
    // Nor does the problem: "the reference crashed ... SIGKILL" there was the session-7 finding.
    await vscode.window.showTextDocument(vscode.Uri.file(run!.problemPath));
    await sleep(2000);
    assert.deepEqual(ours(vscode.Uri.file(run!.problemPath)).filter((d) => d.severity === vscode.DiagnosticSeverity.Error), []);
  });

  it('editors are reused: reports and replies are read-only views, one per slot; the user file opens once', async () => {
    fake.push({ reply: fence(cand('wrong_off_by_one_mask.py')) }, { reply: fence(cand('vector_add_correct.py')) });
    // With an entry point, so Apply has recorded inputs (no guessed shapes) and can be previewed.
    await selectIn('life_tabs.py', 'a + b', `${ADD_FILE}\n\nif __name__ == '__main__':\n    main()\n`);
    const run = await generate();
    assert.equal(run?.status, 'done', run?.error ?? 'no run');
    const { panel, ctx } = await api();
    const untitledBefore = vscode.workspace.textDocuments.filter((d) => d.isUntitled).length;
    for (const c of run!.candidates) {
      await (panel as unknown as { onMessage: (m: unknown) => Promise<void> }).onMessage({ type: 'openReport', runId: run!.id, candidateId: c.id });
      await (panel as unknown as { onMessage: (m: unknown) => Promise<void> }).onMessage({ type: 'openReply', runId: run!.id, candidateId: c.id });
    }
    assert.equal(vscode.workspace.textDocuments.filter((d) => d.isUntitled).length, untitledBefore, 'an Untitled buffer was opened');
    const views = tabsWhere((u) => u.scheme === VIEW_SCHEME);
    assert.equal(views.length, 1, `expected one reused preview tab for reports/replies, got ${views.map((t) => t.label).join(', ')}`);
    assert.ok(views[0]!.isPreview);
    const reply = vscode.window.activeTextEditor!.document;
    assert.equal(reply.uri.scheme, VIEW_SCHEME);
    assert.match(reply.getText(), /^Here you go\./, 'the raw reply, verbatim');
    // The user's file, already open, is revealed where it is rather than opened again.
    const file = vscode.Uri.file(path.join(workspaceRoot(), 'life_tabs.py'));
    // Reports and replies went to the side group; the user's file kept its tab (a preview report
    // in the file's own group used to replace it).
    assert.equal(tabsWhere((u) => u.fsPath === file.fsPath).length, 1, 'the user file lost its tab or has two');
    assert.notEqual(views[0]!.group.viewColumn, vscode.window.tabGroups.all.find((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath === file.fsPath))!.viewColumn);
    const { showOnce } = await import('../../src/extension/editors');
    await showOnce(file, { viewColumn: vscode.ViewColumn.Three });
    assert.equal(tabsWhere((u) => u.fsPath === file.fsPath).length, 1, 'the user file is open twice');
    assert.ok(ctx);
    // "Open diff" on the correct candidate is the edit Apply would make to the user's file; on the
    // wrong one it is the candidate's code beside the selection, titled as such.
    const diffTab = () => vscode.window.tabGroups.activeTabGroup.activeTab;
    const diffOf = async (c: Run['candidates'][number]) => {
      await (panel as unknown as { onMessage: (m: unknown) => Promise<void> }).onMessage({ type: 'openDiff', runId: run!.id, candidateId: c.id });
      const tab = diffTab();
      assert.ok(tab?.input instanceof vscode.TabInputTextDiff, `expected a diff tab, got ${tab?.label}`);
      return { tab, input: tab.input };
    };
    const good = run!.candidates.find((c) => c.report?.verdict === 'correct')!;
    const bad = run!.candidates.find((c) => c.report && c.report.verdict !== 'correct')!;
    const edit = await diffOf(good);
    assert.equal(edit.input.original.toString(), file.toString(), 'left side: the user file');
    assert.equal(edit.input.modified.scheme, 'tritonize-preview');
    assert.match((await vscode.workspace.openTextDocument(edit.input.modified)).getText(), /import|tritonize/i);
    assert.match(edit.tab.label, /after Apply of candidate/);
    const code = await diffOf(bad);
    assert.equal(code.input.original.scheme, 'tritonize-original');
    assert.equal(code.input.modified.fsPath, bad.path);
    assert.match(code.tab.label, /code \(incorrect, not applied\)/);
  });

  // Skipped, known broken after the merge with the backend extraction (issue 11): this flow relied on
  // the TypeScript builder's TODO placeholders, which the backend's guessed-shape markers replaced;
  // generate returns no run here. Listed as open in issue 13's note.
  it('problem edits are kept across re-runs: confirmed shapes stay confirmed', async () => {
    // Elementwise, so the guessed shapes run too (a matmul on two guessed (8, 32) inputs would not).
    const body = 'import torch\n\n\ndef mix(x, w):\n    y = torch.relu(x) * w\n    return y\n';
    fake.push({ status: 400 }); // the run itself does not matter here (400: fails at once, no retries)
    const { ctx } = await api();
    ctx.lastError = undefined;
    await selectIn('life_problem.py', 'torch.relu(x) * w', body);
    const first = await generate();
    assert.ok(first, lastError(ctx)?.message ?? 'no run');
    const problem1 = readFileSync(first!.problemPath, 'utf8');
    // No entry point ran mix(): both shapes are guessed and marked in get_inputs.
    assert.match(problem1, /# x {2}# GUESSED/);
    assert.match(problem1, /# w {2}# GUESSED/);
    // The user sets the real shapes in that run's problem.py (dropping the markers) and saves it.
    const doc = await vscode.workspace.openTextDocument(first!.problemPath);
    const editor = await vscode.window.showTextDocument(doc);
    const fixed = problem1
      .replace(/^(\s*)[^\n]*,\s*# x {2}# GUESSED[^\n]*$/m, '$1torch.randn(64, 32),  # x')
      .replace(/^(\s*)[^\n]*,\s*# w {2}# GUESSED[^\n]*$/m, '$1torch.randn(64, 32),  # w');
    assert.notEqual(fixed, problem1);
    assert.doesNotMatch(fixed, /# GUESSED: confirm/);
    await editor.edit((e) => e.replace(new vscode.Range(0, 0, doc.lineCount, 0), fixed));
    assert.ok(await doc.save());
    // Same selection again: the run starts from the fixed problem, not from the guesses.
    fake.push({ status: 400 });
    await selectIn('life_problem.py', 'torch.relu(x) * w', body);
    const second = await generate();
    assert.ok(second && second.id !== first!.id);
    const problem2 = readFileSync(second!.problemPath, 'utf8');
    assert.equal(problem2, fixed);
    assert.doesNotMatch(problem2, /# GUESSED: confirm/);
  });

  it('tritonize.entryPoint records the real shapes of a module without its own entry point, so Apply can use them', async () => {
    const body = 'import torch\n\n\ndef mix(x, w):\n    y = torch.relu(x) * w\n    return y\n';
    writeFileSync(path.join(workspaceRoot(), 'life_train.py'),
      'import torch\nfrom life_entry import mix\n\nprint(float(mix(torch.randn(64, 48), torch.randn(64, 48)).sum()))\n');
    await config().update('entryPoint', 'life_train.py', vscode.ConfigurationTarget.Workspace);
    try {
      fake.push({ status: 400 }); // only the problem matters here
      await selectIn('life_entry.py', 'torch.relu(x) * w', body);
      const run = await generate();
      assert.ok(run, 'no run');
      const problem = readFileSync(run!.problemPath, 'utf8');
      assert.doesNotMatch(problem, /GUESSED/);
      assert.match(problem, /\(64, 48\)/);
      assert.match(problem, /life_train\.py/);
    } finally {
      await config().update('entryPoint', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('the interpreter picker offers the workspace venv and the pythons on PATH, not only Browse/Enter path', async () => {
    const { mkdirSync, rmSync } = await import('node:fs');
    const bin = path.join(workspaceRoot(), '.venv', 'bin');
    mkdirSync(bin, { recursive: true });
    const { findExecutable, detectInterpreters } = await import('../../src/extension/interpreter');
    const system = await findExecutable('python3');
    assert.ok(system, 'no python3 on PATH');
    const venvPython = path.join(bin, 'python');
    rmSync(venvPython, { force: true });
    // A copy-free venv stand-in: its own path, so it is listed by that path (and first).
    const { copyFileSync, chmodSync } = await import('node:fs');
    copyFileSync(system!, venvPython);
    chmodSync(venvPython, 0o755);
    try {
      const found = await detectInterpreters();
      assert.equal(found[0], venvPython, found.join(', '));
      assert.ok(found.some((p) => /python3(\.\d+)?$/.test(p) && p !== venvPython), found.join(', '));
    } finally {
      rmSync(path.join(workspaceRoot(), '.venv'), { recursive: true, force: true });
    }
  });

  it('endpoint pre-check: a closed port fails in seconds, before any problem check or chat request, with Retry / Open Settings', async () => {
    const { ctx } = await api();
    const closed = await startFakeOpenAI();
    const url = closed.baseURL;
    await closed.close();
    await config().update('llm.baseUrl', url, vscode.ConfigurationTarget.Global);
    try {
      await selectIn('life_closed.py', 'a + b');
      ctx.lastError = undefined;
      const t0 = Date.now();
      const run = await generate();
      const ms = Date.now() - t0;
      assert.equal(run, undefined);
      assert.ok(ms < 5000, `took ${ms} ms`);
      const shown = lastError(ctx);
      assert.equal(shown?.source, 'llm-check');
      assert.match(shown!.message, /connection refused/);
      assert.deepEqual(shown!.actions, ['Retry', 'Open Settings']);
    } finally {
      await config().update('llm.baseUrl', fake.baseURL, vscode.ConfigurationTarget.Global);
    }
  });

  it('endpoint pre-check: a rejected key stops before any chat request, offering Set API key', async () => {
    const { ctx } = await api();
    const guarded = await startFakeOpenAI([{ reply: 'unused', repeat: true }], { requireKey: 'sk-the-right-one' });
    await config().update('llm.baseUrl', guarded.baseURL, vscode.ConfigurationTarget.Global);
    try {
      await selectIn('life_key.py', 'a + b');
      ctx.lastError = undefined;
      const run = await generate();
      assert.equal(run, undefined);
      assert.equal(guarded.requests.length, 0, 'a chat request was sent with a rejected key');
      assert.match(lastError(ctx)?.message ?? '', /rejected the API key \(HTTP 401\)/);
      assert.deepEqual(lastError(ctx)!.actions, ['Set API key', 'Retry', 'Open Settings']);
      // With the right key the same command goes through to the LLM.
      await vscode.commands.executeCommand('tritonize.setApiKey', 'sk-the-right-one');
      await generate();
      assert.ok(guarded.requests.length >= 1, 'no chat request after the key was fixed');
    } finally {
      await vscode.commands.executeCommand('tritonize.setApiKey', 'sk-fake-integration');
      await config().update('llm.baseUrl', fake.baseURL, vscode.ConfigurationTarget.Global);
      await guarded.close();
    }
  });
});
