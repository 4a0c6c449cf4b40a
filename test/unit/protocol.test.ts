import assert from 'node:assert/strict';
import {
  effectiveSpeedup, EnvironmentResult, HostToPanel, PanelToHost, Run, ValidateProblemResult, VerifyParams, VerifyReport,
} from '../../src/core/protocol';
import { candidateReportMarkdown } from '../../src/core/protocol/reportMarkdown';

const stat = (ms: number) => ({ median_ms: ms, mean_ms: ms, std_ms: 0.01, ci95_ms: [ms * 0.99, ms * 1.01], min_ms: ms * 0.98, n: 50, rel_spread: 0.02 });

/** A full report exactly as CONTRACT.md spells it. */
function contractReport(over: Record<string, unknown> = {}) {
  return {
    schema: 1, verdict: 'correct', summary: 'correct on 3 trials', problem: '/p.py', candidate: '/c.py',
    device: { type: 'cuda', name: 'NVIDIA H100 80GB HBM3', interpreter: false, capability: '9.0' },
    diagnostics: [{ file: 'candidate', line: 12, message: 'slow path', rule: 'pytorch_fallback', severity: 'warning' }],
    correctness: {
      trials: [{ name: 'random-0', passed: true, outputs: [{ index: 0, shape: [4, 8], dtype: 'float32', ok: true, max_abs_err: 1e-6,
        max_rel_err: 1e-5, cand_err_vs_fp64: 1e-6, ref_err_vs_fp64: 5e-7, allowed_err: 4e-6, first_mismatch: null,
        candidate_value: null, expected_value: null, min_tol_to_pass: 1e-6, passes_kernelbench_tol: true, reason: null }] }],
      policy: { precision: 'strict', factor: 8.0 }, flags: [],
    },
    anticheat: { triton_kernels: ['add_kernel'], triton_launches: 3, torch_compute_ops: [], time_coverage: 0.97 },
    timings: { meaningful: true, note: null, eager: stat(2), inductor: stat(1.5), candidate: stat(1), speedup_vs_eager: 2, speedup_vs_inductor: 1.5,
      flags: [], roofline: { bytes: 1234, flops: 5678, achieved_gbps: 1000, achieved_tflops: 1, peak_gbps: 3350, peak_tflops: 989, pct_of_roofline: 62 } },
    elapsed_s: 3.2, versions: { python: '3.11.7', torch: '2.13.0', triton: '3.8.0', tritonize: '0.1.0' },
    ...over,
  };
}

