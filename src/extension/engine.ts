// Adapter between the VS Code layer and the vscode-free core (problem builder, LLM client, agent
// loop, run store). The rest of src/extension only sees these functions.
import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';
import { buildProblem, ProblemError, type BuiltProblem } from '../core/problem';
import type { CallSpec } from './applyPlan';
import { functionNameFor } from './applyPlan';
import type { Backend } from './backend';
import type { Settings } from './config';
import { UserError } from './ctx';
import type { Run } from './protocol';

export interface SelectionInput {
  fileText: string;
  selectionText: string;
  fileName: string;
  /** 0-based line of the selection's first line. */
  startLine: number;
}

export interface ProblemDraft {
  name: string;
  /** problem.py text (KernelBench: Model, get_inputs, get_init_inputs). */
  source: string;
  /** Placeholders the user should fill (`# TODO: …` in the source). */
  todos: string[];
  /** How Apply replaces the selection; null when the selection was a whole problem already. */
  call: CallSpec | null;
  /** Apply replaces whole lines (function/module selections) rather than the exact selection. */
  wholeLines: boolean;
}

export function buildProblemDraft(input: SelectionInput): ProblemDraft {
  let built: BuiltProblem;
  try {
    built = buildProblem({ selection: input.selectionText, document: input.fileText, startLine: input.startLine, fileName: input.fileName });
  } catch (err) {
    if (err instanceof ProblemError) throw new UserError(err.message);
    throw err;
  }
  const base = { name: built.name, source: built.source, todos: built.todos };
  if (built.kind === 'problem') return { ...base, call: null, wholeLines: false };
  const call: CallSpec = {
    kind: built.kind,
    functionName: functionNameFor(built.name),
    args: built.forwardArgs,
    initNames: initNamesOf(built.source),
    assigns: built.kind === 'snippet' ? assignedOutputs(built.source, input.selectionText) : [],
  };
  if (built.kind === 'module') call.className = built.name;
  if (built.kind === 'function') call.defHeader = defHeader(input.fileText.split('\n').slice(input.startLine).join('\n'), built.name);
  return { ...base, call, wholeLines: built.kind !== 'snippet' };
}

/** Names of get_init_inputs() entries (`expr, # name` or a `# TODO: set name …` placeholder). */
export function initNamesOf(source: string): string[] {
  const at = source.search(/^def\s+get_init_inputs\s*\(/m);
  if (at < 0) return [];
  const names: string[] = [];
  for (const line of source.slice(at).split('\n').slice(1)) {
    if (/^\S/.test(line)) break;
    const m = /,\s*#\s*(?:TODO:\s*set\s+)?([A-Za-z_]\w*)/.exec(line);
    if (m) names.push(m[1]!);
  }
  return names;
}

/** For a statement selection: the names Model.forward returns, when the selection assigns them. */
export function assignedOutputs(source: string, selection: string): string[] {
  const cls = source.search(/^class\s+Model\b/m);
  const returns = [...source.slice(cls).matchAll(/^\s+return\s+(.+)$/gm)];
  const last = returns.at(-1)?.[1]?.trim();
  if (!last || !/^[A-Za-z_]\w*(\s*,\s*[A-Za-z_]\w*)*$/.test(last)) return [];
  const names = last.split(',').map((n) => n.trim());
  return names.every((n) => new RegExp(`(^|[^\\w.])${n}\\s*(,[^=]*)?=(?!=)`, 'm').test(selection)) ? names : [];
}

/** Decorators and the `def name(…):` header of `fn` at the top of `text`. */
export function defHeader(text: string, fn: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let inDef = false;
  for (const line of lines) {
    out.push(line);
    if (!inDef && new RegExp(`^\\s*(async\\s+)?def\\s+${fn}\\b`).test(line)) inDef = true;
    if (inDef && /:\s*(#.*)?$/.test(line)) break;
  }
  return out.join('\n');
}

/** `<UTC timestamp>-<random>`: sorts by time, unique enough for one workspace. */
export function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`;
}

export interface AgentLoopOptions {
  runId: string;
  runDir: string;
  root: string;
  problemPath: string;
  problemName: string;
  apiKey: string;
  settings: Settings;
  backend: Backend;
  log: vscode.LogOutputChannel;
  device: { name: string; interpreter: boolean };
  signal: AbortSignal;
  onStart(run: Run): void;
  onUpdate(run: Run): void;
}

export async function runAgentLoop(_opts: AgentLoopOptions): Promise<Run> {
  throw new Error('agent loop not wired yet');
}
