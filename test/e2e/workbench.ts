// Driving a real VS Code workbench (code-server + Debian chromium, via the shared harness in
// test/support/codeServer.ts) for end-to-end tests: the extension under development is loaded from
// the repo through the workbench URL's `payload` (extensionDevelopmentPath), no .vsix needed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import {
  codeServerDirs, defaultSettings, launchChromium, prepareState, startCodeServer, type CodeServer,
} from '../support/codeServer';

/** Repo root: this file is bundled to out/test/e2e/. */
export const ROOT = join(__dirname, '..', '..', '..');
export const ARTIFACTS = join(ROOT, '.test-artifacts', 'e2e');

export interface Workbench {
  server: CodeServer;
  page: Page;
  workspace: string;
  shot(name: string): Promise<void>;
  /** Stops everything; removes the state dir when `keep` is false (keep it after a failure). */
  close(keep?: boolean): Promise<void>;
}

export async function openWorkbench(opts: { files: Record<string, string>; settings: Record<string, unknown>; env?: NodeJS.ProcessEnv }): Promise<Workbench> {
  // A fresh state dir per run (like the integration harness), so concurrent runs do not collide.
  mkdirSync(join(ROOT, '.tools', 'runs'), { recursive: true });
  const state = mkdtempSync(join(ROOT, '.tools', 'runs', 'e2e-'));
  const dirs = codeServerDirs(state);
  prepareState(dirs, { fresh: true, settings: { ...defaultSettings(ROOT), ...opts.settings } });
  const workspace = join(state, 'workspace');
  rmSync(workspace, { recursive: true, force: true });
  for (const [rel, text] of Object.entries(opts.files)) {
    mkdirSync(join(workspace, rel, '..'), { recursive: true });
    writeFileSync(join(workspace, rel), text);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const server = await startCodeServer({ root: ROOT, dirs, folder: workspace, env: { TRITONIZE_TEST: '1', ...opts.env } });
  const browser = await launchChromium();
  const context = await browser.newContext();
  const page = (await context.newPage()) as unknown as Page;
  await page.setViewportSize({ width: 1600, height: 1000 });
  const payload: [string, string][] = [['extensionDevelopmentPath', server.remoteUri(ROOT)], ['skipWelcome', 'true']];
  await page.goto(server.workbenchUrl(workspace, payload), { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  // The extension's activity-bar entry means the extension host loaded it (slow on a busy machine).
  await page.locator('.activitybar .action-item a[aria-label^="Tritonize"], .activitybar [aria-label^="Tritonize"]').first().waitFor({ timeout: 180_000 });
  let n = 0;
  return {
    server, page, workspace,
    async shot(name) {
      await page.screenshot({ path: join(ARTIFACTS, `${String(++n).padStart(2, '0')}-${name}.png`) }).catch(() => undefined);
    },
    async close(keep = true) {
      await browser.close().catch(() => undefined);
      await server.stop();
      if (!keep) rmSync(state, { recursive: true, force: true });
    },
  };
}

/** Runs a command from the palette (F1), as a user would. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
}

/** Opens a top-level workspace file from the Explorer (Quick Open's file search is slow to index). */
export async function openFile(page: Page, name: string): Promise<void> {
  const tab = page.locator(`.tab[aria-label^="${name}"]`).first();
  if (await tab.count()) {
    await tab.click();
    return;
  }
  await page.keyboard.press('Control+Shift+E');
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first().click({ timeout: 60_000 });
  await tab.waitFor({ timeout: 60_000 });
}

/** Moves the cursor to a 1-based line with Ctrl+G. */
export async function goToLine(page: Page, line: number): Promise<void> {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
}

/** The frame of a webview view whose document contains `selector` (webviews are nested iframes). */
export async function webviewFrame(page: Page, selector: string, timeoutMs = 60_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      try {
        if (await frame.locator(selector).count()) return frame;
      } catch { /* frame navigating */ }
    }
    if (Date.now() > deadline) throw new Error(`no webview frame contains ${selector}`);
    await page.waitForTimeout(500);
  }
}

/** A notification toast's button. */
export function notificationButton(page: Page, text: string | RegExp, label: string): Locator {
  return page.locator('.notification-toast', { hasText: text }).locator('a.monaco-button, .monaco-button', { hasText: label }).first();
}
