// The Python kernel server as a language client. We spawn the process ourselves (the function form
// of ServerOptions) rather than the Executable form because vscode-languageclient merges
// `process.env` into an Executable's env, and the server must not inherit the LLM key or any other
// credential: it loads untrusted, model-written code into worker processes.
import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import {
  CloseAction, ErrorAction, LanguageClient, RevealOutputChannelOn, State,
  type CloseHandlerResult, type ErrorHandler, type ErrorHandlerResult, type LanguageClientOptions, type Middleware,
} from 'vscode-languageclient/node';
import { serverEnvironment } from '../core/backend/env';
import type { ResolvedInterpreter } from './interpreter';

/** Candidate and problem files live under `.tritonize/`; the server diagnoses and code-lenses them. */
export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'python', pattern: '**/.tritonize/**/*.py' },
];

export interface ServerEvents {
  /** The server died and the client restarts it (message already logged). */
  onCrash(restarting: boolean, detail: string): void;
  /** Spawning failed (e.g. the interpreter does not exist). */
  onSpawnError(err: Error): void;
}

/** Languageclient's default restart policy (≤4 restarts in 3 minutes), with our messages. */
class CrashPolicy implements ErrorHandler {
  private restarts: number[] = [];
  constructor(private readonly events: ServerEvents, private readonly lastStderr: () => string) {}
  error(): ErrorHandlerResult {
    return { action: ErrorAction.Continue, handled: true };
  }
  closed(): CloseHandlerResult {
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 3 * 60_000);
    this.restarts.push(now);
    const restarting = this.restarts.length <= 4;
    this.events.onCrash(restarting, this.lastStderr());
    return { action: restarting ? CloseAction.Restart : CloseAction.DoNotRestart, handled: true };
  }
}

export interface KernelServer {
  client: LanguageClient;
  /** PID of the currently running server process (changes on restart). */
  pid(): number | undefined;
}

export function createKernelServer(opts: {
  interpreter: ResolvedInterpreter;
  extensionPath: string;
  log: vscode.LogOutputChannel;
  events: ServerEvents;
  device: string;
  /** Decides which published diagnostics VS Code shows (see results.ts). */
  diagnostics?: Middleware['handleDiagnostics'];
}): KernelServer {
  const { interpreter, log, events } = opts;
  const backendPath = vscode.Uri.joinPath(vscode.Uri.file(opts.extensionPath), 'python-backend').fsPath;
  let pid: number | undefined;
  let stderrTail = '';

  const serverOptions = async () => {
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? opts.extensionPath;
    log.info(`starting kernel server: ${interpreter.command} -m tritonize.server (interpreter from ${interpreter.source}, cwd ${cwd})`);
    const child = spawn(interpreter.command, ['-m', 'tritonize.server'], {
      cwd,
      env: serverEnvironment(backendPath),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    pid = child.pid;
    child.on('error', (err) => {
      log.error(`kernel server could not start: ${err.message}`);
      events.onSpawnError(err);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderrTail = (stderrTail + text).slice(-2000);
      for (const line of text.split('\n')) if (line.trim()) logServerLine(log, line);
    });
    child.on('exit', (code, signal) => log.info(`kernel server exited (code ${code}, signal ${signal ?? 'none'})`));
    return child;
  };

  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: log,
    // Our own status bar and messages say what's wrong; the client's popups would duplicate them.
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: { device: opts.device, client: 'tritonize-vscode' },
    errorHandler: new CrashPolicy(events, () => stderrTail),
    connectionOptions: { maxRestartCount: 4 },
    // We read stderr ourselves (above, at the line's own level); the client's default would log
    // every line, INFO included, as [error].
    stdioOptions: { stdout: () => undefined, stderr: () => undefined },
    middleware: opts.diagnostics ? { handleDiagnostics: opts.diagnostics } : {},
  };
  const client = new LanguageClient('tritonize', 'Tritonize kernel server', serverOptions, clientOptions);
  client.onDidChangeState((e) => log.debug(`kernel server state ${State[e.oldState]} → ${State[e.newState]}`));
  return { client, pid: () => pid };
}

/** Server log lines look like `[tritonize-server] LEVEL message` (server.py's logging format);
 * each goes to the channel at its own level. Other stderr output (a traceback) is a warning. */
export function logServerLine(log: Pick<vscode.LogOutputChannel, 'trace' | 'debug' | 'info' | 'warn' | 'error'>, line: string): void {
  const m = /^\[tritonize-server\] (DEBUG|INFO|WARNING|ERROR|CRITICAL) (.*)$/.exec(line);
  if (!m) return log.warn(`[server] ${line}`);
  const text = `[server] ${m[2]}`;
  switch (m[1]) {
    case 'DEBUG': return log.debug(text);
    case 'INFO': return log.info(text);
    case 'WARNING': return log.warn(text);
    default: return log.error(text);
  }
}
