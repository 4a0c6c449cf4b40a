// The panel's honesty rules, without a browser: what may be presented as a speedup.
import assert from 'node:assert/strict';
import { PanelState, type Run } from '../../src/core/protocol';
import {
  atReducedSizes,
  reducedSizesText,
  REDUCED_SIZES_NOTE,
  bestPerTurn,
  candidateLabel,
  fmtMs,
  fmtStat,
  honestSpeedups,
  reasonOf,
  runTimingsMeaningful,
  throughputOf,
  timingView,
  verdictOf,
} from '../../webview/model';
import cpuState from './fixtures/run-cpu.json';
import cudaState from './fixtures/run-cuda.json';

const cuda = (): Run => PanelState.parse(structuredClone(cudaState)).current!;
const cpu = (): Run => PanelState.parse(structuredClone(cpuState)).current!;
const cand = (run: Run, id: string) => run.candidates.find((c) => c.id === id)!;

describe('webview model (honest labels)', () => {
  it('a correct candidate with clean timings gets its speedups', () => {
    const run = cuda();
    assert.deepEqual(honestSpeedups(run, cand(run, 'c21')), { eager: 2.16, inductor: 1.21 });
    assert.equal(timingView(run, cand(run, 'c21')).kind, 'ok');
  });

  it('a flagged timing is FLAGGED, never a speedup, even if the report carried numbers', () => {
    const run = cuda();
    const c = cand(run, 'c22');
    c.report!.timings!.speedup_vs_eager = 29.5; // a producer bug must not leak through
    const v = timingView(run, c);
    assert.equal(v.kind, 'flagged');
    assert.deepEqual(v.kind === 'flagged' && v.rules, ['impossible_timing']);
    assert.equal(honestSpeedups(run, c), null);
  });

  it('CPU interpreter: not meaningful, no speedup, even with numbers present', () => {
    const run = cpu();
    const c = run.candidates[0];
    assert.equal(c.report!.timings!.speedup_vs_eager, 0.0022);
    assert.equal(timingView(run, c).kind, 'not_meaningful');
    assert.equal(honestSpeedups(run, c), null);
    assert.equal(runTimingsMeaningful(run), false);
    assert.deepEqual(bestPerTurn(run), [{ turn: 1, best: null, bestSoFar: null }]);
  });

  it('meaningful:false on a GPU report is not meaningful either', () => {
    const run = cuda();
    const c = cand(run, 'c21');
    c.report!.timings!.meaningful = false;
    assert.equal(timingView(run, c).kind, 'not_meaningful');
    assert.equal(honestSpeedups(run, c), null);
  });

  it('a non-correct verdict never shows a speedup', () => {
    const run = cuda();
    const c = cand(run, 'c21');
    c.report!.verdict = 'incorrect';
    assert.equal(honestSpeedups(run, c), null);
  });

  it('reasons: mismatch evidence, rejected rule, pending stage', () => {
    const run = cuda();
    assert.equal(
      reasonOf(cand(run, 'c11')),
      'heavy-tailed, output 0 mismatch at [3, 17]: got 0.5121, expected 0.481 (max abs err 0.0311, allowed 7.60e-6)',
    );
    assert.match(reasonOf(cand(run, 'c12'))!, /^rule pytorch_fallback: torch\.nn\.functional\.layer_norm/);
    assert.equal(reasonOf(cand(run, 'c21')), null);
    assert.deepEqual(verdictOf(cand(run, 'c31')), { key: 'pending', text: 'benchmarking', pending: true });
  });

  it('best speedup per turn only counts honest candidates', () => {
    assert.deepEqual(bestPerTurn(cuda()), [
      { turn: 1, best: null, bestSoFar: null },
      { turn: 2, best: 2.16, bestSoFar: 2.16 },
      { turn: 3, best: null, bestSoFar: 2.16 },
    ]);
  });

  it('formats: memory-bound throughput in GB/s, spread in the median unit, 1-based labels', () => {
    const run = cuda();
    const t = cand(run, 'c21').report!.timings!;
    assert.deepEqual(throughputOf(t), { text: '2397 GB/s', pct: '72%', bound: 'memory' });
    assert.equal(fmtStat(t.candidate), '56.0 µs ± 1.1 µs');
    assert.equal(fmtStat(t.eager), '0.121 ms ± 0.004 ms');
    assert.equal(fmtMs(412), '412 ms');
    assert.equal(candidateLabel(cand(run, 'c22'), run), '2.2');
    for (const c of run.candidates) c.index -= 1; // a 0-based producer
    assert.equal(candidateLabel(cand(run, 'c22'), run), '2.2');
  });
});

describe('webview model (cancel state, reduced sizes)', () => {
  it('a cancelled candidate reads "cancelled" with no blame, and is no longer pending', () => {
    const run = cpu();
    const c = { ...run.candidates[0]!, stage: 'cancelled' as const, report: null, error: null };
    assert.deepEqual(verdictOf(c), { key: 'cancelled', text: 'cancelled', pending: false });
    assert.match(reasonOf(c) ?? '', /says nothing about this kernel/);
    // The stored form validates (run.json of a cancelled run loads again).
    assert.ok(PanelState.parse({ ...cpuState, current: { ...run, status: 'cancelled', candidates: [c] } }));
  });

  it('reduced_sizes (optional in the report) is what shows the reduced-sizes note', () => {
    const run = cpu();
    const report = run.candidates.find((c) => c.report)!.report!;
    assert.equal(atReducedSizes(report), false);
    assert.equal(atReducedSizes({ ...report, reduced_sizes: { changes: { dim: [16384, 4095] }, note: null } }), true);
    // Auto mode on a problem already cheap enough: checked at its own sizes, no note, no badge.
    assert.equal(atReducedSizes({ ...report, reduced_sizes: { changes: {}, note: null } }), false);
    assert.equal(atReducedSizes({ ...report, reduced_sizes: null }), false);
    assert.equal(atReducedSizes(null), false);
    assert.equal(reducedSizesText({ ...report, reduced_sizes: { changes: { dim: [16384, 4095], batch: [64, 5] }, note: null } }),
      'dim 16384→4095, batch 64→5');
    assert.match(REDUCED_SIZES_NOTE, /^checked at reduced sizes on the CPU; verify on a GPU for the full sizes$/);
  });
});
