import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Run, VerifyReport } from '../../src/core/protocol';
import { RunStore, summarize } from '../../src/core/store';

function run(id: string, over: Partial<Run> = {}): Run {
  return {
    id, problemName: 'add', problemPath: '/p.py', device: { name: 'CPU', interpreter: true }, startedAt: '2026-11-23T21:00:00.000Z',
    finishedAt: null, status: 'done', turn: 1, maxTurns: 2, bestCandidateId: null, tokens: { prompt: 1, completion: 2 }, error: null,
    candidates: [], ...over,
  };
}

describe('run store', () => {
  let ws: string;
  let store: RunStore;
  beforeEach(() => { ws = mkdtempSync(join(tmpdir(), 'tritonize-store-')); store = new RunStore(ws); });

  it('saves under .tritonize/runs/<id>/run.json and loads it back validated', async () => {
    const r = run(RunStore.newId());
    await store.save(r);
    assert.deepEqual(await store.load(r.id), r);
    assert.deepEqual(JSON.parse(readFileSync(join(ws, '.tritonize', 'runs', r.id, 'run.json'), 'utf8')), r);
    assert.deepEqual(readdirSync(join(ws, '.tritonize', 'runs', r.id)), ['run.json'], 'no temp files left behind');
  });

  it('writes the problem and candidate files next to run.json', async () => {
    const p = await store.writeProblem('r1', 'class Model: pass\n');
    const c = await store.writeCandidate('r1', 't1c0', 'class ModelNew: pass\n');
    assert.equal(p, join(ws, '.tritonize', 'runs', 'r1', 'problem.py'));
    assert.equal(c, join(ws, '.tritonize', 'runs', 'r1', 'cand-t1c0.py'));
    assert.equal(readFileSync(c, 'utf8'), 'class ModelNew: pass\n');
  });

  it('lists newest first and skips directories that are not valid runs', async () => {
    await store.save(run('20261123-210000-aaaa'));
    await store.save(run('20261123-220000-bbbb', { status: 'cancelled' }));
    mkdirSync(join(store.root, 'junk'));
    mkdirSync(join(store.root, '20261123-230000-cccc'));
    writeFileSync(join(store.root, '20261123-230000-cccc', 'run.json'), '{"id": "broken"');
    const list = await store.list();
    assert.deepEqual(list.map((s) => s.id), ['20261123-220000-bbbb', '20261123-210000-aaaa']);
    assert.equal(list[0]!.status, 'cancelled');
  });

  it('an empty workspace has no runs; ids are sortable by time and safe as paths', async () => {
    assert.deepEqual(await store.list(), []);
    const a = RunStore.newId(new Date('2026-11-23T21:00:00Z'));
    const b = RunStore.newId(new Date('2026-11-23T21:00:01Z'));
    assert.ok(a < b);
    assert.match(a, /^20261123-210000-[0-9a-f]{4}$/);
    assert.throws(() => store.dir('../../etc'), /invalid run id/);
  });

  it('summaries carry the best verdict and its counting speedup', () => {
    const report = VerifyReport.parse({ schema: 1, verdict: 'correct', summary: 'ok', diagnostics: [] });
    const s = summarize(run('r', { bestCandidateId: 't1c0', candidates: [{ id: 't1c0', turn: 1, index: 0, stage: 'done', code: '', path: null,
      report, error: null, tokens: { prompt: 0, completion: 0 } }] }));
    assert.equal(s.bestVerdict, 'correct');
    assert.equal(s.bestSpeedup, null);
    assert.equal(s.candidateCount, 1);
  });
});
