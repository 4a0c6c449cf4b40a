// `tritonize.generate` inside VS Code against the fake OpenAI server and the real kernel server
// (CPU interpreter): the agent's result, diagnostics on the wrong candidate, a rejected key, a
// cancelled run. Uses the command argument {confirmProblem: false, showDiff: false} so no
// interactive confirmation is needed.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { PUSH_INTERVAL_MS } from '../../src/extension/panel';
import type { Run } from '../../src/extension/protocol';
import type { FakeOpenAI } from '../support/fakeOpenAI';
import { api, EXTENSION_ID, useFakeLlm, waitFor, workspaceRoot } from './helpers';

const fixture = (rel: string) =>
  readFileSync(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'python-backend', 'tests', rel), 'utf8');
const fence = (code: string) => `Here you go.\n\n\`\`\`python\n${code.trimEnd()}\n\`\`\`\n`;

const USER_FILE = `import torch


def add(a, b):
    return a + b


def main():
    a = torch.randn(3000)
    b = torch.randn(3000)
    c = a + b
    print(float(c.sum()))
`;

async function selectInFile(name: string, line: number, text: string): Promise<vscode.TextEditor> {
  const file = path.join(workspaceRoot(), name);
  writeFileSync(file, USER_FILE);
  const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
  const col = editor.document.lineAt(line).text.indexOf(text);
  assert.ok(col >= 0);
  editor.selection = new vscode.Selection(line, col, line, col + text.length);
  return editor;
}

