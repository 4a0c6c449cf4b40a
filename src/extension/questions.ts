// The one question a run may wait on ("Looks right / Edit", "Accept / Discard"). A notification
// hides itself after ~15 s and VS Code gives extensions no sticky one (try-outs 10 and 11 lost
// both prompts), so the same question is also shown in the panel with its buttons, answered from
// the editor title bar where one fits, and brought back by the status item. The first answer
// wins; a later click on the stale notification changes nothing and says so.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Question } from './protocol';

/** What the question is about: the context key `tritonize.question` (title-bar buttons). */
export type QuestionKind = 'confirm-problem' | 'accept-apply';

interface Pending extends Question {
  kind: QuestionKind;
  resolve: (action: string | undefined) => void;
}

export class Questions implements vscode.Disposable {
  private pending: Pending | null = null;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  /** Answers given (action, or undefined for a dismissal), for the log and the tests. */
  private readonly answeredEmitter = new vscode.EventEmitter<{ kind: QuestionKind; action: string | undefined; via: string }>();
  readonly onDidAnswer = this.answeredEmitter.event;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** The question shown in the panel now, if any. */
  get current(): Question | null {
    return this.pending ? { id: this.pending.id, text: this.pending.text, actions: this.pending.actions } : null;
  }

  get kind(): QuestionKind | undefined {
    return this.pending?.kind;
  }

  /** Asks; resolves with the action chosen anywhere (undefined only when the extension goes away).
   * Closing a notification is not an answer: VS Code also resolves a notification with undefined
   * when an identical one replaces it, so asking again from the status item dismissed the question
   * (try-out 12); every question has its own no (Cancel, Discard). One question at a time: while one
   * is open, another is refused (an Apply of an older run must not dismiss a new run's confirmation). */
  ask(kind: QuestionKind, text: string, actions: string[]): Promise<string | undefined> {
    if (this.pending) {
      const open = this.pending.text.length > 80 ? `${this.pending.text.slice(0, 80)}…` : this.pending.text;
      return Promise.reject(new Error(`Tritonize is waiting for your answer to "${open}" (${this.pending.actions.join(' / ')}): answer it first (the question is at the top of the Tritonize panel).`));
    }
    const id = randomBytes(6).toString('hex');
    return new Promise<string | undefined>((resolve) => {
      this.pending = { id, kind, text, actions, resolve };
      void vscode.commands.executeCommand('setContext', 'tritonize.question', kind);
      this.changed.fire();
      this.notify(id);
    });
  }

  /** Shows the open question's notification again (the status item's click). */
  reshow(): boolean {
    if (!this.pending) return false;
    this.notify(this.pending.id);
    return true;
  }

  /** An answer from the panel (by question id) or a command. Returns false for a stale id. */
  answer(id: string, action: string | undefined, via: string): boolean {
    return this.settle(id, action, via);
  }

  /** An answer from a title-bar button or command to whatever question of `kind` is open; no
   * action: its first (the ✓: "Looks right", or "Continue" after Edit). */
  answerKind(kind: QuestionKind, action: string | undefined, via: string): boolean {
    const q = this.pending;
    return q?.kind === kind ? this.settle(q.id, action ?? q.actions[0], via) : false;
  }

  private notify(id: string): void {
    const q = this.pending!;
    void vscode.window.showInformationMessage(`Tritonize: ${q.text}`, ...q.actions).then((pick) => {
      if (pick === undefined) return; // closed, hidden or replaced: the question stays open
      // A notification of a question answered elsewhere: its button does nothing now.
      if (this.pending?.id !== id) {
        vscode.window.setStatusBarMessage(`Tritonize: that question was already answered`, 4000);
        return;
      }
      this.settle(id, pick, 'notification');
    });
  }

  private settle(id: string, action: string | undefined, via: string): boolean {
    const q = this.pending;
    if (!q || q.id !== id || (action !== undefined && !q.actions.includes(action))) return false;
    this.pending = null;
    void vscode.commands.executeCommand('setContext', 'tritonize.question', undefined);
    this.log.info(`question "${q.kind}": ${action ?? 'dismissed'} (${via})`);
    this.changed.fire();
    this.answeredEmitter.fire({ kind: q.kind, action, via });
    q.resolve(action);
    return true;
  }

  dispose(): void {
    if (this.pending) this.settle(this.pending.id, undefined, 'disposed');
    this.changed.dispose();
    this.answeredEmitter.dispose();
  }
}
