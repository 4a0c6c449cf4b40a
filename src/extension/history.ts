// Past runs on disk (`.tritonize/runs/<id>/run.json`, written by the core run store) for the panel's
// history, and a Markdown rendering of a run for "Copy/Export report".
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { RunSchema, type Run, type RunSummary } from './protocol';
import { summarise } from './runs';

export async function loadRun(dir: string): Promise<Run | undefined> {
  try {
    const parsed = RunSchema.safeParse(JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function loadRunHistory(workspaceRoot: string, log: vscode.LogOutputChannel): Promise<RunSummary[]> {
  const base = path.join(workspaceRoot, '.tritonize', 'runs');
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return [];
  }
  const out: RunSummary[] = [];
  for (const name of names) {
    const run = await loadRun(path.join(base, name));
    if (!run) { log.debug(`history: skipped ${name} (no readable run.json)`); continue; }
    out.push(summarise(run));
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

export function reportMarkdown(run: Run): string {
  const lines = [
    `# Tritonize run ${run.id}: ${run.problemName}`, '',
    `- Device: ${run.device.name}${run.device.interpreter ? ' (Triton CPU interpreter: timings not meaningful)' : ''}`,
    `- Status: ${run.status}, ${run.turn}/${run.maxTurns} turns, ${run.tokens.prompt} prompt + ${run.tokens.completion} completion tokens`,
    `- Best: ${run.bestCandidateId ?? 'none'}`, '',
    '| candidate | turn | verdict | summary | speedup vs eager |', '|---|---|---|---|---|',
  ];
  for (const c of run.candidates) {
    const t = c.report?.timings;
    lines.push(`| ${c.id} | ${c.turn} | ${c.report?.verdict ?? c.stage} | ${(c.report?.summary ?? c.error ?? '').replace(/\|/g, '\\|')} | ${t?.speedup_vs_eager?.toFixed(2) ?? '—'} |`);
  }
  return lines.join('\n') + '\n';
}
