// Smoke test inside a real VS Code: the extension is there, activates, and every command it
// contributes in package.json is registered once it is active.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const ID = 'tritonize.tritonize';

describe('smoke: the Tritonize extension', () => {
  it('is installed (as the extension under development)', () => {
    assert.ok(vscode.extensions.getExtension(ID), `${ID} not found among ${vscode.extensions.all.length} extensions`);
  });

  it('runs in the workspace (Node) extension host', () => {
    const ext = vscode.extensions.getExtension(ID)!;
    assert.equal(ext.extensionKind, vscode.ExtensionKind.Workspace);
  });

  it('activates', async function () {
    this.timeout(60_000);
    const ext = vscode.extensions.getExtension(ID)!;
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('registers every command it contributes', async () => {
    const ext = vscode.extensions.getExtension(ID)!;
    const contributed: string[] = (ext.packageJSON.contributes?.commands ?? []).map((c: { command: string }) => c.command);
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((c) => !registered.has(c)), [], 'contributed but not registered');
  });
});
