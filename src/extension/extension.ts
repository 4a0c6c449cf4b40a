// Entry point: builds the one Ctx, registers commands and the panel, and starts the kernel server.
// Everything here is wiring; the behaviour lives in the modules it imports.
import * as vscode from 'vscode';
import { registerPreview } from './apply';
import { registerCommands } from './commands';
import { trackContextKeys, trackSetupKeys } from './contextKeys';
import { Ctx } from './ctx';
import { ORIGINAL_SCHEME, OriginalSelections } from './diff';
import { ReadOnlyViews, VIEW_SCHEME } from './editors';
import { PANEL_VIEW_ID, PanelHost } from './panel';
import { RunsModel } from './runs';

/** What activate() returns: a handle for the integration tests (not a public API). */
export interface TritonizeApi {
  ctx: Ctx;
  runs: RunsModel;
  panel: PanelHost;
}

let ctx: Ctx | undefined;

export async function activate(extension: vscode.ExtensionContext): Promise<TritonizeApi> {
  ctx = new Ctx(extension);
  const runs = new RunsModel();
  const panel = new PanelHost(extension.extensionUri, ctx.log, () => ({ ...runs.state(), question: ctx!.questions.current }), (msg) => commands.onPanelMessage(msg));
  const originals = new OriginalSelections();
  const views = new ReadOnlyViews();
  const commands = registerCommands(ctx, runs, panel, originals, views);
  extension.subscriptions.push(
    ctx,
    panel,
    { dispose: () => runs.dispose() },
    runs.onDidChange(() => panel.push()),
    ctx.questions.onDidChange(() => panel.push()),
    vscode.window.registerWebviewViewProvider(PANEL_VIEW_ID, panel, { webviewOptions: { retainContextWhenHidden: false } }),
    vscode.workspace.registerTextDocumentContentProvider(ORIGINAL_SCHEME, originals),
    vscode.workspace.registerTextDocumentContentProvider(VIEW_SCHEME, views),
    views,
    ...commands.disposables,
    registerPreview(ctx.questions),
    trackContextKeys(runs),
    trackSetupKeys(extension.secrets, async () => !!(await ctx!.apiKey.get())),
  );
  ctx.log.info(`Tritonize ${extension.extension.packageJSON.version} activated (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'untrusted'})`);
  void ctx.startServer();
  void commands.loadHistory();
  // The walkthrough once, the first time Tritonize runs (npm start's workbench has no Welcome page,
  // so a new user never found it: try-out 10). Not in the test workbenches (TRITONIZE_TEST=1).
  if (!extension.globalState.get<boolean>('tritonize.walkthroughShown') && process.env.TRITONIZE_TEST !== '1') {
    void extension.globalState.update('tritonize.walkthroughShown', true);
    void vscode.commands.executeCommand('workbench.action.openWalkthrough', `${extension.extension.id}#tritonize.start`, false);
  }
  return { ctx, runs, panel };
}

export async function deactivate(): Promise<void> {
  ctx?.dispose();
  ctx = undefined;
}