describe('protocol schemas', () => {
  it('accept the contract verify report and keep fields the Python side adds', () => {
    const r = VerifyReport.parse(contractReport({ future_field: { x: 1 } }));
    assert.equal(r.verdict, 'correct');
    assert.equal((r as Record<string, unknown>).future_field !== undefined, true);
    assert.equal(r.timings?.roofline?.pct_of_roofline, 62);
  });

  it('accept the benchmark clock fields (shape of a real H200 report) and reject an unknown clock', () => {
    const timings = {
      ...contractReport().timings, clock: 'kernel', clock_source: 'CUPTI activity records',
      event: { eager: stat(0.0578), candidate: stat(0.0365) }, kernel: { eager: stat(0.0544), candidate: stat(0.0304) },
      speedups: { kernel: { eager: 1.79, inductor: 1.40 }, event: { eager: 1.72, inductor: null } },
      outside: { judge_ms_per_call: 0.0648, claimed_ms_per_call: 0.0329, blocks: 25, latency_ms: { baseline: 0.58 } },
      recheck: { sampled_calls: 6, chosen_by: 'judge', failed: null },
      gpu_state: { available: true, throttled: false, clock_changed: false, reasons: [] },
      cuda_graph: { used: { eager: true, candidate: true }, errors: {} }, notes: [],
    };
    const r = VerifyReport.parse(contractReport({ timings }));
    assert.equal(r.timings?.clock, 'kernel');
    assert.equal(r.timings?.kernel?.candidate.median_ms, 0.0304);
    assert.equal(effectiveSpeedup(r), 1.5);
    assert.throws(() => VerifyReport.parse(contractReport({ timings: { ...timings, clock: 'sundial' } })));
    const failed = { ...timings, recheck: { sampled_calls: 2, failed: { call: 7, reason: 'stale' } } };
    assert.equal(VerifyReport.parse(contractReport({ timings: failed })).timings?.recheck?.failed?.reason, 'stale');
  });

  it('accept a minimal report of a candidate that never ran', () => {
    const r = VerifyReport.parse({ schema: 1, verdict: 'compile_error', summary: 'SyntaxError at line 3',
      diagnostics: [{ file: 'candidate', line: 3, message: 'invalid syntax', rule: 'compile_error', severity: 'error' }] });
    assert.equal(r.correctness, undefined);
    assert.equal(effectiveSpeedup(r), null);
  });

  it('reject what decisions depend on: unknown verdict, wrong schema, bad diagnostics, non-numeric speedup', () => {
    for (const bad of [
      contractReport({ verdict: 'probably_fine' }),
      contractReport({ schema: 2 }),
      contractReport({ summary: undefined }),
      contractReport({ diagnostics: [{ file: 'candidate', line: -1, message: 'x', rule: 'r', severity: 'error' }] }),
      contractReport({ diagnostics: [{ file: 'candidate', line: 1, message: 'x', rule: 'r', severity: 'fatal' }] }),
      contractReport({ timings: { ...contractReport().timings, speedup_vs_eager: '2x' } }),
    ]) assert.equal(VerifyReport.safeParse(bad).success, false, JSON.stringify(bad).slice(0, 120));
  });

  it('a flagged or not meaningful timing never counts as a speedup; Inductor wins over eager', () => {
    assert.equal(effectiveSpeedup(VerifyReport.parse(contractReport())), 1.5);
    const noInductor = contractReport({ timings: { ...contractReport().timings, inductor: null, speedup_vs_inductor: null } });
    assert.equal(effectiveSpeedup(VerifyReport.parse(noInductor)), 2);
    const flagged = contractReport({ timings: { ...contractReport().timings, flags: [{ rule: 'impossible_timing', message: 'too fast' }] } });
    assert.equal(effectiveSpeedup(VerifyReport.parse(flagged)), null);
    const cpu = contractReport({ timings: { ...contractReport().timings, meaningful: false } });
    assert.equal(effectiveSpeedup(VerifyReport.parse(cpu)), null);
    assert.equal(effectiveSpeedup(VerifyReport.parse(contractReport({ verdict: 'incorrect' }))), null);
  });

  it('environment: the contract shape, and the missing-torch answer', () => {
    const env = EnvironmentResult.parse({ python: '3.11.7', torch: '2.13.0', triton: '3.8.0', tritonize: '0.1.0',
      devices: [{ index: 0, name: 'H100', capability: '9.0', sm_count: 132, memory_gb: 80, peak_gbps: 3350,
        peak_tflops: { fp32: 67, tf32: 495, bf16: 989, fp16: 989 } }], interpreter: false, problems: ['a.py'] });
    assert.equal(env.devices[0]!.sm_count, 132);
    const missing = EnvironmentResult.parse({ python: '3.11', torch: null, triton: null, tritonize: '0.1.0', devices: [], interpreter: true,
      problems: [], error: 'torch and triton are not importable', missing: ['torch', 'triton'] });
    assert.deepEqual(missing.missing, ['torch', 'triton']);
    assert.equal(EnvironmentResult.safeParse({ python: '3.11', devices: 'none' }).success, false);
  });

  it('validateProblem result and verify params', () => {
    const ok = ValidateProblemResult.parse({ ok: true, error: null, inputs: [{ shape: [4, 8], dtype: 'float32' }], outputs: [], init_inputs: [] });
    assert.equal(ok.inputs.length, 1);
    assert.equal(ValidateProblemResult.parse({ ok: false, error: { message: 'x', line: 0 } }).inputs.length, 0);
    assert.equal(VerifyParams.safeParse({ problemPath: '/p', candidatePath: '/c', benchmark: true, device: 'cuda:1' }).success, true);
    assert.equal(VerifyParams.safeParse({ problemPath: '/p', candidatePath: '/c', benchmark: true, device: 'tpu' }).success, false);
    assert.equal(VerifyParams.safeParse({ problemPath: '', candidatePath: '/c', benchmark: false }).success, false);
    assert.equal(VerifyParams.safeParse({ problemPath: '/p', candidatePath: '/c' }).success, false);
  });

  const run = {
    id: 'r1', problemName: 'add', problemPath: '/w/.tritonize/runs/r1/problem.py', device: { name: 'CPU', interpreter: true },
    startedAt: '2026-11-23T21:00:00.000Z', finishedAt: null, status: 'running', turn: 1, maxTurns: 4, bestCandidateId: null,
    tokens: { prompt: 10, completion: 5 }, error: null,
    candidates: [{ id: 't1c0', turn: 1, index: 0, stage: 'checking', code: 'x', path: null, report: null, error: null, tokens: { prompt: 10, completion: 5 } }],
  };

  it('panel messages: state and every panel → host message', () => {
    assert.equal(HostToPanel.parse({ type: 'state', state: { current: run, history: [], selectedRunId: null } }).type, 'state');
    const msgs = [
      { type: 'ready' }, { type: 'apply', runId: 'r1', candidateId: 't1c0' }, { type: 'openDiff', runId: 'r1', candidateId: 't1c0' },
      { type: 'openReport', runId: 'r1', candidateId: 't1c0' }, { type: 'reverify', runId: 'r1', candidateId: 't1c0' },
      { type: 'benchmark', runId: 'r1', candidateId: 't1c0' }, { type: 'cancel', runId: 'r1' },
      { type: 'copyReport', runId: 'r1', format: 'markdown' }, { type: 'exportReport', runId: 'r1', format: 'json' }, { type: 'selectRun', runId: 'r1' },
    ];
    for (const m of msgs) assert.deepEqual(PanelToHost.parse(m), m);
  });

  it('panel messages: reject unknown types, missing ids, bad formats, bad stages', () => {
    for (const bad of [{ type: 'deleteEverything' }, { type: 'apply', runId: 'r1' }, { type: 'copyReport', runId: 'r1', format: 'pdf' },
      { type: 'cancel', runId: '' }, 'ready', null]) assert.equal(PanelToHost.safeParse(bad).success, false, JSON.stringify(bad));
    const badStage = { ...run, candidates: [{ ...run.candidates[0], stage: 'thinking' }] };
    assert.equal(Run.safeParse(badStage).success, false);
    assert.equal(Run.safeParse({ ...run, status: 'paused' }).success, false);
    assert.equal(HostToPanel.safeParse({ type: 'state', state: { current: run } }).success, false);
  });

  it('a candidate report reads as Markdown: verdict, wrong output with its first mismatch, evidence, clock, then the raw JSON', () => {
    const wrong = contractReport({
      verdict: 'incorrect', summary: 'random-0: output 0: 490 of 490 values outside tolerance',
      correctness: { trials: [{ name: 'random-0', passed: false, outputs: [{ index: 0, shape: [4, 8], dtype: 'float32', ok: false,
        max_abs_err: 0.5, max_rel_err: 1, allowed_err: 1e-5, first_mismatch: [0, 3], candidate_value: 0, expected_value: 0.5, n_bad: 490 }] }], flags: [] },
    });
    const report = VerifyReport.parse(wrong);
    const r = Run.parse({ ...run, candidates: [{ ...run.candidates[0], stage: 'done', report }] });
    const md = candidateReportMarkdown(r, r.candidates[0]!);
    assert.match(md, /^# Candidate 1\.1 of add/);
    assert.match(md, /\*\*incorrect\*\* — random-0: output 0: 490 of 490/);
    assert.match(md, /\| random-0 \| 0 \| \(4, 8\) float32 \| \*\*wrong\*\* \(490 values\) \| 0\.5 \| 1 \| 1\.00e-5 \| \[0, 3\]: 0 vs 0\.5 \|/);
    assert.match(md, /candidate:12 \| pytorch_fallback \| slow path/);
    assert.match(md, /Triton kernels launched: `add_kernel` \(3 launches\)/);
    assert.match(md, /\| candidate \| 1 \|/);
    assert.deepEqual(JSON.parse(md.split('```json\n')[1]!.split('\n```')[0]!), report);
  });
});
