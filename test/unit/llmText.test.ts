import assert from 'node:assert/strict';
import { extractCandidate, initialMessages, repairPrompt, targetDevice } from '../../src/core/llm';
import { EnvironmentResult, VerifyReport } from '../../src/core/protocol';

const MODULE = 'import torch\nimport triton\n\nclass ModelNew(torch.nn.Module):\n    pass\n';

describe('extractCandidate', () => {
  it('takes the last python block that defines ModelNew', () => {
    const reply = `Broken first:\n\`\`\`python\nclass ModelNew: old\n\`\`\`\nFixed:\n\`\`\`python\n${MODULE}\`\`\`\nUsage:\n\`\`\`python\nm = ModelNew()\n\`\`\``;
    assert.equal(extractCandidate(reply)?.code, MODULE);
  });
  it('accepts an untagged fence and an unterminated final fence (max tokens)', () => {
    assert.equal(extractCandidate(`\`\`\`\n${MODULE}\`\`\``)?.code, MODULE);
    assert.equal(extractCandidate(`text\n\`\`\`python\n${MODULE}`)?.code, MODULE);
  });
  it('returns null for prose or code without ModelNew', () => {
    assert.equal(extractCandidate('Use cuBLAS.'), null);
    assert.equal(extractCandidate('```python\nclass Model(nn.Module):\n    pass\n```'), null);
  });
});

describe('prompts', () => {
  const env = EnvironmentResult.parse({ python: '3.11', torch: '2.13', triton: '3.8', tritonize: '0.1', interpreter: false, problems: [],
    devices: [{ index: 0, name: 'NVIDIA H100 80GB HBM3', capability: '9.0', sm_count: 132, memory_gb: 80, peak_gbps: 3350 }] });

  it('the first prompt has the problem, the device, the inputs and the verifier rules', () => {
    const [sys, user] = initialMessages({ problemSource: 'class Model: ...', device: targetDevice(env, 'cuda'), inputs: [{ shape: [4096, 4096], dtype: 'float16' }], targetSpeedup: 1.2 });
    for (const rule of [/@triton\.jit/, /try\/except/, /extra streams/, /reference `Model`/, /hard-coded shapes/, /dtype precision/, /Mask every tl\.load/])
      assert.match(sys!.content, rule);
    assert.match(user!.content, /class Model: \.\.\./);
    assert.match(user!.content, /NVIDIA H100 80GB HBM3, compute capability 9\.0, 132 SMs/);
    assert.match(user!.content, /shape \[4096, 4096\], float16/);
    assert.match(user!.content, /1\.2x/);
    assert.match(initialMessages({ problemSource: 'x', device: targetDevice(env, 'cpu') })[1]!.content, /CPU interpreter/);
  });

  it('the repair prompt carries verdict, diagnostics with the source line, mismatch numbers, rule and timings', () => {
    const code = 'import triton\nx = 1\ny = tl.load(p + offs)\n';
    const incorrect = VerifyReport.parse({ schema: 1, verdict: 'incorrect', summary: 'output 0 differs in 12 of 1000 elements',
      diagnostics: [{ file: 'candidate', line: 3, message: 'unmasked load of the tail block', rule: 'mismatch', severity: 'error' }],
      correctness: { trials: [{ name: 'random-0', passed: false, outputs: [{ index: 0, shape: [1000], dtype: 'float32', ok: false,
        max_abs_err: 3.5, max_rel_err: 1.2, allowed_err: 1e-5, first_mismatch: [992], candidate_value: 0.0, expected_value: 1.25 }] }], flags: [] } });
    const text = repairPrompt({ code, report: incorrect, history: ['turn 1: compile_error — SyntaxError'] });
    assert.match(text, /Verdict: incorrect\. output 0 differs/);
    assert.match(text, /candidate line 3 \(mismatch\): unmasked load/);
    assert.match(text, /3 \| y = tl\.load\(p \+ offs\)/);
    assert.match(text, /max abs err 3\.5; .*first mismatch at \[992\]: got 0, expected 1\.25/);
    assert.match(text, /turn 1: compile_error/);

    const rejected = VerifyReport.parse({ schema: 1, verdict: 'rejected', summary: 'torch.matmul computes the output',
      diagnostics: [{ file: 'candidate', line: 0, message: 'aten.mm ran in forward', rule: 'pytorch_fallback', severity: 'error' }],
      anticheat: { triton_kernels: [], triton_launches: 0, torch_compute_ops: ['aten.mm.default'], time_coverage: null } });
    const rt = repairPrompt({ code, report: rejected });
    assert.match(rt, /\(pytorch_fallback\)/);
    assert.match(rt, /torch compute ops seen: aten\.mm\.default/);
    assert.match(rt, /breaking a rule/);

    const s = (ms: number) => ({ median_ms: ms, mean_ms: ms, std_ms: 0, ci95_ms: [ms, ms], min_ms: ms, n: 10, rel_spread: 0 });
    const slow = VerifyReport.parse({ schema: 1, verdict: 'correct', summary: 'correct', diagnostics: [],
      timings: { meaningful: true, eager: s(1), inductor: s(0.8), candidate: s(1.6), speedup_vs_eager: 0.625, speedup_vs_inductor: 0.5,
        flags: [], roofline: { pct_of_roofline: 31, achieved_gbps: 1040 } } });
    const st = repairPrompt({ code, report: slow, targetSpeedup: 1 });
    assert.match(st, /candidate 1\.6 ms, eager PyTorch 1 ms, torch\.compile 0\.8 ms/);
    assert.match(st, /0\.50x vs torch\.compile/);
    assert.match(st, /31% of the device's roofline, 1040 GB\/s/);
    assert.match(st, /correct at 0\.50x \(goal 1x\)\. Make it faster/);
  });
});
