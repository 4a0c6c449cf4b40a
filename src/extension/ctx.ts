// The one object that owns the extension's long-lived state (as rust-analyzer's `Ctx` does): the log,
// the API key store, the kernel server client and its environment, the status bar and the panel.
// Commands receive it; nothing else holds global state.
import * as vscode from 'vscode';
import { State } from 'vscode-languageclient/node';
import { Backend, type EnvironmentInfo } from './backend';
import { readSettings, SERVER_SETTINGS } from './config';
import { findExecutable, onPythonEnvironmentChange, resolveInterpreter, type ResolvedInterpreter } from './interpreter';
import { ProblemEdits } from './problemEdits';
import { Questions } from './questions';
import { ResultsFilter } from './results';
import { ApiKeyStore } from './secrets';
import { createKernelServer, type KernelServer } from './server';
import { StatusBar, type BackendStatus } from './statusBar';

export class Ctx implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly apiKey: ApiKeyStore;
  readonly status: StatusBar;
  /** Which verification results are shown in Problems (current run, open files). */
  readonly results = new ResultsFilter();
  /** The user's edits of generated problems, kept across re-runs. */
  readonly problemEdits: ProblemEdits;
  /** The question a run waits on, shown in a notification, the panel and the title bar. */
  readonly questions: Questions;
  lastError: ShownError | undefined;
  interpreter: ResolvedInterpreter | undefined;
  environment: EnvironmentInfo | undefined;
  private server: KernelServer | undefined;
  private starting: Promise<void> | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('Tritonize', { log: true });
    this.apiKey = new ApiKeyStore(extension.secrets);
    this.status = new StatusBar();
    this.problemEdits = new ProblemEdits(extension.workspaceState);
    this.questions = new Questions(this.log);
    this.disposables.push(this.log, this.status, this.results, this.problemEdits, this.questions);
    // While a question is open the status item says so (a bell, not a spinner) and asks it again.
    this.disposables.push(this.questions.onDidChange(() => this.status.setQuestion(
      this.questions.kind === 'confirm-problem' ? 'waiting for you: confirm problem.py (Looks right / Edit)'
        : this.questions.kind === 'accept-apply' ? 'waiting for you: Accept or Discard the Apply' : undefined)));
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => {
      if (SERVER_SETTINGS.some((s) => e.affectsConfiguration(s))) void this.restartServer('interpreter setting changed');
    }));
    void onPythonEnvironmentChange(() => {
      if (!readSettings().python.interpreter) void this.restartServer('Python extension environment changed');
    }).then((d) => this.disposables.push(d));
    this.disposables.push(vscode.workspace.onDidGrantWorkspaceTrust(() => void this.startServer()));
  }

  get extensionUri(): vscode.Uri {
    return this.extension.extensionUri;
  }

  /** PID of the running kernel server process, if any (tests read its /proc environ). */
  get serverPid(): number | undefined {
    return this.server?.client.state === State.Running ? this.server.pid() : undefined;
  }

  /** Starts the kernel server unless it is running or the workspace is untrusted. */
  startServer(): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      this.status.set({ kind: 'untrusted' });
      return Promise.resolve();
    }
    if (this.server?.client.isRunning()) return Promise.resolve();
    this.starting ??= this.doStart().finally(() => { this.starting = undefined; });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const interpreter = await resolveInterpreter(vscode.workspace.workspaceFolders?.[0]?.uri);
    this.interpreter = interpreter;
    this.environment = undefined;
    this.status.set({ kind: 'starting', interpreter: interpreter.command });
    if (!(await findExecutable(interpreter.command))) {
      this.setMissing(interpreter, 'no Python',
        `Python interpreter "${interpreter.command}" (from ${interpreter.source === 'setting' ? 'tritonize.python.interpreter' : interpreter.source}) was not found. Select an interpreter with torch and triton.`);
      return;
    }
    let spawnError: Error | undefined;
    const server = createKernelServer({
      interpreter,
      extensionPath: this.extension.extensionPath,
      log: this.log,
      device: readSettings().device,
      diagnostics: (uri, diags, next) => this.results.handle(uri, diags, next),
      events: {
        onSpawnError: (err) => { spawnError = err; },
        onCrash: (restarting, detail) => {
          const last = detail.trim().split('\n').slice(-1)[0] ?? '';
          const msg = restarting
            ? `Tritonize kernel server stopped unexpectedly; restarting. ${last}`
            : `Tritonize kernel server keeps crashing and was not restarted. ${last}`;
          this.log.error(msg);
          void vscode.window.showWarningMessage(msg, 'Show log', ...(restarting ? [] : ['Restart'])).then((pick) => {
            if (pick === 'Show log') this.log.show();
            if (pick === 'Restart') void this.restartServer('user asked');
          });
          if (restarting && !spawnError) this.status.set({ kind: 'starting', interpreter: interpreter.command });
        },
      },
    });
    this.server = server;
    // After a crash the client restarts the process on its own: re-ask what it runs on then.
    let started = false;
    server.client.onDidChangeState((e) => {
      if (e.newState === State.Running && started && this.server === server) void this.refreshEnvironment();
    });
    try {
      await server.client.start();
    } catch (err) {
      const missingPython = spawnError && (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
      this.setMissing(interpreter, missingPython ? 'no Python' : 'server failed',
        missingPython
          ? `Python interpreter "${interpreter.command}" was not found. Select an interpreter with torch and triton.`
          : `The kernel server did not start: ${errorText(spawnError ?? err)}`);
      this.server = undefined;
      await server.client.dispose().catch(() => undefined);
      return;
    }
    started = true;
    this.results.attach(server.client.diagnostics);
    await this.refreshEnvironment();
  }

  /** Asks the server what it runs on and updates the status bar. */
  async refreshEnvironment(): Promise<EnvironmentInfo | undefined> {
    const interpreter = this.interpreter?.command ?? 'python3';
    if (!this.server) return undefined;
    try {
      const env = await new Backend(this.server.client, this.log).environment();
      this.environment = env;
      this.status.set(statusFromEnvironment(env, interpreter));
      return env;
    } catch (err) {
      this.setMissing(this.interpreter!, 'server error', `Environment check failed: ${errorText(err)}`);
      return undefined;
    }
  }

  private setMissing(interpreter: ResolvedInterpreter, what: string, detail: string): void {
    this.log.error(detail);
    this.status.set({ kind: 'missing', interpreter: interpreter.command, what, detail });
  }

  async restartServer(why: string): Promise<void> {
    this.log.info(`restarting kernel server: ${why}`);
    const old = this.server;
    this.server = undefined;
    if (old) await old.client.dispose(2000).catch((e) => this.log.warn(`stopping server: ${errorText(e)}`));
    await this.startServer();
  }

  /**
   * The backend, starting the server if needed. Throws a user-facing error when it cannot run code
   * (untrusted workspace, no Python, no torch).
   */
  async backend(): Promise<Backend> {
    if (!vscode.workspace.isTrusted) throw new UserError('This workspace is not trusted: Tritonize runs no code here.');
    await this.startServer();
    if (!this.server?.client.isRunning()) throw new UserError(`Tritonize kernel server is not running: ${this.status.current.kind === 'missing' ? this.status.current.detail : 'see the log'}`, ['Select interpreter', 'Show log']);
    const env = this.environment ?? (await this.refreshEnvironment());
    if (env?.error) throw new UserError(env.error, ['Select interpreter', 'Show log']);
    return new Backend(this.server.client, this.log);
  }

  dispose(): void {
    void this.server?.client.dispose(2000).catch(() => undefined);
    for (const d of this.disposables) d.dispose();
  }
}

export function statusFromEnvironment(env: EnvironmentInfo, interpreter: string): BackendStatus {
  if (env.error || (env.missing && env.missing.length))
    return { kind: 'missing', interpreter, what: `no ${(env.missing ?? ['torch']).join('/')}`, detail: env.error ?? 'missing dependencies' };
  const versions = `Python ${env.python}, torch ${env.torch}, triton ${env.triton}`;
  const gpu = env.devices[0];
  if (gpu && !env.interpreter) return { kind: 'ready', interpreter, device: gpu.name, cpu: false, detail: `${gpu.name}${env.devices.length > 1 ? ` (+${env.devices.length - 1} more)` : ''}\n${versions}` };
  return { kind: 'ready', interpreter, device: 'CPU interpreter', cpu: true, detail: `No CUDA GPU visible: Triton CPU interpreter\n${versions}` };
}

/** An error whose message is meant for the user, with the actions that fix it. */
export class UserError extends Error {
  /** `code` names the check that failed (tests and logs tell errors apart by it). */
  constructor(message: string, readonly actions: string[] = [], readonly code?: string) {
    super(message);
  }
}

/** The last error shown to the user, with its buttons (for the integration tests). */
export interface ShownError { message: string; actions: string[]; source?: string }

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
