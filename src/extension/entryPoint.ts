// How the kernel server runs the user's program to record the selection's real inputs when the
// file has no `if __name__ == "__main__":` block and no test functions (a model file imported by
// train.py): the `tritonize.entryPoint` setting. Without it the shapes are guessed, and Apply
// refuses guessed shapes, so this is what makes Apply possible for library code.
import * as path from 'node:path';
import * as vscode from 'vscode';

const SETTING = 'entryPoint';

/** The setting for `uri`, as the server's `entry` parameter: a relative script path is taken from
 * the workspace folder (the server would take it from the selected file's folder). */
export function entryFor(uri: vscode.Uri): string | undefined {
  const raw = vscode.workspace.getConfiguration('tritonize', uri).get<string>(SETTING, '').trim();
  if (!raw) return undefined;
  const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath;
  const tokens = raw.split(/\s+/);
  const at = /(^|\/)python[\d.]*$/.test(tokens[0]!) ? 1 : 0;
  const script = tokens[at];
  if (folder && script && script.endsWith('.py') && !path.isAbsolute(script)) {
    tokens[at] = JSON.stringify(path.join(folder, script)); // quoted: shlex on the server side
  }
  return tokens.join(' ');
}

/** Asks how the program runs and saves it for the workspace folder. Returns whether it was set. */
export async function askEntryPoint(uri: vscode.Uri): Promise<boolean> {
  const current = vscode.workspace.getConfiguration('tritonize', uri).get<string>(SETTING, '');
  const value = await vscode.window.showInputBox({
    title: 'Tritonize: how does your program run?',
    prompt: `${path.basename(uri.fsPath)} has no __main__ block, so its real input shapes were guessed. Name the command that runs `
      + 'the selected code once (relative to the workspace folder); Tritonize runs it to record the shapes and stops it there.',
    placeHolder: 'train.py --steps 1   or   -m mypkg.train   or   test_forward',
    value: current,
    ignoreFocusOut: true,
  });
  if (value === undefined) return false;
  const target = vscode.workspace.getWorkspaceFolder(uri) ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('tritonize', uri).update(SETTING, value.trim(), target);
  return value.trim() !== '';
}
