// Client for `python -m tritonize.server` (LSP over stdio) without VS Code: the CLI, the tests and
// the agent use this; the extension's language client speaks the same protocol.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CancellationTokenSource, createMessageConnection, StreamMessageReader, StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type { EnvironmentResult } from '../protocol';
import { serverEnvironment } from './env';
import { BackendError } from './errors';
import { KernelClient, toBackendError, type Transport } from './kernel';

export type { RequestOptions, Verifier, VerifyRequest } from './kernel';

export interface BackendOptions {
  /** Python interpreter with torch and triton. */
  python: string;
  /** Root of the extension: the package is imported from `<extensionRoot>/python-backend`. */
  extensionRoot: string;
  /** Workspace folder reported to the server as its root (problem discovery). */
  workspaceRoot?: string;
  /** Base environment before credentials are stripped (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Worker processes the server keeps warm per device. */
  poolSize?: number;
  /** Limit for the server to answer `initialize`. */
  startTimeoutMs?: number;
  /** Server stderr lines (its log). */
  onLog?: (line: string) => void;
  /** Arguments after the interpreter (default `-m tritonize.server`); tests point this elsewhere. */
  args?: string[];
}

const STDERR_KEEP = 8_000;

/** Spawns the server process with a credential-free environment (exported for tests). */
export function spawnServer(opts: BackendOptions): ChildProcess {
  const env = serverEnvironment(join(opts.extensionRoot, 'python-backend'), opts.env ?? process.env);
  return spawn(opts.python, opts.args ?? ['-m', 'tritonize.server'], {
    env, cwd: opts.workspaceRoot && existsSync(opts.workspaceRoot) ? opts.workspaceRoot : process.cwd(), stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true,
  });
}

/** A kernel server process of its own (CLI, tests, agent): the typed requests come from KernelClient. */
export class BackendClient extends KernelClient {
  private stderrTail = '';
  private exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly deathListeners = new Set<(err: BackendError) => void>();
  private disposing = false;
  /** Stage listeners by work-done token. One `$/progress` handler serves them all: vscode-jsonrpc
   * keeps a single handler per notification method, so per-request handlers would replace each other. */
  private readonly progress = new Map<string, (stage: string) => void>();

  private constructor(private readonly child: ChildProcess, private readonly conn: MessageConnection,
    private readonly opts: BackendOptions, transport: { self?: BackendClient } = {}) {
    super({
      request: (method, params, o) => transport.self!.request(method, params, o),
      onStage: (token, listener) => {
        transport.self!.progress.set(token, listener);
        return () => transport.self!.progress.delete(token);
      },
    } satisfies Transport);
    transport.self = this;
  }

