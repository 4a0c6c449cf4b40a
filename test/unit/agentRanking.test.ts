import assert from 'node:assert/strict';
import { pickBest, reachedTarget } from '../../src/core/agent';
import { VerifyReport, type Candidate, type Run } from '../../src/core/protocol';

const s = (ms: number) => ({ median_ms: ms, mean_ms: ms, std_ms: 0, ci95_ms: [ms, ms], min_ms: ms, n: 10, rel_spread: 0 });
function cand(id: string, verdict: string, speedup: { eager?: number; inductor?: number; flagged?: boolean } | null = null): Candidate {
  const timings = speedup && {
    meaningful: true, eager: s(1), inductor: speedup.inductor !== undefined ? s(1) : null, candidate: s(1),
    speedup_vs_eager: speedup.eager ?? null, speedup_vs_inductor: speedup.inductor ?? null,
    flags: speedup.flagged ? [{ rule: 'impossible_timing', message: 'faster than memory bandwidth allows' }] : [],
  };
  return { id, turn: 1, index: 0, stage: 'done', code: '', path: null, error: null, tokens: { prompt: 0, completion: 0 },
    report: VerifyReport.parse({ schema: 1, verdict, summary: verdict, diagnostics: [], ...(timings ? { timings } : {}) }) };
}
const run = (candidates: Candidate[], interpreter = false): Run => ({
  id: 'r', problemName: 'p', problemPath: '/p', device: { name: 'gpu', interpreter }, startedAt: '', finishedAt: null, status: 'running',
  turn: 1, maxTurns: 3, bestCandidateId: null, tokens: { prompt: 0, completion: 0 }, error: null, candidates,
});

describe('best candidate and stopping rule', () => {
  it('best is the fastest correct one; incorrect ones never win however fast', () => {
    const best = pickBest([cand('a', 'correct', { eager: 1.2 }), cand('b', 'incorrect', { eager: 9 }), cand('c', 'correct', { eager: 1.8 })]);
    assert.equal(best?.id, 'c');
  });
  it('a flagged timing does not count as a speedup', () => {
    const best = pickBest([cand('a', 'correct', { eager: 1.1 }), cand('b', 'correct', { eager: 50, flagged: true })]);
    assert.equal(best?.id, 'a');
  });
  it('speedup vs Inductor counts when measured, else vs eager', () => {
    const best = pickBest([cand('a', 'correct', { eager: 3, inductor: 0.9 }), cand('b', 'correct', { eager: 1.5 })]);
    assert.equal(best?.id, 'b');
  });
  it('no correct candidate → no best', () => {
    assert.equal(pickBest([cand('a', 'rejected'), cand('b', 'timeout')]), null);
  });
  it('stops at the target speedup on a GPU, at the first correct one where timings mean nothing', () => {
    assert.equal(reachedTarget(run([cand('a', 'correct', { eager: 0.9 })]), { targetSpeedup: 1 }, true), false);
    assert.equal(reachedTarget(run([cand('a', 'correct', { eager: 1.3 })]), { targetSpeedup: 1.2 }, true), true);
    assert.equal(reachedTarget(run([cand('a', 'correct', { eager: 30, flagged: true })]), { targetSpeedup: 1 }, true), false);
    assert.equal(reachedTarget(run([cand('a', 'correct')], true), { targetSpeedup: 5 }, false), true);
    assert.equal(reachedTarget(run([cand('a', 'incorrect')], true), { targetSpeedup: 0 }, false), false);
  });
});
