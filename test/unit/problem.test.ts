// Selection → problem and Apply, headless: `tritonize-agent extract|apply` against the real Python
// server (Python's ast/symtable; real shapes recorded by running the file once) on the file from
// issue 11, where the old TypeScript builder broke the program.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyTextEdits } from '../../src/core/protocol';
import { parseRange } from '../../src/cli/selection';
import { backendUnavailable, REPO_ROOT, VENV_PYTHON } from '../support/backend';

const CLI = join(REPO_ROOT, 'dist', 'cli.js');
const MODEL = join(REPO_ROOT, 'examples', 'model_code.py');

function cli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args, '--python', VENV_PYTHON, '--timeout', '600'], { cwd, env: { ...process.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `L:C-L:C` (1-based, end exclusive) of the first occurrence of `text` in `file`. */
function rangeOf(file: string, text: string): string {
  const src = readFileSync(file, 'utf8');
  const at = src.indexOf(text);
  assert.ok(at >= 0, `${text} not in ${file}`);
  const pos = (off: number) => {
    const before = src.slice(0, off).split('\n');
    return `${before.length}:${before.at(-1)!.length + 1}`;
  };
  return `${pos(at)}-${pos(at + text.length)}`;
}

function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tritonize-apply-'));
  copyFileSync(MODEL, join(dir, 'model_code.py'));
  return dir;
}

function runPython(file: string, cwd: string): string {
  const r = spawnSync(VENV_PYTHON, [file], { cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, TRITON_INTERPRET: '1' } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('selection ranges and edits', () => {
  it('--range is 1-based with an exclusive end column; --lines takes whole lines', () => {
    const text = 'a = 1\nbb = a + 2\n';
    assert.deepEqual(parseRange(text, '2:6-2:11', undefined), { start: { line: 1, character: 5 }, end: { line: 1, character: 10 } });
    assert.deepEqual(parseRange(text, undefined, '1-2'), { start: { line: 0, character: 0 }, end: { line: 1, character: 10 } });
    // CLI columns are characters (code points); LSP characters are UTF-16 code units (an emoji is 2).
    assert.deepEqual(parseRange('s = "😀日" + x * 2\n', '1:12-1:17', undefined),
      { start: { line: 0, character: 12 }, end: { line: 0, character: 17 } });
    assert.throws(() => parseRange(text, '2:6-1:1', undefined), /empty or reversed/);
    assert.throws(() => parseRange(text, undefined, '3-9'), /outside the file/);
    assert.throws(() => parseRange(text, 'x', undefined), /L1:C1-L2:C2/);
  });

  it('applies LSP edits in any order', () => {
    const text = 'import torch\n\ny = a + b\n';
    const out = applyTextEdits(text, [
      { range: { start: { line: 2, character: 4 }, end: { line: 2, character: 9 } }, newText: 'k(a, b)' },
      { range: { start: { line: 0, character: 12 }, end: { line: 0, character: 12 } }, newText: '\nfrom m import k' },
    ]);
    assert.equal(out, 'import torch\nfrom m import k\n\ny = k(a, b)\n');
  });
});

describe('tritonize-agent extract / apply (real backend)', function () {
  this.timeout(900_000);
  before(function () { if (backendUnavailable() || !existsSync(CLI)) this.skip(); });

  it('extract: a self. attribute becomes an input; the shapes are the real 3-D ones, recorded', async () => {
    const dir = workdir();
    const file = join(dir, 'model_code.py');
    const r = await cli(['extract', file, '--range', rangeOf(file, 'F.gelu(h + self.up_bias)'), '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const ext = JSON.parse(r.stdout);
    assert.equal(ext.kind, 'expression');
    assert.equal(ext.shapes, 'recorded');
    assert.deepEqual(ext.inputs.map((i: { expr: string }) => i.expr), ['h', 'self.up_bias']);
    assert.match(ext.problem, /def forward\(self, h, up_bias\):\n\s+return F\.gelu\(h \+ up_bias\)/);
    assert.match(ext.problem, /\(2, 128, 4096\)/); // h as the program really has it, not a guessed 2-D shape
  });

  it('apply: the assignment is kept, the file parses, runs and prints what it printed', async () => {
    const dir = workdir();
    const file = join(dir, 'model_code.py');
    const before = runPython('model_code.py', dir);
    const range = rangeOf(file, 'probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)');
    const ex = await cli(['extract', file, '--range', range, '--out', join(dir, 'problem.py')], dir);
    assert.equal(ex.code, 0, ex.stderr);
    const problem = readFileSync(join(dir, 'problem.py'), 'utf8');
    const cand = join(dir, 'cand.py');
    writeFileSync(cand, `${problem}\n\nclass ModelNew(Model):\n    pass\n`);
    // The example's __main__ runs the model under torch.no_grad() (an inference demo): no
    // autograd refusal. With gradients on it would be refused until --inference-only (tested in
    // python-backend/tests/test_apply_redteam2.py).
    const dry = await cli(['apply', file, '--range', range, '--candidate', cand, '--dry-run'], dir);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^\+\s+probs = tritonize_attention_forward_lines\(scores, q\)$/m);
    assert.equal(readFileSync(file, 'utf8'), readFileSync(MODEL, 'utf8'), '--dry-run wrote the file');
    const r = await cli(['apply', file, '--range', range, '--candidate', cand, '--placement', 'module'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'model_code_triton.py')));
    assert.match(readFileSync(file, 'utf8'), /^from model_code_triton import tritonize_attention_forward_lines$/m);
    // Seeded differently each run: compare shapes only (the program prints the output shape).
    assert.equal(runPython('model_code.py', dir), before);
  });

  it('refuses what it cannot extract, with one line and the line number, exit 2', async () => {
    const dir = workdir();
    const file = join(dir, 'model_code.py');
    const cut = await cli(['extract', file, '--range', '36:13-36:30'], dir);
    assert.equal(cut.code, 2);
    assert.match(cut.stderr, /^tritonize-agent: the selection cuts a token in half.*\(line 36\)\n$/);
    const sub = await cli(['extract', file, '--range', rangeOf(file, 'self.down(h)')], dir);
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /calls self\.down\(…\), a submodule or method.*\(line 38\)/);
    const nothing = await cli(['extract', file, '--lines', '1-5'], dir);
    assert.equal(nothing.code, 2);
    assert.equal(nothing.stderr.trim().split('\n').length, 1);
  });
});
