// End to end in a real VS Code: open a file, select a PyTorch expression, run "Generate Triton
// kernel" from the palette; the LLM is the fake OpenAI server streaming a wrong kernel first and a
// correct one after, the real kernel server verifies them on the CPU (Triton interpreter). Checks
// the panel (verdicts, chart), the wrong candidate's diagnostic line, Apply, and that the applied
// file runs. Screenshots go to .test-artifacts/e2e/.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { goToLine, notificationButton, openFile, openWorkbench, ROOT, runCommand, webviewFrame, type Workbench } from './workbench';

const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const fixture = (rel: string) => readFileSync(join(ROOT, 'python-backend', 'tests', rel), 'utf8');
const fence = (code: string, prose: string) => `${prose}\n\n\`\`\`python\n${code.trimEnd()}\n\`\`\`\n`;

// The user's program. Line 7 holds the selection `a + b`.
const DEMO = `import torch


def main():
    a = torch.randn(3000)
    b = torch.randn(3000)
    c = a + b
    print("max err", float((c - (a + b)).abs().max()))


if __name__ == "__main__":
    main()
`;
const WRONG = fixture('candidates/wrong_off_by_one_mask.py');
const RIGHT = fixture('candidates/vector_add_correct.py');

/** The run the extension stored under the workspace (core's RunStore layout). */
function storedRun(workspace: string): { candidates: Array<{ id: string; path: string | null; code: string; report: { verdict: string; diagnostics: Array<{ file: string; line: number; rule: string }> } | null }> } {
  const runs = join(workspace, '.tritonize', 'runs');
  const ids = readdirSync(runs).filter((d) => existsSync(join(runs, d, 'run.json'))).sort();
  return JSON.parse(readFileSync(join(runs, ids.at(-1)!, 'run.json'), 'utf8'));
}

