// One status bar item saying where candidates will run: the GPU's name, "CPU interpreter", or
// what is missing. Clicking it offers the fixes ("Select interpreter", "Show log").
import * as vscode from 'vscode';

/** What the status bar needs to know; derived from `tritonize/environment` or a start failure. */
export type BackendStatus =
  | { kind: 'starting'; interpreter: string }
  | { kind: 'ready'; interpreter: string; device: string; cpu: boolean; detail: string }
  | { kind: 'missing'; interpreter: string; what: string; detail: string }
  | { kind: 'untrusted' };

export function describeStatus(s: BackendStatus): { text: string; tooltip: string; warn: boolean } {
  switch (s.kind) {
    case 'starting':
      return { text: '$(loading~spin) Tritonize', tooltip: `Starting kernel server with ${s.interpreter}…`, warn: false };
    case 'ready':
      return {
        text: s.cpu ? '$(chip) Tritonize: CPU interpreter' : `$(chip) Tritonize: ${s.device}`,
        tooltip: `${s.detail}\nInterpreter: ${s.interpreter}${s.cpu ? '\nNo GPU: candidates run in the Triton CPU interpreter (correctness only; timings are not meaningful).' : ''}`,
        warn: false,
      };
    case 'missing':
      return { text: `$(warning) Tritonize: ${s.what}`, tooltip: `${s.detail}\nInterpreter: ${s.interpreter}`, warn: true };
    case 'untrusted':
      return { text: '$(shield) Tritonize: restricted', tooltip: 'Untrusted workspace: Tritonize runs no code here.', warn: false };
  }
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('tritonize.status', vscode.StatusBarAlignment.Right, 100);
  private status: BackendStatus = { kind: 'starting', interpreter: '…' };
  /** What a running generation is doing ("turn 1/4 · 1.1 checking"); shown instead of the device. */
  private activity: string | undefined;
  private question: string | undefined;

  constructor() {
    this.item.name = 'Tritonize';
    this.item.command = 'tritonize.showStatus';
    this.render();
    this.item.show();
  }

  get current(): BackendStatus {
    return this.status;
  }

  /** The visible text, for tests and for the details message. */
  get text(): string {
    return this.item.text;
  }

  set(status: BackendStatus): void {
    this.status = status;
    this.render();
  }

  /** Shows a running generation's stage (undefined: back to the device). */
  setActivity(activity: string | undefined): void {
    if (this.activity === activity) return;
    this.activity = activity;
    this.render();
  }

  /** A question the user must answer: shown over any activity, which is not progress (no spinner). */
  setQuestion(question: string | undefined): void {
    if (this.question === question) return;
    this.question = question;
    this.render();
  }

  /** What the item says besides the device: the open question, else the activity. */
  get currentActivity(): string | undefined {
    return this.question ?? this.activity;
  }

  private render(): void {
    const d = describeStatus(this.status);
    const shown = this.question ?? this.activity;
    if (shown) {
      const waiting = !!this.question;
      this.item.text = `${waiting ? '$(bell)' : '$(sync~spin)'} Tritonize: ${shown}`;
      this.item.tooltip = `${shown}\nClick to show ${waiting ? 'the question again (it is in the Tritonize panel too)' : 'the Tritonize panel'}.\n\n${d.tooltip}`;
      // Waiting for the user: the question's notification hides after a while; the click asks it
      // again and shows it in the panel with its buttons (try-out 11 found neither).
      this.item.command = waiting ? 'tritonize.showQuestion' : 'tritonize.showPanel';
      this.item.backgroundColor = undefined;
      // Said once (the default label is text + tooltip: the activity twice, try-out 10).
      this.item.accessibilityInformation = { label: `Tritonize: ${shown}. Activate to show ${waiting ? 'the question' : 'the panel'}.` };
      return;
    }
    this.item.accessibilityInformation = undefined;
    this.item.text = d.text;
    this.item.tooltip = d.tooltip;
    this.item.command = 'tritonize.showStatus';
    this.item.backgroundColor = d.warn ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  /** Click handler: the details with the actions that fix what's wrong. */
  async showDetails(): Promise<void> {
    const d = describeStatus(this.status);
    const pick = await vscode.window.showInformationMessage(d.tooltip, 'Select interpreter', 'Show log');
    if (pick === 'Select interpreter') await vscode.commands.executeCommand('tritonize.selectInterpreter');
    else if (pick === 'Show log') await vscode.commands.executeCommand('tritonize.showLog');
  }

  dispose(): void {
    this.item.dispose();
  }
}
