// The side panel (webview view `tritonize.panel`). The host owns the state: the panel is re-sent the
// whole PanelState on every change and on `ready`, so hiding, closing or reloading the view loses
// nothing. Messages from the panel are untrusted input: parsed with the core zod schema, and
// anything invalid is logged and dropped.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { renderPanelHtml } from '../core/protocol';
import { HostToPanel, PanelToHost, type PanelState, type PanelToHostMessage } from './protocol';

export const PANEL_VIEW_ID = 'tritonize.panel';
/** At most one state message per this many ms (a streaming reply changes the state many times a second). */
export const PUSH_INTERVAL_MS = 120;
/** `change`: the state changed (throttled to one message per PUSH_INTERVAL_MS); `ready` and `visible`:
 * the webview (re)loaded or was shown again and needs the whole state now. */
export type PushReason = 'change' | 'ready' | 'visible';

export class PanelHost implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly resolvedEmitter = new vscode.EventEmitter<void>();
  /** Fires each time VS Code resolves the view (tests wait on it). */
  readonly onDidResolve = this.resolvedEmitter.event;
  /** Why a state went out: a change (throttled), or the panel asking (`ready`, shown again: at once). */
  private readonly pushedEmitter = new vscode.EventEmitter<{ state: PanelState; reason: PushReason; at: number }>();
  /** Fires with each state actually posted to the panel (tests count them). */
  readonly onDidPush = this.pushedEmitter.event;
  private lastPush = 0;
  private pending: NodeJS.Timeout | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private state: () => PanelState,
    private readonly onMessage: (msg: PanelToHostMessage) => void | Promise<void>,
  ) {}

  get isResolved(): boolean {
    return this.view !== undefined;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    const nonce = randomBytes(16).toString('base64');
    view.webview.html = renderPanelHtml({
      cspSource: view.webview.cspSource,
      nonce,
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.js')).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
    });
    this.disposables.push(
      view.webview.onDidReceiveMessage((raw) => this.receive(raw)),
      view.onDidDispose(() => { this.view = undefined; }),
      // A hidden webview view may drop messages: re-send when it becomes visible again.
      view.onDidChangeVisibility(() => { if (view.visible) this.pushNow('visible'); }),
    );
    this.resolvedEmitter.fire();
  }

  /** Send the current state soon: at once when the last message is older than PUSH_INTERVAL_MS,
   * else once at the end of that interval (so the last change always arrives, ≤ 120 ms late). */
  push(): void {
    if (!this.view) return;
    const wait = this.lastPush + PUSH_INTERVAL_MS - Date.now();
    if (wait <= 0) this.pushNow('change');
    else this.pending ??= setTimeout(() => { this.pending = undefined; this.pushNow('change'); }, wait);
  }

  /** Send the current state now (no-op when the view is not open; it asks with `ready`). */
  pushNow(reason: PushReason): void {
    clearTimeout(this.pending);
    this.pending = undefined;
    if (!this.view) return;
    // Checked on the way out too: a state the panel would reject is our bug, and the log says so.
    const msg = HostToPanel.safeParse({ type: 'state', state: this.state() });
    if (!msg.success) {
      this.log.error(`panel: state does not match the schema, not sent: ${msg.error.message.slice(0, 500)}`);
      return;
    }
    // The interval counts from the send, not from before the schema check: on a busy machine the
    // check's own time made two sends 75 ms apart (CI, session 18).
    this.lastPush = Date.now();
    void this.view.webview.postMessage(msg.data);
    this.pushedEmitter.fire({ state: msg.data.state, reason, at: this.lastPush });
  }

  async reveal(): Promise<void> {
    if (this.view) this.view.show(true);
    else await vscode.commands.executeCommand(`${PANEL_VIEW_ID}.focus`);
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = PanelToHost.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`panel: ignored invalid message ${JSON.stringify(raw)?.slice(0, 200)}: ${parsed.error.message.slice(0, 300)}`);
      return;
    }
    const msg = parsed.data;
    this.log.debug(`panel → host: ${msg.type}`);
    if (msg.type === 'ready') {
      this.pushNow('ready');
      return;
    }
    try {
      await this.onMessage(msg);
    } catch (err) {
      this.log.error(`panel action ${msg.type} failed: ${String(err)}`);
      void vscode.window.showErrorMessage(`Tritonize: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  dispose(): void {
    clearTimeout(this.pending);
    for (const d of this.disposables) d.dispose();
    this.resolvedEmitter.dispose();
    this.pushedEmitter.dispose();
  }
}
