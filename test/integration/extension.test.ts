// The VS Code layer in a real VS Code: registration, settings, secrets, the kernel server process,
// the status bar and the panel. The server runs the workspace's .venv interpreter (set by the
// harness in user settings) on the CPU, so this needs no GPU and no network.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, EXTENSION_ID, waitFor } from './helpers';

const SECRET = `sk-tritonize-test-${Math.random().toString(36).slice(2)}`;

describe('extension: registration and settings', () => {
  it('registers every contributed command and the status command', async () => {
    await api();
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const contributed: string[] = ext.packageJSON.contributes.commands.map((c: { command: string }) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const id of [...contributed, 'tritonize.showStatus']) assert.ok(registered.has(id), `${id} not registered`);
    for (const id of ['tritonize.generate', 'tritonize.verifyAndBenchmark', 'tritonize.setApiKey', 'tritonize.showPanel',
      'tritonize.applyCandidate', 'tritonize.verifyCandidate', 'tritonize.benchmarkCandidate', 'tritonize.cancel', 'tritonize.selectInterpreter'])
      assert.ok(contributed.includes(id), `${id} not contributed`);
  });

  it('declares the settings with their defaults', () => {
    const c = vscode.workspace.getConfiguration('tritonize');
    const defaults: Record<string, unknown> = {
      'llm.baseUrl': 'https://api.openai.com/v1', 'llm.model': 'gpt-4.1', 'llm.temperature': 0.2, 'llm.maxTokens': 8192,
      'agent.maxTurns': 4, 'agent.candidates': 1, 'agent.targetSpeedup': 1.0, 'python.interpreter': '',
      device: 'auto', 'verify.timeoutSeconds': 120, 'verify.precision': 'strict', 'verify.cpuSizes': 'reduced', 'generate.confirmProblem': true,
    };
    for (const [key, value] of Object.entries(defaults)) assert.deepEqual(c.inspect(key)?.defaultValue, value, `tritonize.${key}`);
    // The enum matches what the backend accepts (judge/compare.py Policy.precision).
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    assert.deepEqual(pkg.contributes.configuration.properties['tritonize.verify.precision'].enum, ['strict', 'allow_tf32', 'dtype']);
  });

  it('shows candidate commands only where they apply, and has a walkthrough of 3 steps', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const palette = (id: string) => pkg.contributes.menus.commandPalette.find((m: { command: string }) => m.command === id)?.when ?? '';
    assert.match(palette('tritonize.verifyCandidate'), /tritonize\.activeIsCandidate/);
    assert.match(palette('tritonize.benchmarkCandidate'), /tritonize\.activeIsCandidate/);
    assert.match(palette('tritonize.applyCandidate'), /tritonize\.canApply/);
    assert.match(palette('tritonize.cancel'), /tritonize\.running/);
    assert.equal(pkg.icon, 'media/icon.png');
    const steps = pkg.contributes.walkthroughs[0].steps.map((s: { id: string }) => s.id);
    assert.deepEqual(steps, ['interpreter', 'llm', 'generate']);
    // Steps already done (interpreter set by npm start, a key stored earlier) show as done.
    const events = (id: string) => pkg.contributes.walkthroughs[0].steps.find((s: { id: string }) => s.id === id).completionEvents;
    assert.ok(events('interpreter').includes('onContext:tritonize.interpreterSet'));
    assert.ok(events('llm').includes('onContext:tritonize.apiKeySet'));
  });

  it('limits itself in untrusted workspaces and runs in the workspace host', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('tritonize.python.interpreter'));
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    const ctxMenu = pkg.contributes.menus['editor/context'].find((m: { command: string }) => m.command === 'tritonize.generate');
    assert.match(ctxMenu.when, /isWorkspaceTrusted/);
    assert.match(ctxMenu.when, /editorHasSelection/);
  });
});

