// Adapter between the VS Code layer and the vscode-free core (problem builder, LLM client, agent
// loop, run store). The rest of src/extension only sees these functions.
import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { runAgent } from '../core/agent';
import { LlmClient, targetDevice } from '../core/llm';
import { RunStore } from '../core/store';
import { BackendError } from '../core/backend';
import { fromLspRange, toLspRange, type ApplySite } from './apply';
import type { Backend } from './backend';
import { verifyOptions, type Settings } from './config';
import { UserError } from './ctx';
import type { EnvironmentResult, Run, TensorSpec } from './protocol';

export interface SelectionInput {
  fileText: string;
  fileName: string;
  selection: vscode.Range;
  /** How to run the program when the file has no __main__ block (tritonize.entryPoint). */
  entry?: string;
}

export interface ProblemDraft {
  name: string;
  /** problem.py text (KernelBench: Model, get_inputs, get_init_inputs). */
  source: string;
  /** What the user should confirm (guessed input shapes, marked GUESSED in the source). */
  todos: string[];
  /** What the backend noticed that the user should know before tokens are spent (e.g. a later call
   * of the selection that Apply would refuse). */
  warnings: string[];
  /** How Apply replaces the selection; null when the selection was a whole problem already. */
  call: ApplySite | null;
  /** The code Apply replaces (whole statements, the expression, the def or the class). */
  replaced: vscode.Range;
}

/** The selection as a problem, by the kernel server (Python's own parser; real shapes recorded by
 * running the file's entry point once). */
export async function buildProblemDraft(backend: Backend, input: SelectionInput, signal?: AbortSignal): Promise<ProblemDraft> {
  let ext;
  try {
    ext = await backend.extract({ path: input.fileName, text: input.fileText, range: toLspRange(input.selection),
      ...(input.entry ? { defaultEntry: input.entry } : {}) }, signal);
  } catch (err) {
    if (err instanceof BackendError && err.kind === 'selection') throw new UserError(`Cannot extract the selection: ${err.message}`);
    throw err;
  }
  const todos = ext.guessed.map((g) => `${g}: shape GUESSED (no entry point ran this code); confirm it`);
  return {
    name: ext.title || ext.name, source: ext.problem, todos, warnings: ext.warnings,
    call: ext.kind === 'problem' ? null : { kind: ext.kind, name: ext.name, selection: input.selection },
    replaced: ext.kind === 'problem' ? input.selection : fromLspRange(ext.range),
  };
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
  const llm = new LlmClient({ baseURL: s.llm.baseUrl, model: s.llm.model, temperature: s.llm.temperature, maxTokens: s.llm.maxTokens, apiKey: o.apiKey },
    { idleTimeoutMs: Math.max(10, s.llm.idleTimeoutSeconds) * 1000 });
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
