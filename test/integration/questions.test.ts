// What a run waits on and what follows a run, in a real VS Code (code-server) with the real kernel
// server on CPU and the fake OpenAI server (try-outs 10 and 11): the question shown in the panel and
// answered there or from the title bar, Retry after a rejected key sending the confirmed problem
// again, the report as a Markdown preview, Clear results and History choosing what the editors
// show, and the deleted module's tab closing on undo.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PanelState, Run } from '../../src/extension/protocol';
import type { FakeOpenAI } from '../support/fakeOpenAI';
import { api, EXTENSION_ID, useFakeLlm, waitFor, workspaceRoot } from './helpers';

const fixture = (rel: string) =>
  readFileSync(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, rel), 'utf8');
const cand = (name: string) => fixture(`python-backend/tests/candidates/${name}`);
const fence = (code: string) => `Here you go.\n\n\`\`\`python\n${code.trimEnd()}\n\`\`\`\n`;

const ADD_FILE = `import torch


def main():
    a = torch.randn(3000)
    b = torch.randn(3000)
    with torch.no_grad():
        c = a + b
    print(float(c.sum()))


if __name__ == '__main__':
    main()
`;

async function selectIn(name: string, text: string, body = ADD_FILE): Promise<vscode.TextEditor> {
  const file = path.join(workspaceRoot(), name);
  writeFileSync(file, body);
  const editor = await vscode.window.showTextDocument(vscode.Uri.file(file), { viewColumn: vscode.ViewColumn.One });
  const at = editor.document.getText().indexOf(text);
  assert.ok(at >= 0, `${text} not in ${name}`);
  editor.selection = new vscode.Selection(editor.document.positionAt(at), editor.document.positionAt(at + text.length));
  return editor;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Read through a function: TypeScript would keep `ctx.lastError` narrowed to the undefined we set.
const lastError = (ctx: { lastError?: { message: string } }) => ctx.lastError;
type PanelInternals = { onMessage: (m: unknown) => Promise<void>; state: () => PanelState };
const allTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs);
const generated = (t: vscode.Tab) => {
  const input = t.input;
  const uris = input instanceof vscode.TabInputText ? [input.uri] : input instanceof vscode.TabInputTextDiff ? [input.original, input.modified] : [];
  return uris.some((u) => u.fsPath.includes(`${path.sep}.tritonize${path.sep}`) || u.scheme.startsWith('tritonize-'));
};

