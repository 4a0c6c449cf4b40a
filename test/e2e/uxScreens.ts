// Screenshots of the editor experience for review (not a test run by `npm test`): the packaged
// extension installed into a real code-server, driven by Debian chromium as a user would, against
// the fake OpenAI server and the real kernel server on CPU. Writes .test-artifacts/ux/*.png.
//   npx esbuild test/e2e/uxScreens.ts --bundle --platform=node --external:playwright-core --outfile=out/test/e2e/uxScreens.js
//   node out/test/e2e/uxScreens.js
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { codeServerDirs, defaultSettings, installExtension, launchChromium, prepareState, startCodeServer } from '../support/codeServer';
import { startFakeOpenAI } from '../support/fakeOpenAI';
import { openFile, runCommand, webviewFrame } from './workbench';

const ROOT = join(__dirname, '..', '..', '..');
const OUT = join(ROOT, '.test-artifacts', 'ux');
const cand = (name: string) => readFileSync(join(ROOT, 'python-backend', 'tests', 'candidates', name), 'utf8');
const fence = (code: string) => `Here is a Triton kernel for the selected op.\n\n\`\`\`python\n${code.trimEnd()}\n\`\`\`\n`;
const DEMO = `import torch


def main():
    a = torch.randn(3000)
    b = torch.randn(3000)
    c = a + b
    print(float(c.sum()))
`;

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const fake = await startFakeOpenAI([], { models: ['fake-model'] });
  const vsix = join(ROOT, '.tools', 'ux-screens.vsix');
  const pack = spawnSync(process.execPath, [join(ROOT, 'scripts', 'package.mjs'), '--out', vsix], { encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(pack.stderr || pack.stdout);
  mkdirSync(join(ROOT, '.tools', 'runs'), { recursive: true });
  const state = mkdtempSync(join(ROOT, '.tools', 'runs', 'ux-screens-'));
  const dirs = codeServerDirs(state);
  const base = {
    ...defaultSettings(ROOT), 'tritonize.llm.baseUrl': fake.baseURL, 'tritonize.llm.model': 'fake-model',
    'tritonize.device': 'cpu', 'tritonize.agent.maxTurns': 2, 'workbench.colorTheme': 'Default Dark Modern',
  };
  prepareState(dirs, { fresh: true, settings: base });
  const settingsFile = join(dirs.userData, 'User', 'settings.json');
  void settingsFile;
  // Through the workbench's own settings editor: edits of the file on disk were not picked up reliably.
  const setSettings = async (extra: Record<string, unknown>) => {
    await runCommand(page, 'Preferences: Open User Settings (JSON)');
    await page.locator('.tab.active', { hasText: 'settings.json' }).waitFor({ timeout: 30_000 });
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(JSON.stringify({ ...base, ...extra }, null, 2));
    await page.keyboard.press('Control+S');
    await page.waitForTimeout(1500);
    await page.keyboard.press('Control+W');
    await page.waitForTimeout(1500);
  };
  installExtension(ROOT, dirs, vsix);
  const workspace = join(state, 'workspace');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'demo.py'), DEMO);
  const server = await startCodeServer({ root: ROOT, dirs, folder: workspace, env: { OPENAI_API_KEY: 'sk-fake-screens' } });
  const browser = await launchChromium();
  const page = (await (await browser.newContext()).newPage()) as unknown as Page;
  await page.setViewportSize({ width: 1600, height: 1000 });
  const shot = async (name: string) => {
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(OUT, `${name}.png`) });
    console.log(`ux-screens: ${name}.png`);
  };
  const status = page.locator('.statusbar-item', { hasText: 'Tritonize' }).first();
  async function themesAndLog(): Promise<void> {
      for (const [name, theme] of [['12-panel-dark', 'Dark Modern'], ['13-panel-light', 'Light Modern'], ['14-panel-high-contrast', 'Dark High Contrast']] as const) {
        // The theme picker, as a user would (a settings edit did not always re-theme the open workbench);
        // its row clicked by name: Enter on the first match opened the Marketplace theme browser once.
        await page.keyboard.press('F1');
        await page.locator('.quick-input-widget input').fill('>Preferences: Color Theme');
        await page.getByRole('option', { name: /^Preferences: Color Theme/ }).first().click({ timeout: 30_000 });
        await page.locator('.quick-input-list .monaco-list-row').nth(2).waitFor({ timeout: 30_000 }); // the installed themes are listed
        await page.keyboard.insertText(theme);
        await page.waitForTimeout(1500);
        await page.keyboard.press('Enter');
        const kind = theme.includes('Light') ? '.monaco-workbench.vs' : theme.includes('High Contrast') ? '.monaco-workbench.hc-black' : '.monaco-workbench.vs-dark';
        await page.locator(kind).waitFor({ timeout: 30_000 }).catch(() => undefined);
        await page.waitForTimeout(2500);
        await shot(name);
      }

      // 8. The log: levels as the lines mean them, Apply recorded.
      await runCommand(page, 'Tritonize: Show log');
      await page.waitForTimeout(2000);
      await shot('15-log');
  }
  try {
    await page.goto(server.workbenchUrl(workspace), { waitUntil: 'domcontentloaded', timeout: 180_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 180_000 });
    await openFile(page, 'demo.py'); // a Python file activates the extension
    await page.locator('.statusbar-item', { hasText: 'CPU interpreter' }).first().waitFor({ timeout: 240_000 });

    // 1. Extensions page: the packaged README, icon, walkthrough contribution.
    // UX_SCREENS_FROM_RUN=1 skips 1-3 (the intro shots) when only the run's shots are wanted.
    if (process.env.UX_SCREENS_FROM_RUN !== '1') {
    await page.keyboard.press('Control+Shift+X');
    await page.locator('.extensions-viewlet .monaco-list-row', { hasText: 'Tritonize' }).first().click({ timeout: 60_000 });
    await page.locator('.extension-editor .header .name', { hasText: 'Tritonize' }).waitFor({ timeout: 60_000 });
    await webviewFrame(page, 'a[href], h2', 90_000).catch(() => undefined); // the README webview
    await page.waitForTimeout(1500);
    await shot('01-extensions-page');
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+W'); // close all editors

    // 2. The walkthrough.
    await runCommand(page, 'Welcome: Open Walkthrough...');
    const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get started with Tritonize' }).first();
    await pick.click({ timeout: 30_000 });
    await page.locator('.gettingStartedContainer', { hasText: 'Pick the Python interpreter' }).first().waitFor({ timeout: 60_000 });
    await webviewFrame(page, 'table, code', 60_000).catch(() => undefined); // the step's markdown
    await page.waitForTimeout(1500);
    await shot('02-walkthrough');
    await page.locator('.gettingStartedContainer button', { hasText: 'Set the LLM endpoint and key' }).first().click().catch(() => undefined);
    await page.waitForTimeout(3000);
    await shot('03-walkthrough-llm-step');
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+W');

    // 3. Endpoint pre-check against a closed port: fails in a second, with the fixes as buttons.
    const closed = await startFakeOpenAI();
    const closedUrl = closed.baseURL;
    await closed.close();
    await setSettings({ 'tritonize.llm.baseUrl': closedUrl });
    await page.waitForTimeout(6000); // the settings file watcher
    await selectInDemo(page);
    await runCommand(page, 'Tritonize: Generate Triton kernel');
    await noteButton(page, 'connection refused', 'Open Settings', 60_000);
    await shot('04-endpoint-closed-port');
    await runCommand(page, 'Notifications: Clear All Notifications').catch(() => undefined);
    await page.keyboard.press('Escape');
    await setSettings({});
    }
    await page.waitForTimeout(6000);

    if (process.env.UX_SCREENS_THEMES_ONLY === '1') {
      fake.push({ reply: fence(cand('wrong_off_by_one_mask.py')) }, { reply: fence(cand('vector_add_correct.py')) });
      await selectInDemo(page);
      await runCommand(page, 'Tritonize: Generate Triton kernel');
      await (await noteButton(page, 'Does it look right?', 'Looks right', 120_000)).click();
      await noteButton(page, 'is correct', 'Show panel', 300_000);
      await runCommand(page, 'Notifications: Clear All Notifications').catch(() => undefined);
      await runCommand(page, 'Tritonize: Show panel');
      const p = await webviewFrame(page, '#candidates-table tr.cand', 90_000);
      await p.locator('tr.cand button.link', { hasText: '1.1' }).first().click();
      await page.waitForTimeout(5000);
      await page.keyboard.press('Control+Shift+M');
      await themesAndLog();
      return;
    }

    // 4. A run: the problem to confirm, the stage in the status bar, the result.
    fake.push({ reply: fence(cand('wrong_off_by_one_mask.py')), chunkSize: 40, chunkDelayMs: 20 }, { reply: fence(cand('vector_add_correct.py')) });
    await selectInDemo(page);
    await runCommand(page, 'Tritonize: Generate Triton kernel');
    await noteButton(page, 'Does it look right?', 'Looks right', 120_000);
    await shot('05-problem-confirm');
    // The toast hides by itself after ~15 s (try-outs 10 and 11 lost it): the question stays at the
    // top of the panel, and is answered there.
    await page.waitForTimeout(20_000);
    await runCommand(page, 'Tritonize: Show panel');
    const asking = await webviewFrame(page, 'section.question:not([hidden]) button', 90_000);
    await shot('05b-question-in-panel-after-toast-hid');
    await asking.locator('section.question button', { hasText: 'Looks right' }).first().click();
    await page.locator('.statusbar-item', { hasText: /Tritonize: turn/ }).first().waitFor({ timeout: 120_000 });
    await shot('06-statusbar-stage');
    await noteButton(page, 'is correct', 'Show panel', 300_000);
    await runCommand(page, 'Notifications: Clear All Notifications').catch(() => undefined);
    // Explorer with the run folder expanded: the wrong candidate's errors are not shown (not opened).
    await page.keyboard.press('Control+Shift+E');
    try {
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: '.tritonize' }).first().click({ timeout: 10_000 });
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'runs' }).first().click({ timeout: 10_000 });
      await page.locator('.explorer-folders-view .monaco-list-row[aria-level="3"]').first().click({ timeout: 10_000 });
    } catch (err) {
      console.log(`ux-screens: explorer: ${String(err).split('\n')[0]}`);
    }
    await page.keyboard.press('Control+Shift+M');
    await shot('07-explorer-not-red-problems-empty');

    // 5. The panel: open the wrong candidate (diff in the preview editor) → its diagnostics show.
    await runCommand(page, 'Tritonize: Show panel'); // the Explorer replaced the view (its webview was disposed)
    const panel = await webviewFrame(page, '#candidates-table tr.cand', 90_000);
    await panel.locator('tr.cand button.link', { hasText: '1.1' }).first().click();
    await page.waitForTimeout(4000);
    await shot('08-opened-candidate-problems');
    await panel.locator('button', { hasText: 'Diagnostics / report' }).first().click();
    await page.waitForTimeout(4000); // the Markdown preview renders
    await shot('09-report-markdown-preview');
    await panel.locator('button', { hasText: 'LLM reply' }).first().click();
    await page.waitForTimeout(2000);
    await shot('10-reply-same-preview-tab');

    // 6. Cancel: the candidate reads "cancelled", nothing lands in Problems.
    fake.push({ reply: fence(readFileSync(join(ROOT, 'test', 'fixtures', 'add_hang.py'), 'utf8')) });
    await selectInDemo(page);
    await runCommand(page, 'Tritonize: Generate Triton kernel');
    await (await noteButton(page, 'Does it look right?', 'Looks right', 120_000)).click();
    await page.locator('.statusbar-item', { hasText: /checking|compiling/ }).first().waitFor({ timeout: 180_000 });
    await page.waitForTimeout(2000);
    await runCommand(page, 'Tritonize: Cancel the running generation');
    await panel.locator('tr.cand .badge.verdict-cancelled').first().waitFor({ timeout: 60_000 });
    await page.keyboard.press('Control+Shift+M');
    await shot('11-cancelled-state');

    // 7. The panel in the three theme kinds (the completed run from its history), and the log.
    await panel.locator('.history-item').nth(1).click();
    await page.waitForTimeout(3000);
    await shot('11b-history-older-run-editors-follow');
    // Clear results: Problems, the generated tabs and the panel's run go; History stays.
    await runCommand(page, 'Tritonize: Clear results');
    await page.waitForTimeout(2000);
    await runCommand(page, 'Tritonize: Show panel');
    await page.waitForTimeout(2000);
    await shot('11c-after-clear-results');
    await panel.locator('.history-item').nth(1).click();
    await page.waitForTimeout(1500);
    await themesAndLog();
  } catch (err) {
    await page.screenshot({ path: join(OUT, 'zz-failure.png') }).catch(() => undefined);
    throw err;
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
    await fake.close();
  }
}