describe('e2e: Generate Triton kernel in the workbench', function () {
  this.timeout(600_000);
  let fake: FakeOpenAI;
  let wb: Workbench;

  before(async function () {
    if (!existsSync(join(ROOT, '.tools', 'code-server')) || !existsSync(PYTHON)) {
      console.log('e2e: code-server or .venv missing (run node scripts/setup.mjs); skipping');
      this.skip();
    }
    fake = await startFakeOpenAI([
      { reply: fence(WRONG, 'Here is a Triton kernel for the addition.'), chunkSize: 64 },
      { reply: fence(RIGHT, 'The mask dropped the last element; fixed.'), chunkSize: 64 },
    ]);
    wb = await openWorkbench({
      files: { 'demo.py': DEMO },
      settings: {
        'tritonize.llm.baseUrl': fake.baseURL,
        'tritonize.llm.model': 'fake-model',
        'tritonize.agent.maxTurns': 3,
        'tritonize.agent.candidates': 1,
        'tritonize.device': 'cpu',
        'git.openRepositoryInParentFolders': 'never',
      },
      // The fallback key source; the kernel server never sees it (checked in the integration tests).
      env: { OPENAI_API_KEY: 'sk-fake-e2e' },
    });
  });

  let failed = false;
  afterEach(function () { if (this.currentTest?.state === 'failed') failed = true; });
  after(async () => {
    await wb?.shot('final');
    await wb?.close(failed);
    await fake?.close();
  });

  it('shows the CPU interpreter in the status bar once the server is up', async () => {
    const { page } = wb;
    await openFile(page, 'demo.py');
    await page.locator('.statusbar-item', { hasText: 'CPU interpreter' }).first().waitFor({ timeout: 120_000 });
    await wb.shot('status-bar');
  });

  it('generates from a selection: wrong kernel, then a correct one', async () => {
    const { page } = wb;
    await goToLine(page, 7);
    await page.keyboard.press('End');
    for (let i = 0; i < 'a + b'.length; i++) await page.keyboard.press('Shift+ArrowLeft');
    await wb.shot('selection');
    await runCommand(page, 'Tritonize: Generate Triton kernel');
    // Confirm the problem ("Looks right / Edit").
    const looksRight = notificationButton(page, 'Does it look right?', 'Looks right');
    await looksRight.waitFor({ timeout: 120_000 });
    await wb.shot('confirm-problem');
    await looksRight.click();
    // The panel fills in: two candidates, the first incorrect, the second correct, with a chart.
    const panel = await webviewFrame(page, '#candidates-table tr.cand', 300_000);
    await panel.locator('tr.cand .badge.verdict-correct').first().waitFor({ timeout: 300_000 });
    // Verdict badges only (a run checked at reduced sizes on the CPU carries a second badge saying so).
    const verdicts = await panel.locator('tr.cand td.verdict .badge[class*="verdict-"]').allTextContents();
    await wb.shot('panel-done');
    assert.equal(verdicts.length, 2, `verdicts: ${verdicts}`);
    assert.match(verdicts[0]!, /incorrect/i);
    assert.match(verdicts[1]!, /correct/i);
    // Charts: on the CPU interpreter the panel deliberately draws no timing chart (the times are not
    // meaningful) and says so in the charts section; on a GPU a chart canvas must be visible.
    const charts = panel.locator('section.charts');
    await charts.scrollIntoViewIfNeeded();
    await wb.shot('panel-charts');
    // Any status item saying so (the Apply preview's progress is a Tritonize item too, in the status bar).
    const cpu = await page.locator('.statusbar-item', { hasText: /CPU interpreter/ }).count() > 0;
    if (cpu) assert.match((await charts.locator('.charts-note').textContent()) ?? '', /not meaningful/i);
    else await charts.locator('figure.chart canvas').first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(fake.requests.length, 2, 'LLM requests');
  });

  it('shows the wrong kernel\'s diagnostic in Problems at the line the verifier reported, inside the kernel', async () => {
    const { page, workspace } = wb;
    const wrong = storedRun(workspace).candidates[0]!;
    assert.equal(wrong.report?.verdict, 'incorrect');
    const diag = wrong.report!.diagnostics.find((d) => d.file === 'candidate' && d.line > 0);
    assert.ok(diag, `no located candidate diagnostic: ${JSON.stringify(wrong.report!.diagnostics)}`);
    // The line is in the kernel (its def or body), not somewhere arbitrary.
    const lines = wrong.code.split('\n');
    const def = lines.findIndex((l) => /def add_kernel/.test(l)) + 1;
    const end = lines.findIndex((l) => /tl\.store/.test(l)) + 1;
    assert.ok(diag.line >= def && diag.line <= end, `diagnostic line ${diag.line} outside the kernel (${def}-${end})`);
    // Results show on the generated files the user opens (src/extension/results.ts).
    await openFile(page, wrong.path!.split('/').pop()!);
    await page.keyboard.press('Control+Shift+M');
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: `[Ln ${diag.line}, ` }).first();
    await row.waitFor({ timeout: 60_000 });
    assert.match((await row.textContent()) ?? '', /tritonize/);
    await wb.shot('problems');
  });

  it('applies the correct kernel into a new module, and the program runs', async () => {
    const { page, workspace } = wb;
    await notificationButton(page, 'is correct', 'Apply').click({ timeout: 60_000 });
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    await input.fill('New module');
    await page.keyboard.press('Enter');
    // The edit is previewed as a diff of demo.py and written only on Accept (src/extension/apply.ts).
    await notificationButton(page, 'apply the Triton kernel', 'Accept').click({ timeout: 180_000 });
    await openFile(page, 'demo.py');
    await page.keyboard.press('Control+S');
    const demo = join(workspace, 'demo.py');
    const module = join(workspace, 'demo_triton.py');
    for (let i = 0; i < 50 && !/tritonize_/.test(readFileSync(demo, 'utf8')); i++) await page.waitForTimeout(200);
    await wb.shot('applied');
    assert.match(readFileSync(demo, 'utf8'), /c = tritonize_\w+\(a, b\)/);
    assert.ok(existsSync(module), 'demo_triton.py not created');
    const { stdout } = await promisify(execFile)(PYTHON, [demo], { cwd: workspace, env: { ...process.env, TRITON_INTERPRET: '1' }, timeout: 120_000 });
    assert.match(stdout, /max err 0\.0/);
  });

  it('one undo reverts the Apply, the new module included', async () => {
    const { page, workspace } = wb;
    const demo = join(workspace, 'demo.py');
    const module = join(workspace, 'demo_triton.py');
    await openFile(page, 'demo.py');
    await page.keyboard.press('Control+Z');
    // The edit spans two files (demo.py, and demo_triton.py created): VS Code may ask whether to
    // undo it in all of them; that is still the one undo.
    const all = page.locator('.monaco-dialog-box .monaco-button', { hasText: /Undo in \d+ Files|^Undo$/ }).first();
    if (await all.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false)) await all.click();
    await page.keyboard.press('Control+S');
    for (let i = 0; i < 50 && (/tritonize_/.test(readFileSync(demo, 'utf8')) || existsSync(module)); i++) await page.waitForTimeout(200);
    await wb.shot('undone');
    assert.doesNotMatch(readFileSync(demo, 'utf8'), /tritonize_/);
    assert.ok(!existsSync(module), 'demo_triton.py still there after undo');
  });
});