  /** Starts the server and completes the LSP handshake. */
  static async start(opts: BackendOptions): Promise<BackendClient> {
    const child = spawnServer(opts);
    const spawnError = new Promise<never>((_, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' || err.code === 'EACCES'
        ? new BackendError('python_not_found', `Python interpreter not found or not executable: ${opts.python}. `
          + 'Set tritonize.python.interpreter (or --python) to a Python with torch and triton installed.')
        : new BackendError('crashed', `Could not start ${opts.python}: ${err.message}`)));
    });
    const conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new BackendClient(child, conn, opts);
    client.wire();
    conn.listen();
    const timeoutMs = opts.startTimeoutMs ?? 60_000;
    try {
      await Promise.race([
        spawnError,
        client.request('initialize', {
          processId: process.pid,
          clientInfo: { name: 'tritonize-core' },
          rootUri: opts.workspaceRoot ? pathToFileURL(opts.workspaceRoot).href : null,
          workspaceFolders: opts.workspaceRoot ? [{ uri: pathToFileURL(opts.workspaceRoot).href, name: 'workspace' }] : null,
          capabilities: { window: { workDoneProgress: true } },
          initializationOptions: opts.poolSize !== undefined ? { poolSize: opts.poolSize } : {},
        }, { timeoutMs }),
      ]);
      await conn.sendNotification('initialized', {});
    } catch (err) {
      client.kill();
      throw err;
    }
    return client;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exited === null;
  }

  /** Asks the server to shut down, then makes sure it is gone. */
  async dispose(): Promise<void> {
    if (this.disposing) return;
    this.disposing = true;
    if (this.alive) {
      try {
        await this.request('shutdown', null, { timeoutMs: 5_000 });
        await this.conn.sendNotification('exit');
      } catch {
        // dead or stuck: killed below
      }
      await this.waitExit(5_000);
    }
    this.kill();
    this.conn.dispose();
  }

  private wire(): void {
    this.child.stderr!.setEncoding('utf8');
    let partial = '';
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_KEEP);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.opts.onLog?.(line);
    });
    this.conn.onNotification('$/progress', (p: { token?: unknown; value?: { kind?: string; message?: unknown } }) => {
      const listener = typeof p?.token === 'string' ? this.progress.get(p.token) : undefined;
      const { kind, message } = p?.value ?? {};
      if (listener && (kind === 'begin' || kind === 'report') && typeof message === 'string') listener(message);
    });
    // Server → client requests we do not act on; answering keeps the server from waiting.
    this.conn.onRequest('window/workDoneProgress/create', () => null);
    this.conn.onRequest('workspace/codeLens/refresh', () => null);
    this.conn.onRequest('workspace/diagnostic/refresh', () => null);
    this.conn.onNotification('window/logMessage', (p: { message?: string }) => this.opts.onLog?.(p?.message ?? ''));
    this.conn.onError(() => { /* surfaces as exit or a failed request */ });
    this.child.on('error', () => { /* spawn failures are reported by start() */ });
    this.child.stdin!.on('error', () => { /* EPIPE after a crash; reported through exit */ });
    this.child.once('exit', (code, signal) => {
      this.exited = { code, signal };
      const err = this.deathError();
      for (const l of this.deathListeners) l(err);
    });
  }

  private deathError(): BackendError {
    const tail = this.stderrTail.trim();
    const how = this.exited?.signal ? `killed by ${this.exited.signal}` : `exit code ${this.exited?.code}`;
    if (this.disposing) return new BackendError('disposed', 'The kernel server was stopped');
    if (/No module named '?tritonize/.test(tail))
      return new BackendError('backend_not_found', `${this.opts.python} cannot import the tritonize package from `
        + `${join(this.opts.extensionRoot, 'python-backend')}; the extension install looks incomplete.`, { stderr: tail });
    if (/SyntaxError|requires Python|invalid syntax/.test(tail))
      return new BackendError('crashed', `${this.opts.python} is too old for the Tritonize server (Python ≥ 3.9 needed): ${lastLine(tail)}`, { stderr: tail });
    return new BackendError('crashed', `The Tritonize kernel server exited (${how})${tail ? `: ${lastLine(tail)}` : ''}`, { stderr: tail });
  }

  private request(method: string, params: unknown, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<unknown> {
    if (this.exited) return Promise.reject(this.deathError());
    if (opts.signal?.aborted) return Promise.reject(new BackendError('cancelled', `${method} cancelled`));
    const cts = new CancellationTokenSource();
    return new Promise<unknown>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let graceTimer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        clearTimeout(timer);
        clearTimeout(graceTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.deathListeners.delete(onDeath);
        cts.dispose();
      };
      const fail = (err: BackendError) => { cleanup(); reject(err); };
      const onDeath = (err: BackendError) => fail(err);
      const onAbort = () => {
        cts.cancel(); // $/cancelRequest: the server kills the worker and answers -32800
        graceTimer = setTimeout(() => fail(new BackendError('cancelled', `${method} cancelled`)), 5_000);
      };
      this.deathListeners.add(onDeath);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs) {
        timer = setTimeout(() => {
          cts.cancel();
          fail(new BackendError('timeout', `The kernel server did not answer ${method} within ${Math.round(opts.timeoutMs! / 1000)} s`));
        }, opts.timeoutMs);
      }
      this.conn.sendRequest(method, params, cts.token).then(
        (result) => { cleanup(); resolve(result); },
        (err: unknown) => fail(this.exited ? this.deathError() : toBackendError(method, err)),
      );
    });
  }

  private waitExit(ms: number): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.child.once('exit', () => { clearTimeout(t); resolve(); });
    });
  }

  private kill(): void {
    if (this.exited === null && !this.child.killed) this.child.kill('SIGKILL');
  }
}

function lastLine(text: string): string {
  return text.split('\n').filter((l) => l.trim()).at(-1) ?? '';
}

/** Throws the fix to apply when the interpreter lacks torch or triton. */
export function assertUsable(env: EnvironmentResult): void {
  if (env.error || (env.missing && env.missing.length))
    throw new BackendError('missing_dependency', env.error ?? `missing: ${env.missing!.join(', ')}`, { data: env });
}
