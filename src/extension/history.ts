// Past runs on disk, through core's RunStore (`.tritonize/runs/<id>/run.json`), for the panel's
// history, and a Markdown rendering of a run for "Copy/Export report".
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { candidateLabel, reducedSuffix } from '../core/protocol/view';
import { RunStore } from '../core/store';
import type { Run, RunSummary } from './protocol';

/** The run stored in `dir` (a `.tritonize/runs/<id>` folder), or undefined when there is none. */
export async function loadRun(dir: string): Promise<Run | undefined> {
  const runs = path.dirname(dir);
  if (path.basename(runs) !== 'runs' || path.basename(path.dirname(runs)) !== '.tritonize') return undefined;
  try {
    return await new RunStore(path.dirname(path.dirname(runs))).load(path.basename(dir));
  } catch {
    return undefined;
  }
}

export async function loadRunHistory(workspaceRoot: string, log: vscode.LogOutputChannel): Promise<RunSummary[]> {
  const list = await new RunStore(workspaceRoot).list();
  log.debug(`history: ${list.length} run(s) on disk`);
  return list;
}

export function reportMarkdown(run: Run): string {
  const lines = [
    `# Tritonize run ${run.id}: ${run.problemName}`, '',
    `- Device: ${run.device.name}${run.device.interpreter ? ' (Triton CPU interpreter: timings not meaningful)' : ''}`,
    `- Status: ${run.status}, ${run.turn}/${run.maxTurns} turns, ${run.tokens.prompt} prompt + ${run.tokens.completion} completion tokens`,
    `- Best: ${run.candidates.find((c) => c.id === run.bestCandidateId) ? candidateLabel(run.candidates.find((c) => c.id === run.bestCandidateId)!, run) : 'none'}`, '',
    '| candidate | turn | verdict | summary | speedup vs eager |', '|---|---|---|---|---|',
  ];
  for (const c of run.candidates) {
    const t = c.report?.timings;
    const note = reducedSuffix(c.report);
    lines.push(`| ${candidateLabel(c, run)} | ${c.turn} | ${c.report?.verdict ?? c.stage} | ${((c.report?.summary ?? c.error ?? '') + note).replace(/\|/g, '\\|')} | ${t?.speedup_vs_eager?.toFixed(2) ?? '—'} |`);
  }
  // The kernel itself, for a report that travels (try-out 10: the copied report had no code).
  const best = run.candidates.find((c) => c.id === run.bestCandidateId);
  if (best?.code) lines.push('', `## Candidate ${candidateLabel(best, run)}`, '', '```python', best.code.trimEnd(), '```');
  return lines.join('\n') + '\n';
}
