import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProblem, ProblemError, type SelectionInput } from '../../src/core/problem';
import { REPO_ROOT, VENV_PYTHON } from '../support/backend';

/** Runs the problem the way the harness does: Model(*get_init_inputs())(*get_inputs()). */
function runProblem(source: string): string {
  const script = `${source}\n\n_m = Model(*get_init_inputs())\n_o = _m(*get_inputs())\n_o = _o if isinstance(_o, (tuple, list)) else [_o]\nprint('OK', [tuple(t.shape) for t in _o], [str(t.dtype) for t in _o])\n`;
  const r = spawnSync(VENV_PYTHON, ['-c', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `problem did not run:\n${r.stderr}\n--- source ---\n${source}`);
  return r.stdout.trim();
}
const python = existsSync(VENV_PYTHON);

function at(document: string, selected: string): SelectionInput {
  const idx = document.indexOf(selected);
  assert.ok(idx >= 0, 'selection not in document');
  return { selection: selected, document, startLine: document.slice(0, idx).split('\n').length - 1, fileName: '/ws/model.py' };
}

describe('problem builder', function () {
  this.timeout(60_000);

  it('(a) keeps a selection that already is a KernelBench problem', () => {
    const src = 'import torch\nimport torch.nn as nn\n\nclass Model(nn.Module):\n    def forward(self, x):\n        return x * 2\n\ndef get_inputs():\n    return [torch.randn(8)]\n\ndef get_init_inputs():\n    return []\n';
    const p = buildProblem({ selection: src });
    assert.equal(p.kind, 'problem');
    assert.equal(p.source, src);
    assert.equal(p.needsInput, false);
    assert.deepEqual(p.forwardArgs, ['x']);
  });

  it('(a) selecting just class Model in a problem file takes the whole file', () => {
    const doc = 'import torch\nimport torch.nn as nn\n\nclass Model(nn.Module):\n    def forward(self, x):\n        return x.relu()\n\ndef get_inputs():\n    return [torch.randn(8)]\n\ndef get_init_inputs():\n    return []\n';
    const p = buildProblem(at(doc, 'class Model(nn.Module):\n    def forward(self, x):\n        return x.relu()\n'));
    assert.equal(p.kind, 'problem');
    assert.equal(p.source, doc);
  });

  const rmsnormDoc = [
    'import torch',
    'import torch.nn as nn',
    '',
    'HIDDEN = 4096',
    '',
    'class RMSNorm(nn.Module):',
    '    def __init__(self, dim: int, eps: float = 1e-6):',
    '        super().__init__()',
    '        self.eps = eps',
    '        self.weight = nn.Parameter(torch.ones(dim))',
    '',
    '    def forward(self, x):  # x: [8, 512, HIDDEN] float16',
    '        var = x.float().pow(2).mean(-1, keepdim=True)',
    '        return (x.float() * torch.rsqrt(var + self.eps)).to(x.dtype) * self.weight',
    '',
    'norm = RMSNorm(HIDDEN)',
  ].join('\n');

  it('(b) wraps an nn.Module class: subclass named Model, init args from the call site, shapes from comments', () => {
    const sel = rmsnormDoc.slice(rmsnormDoc.indexOf('class RMSNorm'), rmsnormDoc.indexOf('\n\nnorm ='));
    const p = buildProblem(at(rmsnormDoc, sel));
    assert.equal(p.kind, 'module');
    assert.equal(p.name, 'RMSNorm');
    assert.equal(p.needsInput, false, p.todos.join('; '));
    assert.match(p.source, /class Model\(RMSNorm\):/);
    assert.match(p.source, /x = torch\.randn\(8, 512, 4096, dtype=torch\.float16\)/);
    assert.match(p.source, /def get_init_inputs\(\):\n {4}return \[\n {8}4096,/);
    if (python) assert.match(runProblem(p.source), /OK \[\(8, 512, 4096\)\] \['torch.float32'\]/);
  });

  it('(b) a class whose inputs cannot be inferred gets marked placeholders and needsInput', () => {
    const sel = 'class Scale(nn.Module):\n    def __init__(self, factor):\n        super().__init__()\n        self.factor = factor\n\n    def forward(self, x):\n        return x * self.factor\n';
    const p = buildProblem({ selection: sel });
    assert.equal(p.needsInput, true);
    assert.match(p.source, /# TODO: set shape \(and dtype\) of x/);
    assert.match(p.source, /None,\s+# TODO: set factor/);
    assert.equal(p.todos.length, 2);
  });

  it('(b) a class that is not an nn.Module is refused with a reason', () => {
    assert.throws(() => buildProblem({ selection: 'class Config:\n    size = 3\n' }),
      (e: unknown) => e instanceof ProblemError && e.kind === 'unsupported' && /not an nn\.Module/.test(e.message));
  });

  const fnDoc = [
    'import torch',
    'import torch.nn.functional as F',
    'from mylib.utils import unused_thing',
    '',
    'def _act(t):',
    '    return F.gelu(t, approximate="tanh")',
    '',
    'def bias_gelu(x: torch.Tensor, bias: torch.Tensor, scale: float = 1.0) -> torch.Tensor:',
    '    """Fused bias + GELU.',
    '',
    '    x: [2048, 1024] bfloat16',
    '    bias: [1024] bfloat16',
    '    """',
    '    return _act(x + bias) * scale',
  ].join('\n');

  it('(c) wraps a function: forward calls it, helpers and used imports come along, docstring shapes are used', () => {
    const sel = fnDoc.slice(fnDoc.indexOf('def bias_gelu'));
    const p = buildProblem(at(fnDoc, sel));
    assert.equal(p.kind, 'function');
    assert.equal(p.name, 'bias_gelu');
    assert.equal(p.needsInput, false, p.todos.join('; '));
    assert.deepEqual(p.forwardArgs, ['x', 'bias']);
    assert.match(p.source, /return bias_gelu\(x, bias\)/);
    assert.match(p.source, /def _act\(t\):/);
    assert.match(p.source, /import torch\.nn\.functional as F/);
    assert.doesNotMatch(p.source, /mylib/);
    assert.match(p.source, /x = torch\.randn\(2048, 1024, dtype=torch\.bfloat16\)/);
    if (python) assert.match(runProblem(p.source), /OK \[\(2048, 1024\)\] \['torch.bfloat16'\]/);
  });

  it('(c) takes shapes from a call site with torch.randn arguments and scalar args as init inputs', () => {
    const doc = [
      'import torch',
      'def softmax_t(x, dim: int, temperature):',
      '    return torch.softmax(x / temperature, dim=dim)',
      '',
      'if __name__ == "__main__":',
      '    a = torch.randn(64, 1000, dtype=torch.float16)',
      '    softmax_t(a, 1, 0.5)',
    ].join('\n');
    const p = buildProblem(at(doc, 'def softmax_t(x, dim: int, temperature):\n    return torch.softmax(x / temperature, dim=dim)'));
    assert.equal(p.needsInput, false, p.todos.join('; '));
    assert.match(p.source, /x = torch\.randn\(64, 1000, dtype=torch\.float16\)/);
    assert.match(p.source, /return softmax_t\(x, dim=self\.dim, temperature=self\.temperature\)/);
    if (python) assert.match(runProblem(p.source), /OK \[\(64, 1000\)\]/);
  });

  const snippetDoc = [
    'import torch',
    'import math',
    '',
    'def attention(q, k, v, causal: bool = True):',
    '    # q: [4, 8, 128, 64] float32',
    '    # k: [4, 8, 128, 64] float32',
    '    scale = 1.0 / math.sqrt(q.shape[-1])',
    '    scores = (q @ k.transpose(-2, -1)) * scale',
    '    probs = torch.softmax(scores, dim=-1)',
    '    out = probs @ v',
    '    return out',
  ].join('\n');

  it('(d) lines inside a function: free variables become forward arguments, used results are returned', () => {
    const sel = '    scale = 1.0 / math.sqrt(q.shape[-1])\n    scores = (q @ k.transpose(-2, -1)) * scale\n    probs = torch.softmax(scores, dim=-1)\n';
    const p = buildProblem(at(snippetDoc, sel));
    assert.equal(p.kind, 'snippet');
    assert.deepEqual(p.forwardArgs, ['q', 'k']);
    assert.match(p.source, /def forward\(self, q, k\):/);
    assert.match(p.source, /return probs\n/);
    assert.match(p.source, /import math/);
    assert.match(p.source, /q = torch\.randn\(4, 8, 128, 64\)/);
    assert.equal(p.needsInput, false);
    assert.equal(p.name, 'attention_lines');
    if (python) assert.match(runProblem(p.source), /OK \[\(4, 8, 128, 128\)\]/);
  });

  it('(d) an unknown free variable gets a placeholder and needsInput', () => {
    const sel = '    probs = torch.softmax(scores, dim=-1)\n    out = probs @ v\n';
    const p = buildProblem(at(snippetDoc, sel));
    assert.deepEqual(p.forwardArgs, ['scores', 'v']);
    assert.equal(p.needsInput, true);
    assert.match(p.source, /scores = torch\.randn\(1024, 1024\)  # TODO: set shape \(and dtype\) of scores/);
  });

  it('(d) a bare expression is returned; self.attr becomes an input with the shape from __init__', () => {
    const doc = [
      'import torch',
      'import torch.nn as nn',
      'class Lin(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.w = nn.Parameter(torch.randn(256, 128))',
      '    def forward(self, x):  # x: [32, 128]',
      '        return torch.relu(x @ self.w.t())',
    ].join('\n');
    const p = buildProblem(at(doc, 'torch.relu(x @ self.w.t())'));
    assert.deepEqual(p.forwardArgs, ['x', 'w']);
    assert.match(p.source, /return torch\.relu\(x @ w\.t\(\)\)/);
    assert.match(p.source, /w = torch\.randn\(256, 128\)/);
    assert.equal(p.needsInput, false, p.todos.join('; '));
    if (python) assert.match(runProblem(p.source), /OK \[\(32, 256\)\]/);
  });

  it('(d) a scalar parameter of the enclosing function becomes an init input with its default', () => {
    const doc = 'import torch\ndef f(x, eps: float = 1e-5):\n    # x: [16, 32]\n    y = x / (x.abs().amax(-1, keepdim=True) + eps)\n    return y\n';
    const p = buildProblem(at(doc, '    y = x / (x.abs().amax(-1, keepdim=True) + eps)\n'));
    assert.deepEqual(p.forwardArgs, ['x']);
    assert.match(p.source, /def __init__\(self, eps\)/);
    assert.match(p.source, /1e-5,/);
    if (python) runProblem(p.source);
  });

  it('(d) calling a submodule is refused with what to select instead', () => {
    assert.throws(() => buildProblem({ selection: 'h = self.proj(x)\ny = h.relu()\n' }),
      (e: unknown) => e instanceof ProblemError && e.kind === 'unsupported' && /self\.proj/.test(e.message) && /whole nn\.Module class/.test(e.message));
  });

  it('uses symbolic dims resolved through constants, and flags unresolved ones', () => {
    const doc = 'import torch\nB, D = 16, 256\ndef g(x):\n    # x: [B, D, T] float32\n    return x.sum(-1)\n';
    const p = buildProblem(at(doc, 'def g(x):\n    # x: [B, D, T] float32\n    return x.sum(-1)'));
    assert.match(p.source, /x = torch\.randn\(16, 256, 1024\)  # TODO: set T/);
    assert.equal(p.needsInput, true);
  });

  it('the rmsnorm region of examples/model_code.py: self.eps becomes an init scalar, self.weight an input sized from defaults', function () {
    const file = join(REPO_ROOT, 'examples', 'model_code.py');
    if (!existsSync(file)) this.skip();
    const doc = readFileSync(file, 'utf8');
    const lines = doc.split('\n');
    const start = lines.findIndex((l) => l.includes('x32 = x.float()'));
    assert.ok(start > 0);
    const selection = lines.slice(start, start + 3).join('\n');
    const p = buildProblem({ selection, document: doc, startLine: start, fileName: file });
    assert.equal(p.kind, 'snippet');
    assert.equal(p.needsInput, false, p.todos.join('; '));
    assert.deepEqual(p.forwardArgs, ['x', 'weight']);
    assert.match(p.source, /def __init__\(self, eps\)/);
    assert.match(p.source, /weight = torch\.randn\(1024\)/);
    if (python) assert.match(runProblem(p.source), /OK \[\(2, 128, 1024\)\]/);
  });

  it('a call-site argument that is a caller variable is not pasted in as a name', () => {
    const doc = 'import torch\nimport torch.nn as nn\nclass Norm(nn.Module):\n    def __init__(self, dim):\n        super().__init__()\n        self.dim = dim\n    def forward(self, x):  # x: [4, 8]\n        return x / self.dim\n\ndef build(size):\n    return Norm(size)\n';
    const p = buildProblem(at(doc, doc.slice(doc.indexOf('class Norm'), doc.indexOf('\n\ndef build'))));
    assert.doesNotMatch(p.source, /^\s+size,/m);
    assert.equal(p.needsInput, true);
    assert.match(p.source, /None,\s+# TODO: set dim/);
  });

  describe('broken selections', () => {
    const fails = (selection: string, kind: string, msg: RegExp) => () =>
      assert.throws(() => buildProblem({ selection }), (e: unknown) => e instanceof ProblemError && e.kind === kind && msg.test(e.message));
    it('empty', fails('   \n\t\n', 'empty', /Nothing is selected/));
    it('unbalanced parenthesis', fails('y = torch.relu(x\n', 'unbalanced', /never closed/));
    it('stray closer', fails('x, dim=1)\ny = x\n', 'unbalanced', /Unmatched/));
    it('unterminated string', fails('s = "abc\n', 'unbalanced', /Unterminated string/));
    it('C code', fails('int main() {\n  return 0;\n}\n', 'not_python', /does not look like Python/));
    it('JavaScript', fails('const y = x.map((v) => v * 2);\nconsole.log(y);\n', 'not_python', /does not look like Python/));
    it('a selection starting inside a block', fails('        y = x + 1\n    return y\n', 'indentation', /starts inside a block/));
    it('only a comment', fails('# just a note\n', 'unsupported', /computes nothing/));
  });
});
