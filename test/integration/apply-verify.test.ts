// Verify/benchmark a candidate file through the real kernel server (CPU interpreter), diagnostics
// at the reported line, and Apply through the diff preview (Accept) as one undoable WorkspaceEdit whose result runs.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Run, VerifyReport } from '../../src/extension/protocol';
import { api, EXTENSION_ID, waitFor, workspaceRoot } from './helpers';

function fixture(rel: string): string {
  const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
  return readFileSync(path.join(ext.extensionPath, 'python-backend', 'tests', rel), 'utf8');
}

function fakeRun(id: string, runDir: string, code: string): Run {
  const now = new Date().toISOString();
  return {
    id, problemName: 'vector add', problemPath: path.join(runDir, 'problem.py'), device: { name: 'CPU (Triton interpreter)', interpreter: true },
    startedAt: now, finishedAt: now, status: 'done', turn: 1, maxTurns: 1, bestCandidateId: 'c1', tokens: { prompt: 0, completion: 0 }, error: null,
    candidates: [{ id: 'c1', turn: 1, index: 0, stage: 'done', code, path: path.join(runDir, 'cand-c1.py'), error: null, tokens: { prompt: 0, completion: 0 },
      report: { schema: 1, verdict: 'correct', summary: 'correct on 3 trials', diagnostics: [] } as unknown as VerifyReport }],
  };
}

/** Runs the user's file as they would (async: a sync child would block the extension host). */
async function runFile(file: string): Promise<string> {
  const { stdout } = await promisify(execFile)(python(), [file], { cwd: path.dirname(file), env: { ...process.env, TRITON_INTERPRET: '1' }, encoding: 'utf8', timeout: 90_000 });
  return stdout;
}

function python(): string {
  return vscode.workspace.getConfiguration('tritonize').get<string>('python.interpreter') || 'python3';
}

describe('verify a candidate file', function () {
  this.timeout(240_000);

  it('reports "incorrect" for a wrong kernel, with a diagnostic at the reported line', async () => {
    await api();
    const dir = path.join(workspaceRoot(), '.tritonize', 'runs', 'itest-verify');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'problem.py'), fixture('problems/vector_add.py'));
    const cand = path.join(dir, 'cand-wrong.py');
    writeFileSync(cand, fixture('candidates/wrong_off_by_one_mask.py'));
    const uri = vscode.Uri.file(cand);
    // Diagnostics show on generated files the user has open (src/extension/results.ts), as a
    // user who clicks the code lens has.
    await vscode.window.showTextDocument(uri);
    // As the server's code lens sends it: the document URI as a string.
    const report = (await vscode.commands.executeCommand('tritonize.verifyCandidate', uri.toString())) as VerifyReport | undefined;
    assert.ok(report, 'no report (see the Tritonize log)');
    assert.equal(report.verdict, 'incorrect', report.summary);
    const expected = report.diagnostics.filter((d) => d.file === 'candidate' && d.line > 0);
    assert.ok(expected.length > 0, `report has no candidate diagnostics with a line: ${JSON.stringify(report.diagnostics)}`);
    const diags = await waitFor('tritonize diagnostics on the candidate',
      () => { const d = vscode.languages.getDiagnostics(uri).filter((x) => x.source === 'tritonize'); return d.length ? d : undefined; }, 30_000);
    for (const e of expected)
      assert.ok(diags.some((d) => d.range.start.line === e.line - 1), `no diagnostic at line ${e.line}: ${JSON.stringify(diags.map((d) => [d.range.start.line + 1, d.message]))}`);
  });

  it('reports "correct" for a correct kernel', async () => {
    const dir = path.join(workspaceRoot(), '.tritonize', 'runs', 'itest-verify');
    const cand = path.join(dir, 'cand-right.py');
    writeFileSync(cand, fixture('candidates/vector_add_correct.py'));
    const report = (await vscode.commands.executeCommand('tritonize.verifyCandidate', vscode.Uri.file(cand))) as VerifyReport | undefined;
    assert.equal(report?.verdict, 'correct', report?.summary);
  });
});