/** A notification's button, in its toast or, when the toast has gone, in the notification centre. */
async function noteButton(page: Page, text: string, label: string, timeoutMs: number) {
  const where = '.notification-toast, .notifications-center .notification-list-item';
  const btn = page.locator(where, { hasText: text }).locator('.monaco-button', { hasText: label }).first();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await btn.isVisible().catch(() => false)) return btn;
    // The centre lists it even when no toast shows (headless windows lose toasts quickly).
    if (await page.locator('.notifications-center.visible').count() === 0) await runCommand(page, 'Notifications: Show Notifications').catch(() => undefined);
    await page.waitForTimeout(1500);
  }
  throw new Error(`no notification "${text}" with "${label}"`);
}

async function selectInDemo(page: Page): Promise<void> {
  await openFile(page, 'demo.py');
  await page.locator('.tab.active', { hasText: 'demo.py' }).waitFor({ timeout: 30_000 });
  await page.locator('.editor-instance .monaco-editor textarea').first().focus();
  await page.keyboard.press('Control+G');
  await page.keyboard.type(':7');
  await page.keyboard.press('Enter');
  await page.keyboard.press('End');
  for (let i = 0; i < 'a + b'.length; i++) await page.keyboard.press('Shift+ArrowLeft');
}

// (The bundled fakeOpenAI module also starts its standalone server: exit explicitly.)
main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