describe('generate (fake LLM, real kernel server on CPU)', function () {
  this.timeout(300_000);
  let fake: FakeOpenAI;

  useFakeLlm(3, (f) => { fake = f; });

  it('repairs a wrong kernel into a correct one; the wrong one gets diagnostics', async () => {
    fake.push({ reply: fence(fixture('candidates/wrong_off_by_one_mask.py')) }, { reply: fence(fixture('candidates/vector_add_correct.py')) });
    await selectInFile('gen_demo.py', 10, 'a + b');
    const run = (await vscode.commands.executeCommand('tritonize.generate', { confirmProblem: false, showDiff: false })) as Run | undefined;
    assert.ok(run, 'generate returned no run (see the Tritonize log)');
    assert.equal(run.status, 'done', run.error ?? '');
    assert.deepEqual(run.candidates.map((c) => c.report?.verdict), ['incorrect', 'correct']);
    assert.equal(run.bestCandidateId, run.candidates[1]!.id);
    assert.ok(existsSync(path.join(workspaceRoot(), '.tritonize', 'runs', run.id, 'run.json')));
    // The repair prompt carried the evidence of the failed attempt.
    assert.match(String(fake.requests[1]!.body.messages!.at(-1)!.content), /incorrect/i);
    const wrong = vscode.Uri.file(run.candidates[0]!.path!);
    // Results show on the generated files the user opens (see lifecycle.test.ts).
    await vscode.window.showTextDocument(wrong, { preview: true });
    await waitFor('diagnostics on the wrong candidate', () => vscode.languages.getDiagnostics(wrong).some((d) => d.source === 'tritonize'), 30_000);
    // The panel state (host-owned) shows this run.
    const { runs } = await api();
    assert.equal(runs.state().current?.id, run.id);
    assert.ok(runs.state().history.some((h) => h.id === run.id));
  });

  it('ends a correct run with the diff of the user\'s own file against what Apply would write', async () => {
    fake.push({ reply: fence(fixture('candidates/vector_add_correct.py')) });
    const file = path.join(workspaceRoot(), 'gen_preview.py');
    const text = `${USER_FILE}\n\nif __name__ == "__main__":\n    main()\n`;
    writeFileSync(file, text);
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    const col = editor.document.lineAt(10).text.indexOf('a + b');
    editor.selection = new vscode.Selection(10, col, 10, col + 5);
    const run = (await vscode.commands.executeCommand('tritonize.generate', { confirmProblem: false })) as Run | undefined;
    assert.equal(run?.status, 'done', run?.error ?? 'no run');
    const tab = await waitFor('the Apply preview diff', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs)
      .find((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === 'tritonize-preview'), 60_000);
    const input = tab.input as vscode.TabInputTextDiff;
    assert.equal(input.original.fsPath, file);
    const proposed = (await vscode.workspace.openTextDocument(input.modified)).getText();
    // The call replaces the selection in the user's file; the kernel goes to the new module.
    assert.match(proposed, /c = tritonize_\w+\(a, b\)/);
    assert.match(proposed, /from \.?gen_preview_triton import|import gen_preview_triton/);
    assert.match(tab.label, /gen_preview\.py after Apply/);
    // Nothing was written.
    assert.equal(readFileSync(file, 'utf8'), text);
    assert.ok(!existsSync(path.join(workspaceRoot(), 'gen_preview_triton.py')));
  });

  it('streams the reply to the panel while it is written (throttled partial states)', async () => {
    const { panel } = await api();
    await vscode.commands.executeCommand('tritonize.showPanel');
    await waitFor('panel to resolve', () => panel.isResolved, 30_000);
    const reply = fence(fixture('candidates/vector_add_correct.py'));
    const chunkSize = 24;
    const chunks = Math.ceil(reply.length / chunkSize);
    fake.push({ reply, chunkSize, chunkDelayMs: 25 });
    await selectInFile('gen_stream.py', 10, 'a + b');
    const pushes: number[] = [];
    const partials: string[] = [];
    const sub = panel.onDidPush(({ state, reason, at }) => {
      // The webview's own `ready` (it may finish loading mid-stream on a busy machine) is answered
      // at once, outside the throttle: only change pushes are counted, at the time they were sent.
      if (reason !== 'change') return;
      pushes.push(at);
      const c = state.current?.candidates.find((x) => x.stage === 'generating');
      if (c?.code) partials.push(c.code);
    });
    let run: Run | undefined;
    try {
      run = (await vscode.commands.executeCommand('tritonize.generate', { confirmProblem: false, showDiff: false })) as Run | undefined;
    } finally {
      sub.dispose();
    }
    assert.equal(run?.status, 'done', run?.error ?? '');
    const distinct = [...new Set(partials)];
    assert.ok(distinct.length >= 2, `expected ≥ 2 distinct partial replies pushed to the panel, got ${distinct.length}`);
    for (let i = 0; i < distinct.length; i++) {
      assert.ok(reply.startsWith(distinct[i]!), 'a partial state is a prefix of the reply');
      if (i) assert.ok(distinct[i]!.length > distinct[i - 1]!.length, 'partials grow');
    }
    // Throttled: far fewer messages than chunks, never two within the push interval.
    assert.ok(partials.length < chunks / 2, `${partials.length} partial pushes for ${chunks} chunks`);
    const gaps = pushes.slice(1).map((t, i) => t - pushes[i]!);
    assert.ok(Math.min(...gaps) >= PUSH_INTERVAL_MS - 5, `pushes ${Math.min(...gaps)} ms apart`);
  });

  // Applying a selected function or class is covered by the backend's corpus
  // (python-backend/tests/test_apply_corpus.py) and, through the preview, by apply-verify.test.ts.

  it('refuses a problem whose reference does not run, pointing at the line, before any LLM call', async () => {
    const before = fake.requests.length;
    const file = path.join(workspaceRoot(), 'gen_broken.py');
    writeFileSync(file, USER_FILE.replace('    c = a + b\n', '    c = a + undefined_helper(b)\n'));
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    const line = 10;
    editor.selection = new vscode.Selection(line, 8, line, editor.document.lineAt(line).text.length);
    assert.equal(editor.document.getText(editor.selection), 'a + undefined_helper(b)');
    const run = await vscode.commands.executeCommand('tritonize.generate', { confirmProblem: false, showDiff: false });
    assert.equal(run, undefined);
    assert.equal(fake.requests.length, before, 'the LLM was called for a broken problem');
    // The backend refuses the unknown name while extracting (one line, no problem.py), or the
    // problem is written and its failing line shown: either way before any LLM call.
    const active = vscode.window.activeTextEditor!;
    if (/problem\.py$/.test(active.document.fileName))
      assert.match(active.document.lineAt(active.selection.active.line).text, /undefined_helper/, 'cursor not on the failing line');
  });

  it('stops with a clear error when the key is rejected (401)', async () => {
    fake.push({ status: 401 });
    await selectInFile('gen_401.py', 10, 'a + b');
    const run = (await vscode.commands.executeCommand('tritonize.generate', { confirmProblem: false, showDiff: false })) as Run | undefined;
    assert.equal(run?.status, 'failed');
    assert.match(run?.error ?? '', /key/i);
  });

  it('cancels a run whose LLM hangs', async () => {
    fake.push({ hang: 'after-headers' });
    await selectInFile('gen_cancel.py', 10, 'a + b');
    const pending = vscode.commands.executeCommand('tritonize.generate', { confirmProblem: false, showDiff: false }) as Thenable<Run | undefined>;
    const { runs } = await api();
    await waitFor('the run to start', () => runs.busy, 60_000);
    await vscode.commands.executeCommand('tritonize.cancel');
    const run = await pending;
    assert.equal(run?.status, 'cancelled');
    assert.equal(runs.busy, false);
  });
});