const MODEL_FILE = `import torch


class Shift(torch.nn.Module):
    def __init__(self, n):
        super().__init__()
        self.bias = torch.nn.Parameter(torch.randn(n))

    def forward(self, a):
        b = a + self.bias
        return b * 2


def main():
    torch.manual_seed(0)
    m = Shift(3000)
    a = torch.randn(3000)
    with torch.no_grad():
        c = m(a)
    print("sum", round(float(c.sum()), 3), tuple(c.shape))


if __name__ == "__main__":
    main()
`;

/** Accepts the pending Apply (the diff's Accept) once it is waiting. */
async function acceptPreview(applying: Thenable<unknown>): Promise<unknown> {
  let done = false;
  const result = Promise.resolve(applying).finally(() => { done = true; });
  const deadline = Date.now() + 120_000;
  while (!done && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    await Promise.resolve(vscode.commands.executeCommand('tritonize.acceptApply')).catch(() => undefined);
  }
  return result;
}

describe('apply a candidate through the diff preview', function () {
  this.timeout(300_000);

  async function setUp(name: string, selected: string, kind: 'expression' | 'statements'): Promise<{ file: string; runId: string }> {
    const { runs } = await api();
    const root = workspaceRoot();
    const file = path.join(root, `${name}.py`);
    writeFileSync(file, MODEL_FILE);
    const runId = `itest-apply-${name}`;
    const runDir = path.join(root, '.tritonize', 'runs', runId);
    mkdirSync(runDir, { recursive: true });
    const code = fixture('candidates/vector_add_correct.py');
    writeFileSync(path.join(runDir, 'cand-c1.py'), code);
    const doc = await vscode.workspace.openTextDocument(file);
    const line = 9; // "        b = a + self.bias"
    const start = doc.lineAt(line).text.indexOf(selected);
    const range = new vscode.Range(line, start, line, start + selected.length);
    assert.equal(doc.getText(range), selected);
    runs.start(fakeRun(runId, runDir, code), { uri: doc.uri, range, originalText: selected, call: { kind, name: 'Shift_forward', selection: range } },
      new AbortController());
    runs.finish(runId);
    return { file, runId };
  }

  it('a self. attribute expression, into a new module: the attribute is passed, and the program prints the same', async () => {
    const { file, runId } = await setUp('apply_attr', 'a + self.bias', 'expression');
    const before = await runFile(file);
    const ok = await acceptPreview(vscode.commands.executeCommand('tritonize.applyCandidate', { runId, candidateId: 'c1', placement: 'new-module' }));
    assert.equal(ok, true);
    const doc = await vscode.workspace.openTextDocument(file);
    assert.match(doc.getText(), /^from apply_attr_triton import tritonize_shift_forward_expr$/m);
    assert.match(doc.getText(), /b = tritonize_shift_forward_expr\(a, self\.bias\)/);
    const module = path.join(path.dirname(file), 'apply_attr_triton.py');
    assert.ok(existsSync(module), 'kernel module not created');
    assert.match(readFileSync(module, 'utf8'), /@triton\.jit/);
    await doc.save();
    assert.equal(await runFile(file), before);
  });

  it('an assignment statement, into the same file: the assignment is kept; one undo restores the original', async () => {
    const { file, runId } = await setUp('apply_stmt', 'b = a + self.bias', 'statements');
    const before = await runFile(file);
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    const ok = await acceptPreview(vscode.commands.executeCommand('tritonize.applyCandidate', { runId, candidateId: 'c1', placement: 'same-file' }));
    assert.equal(ok, true);
    const applied = editor.document.getText();
    assert.match(applied, /^import triton$/m);
    assert.match(applied, /^ {8}b = tritonize_shift_forward_lines\(a, self\.bias\)$/m);
    await editor.document.save();
    assert.equal(await runFile(file), before);
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('undo');
    await waitFor('undo to restore the file', () => editor.document.getText() === MODEL_FILE, 5_000);
  });
});
