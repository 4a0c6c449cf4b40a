// Workspace Trust: in a folder the user has not trusted, Tritonize runs no code. Only runs in the
// second pass of scripts/run-integration.mjs, which opens its workspace with trust on and the folder
// untrusted (harness option `untrustedWorkspace`, grep on this suite's title); skipped in the normal
// (trusted) pass.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { api, EXTENSION_ID, workspaceRoot } from './helpers';

const UNTRUSTED_SUITE = 'Workspace Trust (untrusted folder)';

/** Command lines of the processes this extension host has started. */
function children(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim());
    } catch { /* gone */ }
  }
  return out;
}

describe(UNTRUSTED_SUITE, function () {
  this.timeout(120_000);
  let fake: FakeOpenAI;
  const errors: string[] = [];
  let restoreLog: (() => void) | undefined;
  const config = () => vscode.workspace.getConfiguration('tritonize');

  before(async function () {
    if (vscode.workspace.isTrusted) this.skip(); // the trusted pass: nothing to check here
    fake = await startFakeOpenAI();
    // Everything generation needs, so only the trust check can stop it.
    await config().update('llm.baseUrl', fake.baseURL, vscode.ConfigurationTarget.Global);
    await config().update('llm.model', 'fake-model', vscode.ConfigurationTarget.Global);
    await config().update('device', 'cpu', vscode.ConfigurationTarget.Global);
    const { ctx } = await api();
    await ctx.apiKey.set('sk-fake-untrusted');
    // Commands report their errors to the user and to the log: record the log side.
    const log = ctx.log as { error: (...a: unknown[]) => void };
    const orig = log.error;
    log.error = (...a: unknown[]) => { errors.push(String(a[0])); orig.apply(ctx.log, a); };
    restoreLog = () => { log.error = orig; };
  });

  after(async () => {
    restoreLog?.();
    if (!fake) return;
    for (const key of ['llm.baseUrl', 'llm.model', 'device']) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    await (await api()).ctx.apiKey.clear();
    await fake.close();
  });

  it('activates in restricted mode without starting the kernel server', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const { ctx } = await api();
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID)!.isActive);
    assert.equal(ctx.status.current.kind, 'untrusted');
    assert.equal(ctx.serverPid, undefined);
    assert.deepEqual(children().filter((c) => /python|tritonize/.test(c)), []);
  });

  it('tritonize.generate is refused with a message: no LLM call, no process', async () => {
    const file = path.join(workspaceRoot(), 'untrusted_demo.py');
    writeFileSync(file, 'import torch\n\n\ndef main():\n    a = torch.randn(8)\n    b = torch.randn(8)\n    return a + b\n');
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    editor.selection = new vscode.Selection(6, 11, 6, 16);
    assert.equal(editor.document.getText(editor.selection), 'a + b');
    errors.length = 0;
    const run = await vscode.commands.executeCommand('tritonize.generate', { confirmProblem: false, showDiff: false });
    assert.equal(run, undefined);
    assert.ok(errors.some((e) => /not trusted/.test(e)), `expected a "not trusted" message, got ${JSON.stringify(errors)}`);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(fake.requests.length, 0, 'the LLM was called');
    assert.equal((await api()).ctx.serverPid, undefined);
    assert.equal((await api()).runs.busy, false);
    assert.deepEqual(children().filter((c) => /python|tritonize/.test(c)), []);
  });

  it('tritonize.verifyAndBenchmark / verifyCandidate are refused with a message: no process', async () => {
    const cand = path.join(workspaceRoot(), 'cand_untrusted.py');
    writeFileSync(cand, 'import torch\n\n\nclass ModelNew(torch.nn.Module):\n    def forward(self, a, b):\n        return a + b\n');
    for (const cmd of ['tritonize.verifyAndBenchmark', 'tritonize.verifyCandidate', 'tritonize.benchmarkCandidate']) {
      errors.length = 0;
      const report = await vscode.commands.executeCommand(cmd, vscode.Uri.file(cand));
      assert.equal(report, undefined, cmd);
      assert.ok(errors.some((e) => /not trusted/.test(e)), `${cmd}: expected a "not trusted" message, got ${JSON.stringify(errors)}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await api()).ctx.serverPid, undefined);
    assert.deepEqual(children().filter((c) => /python|tritonize/.test(c)), []);
  });
});
