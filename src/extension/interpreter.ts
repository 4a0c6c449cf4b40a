// Which Python runs the kernel server: the `tritonize.python.interpreter` setting, else the Python
// extension's active environment (through its exported API, looked up at run time so we take no
// npm dependency on it), else `python3` on PATH.
import { constants } from 'node:fs';
import { access, realpath } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSettings } from './config';

export interface ResolvedInterpreter {
  command: string;
  source: 'setting' | 'python-extension' | 'default';
}

/** The slice of ms-python.python's exported API we use; every member optional since it varies by version. */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath?(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment?(env: { path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  };
  settings?: { getExecutionDetails?(resource?: vscode.Uri): { execCommand?: string[] } | undefined };
}

async function pythonExtensionApi(): Promise<PythonExtensionApi | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    return ext.isActive ? ext.exports : await ext.activate();
  } catch {
    return undefined;
  }
}

function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** Expands `${workspaceFolder}` and makes a relative path (e.g. `.venv/bin/python`) workspace-relative. */
export function expandInterpreterSetting(value: string, root = workspaceRoot()): string {
  let v = value.trim();
  if (root) v = v.replace(/\$\{workspaceFolder\}/g, root);
  if (v.startsWith('~/') && process.env.HOME) v = path.join(process.env.HOME, v.slice(2));
  // A bare command name (`python3`) stays a PATH lookup; anything with a separator is a path.
  if (root && !path.isAbsolute(v) && v.includes('/')) v = path.join(root, v);
  return v;
}

export async function resolveInterpreter(resource?: vscode.Uri): Promise<ResolvedInterpreter> {
  const setting = readSettings(resource).python.interpreter;
  if (setting.trim()) return { command: expandInterpreterSetting(setting), source: 'setting' };

  const api = await pythonExtensionApi();
  try {
    const envs = api?.environments;
    const active = envs?.getActiveEnvironmentPath?.(resource);
    if (active && envs?.resolveEnvironment) {
      const resolved = await envs.resolveEnvironment(active);
      const exe = resolved?.executable?.uri?.fsPath;
      if (exe) return { command: exe, source: 'python-extension' };
    }
    const legacy = api?.settings?.getExecutionDetails?.(resource)?.execCommand?.[0];
    if (legacy) return { command: legacy, source: 'python-extension' };
  } catch {
    // The Python extension's API is best effort: fall through to python3.
  }
  return { command: 'python3', source: 'default' };
}

/** Fires when the Python extension's active environment changes (no-op when it is absent). */
export async function onPythonEnvironmentChange(listener: () => void): Promise<vscode.Disposable> {
  const api = await pythonExtensionApi();
  return api?.environments?.onDidChangeActiveEnvironmentPath?.(listener) ?? new vscode.Disposable(() => {});
}

/** `tritonize.selectInterpreter`: pick a path and store it in the workspace settings. */
export async function selectInterpreter(current: ResolvedInterpreter | undefined): Promise<void> {
  type Item = vscode.QuickPickItem & { action: 'python-ext' | 'path' | 'browse' | 'clear' | 'use'; value?: string };
  // What a user would pick from (try-out 10 was offered only Browse / Enter path / Reset): the
  // workspace's virtual environments and the pythons on PATH, the current one marked.
  const found = await detectInterpreters();
  const items: Item[] = found.map((p) => ({
    label: `$(${current?.command === p ? 'check' : 'python'}) ${vscode.workspace.asRelativePath(p)}`, action: 'use' as const, value: p,
    description: current?.command === p ? 'current' : undefined,
  }));
  items.push(
    { label: '$(folder-opened) Browse…', action: 'browse' },
    { label: '$(edit) Enter interpreter path…', action: 'path' },
  );
  if (vscode.extensions.getExtension('ms-python.python'))
    items.push({ label: '$(symbol-misc) Use the Python extension\'s interpreter', action: 'python-ext',
      detail: 'Clears tritonize.python.interpreter and opens the Python extension\'s picker' });
  items.push({ label: '$(discard) Reset to default', action: 'clear', detail: 'Python extension\'s environment, else python3' });
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Tritonize: Python interpreter (needs torch and triton)',
    placeHolder: current ? `Current: ${current.command} (${current.source})` : undefined,
  });
  if (!pick) return;
  const config = vscode.workspace.getConfiguration('tritonize');
  const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  if (pick.action === 'clear' || pick.action === 'python-ext') {
    await config.update('python.interpreter', undefined, target);
    if (pick.action === 'python-ext') await vscode.commands.executeCommand('python.setInterpreter');
    return;
  }
  let value: string | undefined;
  if (pick.action === 'use') value = pick.value;
  else if (pick.action === 'browse') {
    const uris = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Use this interpreter' });
    value = uris?.[0]?.fsPath;
  } else {
    value = await vscode.window.showInputBox({ prompt: 'Path to a Python executable, e.g. .venv/bin/python', value: current?.command });
  }
  if (value?.trim()) await config.update('python.interpreter', value.trim(), target);
}

/** Pythons worth offering: `.venv`, `venv`, `env` of each workspace folder, then python3.12/3.11/3
 * on PATH (deduplicated by real path). */
export async function detectInterpreters(): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = async (p: string | undefined) => {
    if (!p) return;
    const real = await realpath(p).catch(() => undefined);
    if (!real || seen.has(real) || seen.has(p)) return;
    seen.add(real);
    seen.add(p);
    out.push(p);
  };
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    for (const dir of ['.venv', 'venv', 'env']) await add(await findExecutable(path.join(folder.uri.fsPath, dir, 'bin', 'python')));
  }
  for (const name of ['python3.12', 'python3.11', 'python3']) await add(await findExecutable(name));
  return out;
}

/**
 * The executable's absolute path, or undefined when it does not exist / is not executable. Checked
 * before starting the language client: a failed spawn inside vscode-languageclient ends in restart
 * loops and unhandled rejections instead of one clear "no Python" message.
 */
export async function findExecutable(command: string, envPath = process.env.PATH ?? ''): Promise<string | undefined> {
  const candidates = command.includes('/') ? [command] : envPath.split(path.delimiter).filter(Boolean).map((d) => path.join(d, command));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch { /* next */ }
  }
  return undefined;
}
