// Typed view of the `tritonize.*` settings. Every read goes through here so the names and
// defaults live in one place (package.json declares the same defaults for the Settings UI).
import * as vscode from 'vscode';

export type Device = 'auto' | 'cuda' | 'cpu';
export type Precision = 'strict' | 'allow_tf32' | 'dtype';
export type CpuSizes = 'reduced' | 'full';

export interface Settings {
  llm: { baseUrl: string; model: string; temperature: number; maxTokens: number; idleTimeoutSeconds: number };
  agent: { maxTurns: number; candidates: number; targetSpeedup: number };
  python: { interpreter: string };
  device: Device;
  verify: { timeoutSeconds: number; precision: Precision; cpuSizes: CpuSizes };
  generate: { confirmProblem: boolean };
}

export function readSettings(scope?: vscode.ConfigurationScope): Settings {
  const c = vscode.workspace.getConfiguration('tritonize', scope);
  return {
    llm: {
      baseUrl: c.get('llm.baseUrl', 'https://api.openai.com/v1'),
      model: c.get('llm.model', 'gpt-4.1'),
      temperature: c.get('llm.temperature', 0.2),
      maxTokens: c.get('llm.maxTokens', 8192),
      idleTimeoutSeconds: c.get('llm.idleTimeoutSeconds', 300),
    },
    agent: {
      maxTurns: c.get('agent.maxTurns', 4),
      candidates: c.get('agent.candidates', 1),
      targetSpeedup: c.get('agent.targetSpeedup', 1.0),
    },
    python: { interpreter: c.get('python.interpreter', '') },
    device: c.get<Device>('device', 'auto'),
    verify: {
      timeoutSeconds: c.get('verify.timeoutSeconds', 120),
      precision: c.get<Precision>('verify.precision', 'strict'),
      cpuSizes: c.get<CpuSizes>('verify.cpuSizes', 'reduced'),
    },
    generate: { confirmProblem: c.get('generate.confirmProblem', true) },
  };
}

/** Settings whose change means the kernel server must be restarted. */
export const SERVER_SETTINGS = ['tritonize.python.interpreter'];

/** Options for `tritonize/verify` from the settings. On the CPU interpreter with `cpuSizes:
 * reduced` the backend shrinks the problem's size constants (`size_scale: "auto"`) so a verdict
 * takes seconds; the report then carries `reduced_sizes`. */
export function verifyOptions(s: Settings, device: 'cpu' | 'cuda' | undefined): Record<string, unknown> {
  const opts: Record<string, unknown> = { precision: s.verify.precision };
  if (device === 'cpu' && s.verify.cpuSizes === 'reduced') opts.size_scale = 'auto';
  return opts;
}
