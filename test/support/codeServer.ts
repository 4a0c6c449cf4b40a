// A real VS Code (code-server, installed by scripts/setup.mjs into .tools/code-server) for
// `npm start` and for extension integration tests, driven headless by Debian chromium through
// playwright-core. Loopback only. Every code-server runs in its own process group, and stop()
// kills the whole group (its watcher processes outlive the main PID otherwise).
//
// Used by scripts/start.mjs and scripts/run-integration.mjs (they bundle this file with esbuild),
// and importable from TypeScript tests (e.g. test/webview, test/e2e).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { format } from 'node:util';

export const CODE_SERVER_VERSION = '4.100.3';
export const EXTENSION_ID = 'tritonize.tritonize';

/** Absolute path of code-server's node entry point, or throws with what to run. */
export function codeServerEntry(root: string): string {
  const entry = join(root, '.tools', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(entry)) throw new Error(`code-server is not installed (${entry} missing): run \`node scripts/setup.mjs\``);
  return entry;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface CodeServerDirs {
  /** Root of this instance's state: user data, extensions, XDG dirs, log, config. */
  state: string;
  userData: string;
  extensions: string;
  log: string;
}

export function codeServerDirs(state: string): CodeServerDirs {
  return { state, userData: join(state, 'user-data'), extensions: join(state, 'extensions'), log: join(state, 'code-server.log') };
}

/** Environment for code-server: XDG dirs inside the state dir, so nothing lands in ~/.config. */
function codeServerEnv(dirs: CodeServerDirs, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const xdg = join(dirs.state, 'xdg');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_CONFIG_HOME: join(xdg, 'config'),
    XDG_DATA_HOME: join(xdg, 'data'),
    XDG_CACHE_HOME: join(xdg, 'cache'),
    ...extra,
  };
  // Never let a password or a proxied origin leak in from the caller's shell.
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  delete env.VSCODE_PROXY_URI;
  return env;
}

function commonArgs(dirs: CodeServerDirs): string[] {
  return ['--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
}

/** Creates the state dirs; `fresh` wipes XDG dirs (always) and everything else when true. */
export function prepareState(dirs: CodeServerDirs, opts: { fresh?: boolean; settings?: Record<string, unknown> } = {}): void {
  if (opts.fresh) rmSync(dirs.state, { recursive: true, force: true });
  rmSync(join(dirs.state, 'xdg'), { recursive: true, force: true });
  for (const d of [dirs.userData, dirs.extensions, join(dirs.state, 'xdg', 'config'), join(dirs.state, 'xdg', 'data'), join(dirs.state, 'xdg', 'cache')])
    mkdirSync(d, { recursive: true });
  if (opts.settings) {
    const file = join(dirs.userData, 'User', 'settings.json');
    mkdirSync(join(dirs.userData, 'User'), { recursive: true });
    let current: Record<string, unknown> = {};
    try { current = JSON.parse(readFileSync(file, 'utf8')); } catch { /* missing or has comments: replace */ }
    writeFileSync(file, JSON.stringify({ ...current, ...opts.settings }, null, 2) + '\n');
  }
}

/** Settings that keep a test/dev workbench quiet and offline, and point Tritonize at .venv. */
export function defaultSettings(root: string): Record<string, unknown> {
  const settings: Record<string, unknown> = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'security.workspace.trust.enabled': false,
    // The opened folders (examples/, test workspaces) sit inside this repository: without this,
    // VS Code's Git asks about "the repository found in parent folders" on every start.
    'git.openRepositoryInParentFolders': 'never',
  };
  const venvPython = join(root, '.venv', 'bin', 'python');
  if (existsSync(venvPython)) settings['tritonize.python.interpreter'] = venvPython;
  return settings;
}

