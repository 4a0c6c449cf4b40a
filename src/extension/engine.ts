// Adapter between the VS Code layer and the vscode-free core (problem builder, LLM client, agent
// loop, run store). The rest of src/extension only sees these three functions.
import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';
import type { Backend } from './backend';
import type { Settings } from './config';
import type { Run } from './protocol';

export interface SelectionInput {
  fileText: string;
  selectionText: string;
  fileName: string;
  /** 0-based, as VS Code ranges. */
  startLine: number; startCharacter: number; endLine: number; endCharacter: number;
}

export interface ProblemDraft {
  name: string;
  /** problem.py text (KernelBench: Model, get_inputs, get_init_inputs). */
  source: string;
  /** For Apply: the wrapper's name and the call that replaces the selection. */
  functionName: string;
  args: string[];
  assigns: string[];
  initArgs: string;
}

export function buildProblemDraft(_input: SelectionInput): ProblemDraft {
  throw new Error('problem builder not wired yet');
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