describe('questions and what follows a run (fake LLM, real kernel server on CPU)', function () {
  this.timeout(300_000);
  let fake: FakeOpenAI;

  useFakeLlm(2, (f) => { fake = f; });

  it('the confirmation is in the panel and the title bar; a 401 retried sends the confirmed problem again', async () => {
    const { ctx, panel } = await api();
    const host = panel as unknown as PanelInternals;
    fake.push({ status: 401 });
    await selectIn('q_confirm.py', 'a + b');
    const running = vscode.commands.executeCommand('tritonize.generate', { confirmProblem: true, showDiff: false }) as Thenable<Run | undefined>;
    const q = await waitFor('the confirmation question', () => host.state().question, 120_000);
    assert.deepEqual(q.actions.slice(0, 2), ['Looks right', 'Edit']);
    assert.match(q.text, /this is the problem the model will solve/);
    assert.match(ctx.status.text, /\$\(bell\) Tritonize: waiting for you: confirm problem\.py/);
    // Asking again (the status item's click) keeps the question open: VS Code replaces an identical
    // notification and resolves the old one with undefined, which dismissed it (try-out 12).
    await vscode.commands.executeCommand('tritonize.showQuestion');
    await vscode.commands.executeCommand('tritonize.showQuestion');
    await sleep(1000);
    assert.equal(host.state().question?.id, q.id, 'asking again dismissed the question');
    assert.match(ctx.status.text, /waiting for you/);
    // A stale id does nothing; the panel's button with the live id answers.
    await host.onMessage({ type: 'answer', questionId: 'not-the-question', action: 'Looks right' });
    assert.equal(host.state().question?.id, q.id, 'a stale answer closed the question');
    await host.onMessage({ type: 'answer', questionId: q.id, action: 'Looks right' });
    const failed = await running;
    assert.equal(failed?.status, 'failed', failed?.error ?? 'no run');
    assert.match(failed!.error ?? '', /key|401/i);
    assert.equal(host.state().question ?? null, null);
    assert.doesNotMatch(ctx.status.text, /waiting for you/);

    // Retry (what the error's Retry and "Set API key" run): the same confirmed problem, no new
    // recording and no second question.
    let asked = 0;
    const sub = ctx.questions.onDidChange(() => { if (ctx.questions.current) asked += 1; });
    fake.push({ reply: fence(cand('vector_add_correct.py')) });
    const retried = (await vscode.commands.executeCommand('tritonize.retryLastRun', { confirmProblem: true, showDiff: false })) as Run | undefined;
    sub.dispose();
    assert.equal(retried?.status, 'done', retried?.error ?? 'no run');
    assert.notEqual(retried!.id, failed!.id);
    assert.match(retried!.problemName, /^.+ \(retry of the .+ run\)$/, 'History does not say the run is a retry');
    assert.equal(asked, 0, 'the retry asked for the confirmation again');
    assert.equal(readFileSync(retried!.problemPath, 'utf8'), readFileSync(failed!.problemPath, 'utf8'));
    assert.equal(retried!.candidates[0]?.report?.verdict, 'correct');
    // Nothing left to retry after a run that went through.
    const again = await vscode.commands.executeCommand('tritonize.retryLastRun', { confirmProblem: false, showDiff: false });
    assert.equal(again, undefined);
    assert.match(ctx.lastError?.message ?? '', /No failed Tritonize run to retry/);
  });

  it('the title bar ✓ answers the confirmation; the report opens as a Markdown preview', async () => {
    const { panel } = await api();
    const host = panel as unknown as PanelInternals;
    fake.push({ reply: fence(cand('wrong_off_by_one_mask.py')) }, { reply: fence(cand('vector_add_correct.py')) });
    await selectIn('q_title.py', 'a + b');
    const running = vscode.commands.executeCommand('tritonize.generate', { confirmProblem: true, showDiff: false }) as Thenable<Run | undefined>;
    await waitFor('the confirmation question', () => host.state().question, 120_000);
    await vscode.commands.executeCommand('tritonize.problemLooksRight');
    const run = await running;
    assert.equal(run?.status, 'done', run?.error ?? 'no run');
    const wrong = run!.candidates.find((c) => c.report?.verdict === 'incorrect')!;
    await host.onMessage({ type: 'openReport', runId: run!.id, candidateId: wrong.id });
    const preview = await waitFor('the report preview', () => allTabs().find((t) => t.input instanceof vscode.TabInputWebview && /report-1\.1\.md/.test(t.label)), 20_000);
    assert.match((preview.input as vscode.TabInputWebview).viewType, /markdown\.preview/);
    assert.equal(allTabs().filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.scheme === 'tritonize-view').length, 0,
      'the report\'s Markdown source stayed open beside its preview');
    // The reply next: one view slot, so the report preview goes.
    await host.onMessage({ type: 'openReply', runId: run!.id, candidateId: wrong.id });
    await waitFor('the report preview to close', () => !allTabs().some((t) => t.input instanceof vscode.TabInputWebview && /report-/.test(t.label)), 10_000);
  });

  it('History chooses what the editors show; Clear results closes the generated tabs and empties the panel', async () => {
    const { panel, runs } = await api();
    const host = panel as unknown as PanelInternals;
    fake.push({ reply: fence(cand('vector_add_correct.py')) });
    await selectIn('q_hist1.py', 'a + b');
    const first = (await vscode.commands.executeCommand('tritonize.generate', { confirmProblem: false, showDiff: false })) as Run | undefined;
    fake.push({ reply: fence(cand('vector_add_correct.py')) });
    await selectIn('q_hist2.py', 'a + b');
    const second = (await vscode.commands.executeCommand('tritonize.generate', { confirmProblem: false, showDiff: false })) as Run | undefined;
    assert.equal(first?.status, 'done');
    assert.equal(second?.status, 'done');
    await vscode.window.showTextDocument(vscode.Uri.file(second!.candidates[0]!.path!), { preview: true, viewColumn: vscode.ViewColumn.Two });
    // The older run chosen in History: the newer run's tab goes, the older run's candidate shows,
    // titled with its run's time.
    await host.onMessage({ type: 'selectRun', runId: first!.id });
    assert.equal(runs.state().current?.id, first!.id);
    const secondDir = path.dirname(second!.problemPath);
    assert.ok(!allTabs().some((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath.startsWith(secondDir)), 'the newer run\'s tab stayed');
    const diff = allTabs().find((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.fsPath === first!.candidates[0]!.path);
    assert.ok(diff, `no diff of the chosen run's candidate among ${allTabs().map((t) => t.label).join(' | ')}`);
    assert.match(diff.label, /candidate 1\.1 of the .+ run \(correct\)/);

    const cleared = await vscode.commands.executeCommand('tritonize.clearResults');
    assert.equal(typeof cleared, 'number');
    assert.deepEqual(allTabs().filter(generated).map((t) => t.label), [], 'Clear results left generated tabs');
    assert.equal(runs.state().current, null, 'the panel still shows a run after Clear results');
    assert.ok(runs.state().history.some((h) => h.id === first!.id), 'Clear results emptied History');
  });

  it('Accept from the panel applies; one undo deletes the new module and closes its tab', async () => {
    const { panel } = await api();
    const host = panel as unknown as PanelInternals;
    fake.push({ reply: fence(cand('vector_add_correct.py')) });
    const editor = await selectIn('q_apply.py', 'a + b');
    const run = (await vscode.commands.executeCommand('tritonize.generate', { confirmProblem: false, showDiff: false })) as Run | undefined;
    assert.equal(run?.status, 'done', run?.error ?? 'no run');
    const applying = vscode.commands.executeCommand('tritonize.applyCandidate', { runId: run!.id, placement: 'new-module' });
    const q = await waitFor('the Accept / Discard question', () => host.state().question, 120_000);
    assert.deepEqual(q.actions, ['Accept', 'Discard']);
    await host.onMessage({ type: 'answer', questionId: q.id, action: 'Accept' });
    assert.equal(await applying, true);
    // The proposed diff, the proposed module and the end-of-run preview are all closed (a stale Tab
    // object left the module's proposed tab open in try-out 12).
    assert.deepEqual(allTabs().filter((t) => {
      const input = t.input as { uri?: vscode.Uri; modified?: vscode.Uri };
      return ['tritonize-proposed', 'tritonize-preview'].includes((input?.modified ?? input?.uri)?.scheme ?? '');
    }).map((t) => t.label), []);
    const module = path.join(workspaceRoot(), 'q_apply_triton.py');
    assert.ok(existsSync(module));
    await vscode.window.showTextDocument(vscode.Uri.file(module), { preview: false, viewColumn: vscode.ViewColumn.Two });
    await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn });
    await vscode.commands.executeCommand('undo');
    await waitFor('undo to restore the file and delete the module', () => editor.document.getText() === ADD_FILE && !existsSync(module), 10_000);
    await waitFor('the deleted module\'s tab to close', () => !allTabs().some((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath === module), 10_000);
  });

  it('a file typed into while Accept waits is not written: the Apply is refused, the typing kept', async () => {
    const { panel, ctx } = await api();
    const host = panel as unknown as PanelInternals;
    fake.push({ reply: fence(cand('vector_add_correct.py')) });
    const editor = await selectIn('q_typed.py', 'a + b');
    const run = (await vscode.commands.executeCommand('tritonize.generate', { confirmProblem: false, showDiff: false })) as Run | undefined;
    assert.equal(run?.status, 'done', run?.error ?? 'no run');
    ctx.lastError = undefined;
    const applying = vscode.commands.executeCommand('tritonize.applyCandidate', { runId: run!.id, placement: 'same-file' });
    const q = await waitFor('the Accept / Discard question', () => host.state().question, 120_000);
    // The user adds a line above the selection while the question waits.
    const typing = new vscode.WorkspaceEdit(); // (the diff took the file's editor: an edit as typing does)
    typing.insert(editor.document.uri, new vscode.Position(0, 0), '# a note\n');
    assert.ok(await vscode.workspace.applyEdit(typing));
    const typed = editor.document.getText();
    await host.onMessage({ type: 'answer', questionId: q.id, action: 'Accept' });
    assert.equal(await applying, undefined);
    assert.match(lastError(ctx)?.message ?? '', /changed while the Apply waited for Accept; nothing was written/);
    assert.equal(editor.document.getText(), typed);
    // Apply again, as the message says: the selection only moved down a line, so it applies there
    // (it was refused as "changed" in try-out 12b), keeping the user's line.
    ctx.lastError = undefined;
    const again = vscode.commands.executeCommand('tritonize.applyCandidate', { runId: run!.id, placement: 'same-file' });
    // A failed second Apply says why (the recording once ran the file as saved, without the typed
    // line: the selection was never reached).
    const q2 = await waitFor('the second Accept / Discard question', () => {
      const failed = lastError(ctx)?.message;
      if (failed) throw new Error(`the second Apply failed: ${failed}`);
      return host.state().question;
    }, 120_000);
    await host.onMessage({ type: 'answer', questionId: q2.id, action: 'Accept' });
    assert.equal(await again, true, lastError(ctx)?.message);
    const after = editor.document.getText();
    assert.match(after, /^# a note$/m);
    assert.doesNotMatch(after, /c = a \+ b/);
    assert.match(after, /c = tritonize_\w+\(a, b\)/);
  });
});