/** `code-server --install-extension <vsix>` into the instance's extensions dir. */
export function installExtension(root: string, dirs: CodeServerDirs, vsix: string): void {
  const r = spawnSync(process.execPath, [codeServerEntry(root), ...commonArgs(dirs), '--force', '--install-extension', vsix],
    { env: codeServerEnv(dirs), encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`installing ${vsix} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

/** `id@version` of each installed extension. */
export function listExtensions(root: string, dirs: CodeServerDirs): string[] {
  const r = spawnSync(process.execPath, [codeServerEntry(root), ...commonArgs(dirs), '--list-extensions', '--show-versions'],
    { env: codeServerEnv(dirs), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`code-server --list-extensions failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout.split('\n').map((l) => l.trim()).filter((l) => /^[\w.-]+@/.test(l));
}

export interface StartOptions {
  root: string;
  dirs: CodeServerDirs;
  /** Folder the workbench opens by default. */
  folder?: string;
  port?: number;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Milliseconds to wait for /healthz. */
  startTimeoutMs?: number;
  /** Keep Workspace Trust on (default off: `--disable-workspace-trust`, every folder trusted). */
  workspaceTrust?: boolean;
}

export interface CodeServer {
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  pid: number;
  dirs: CodeServerDirs;
  /** Workbench URL for a folder, with an optional test payload (see runExtensionTests). */
  workbenchUrl(folder?: string, payload?: [string, string][]): string;
  /** A vscode-remote:// URI for an absolute path on this server. */
  remoteUri(absPath: string): string;
  /** Resolves when the code-server main process exits. */
  exited: Promise<number | null>;
  /** Kills the whole process group (TERM, then KILL after a grace period). Idempotent. */
  stop(): Promise<void>;
}

function groupAlive(pid: number): boolean {
  try { process.kill(-pid, 0); return true; } catch { return false; }
}

export async function startCodeServer(opts: StartOptions): Promise<CodeServer> {
  const { root, dirs } = opts;
  const entry = codeServerEntry(root);
  const port = opts.port ?? (await freePort());
  const config = join(dirs.state, 'config.yaml');
  mkdirSync(dirs.state, { recursive: true });
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = [
    entry, '--config', config, ...commonArgs(dirs),
    '--disable-telemetry', '--disable-update-check', ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override', ...(opts.extraArgs ?? []),
  ];
  if (opts.folder) args.push(opts.folder);
  const logFd = openSync(dirs.log, 'a');
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: opts.folder ?? root,
    env: codeServerEnv(dirs, opts.env),
    stdio: ['ignore', logFd, logFd],
    detached: true, // own process group: stop() kills -pid
  });
  closeSync(logFd);
  const pid = child.pid!;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stopping: Promise<void> | undefined;
  const url = `http://127.0.0.1:${port}`;
  const server: CodeServer = {
    port, url, pid, dirs, exited,
    remoteUri: (p) => `vscode-remote://127.0.0.1:${port}${p}`,
    workbenchUrl(folder = opts.folder, payload) {
      const q: string[] = [];
      if (folder) q.push(`folder=${encodeURIComponent(folder)}`);
      if (payload) q.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
      return `${url}/${q.length ? '?' + q.join('&') : ''}`;
    },
    stop() {
      stopping ??= (async () => {
        if (!groupAlive(pid)) return;
        try { process.kill(-pid, 'SIGTERM'); } catch { /* gone */ }
        const deadline = Date.now() + 5000;
        while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
        if (groupAlive(pid)) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
      })();
      return stopping;
    },
  };
  try {
    await waitForHealth(url, opts.startTimeoutMs ?? 30_000, exited);
  } catch (e) {
    await server.stop();
    const tail = existsSync(dirs.log) ? readFileSync(dirs.log, 'utf8').split('\n').slice(-30).join('\n') : '';
    throw new Error(`${(e as Error).message}\n--- ${dirs.log} (tail) ---\n${tail}`);
  }
  return server;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls /healthz until it answers 200; fails early if the process exits. */
export async function waitForHealth(url: string, timeoutMs: number, exited?: Promise<number | null>): Promise<unknown> {
  let gone: number | null | undefined;
  void exited?.then((c) => { gone = c; });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone !== undefined) throw new Error(`code-server exited (code ${gone}) before answering /healthz`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return await res.json();
    } catch { /* not up yet */ }
    await sleep(150);
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs} ms`);
}

// --- Browser -----------------------------------------------------------------------------------

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

/** Debian's chromium (never a downloaded one); TRITONIZE_CHROMIUM overrides the path. */
export function chromiumPath(): string {
  const candidates = [process.env.TRITONIZE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found) throw new Error('no chromium found: `apt-get install -y chromium` (scripts/setup.mjs does) or set TRITONIZE_CHROMIUM');
  return found;
}

// playwright-core's types are only needed loosely here; keep the harness free of a type dependency.
type Browser = { close(): Promise<void>; newContext(o?: object): Promise<BrowserContext> };
type BrowserContext = { newPage(): Promise<Page>; close(): Promise<void> };
type Page = {
  exposeFunction(name: string, fn: (...args: any[]) => unknown): Promise<void>;
  goto(url: string, o?: object): Promise<unknown>;
  screenshot(o: { path: string; fullPage?: boolean }): Promise<unknown>;
  on(event: string, fn: (...args: any[]) => void): void;
};

/** Headless Debian chromium through playwright-core, with a fresh profile. */
export async function launchChromium(userDataDir?: string): Promise<Browser> {
  const { chromium } = (await import('playwright-core')) as any;
  const opts = { executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS };
  if (userDataDir) {
    rmSync(userDataDir, { recursive: true, force: true });
    const ctx = await chromium.launchPersistentContext(userDataDir, opts);
    return { close: () => ctx.close(), newContext: async () => ctx };
  }
  return chromium.launch(opts);
}

// --- Extension tests inside code-server --------------------------------------------------------

export interface ExtensionTestOptions {
  root: string;
  /** Compiled test index exporting run(), e.g. out/test/integration/index.js. */
  testsPath: string;
  /** Folder copied to a fresh workspace the tests open (default: an empty folder). */
  workspaceSource?: string;
  /** State dir; wiped first, and removed afterwards when the tests pass. Default: a new .tools/runs/integration-* dir. */
  stateDir?: string;
  timeoutMs?: number;
  artifactsDir?: string;
  /** Extra env for code-server (and so for the extension host and the code under test). */
  env?: NodeJS.ProcessEnv;
  /** Receives each line the extension host logs (mocha's spec output among them). */
  onLine?: (line: string) => void;
  /** Open the workspace with Workspace Trust on and the folder not trusted (restricted mode). */
  untrustedWorkspace?: boolean;
}

/** Settings for a workbench whose folder stays untrusted without a startup prompt. */
export const UNTRUSTED_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'never',
  'security.workspace.trust.emptyWindow': false,
};

export interface ExtensionTestResult {
  exitCode: number;
  timedOut: boolean;
  elapsedMs: number;
  workspace: string;
  artifacts: string[];
}

/** First line test/integration/index.ts logs; workbench chatter before it goes to the transcript only. */
export const TESTS_STARTED = /^integration: \d+ test file\(s\)/;

/**
 * Runs an extension test index inside a real VS Code (code-server), the way VS Code's own
 * browser integration tests do: the workbench URL carries a payload with
 * extensionDevelopmentPath / extensionTestsPath (vscode-remote URIs), and the page provides
 * window.codeAutomationLog / window.codeAutomationExit. The index's run() decides the exit code.
 */
export async function runExtensionTests(opts: ExtensionTestOptions): Promise<ExtensionTestResult> {
  const t0 = Date.now();
  const { root } = opts;
  mkdirSync(join(root, '.tools', 'runs'), { recursive: true });
  const state = opts.stateDir ?? mkdtempSync(join(root, '.tools', 'runs', 'integration-'));
  const dirs = codeServerDirs(state);
  prepareState(dirs, { fresh: true, settings: { ...defaultSettings(root), ...(opts.untrustedWorkspace ? UNTRUSTED_SETTINGS : {}) } });
  const workspace = join(state, 'workspace');
  if (opts.workspaceSource && existsSync(opts.workspaceSource)) cpSync(opts.workspaceSource, workspace, { recursive: true });
  else mkdirSync(workspace, { recursive: true });
  const print = opts.onLine ?? ((l: string) => console.log(l));
  // Everything the workbench logs is kept in a transcript (saved on failure); only lines from
  // the test index on are printed (all of it if the tests never started, or with TRITONIZE_TEST_VERBOSE).
  const transcript: string[] = [];
  let started = !!process.env.TRITONIZE_TEST_VERBOSE;
  const onLine = (line: string) => {
    transcript.push(line);
    if (!started && TESTS_STARTED.test(line)) started = true;
    if (started) print(line);
  };
  const artifactsDir = opts.artifactsDir ?? join(root, '.test-artifacts');
  const artifacts: string[] = [];

  const server = await startCodeServer({ root, dirs, folder: workspace, env: { TRITONIZE_TEST: '1', ...opts.env }, workspaceTrust: opts.untrustedWorkspace });
  let browser: Browser | undefined;
  let page: Page | undefined;
  let timedOut = false;
  let exitCode = 1;
  try {
    browser = await launchChromium();
    const context = await browser.newContext();
    page = await context.newPage();
    let done!: (code: number) => void;
    const exit = new Promise<number>((resolve) => { done = resolve; });
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      for (const line of text.split('\n')) onLine(line.replace(/\s+$/, ''));
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => done(Number(code) || 0));
    page.on('pageerror', (err: Error) => onLine(`[page error] ${err.message}`));
    const payload: [string, string][] = [
      ['extensionDevelopmentPath', server.remoteUri(root)],
      ['extensionTestsPath', server.remoteUri(opts.testsPath.replace(/\.js$/, ''))],
      ['skipWelcome', 'true'],
    ];
    await page.goto(server.workbenchUrl(workspace, payload), { waitUntil: 'domcontentloaded', timeout: 180_000 }); // slow on a busy 2-core machine
    const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((resolve) => { timer = setTimeout(() => { timedOut = true; resolve(124); }, timeoutMs); });
    exitCode = await Promise.race([exit, timeout]);
    clearTimeout(timer);
    if (timedOut) onLine(`integration: timed out after ${timeoutMs / 1000} s`);
  } catch (e) {
    onLine(`integration: harness error: ${(e as Error).stack ?? e}`);
    exitCode = exitCode || 1;
  } finally {
    if (!started) for (const l of transcript) print(l);
    if (exitCode !== 0) {
      mkdirSync(artifactsDir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      if (page) {
        const shot = join(artifactsDir, `integration-${stamp}.png`);
        try { await page.screenshot({ path: shot, fullPage: true }); artifacts.push(shot); } catch { /* page gone */ }
      }
      const transcriptFile = join(artifactsDir, `integration-${stamp}-workbench.log`);
      writeFileSync(transcriptFile, transcript.join('\n') + '\n');
      artifacts.push(transcriptFile);
      const logCopy = join(artifactsDir, `integration-${stamp}-code-server.log`);
      try { copyFileSync(dirs.log, logCopy); artifacts.push(logCopy); } catch { /* no log */ }
    }
    await browser?.close().catch(() => undefined);
    await server.stop();
    if (exitCode === 0 && !opts.stateDir) rmSync(state, { recursive: true, force: true });
  }
  return { exitCode, timedOut, elapsedMs: Date.now() - t0, workspace, artifacts };
}
