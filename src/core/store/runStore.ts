// Run history on disk: `<workspace>/.tritonize/runs/<id>/run.json` plus the problem and one
// `cand-<id>.py` per candidate, so runs can be listed, reopened and their files re-verified.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { effectiveSpeedup, Run, type RunSummary } from '../protocol';

export class RunStore {
  readonly root: string;

  constructor(workspaceRoot: string) {
    this.root = join(workspaceRoot, '.tritonize', 'runs');
  }

  /** Sortable by time, unique across parallel runs: 20261123-215012-3fa9. */
  static newId(now = new Date()): string {
    const p = (n: number) => String(n).padStart(2, '0');
    const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
    return `${stamp}-${randomBytes(2).toString('hex')}`;
  }

  dir(runId: string): string {
    if (!/^[\w.-]+$/.test(runId)) throw new Error(`invalid run id: ${runId}`);
    return join(this.root, runId);
  }

  async writeProblem(runId: string, source: string): Promise<string> {
    await mkdir(this.dir(runId), { recursive: true });
    const path = join(this.dir(runId), 'problem.py');
    await writeAtomic(path, source);
    return path;
  }

  /** `cand-<name>.py`; `name` is the candidate's label as the panel shows it ("2.1"), else its id. */
  async writeCandidate(runId: string, name: string, code: string): Promise<string> {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`invalid candidate file name: ${name}`);
    await mkdir(this.dir(runId), { recursive: true });
    const path = join(this.dir(runId), `cand-${name}.py`);
    await writeAtomic(path, code);
    return path;
  }

  async save(run: Run): Promise<void> {
    await mkdir(this.dir(run.id), { recursive: true });
    await writeAtomic(join(this.dir(run.id), 'run.json'), JSON.stringify(run, null, 2) + '\n');
  }

  /** Reads and validates a run; throws when it is missing or malformed. */
  async load(runId: string): Promise<Run> {
    const raw = JSON.parse(await readFile(join(this.dir(runId), 'run.json'), 'utf8'));
    return Run.parse(raw);
  }

  /** Newest first; unreadable runs are skipped (a crash mid-write leaves the old file, not a broken one). */
  async list(): Promise<RunSummary[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch {
      return [];
    }
    const out: RunSummary[] = [];
    for (const name of names.sort().reverse()) {
      try {
        out.push(summarize(await this.load(name)));
      } catch {
        // not a run directory, or written by an incompatible version
      }
    }
    return out;
  }
}

export function summarize(run: Run): RunSummary {
  const best = run.candidates.find((c) => c.id === run.bestCandidateId) ?? null;
  return {
    id: run.id, problemName: run.problemName, startedAt: run.startedAt, finishedAt: run.finishedAt, status: run.status,
    candidateCount: run.candidates.length, bestCandidateId: run.bestCandidateId,
    bestVerdict: best?.report?.verdict ?? null, bestSpeedup: effectiveSpeedup(best?.report),
  };
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, path);
}