describe('extension: kernel server', function () {
  this.timeout(180_000);

  it('starts with the configured .venv interpreter and shows "CPU interpreter"', async () => {
    const { ctx } = await api();
    const configured = vscode.workspace.getConfiguration('tritonize').get<string>('python.interpreter');
    assert.ok(configured && configured.endsWith(path.join('.venv', 'bin', 'python')), `harness should set .venv python, got ${configured}`);
    await ctx.startServer();
    await waitFor('status bar to leave "starting"', () => ctx.status.current.kind !== 'starting', 120_000);
    assert.equal(ctx.interpreter?.command, configured);
    assert.equal(ctx.interpreter?.source, 'setting');
    assert.equal(ctx.status.current.kind, 'ready', `status: ${JSON.stringify(ctx.status.current)}`);
    assert.match(ctx.status.text, /CPU interpreter/);
    assert.equal(ctx.environment?.interpreter, true);
    assert.ok(ctx.environment?.torch, 'torch version reported');
  });

  it('keeps the API key in SecretStorage only: not in settings, not in the server environment', async () => {
    const { ctx } = await api();
    // Round trip through the command (string argument = no prompt).
    assert.equal(await vscode.commands.executeCommand('tritonize.setApiKey', SECRET), true);
    assert.equal(await ctx.apiKey.get(), SECRET);
    // Nowhere in settings, at any level.
    const all = JSON.stringify(vscode.workspace.getConfiguration('tritonize'));
    assert.ok(!all.includes(SECRET), 'key found in settings');
    // Put credentials into the extension host's environment, restart the server, read its environ.
    process.env.OPENAI_API_KEY = `${SECRET}-env`;
    process.env.SOME_SERVICE_TOKEN = 'tok-should-not-leak';
    try {
      await ctx.restartServer('test: environment check');
      const pid = await waitFor('server pid', () => ctx.serverPid, 60_000);
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      const names = environ.map((e) => e.split('=')[0]);
      assert.ok(!names.includes('OPENAI_API_KEY'), 'OPENAI_API_KEY passed to the server');
      assert.ok(!names.includes('SOME_SERVICE_TOKEN'), 'a *_TOKEN variable passed to the server');
      assert.ok(!environ.some((e) => e.includes(SECRET)), 'the key value reached the server environment');
      const pythonPath = environ.find((e) => e.startsWith('PYTHONPATH='));
      assert.ok(pythonPath?.includes(path.join('python-backend')), `PYTHONPATH: ${pythonPath}`);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      assert.deepEqual(cmdline.slice(1, 3), ['-m', 'tritonize.server']);
    } finally {
      delete process.env.OPENAI_API_KEY;
      delete process.env.SOME_SERVICE_TOKEN;
      await ctx.apiKey.clear();
    }
    await waitFor('server ready again', () => ctx.status.current.kind === 'ready', 120_000);
  });
});

describe('extension: kernel server crash', function () {
  this.timeout(180_000);

  it('is restarted by the language client after it dies, and the status recovers', async () => {
    const { ctx } = await api();
    await ctx.startServer();
    const before = await waitFor('server pid', () => ctx.serverPid, 60_000);
    process.kill(before, 'SIGKILL');
    const after = await waitFor('a new server process', () => (ctx.serverPid && ctx.serverPid !== before ? ctx.serverPid : undefined), 120_000);
    assert.notEqual(after, before);
    await waitFor('status ready after restart', () => ctx.status.current.kind === 'ready', 120_000);
    assert.match(ctx.status.text, /CPU interpreter/);
  });
});

describe('extension: broken environments are reported, then recovered', function () {
  this.timeout(240_000);
  const config = () => vscode.workspace.getConfiguration('tritonize');
  let original: string | undefined;
  before(() => { original = config().inspect<string>('python.interpreter')?.globalValue; });
  after(async () => {
    await config().update('python.interpreter', original, vscode.ConfigurationTarget.Global);
    const { ctx } = await api();
    await waitFor('server ready with the .venv interpreter again', () => ctx.status.current.kind === 'ready', 120_000);
  });

  it('a missing interpreter shows "no Python" in the status bar', async () => {
    const { ctx } = await api();
    await config().update('python.interpreter', '/nonexistent/bin/python', vscode.ConfigurationTarget.Global);
    await waitFor('status "no Python"', () => ctx.status.current.kind === 'missing' && /no Python/.test(ctx.status.text), 60_000);
    await assert.rejects(ctx.backend(), /not running|not found/);
  });

  it('an interpreter without torch shows what is missing and how to fix it', async () => {
    const { ctx } = await api();
    await config().update('python.interpreter', '/usr/bin/python3', vscode.ConfigurationTarget.Global);
    await waitFor('status "no torch"', () => ctx.status.current.kind === 'missing' && /torch/.test(ctx.status.text), 120_000);
    await assert.rejects(ctx.backend(), /torch/);
  });
});

describe('extension: panel', function () {
  this.timeout(60_000);

  it('resolves the webview view when shown', async () => {
    const { panel } = await api();
    await vscode.commands.executeCommand('tritonize.showPanel');
    await waitFor('panel to resolve', () => panel.isResolved, 30_000);
  });
});
