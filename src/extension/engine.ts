// Adapter between the VS Code layer and the vscode-free core (problem builder, LLM client, agent
// loop, run store). The rest of src/extension only sees these functions.
import { readFile } from 'node:fs/promises';
import type * as vscode from 'vscode';
import { runAgent } from '../core/agent';
import { LlmClient, targetDevice } from '../core/llm';
import { RunStore } from '../core/store';
import { buildProblem, ProblemError, type BuiltProblem } from '../core/problem';
import type { CallSpec } from './applyPlan';
import { functionNameFor } from './applyPlan';
import type { Backend } from './backend';
import { verifyOptions, type Settings } from './config';
import { UserError } from './ctx';
import type { EnvironmentResult, Run, TensorSpec } from './protocol';

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

/** Sortable, unique run id (core's format). */
export function newRunId(): string {
  return RunStore.newId();
}

export interface AgentLoopOptions {
  runId: string;
  root: string;
  problemPath: string;
  problemName: string;
  apiKey: string;
  settings: Settings;
  backend: Backend;
  environment: EnvironmentResult | undefined;
  /** From validateProblem: shapes/dtypes the prompt can mention. */
  inputs?: TensorSpec[];
  log: vscode.LogOutputChannel;
  signal: AbortSignal;
  onStart(run: Run): void;
  onUpdate(run: Run): void;
}

/** Runs core's agent loop with the VS Code-side pieces: settings, the key, the language client. */
export async function runAgentLoop(o: AgentLoopOptions): Promise<Run> {
  const s = o.settings;
  const device: 'cpu' | 'cuda' = s.device === 'cpu' || (s.device === 'auto' && o.environment?.interpreter !== false) ? 'cpu' : 'cuda';
  const llm = new LlmClient({ baseURL: s.llm.baseUrl, model: s.llm.model, temperature: s.llm.temperature, maxTokens: s.llm.maxTokens, apiKey: o.apiKey });
  const env: EnvironmentResult = o.environment ?? { python: '?', torch: null, triton: null, tritonize: '?', devices: [], interpreter: true, problems: [] };
  let started = false;
  let retryLogged = false;
  o.log.info(`agent: ${s.llm.model} at ${s.llm.baseUrl}, ${s.agent.maxTurns} turns × ${s.agent.candidates}, device ${device}`);
  return runAgent(
    { problemName: o.problemName, problemSource: await readFile(o.problemPath, 'utf8'), device: targetDevice(env, device), inputs: o.inputs, runId: o.runId },
    { maxTurns: s.agent.maxTurns, candidates: s.agent.candidates, targetSpeedup: s.agent.targetSpeedup, device,
      timeoutS: s.verify.timeoutSeconds, benchmark: true, verifyOptions: verifyOptions(s, device) },
    {
      llm, verifier: o.backend, store: new RunStore(o.root),
      onEvent: (e) => {
        if (e.type === 'update') {
          if (!started) { started = true; o.onStart(e.run); } else o.onUpdate(e.run);
        } else if (e.type === 'retry') {
          o.log.warn(`agent: LLM retry ${e.info.attempt} in ${e.info.delayMs} ms for ${e.candidateId}: ${e.info.error.message}`);
          retryLogged = true;
        } else if (e.type === 'log') {
          // The loop follows each 'retry' with a 'log' line saying the same (for the CLI): log it once.
          if (retryLogged) retryLogged = false;
          else o.log.info(`agent: ${e.message}`);
        }
      },
    },
    o.signal,
  );
}
