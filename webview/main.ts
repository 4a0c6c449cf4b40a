// The Tritonize side panel: a pure view of the PanelState the extension host sends. It keeps no
// run data of its own; only UI bits (selected candidate row) go through the webview state API.
import './zodConfig'; // first: before any schema is built
import { inkBadges } from './contrast';
import { Charts, chartData, type ChartData, type ChartId } from './charts';
import {
  NOT_MEANINGFUL,
  REDUCED_SIZES_NOTE,
  atReducedSizes,
  reducedSizesText,
  candidateLabel,
  fmtMs,
  fmtNum,
  fmtPct,
  fmtSpeedup,
  fmtStat,
  fmtTokens,
  honestSpeedups,
  reasonOf,
  sandboxLine,
  silentSeconds,
  runTimingsMeaningful,
  tailLines,
  throughputOf,
  timingView,
  verdictOf,
  baselineReport,
} from './model';
import { HostToPanel, PanelToHost, type Candidate, type PanelState, type PanelToHostMessage, type Run } from './protocol';

interface UiState {
  selected?: Record<string, string>; // runId → candidateId
}
interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const charts = new Charts();
let state: PanelState | null = null;

function ui(): UiState {
  const s = vscode.getState();
  return s && typeof s === 'object' ? (s as UiState) : {};
}

function post(msg: PanelToHostMessage): void {
  // Outgoing messages are checked too: a malformed one is a panel bug, not something to send.
  const parsed = PanelToHost.safeParse(msg);
  if (!parsed.success) {
    console.warn('tritonize panel: not sending invalid message', msg, parsed.error.issues);
    return;
  }
  vscode.postMessage(parsed.data);
}

// ---------- tiny DOM helper (no innerHTML with data, no inline styles) ----------
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, '').toLowerCase(), v);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
  }
  return el;
}

// ---------- skeleton (built once; charts keep their canvases across renders) ----------
const app = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
const questionSection = h('section', { class: 'question', role: 'region', 'aria-label': 'Tritonize is waiting for you', hidden: true });
const header = h('header', { class: 'run-header' });
const live = h('p', { class: 'live', id: 'live', role: 'status', 'aria-live': 'polite' });
const progress = h('section', { class: 'progress', 'aria-label': 'Candidates in progress' });
const notices = h('div', { class: 'notices' });
const candidatesSection = h('section', { class: 'candidates', 'aria-labelledby': 'h-cands' });
const chartsSection = h('section', { class: 'charts', 'aria-labelledby': 'h-charts' });
const historySection = h('section', { class: 'history', 'aria-labelledby': 'h-history' });

function chartFigure(id: ChartId, title: string, desc: string) {
  const tableId = `tbl-${id}`;
  const canvas = h('canvas', { id: `chart-${id}`, role: 'img', 'aria-label': title, 'aria-describedby': `${tableId}-cap` });
  const body = h('tbody');
  const head = h('thead');
  const fig = h(
    'figure',
    { class: 'chart', 'data-chart': id },
    h('figcaption', {}, h('span', { class: 'chart-title' }, title), h('span', { class: 'muted', id: `${tableId}-cap` }, desc)),
    h('div', { class: 'chart-box' }, canvas),
    h('p', { class: 'chart-empty muted', hidden: true }),
    h('details', { class: 'chart-data' }, h('summary', {}, 'Data table'), h('table', { id: tableId }, head, body)),
  );
  return { fig, canvas, head, body, empty: fig.querySelector('.chart-empty') as HTMLElement };
}
const figs = {
  bars: chartFigure('bars', 'Time per implementation', 'Median time in ms with 95% CI error bars; lower is better. See the data table below.'),
  turns: chartFigure('turns', 'Best speedup per turn', 'Best speedup vs eager found in each turn and so far. See the data table below.'),
  roof: chartFigure('roof', 'Roofline', 'Achieved TFLOP/s against arithmetic intensity (log axes) under the device roofs. See the data table below.'),
};
chartsSection.append(
  h('h2', { id: 'h-charts' }, 'Charts'),
  h('p', { class: 'charts-note muted', hidden: true }),
  h('div', { class: 'chart-grid' }, figs.bars.fig, figs.turns.fig, figs.roof.fig),
);

function canvases(): Record<ChartId, HTMLCanvasElement | null> {
  return {
    bars: figs.bars.fig.hidden ? null : figs.bars.canvas,
    turns: figs.turns.fig.hidden ? null : figs.turns.canvas,
    roof: figs.roof.fig.hidden ? null : figs.roof.canvas,
  };
}

// ---------- rendering ----------
function render(): void {
  const focusKey = (document.activeElement as HTMLElement | null)?.dataset?.focus;
  app.removeAttribute('aria-busy');
  if (!app.contains(header)) app.replaceChildren(questionSection, header, live, progress, notices, candidatesSection, chartsSection, historySection);
  const run = state?.current ?? null;
  renderQuestion();
  renderHeader(run);
  renderProgress(run);
  renderNotices(run);
  renderCandidates(run);
  renderCharts(run);
  renderHistory();
  inkBadges(app);
  if (focusKey) (app.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`) as HTMLElement | null)?.focus();
}

/** The question the host waits on, with its buttons (its notification hides after a few seconds). */
function renderQuestion(): void {
  const q = state?.question ?? null;
  questionSection.hidden = !q;
  if (!q) {
    questionSection.replaceChildren();
    return;
  }
  questionSection.replaceChildren(
    h('p', { class: 'question-text' }, h('strong', {}, 'Waiting for you: '), q.text),
    h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Answers' },
      q.actions.map((action, i) => h('button', {
        class: i === 0 ? '' : 'secondary', 'data-focus': `answer-${action}`,
        onclick: () => post({ type: 'answer', questionId: q.id, action }),
      }, action))),
  );
}

const STATUS_TEXT: Record<Run['status'], string> = { running: 'running', done: 'done', cancelled: 'cancelled', failed: 'failed' };

function renderHeader(run: Run | null): void {
  if (!run) {
    header.replaceChildren(
      h('h1', {}, 'Tritonize'),
      h('p', { class: 'muted' }, 'No run selected. Select PyTorch code in a Python file and run “Tritonize: Generate Triton kernel”.'),
    );
    return;
  }
  const started = new Date(run.startedAt);
  header.replaceChildren(
    h('h1', {}, h('span', { class: 'problem', title: run.problemPath }, run.problemName), ' ', h('span', { class: `badge status-${run.status}` }, STATUS_TEXT[run.status])),
    h(
      'p',
      { class: 'meta' },
      h('span', { class: 'device' }, run.device.name, run.device.interpreter && !/interpreter/i.test(run.device.name) ? ' (interpreter)' : ''),
      ((sb) => (sb ? h('span', { class: sb.enforced ? 'sandbox' : 'sandbox warn' }, sb.text) : null))(sandboxLine(run)),
      h('span', {}, `turn ${run.turn} of ${run.maxTurns}`),
      h('span', {}, `${fmtTokens(run.tokens)} tokens`),
      h('time', { datetime: run.startedAt }, Number.isNaN(started.getTime()) ? run.startedAt : started.toLocaleString()),
    ),
    ...(run.error ? [h('p', { class: 'error-text' }, run.error)] : []),
    h(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Run actions' },
      run.status === 'running'
        ? h('button', { class: 'danger', 'data-focus': 'cancel', onclick: () => post({ type: 'cancel', runId: run.id }) }, 'Cancel run')
        : null,
      h('button', { class: 'secondary', 'data-focus': 'copy-md', onclick: () => post({ type: 'copyReport', runId: run.id, format: 'markdown' }) }, 'Copy report (Markdown)'),
      h('button', { class: 'secondary', 'data-focus': 'copy-json', onclick: () => post({ type: 'copyReport', runId: run.id, format: 'json' }) }, 'Copy report (JSON)'),
      h('button', { class: 'secondary', 'data-focus': 'export-md', onclick: () => post({ type: 'exportReport', runId: run.id, format: 'markdown' }) }, 'Export .md…'),
      h('button', { class: 'secondary', 'data-focus': 'export-json', onclick: () => post({ type: 'exportReport', runId: run.id, format: 'json' }) }, 'Export .json…'),
    ),
  );
}

const STAGES = ['generating', 'compiling', 'checking', 'benchmarking', 'done'] as const;

function liveText(run: Run | null): string {
  if (!run) return '';
  if (run.status !== 'running') return `Run ${STATUS_TEXT[run.status]}.`;
  const busy = run.candidates.filter((c) => c.stage !== 'done' && c.stage !== 'failed' && c.stage !== 'cancelled');
  const parts = busy.map((c) => `candidate ${candidateLabel(c, run)} ${c.stage}`);
  return `Turn ${run.turn} of ${run.maxTurns}: ${parts.length ? parts.join(', ') : 'waiting'}.`;
}

function renderProgress(run: Run | null): void {
  const text = liveText(run);
  if (live.textContent !== text) live.textContent = text;
  progress.hidden = !run || run.status !== 'running';
  if (!run || run.status !== 'running') {
    progress.replaceChildren();
    return;
  }
  progress.replaceChildren(
    h(
      'ol',
      { class: 'stages' },
      run.candidates.map((c) => {
        const v = verdictOf(c);
        const idx = STAGES.indexOf(c.stage as (typeof STAGES)[number]);
        return h(
          'li',
          { class: `stage stage-${c.stage}` },
          h('span', { class: 'cand-label' }, candidateLabel(c, run)),
          h('progress', { max: STAGES.length - 1, value: c.stage === 'failed' || c.stage === 'cancelled' ? STAGES.length - 1 : Math.max(idx, 0), 'aria-label': `candidate ${candidateLabel(c, run)} stage` }),
          h('span', { class: `stage-text verdict-${v.key}` }, v.pending ? `${c.stage}…${waited(c)}` : v.text),
          // The reply as it streams in (the host sends it in `code` while the stage is generating).
          c.stage === 'generating' && c.code
            ? h('pre', { class: 'stream', 'data-candidate': c.id, 'data-focus': `stream-${c.id}`, tabindex: 0, 'aria-label': `candidate ${candidateLabel(c, run)}: reply so far` }, tailLines(c.code))
            : null,
        );
      }),
    ),
  );
  // Follow the end of each streaming reply.
  progress.querySelectorAll<HTMLElement>('pre.stream').forEach((pre) => { pre.scrollTop = pre.scrollHeight; });
}

/** A model that has sent nothing yet: how long it has been (try-out 10 watched "generating…" with 0
 * tokens for 3 minutes, no clue whether anything was happening). */
function waited(c: Candidate): string {
  const s = silentSeconds(c);
  return s >= 5 ? ` no reply yet (${s >= 120 ? `${Math.floor(s / 60)} min ${s % 60}` : s} s)` : '';
}

// The waiting time ticks while a request is silent (the host sends nothing meanwhile).
setInterval(() => {
  const run = state?.current;
  if (run?.status === 'running' && run.candidates.some((c) => waited(c))) renderProgress(run);
}, 1000);

function renderNotices(run: Run | null): void {
  const items: Node[] = [];
  if (run && !runTimingsMeaningful(run)) {
    const head = run.device.interpreter ? NOT_MEANINGFUL : 'Some timings are not meaningful';
    items.push(
      h('p', { class: 'notice warn', role: 'note' }, h('strong', {}, head), '. Verdicts are real; those times are not, so none of them is shown as a speedup.'),
    );
  }
  if (run && run.candidates.some((c) => atReducedSizes(c.report))) {
    items.push(h('p', { class: 'notice info reduced-sizes', role: 'note' }, h('strong', {}, 'Reduced sizes'), `: ${REDUCED_SIZES_NOTE}.`));
  }
  notices.replaceChildren(...items);
}

function selectedCandidate(run: Run): Candidate | null {
  const id = ui().selected?.[run.id];
  return run.candidates.find((c) => c.id === id) ?? run.candidates.find((c) => c.id === run.bestCandidateId) ?? run.candidates[0] ?? null;
}

function select(run: Run, c: Candidate): void {
  const s = ui();
  vscode.setState({ ...s, selected: { ...(s.selected ?? {}), [run.id]: c.id } });
}

function timeCell(run: Run, c: Candidate): HTMLTableCellElement {
  const v = timingView(run, c);
  switch (v.kind) {
    case 'ok':
      return h('td', { class: 'num', 'data-label': 'Time', title: v.stat.ci95_ms ? `95% CI ${fmtMs(v.stat.ci95_ms[0])}–${fmtMs(v.stat.ci95_ms[1])}, n=${v.stat.n ?? '?'}` : undefined }, fmtStat(v.stat));
    case 'flagged':
      return h('td', { class: 'flagged', 'data-label': 'Time' }, h('span', { class: 'badge flag' }, 'FLAGGED'), ' ', h('span', { class: 'flag-msg' }, `${v.rules.join(', ')}: ${v.messages.join(' ')}`));
    case 'not_meaningful':
      return h('td', { class: 'muted not-meaningful', 'data-label': 'Time' }, v.text);
    default:
      return h('td', { class: 'num muted na', 'data-label': 'Time' }, v.text || '—');
  }
}

function speedupCells(run: Run, c: Candidate): HTMLTableCellElement[] {
  const s = honestSpeedups(run, c);
  const v = timingView(run, c);
  if (!s) {
    const why = v.kind === 'flagged' ? 'flagged' : v.kind === 'not_meaningful' ? 'n/a' : '—';
    const cls = `num muted${why === '—' ? ' na' : ''}`;
    const title = v.kind === 'flagged' ? 'Timing flagged: no speedup is claimed' : v.kind === 'not_meaningful' ? v.text : undefined;
    return [h('td', { class: cls, 'data-label': 'vs eager', title }, why), h('td', { class: cls, 'data-label': 'vs Inductor', title }, why)];
  }
  const cls = (x: number | null) => `num speedup ${x == null ? 'muted' : x >= 1 ? 'faster' : 'slower'}`;
  return [h('td', { class: cls(s.eager), 'data-label': 'vs eager' }, fmtSpeedup(s.eager)), h('td', { class: cls(s.inductor), 'data-label': 'vs Inductor' }, fmtSpeedup(s.inductor))];
}

function throughputCell(run: Run, c: Candidate): HTMLTableCellElement {
  const v = timingView(run, c);
  const label = { 'data-label': 'Achieved' };
  if (v.kind !== 'ok') return h('td', { class: 'num muted na', ...label }, '—');
  const t = throughputOf(v.timings);
  return t
    ? h('td', { class: 'num', ...label }, t.text, h('br'), h('span', { class: 'muted' }, `${t.pct} of roofline`))
    : h('td', { class: 'num muted na', ...label }, '—');
}

function renderCandidates(run: Run | null): void {
  if (!run) {
    candidatesSection.replaceChildren();
    candidatesSection.hidden = true;
    return;
  }
  candidatesSection.hidden = false;
  const sel = selectedCandidate(run);
  const baseline = baselineReport(run)?.timings;
  const baseRows: HTMLTableRowElement[] = [];
  if (baseline) {
    if (baseline.eager)
      baseRows.push(h('tr', { class: 'baseline' }, h('th', { scope: 'row' }, 'eager'), h('td', { class: 'muted' }, 'reference'), h('td', { class: 'num', 'data-label': 'Time' }, fmtStat(baseline.eager)), h('td', { class: 'num muted', 'data-label': 'vs eager' }, '1.00×'), h('td', { colspan: 4 })));
    if (baseline.inductor)
      baseRows.push(h('tr', { class: 'baseline' }, h('th', { scope: 'row' }, 'Inductor'), h('td', { class: 'muted' }, 'reference'), h('td', { class: 'num', 'data-label': 'Time' }, fmtStat(baseline.inductor)), h('td', { class: 'num muted', 'data-label': 'vs eager' }, fmtSpeedup(baseline.eager ? baseline.eager.median_ms / baseline.inductor.median_ms : null)), h('td', { class: 'num muted', 'data-label': 'vs Inductor' }, '1.00×'), h('td', { colspan: 3 })));
  }
  const rows = run.candidates.map((c) => {
    const v = verdictOf(c);
    const reason = reasonOf(c);
    const label = candidateLabel(c, run);
    const tr = h(
      'tr',
      {
        class: `cand${c.id === sel?.id ? ' selected' : ''}${c.id === run.bestCandidateId ? ' best' : ''}`,
        'data-candidate': c.id,
        'aria-current': c.id === sel?.id ? 'true' : undefined,
        onclick: (e: Event) => {
          if ((e.target as HTMLElement).closest('button')) return;
          openDiff(run, c);
        },
      },
      h(
        'th',
        { scope: 'row' },
        h('button', { class: 'link', 'data-focus': `cand-${c.id}`, title: `Candidate ${label}: ${diffTitle(c)}`, onclick: () => openDiff(run, c) }, label),
        c.id === run.bestCandidateId ? h('span', { class: 'badge best-badge', title: 'best candidate' }, 'best') : null,
      ),
      h('td', { class: 'verdict' }, h('span', { class: `badge verdict-${v.key}` }, v.pending ? `${v.text}…` : v.text),
        atReducedSizes(c.report) ? h('span', { class: 'badge reduced', title: `${REDUCED_SIZES_NOTE}: ${reducedSizesText(c.report)}` }, 'reduced sizes') : null,
        reason ? h('div', { class: 'reason' }, reason) : null),
      timeCell(run, c),
      ...speedupCells(run, c),
      throughputCell(run, c),
      h('td', { class: c.report?.anticheat?.time_coverage == null ? 'num na' : 'num', 'data-label': 'Time cov.' }, fmtPct(c.report?.anticheat?.time_coverage)),
      h('td', { class: c.tokens.prompt + c.tokens.completion ? 'num' : 'num na', 'data-label': 'Tokens' }, c.tokens.prompt + c.tokens.completion ? fmtTokens(c.tokens) : '—'),
    );
    return tr;
  });
  const table = h(
    'table',
    { class: 'cands', id: 'candidates-table' },
    h('caption', { class: 'sr-only' }, `Candidates of ${run.problemName}. Activate a candidate to open its diff.`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Cand.'),
        h('th', { scope: 'col' }, 'Verdict'),
        h('th', { scope: 'col', class: 'num' }, 'Time (median ± 95% CI)'),
        h('th', { scope: 'col', class: 'num' }, 'vs eager'),
        h('th', { scope: 'col', class: 'num' }, 'vs Inductor'),
        h('th', { scope: 'col', class: 'num' }, 'Achieved'),
        h('th', { scope: 'col', class: 'num', title: 'Share of GPU time spent in Triton kernels' }, 'Time cov.'),
        h('th', { scope: 'col', class: 'num' }, 'Tokens'),
      ),
    ),
    baseRows.length ? h('tbody', { class: 'baselines' }, baseRows) : null,
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No candidates yet.'))),
  );
  candidatesSection.replaceChildren(h('h2', { id: 'h-cands' }, 'Candidates'), h('div', { class: 'table-wrap' }, table), ...(sel ? [actionBar(run, sel)] : []));
}

/** What "Open diff" shows (the host's openDiff): for a correct candidate the user's file as Apply
 * would change it, for the others the candidate's code beside the selection. */
function diffTitle(c: Candidate): string {
  if (!c.path) return 'No file yet: the model has not finished this candidate';
  return c.report?.verdict === 'correct' ? 'your file as Apply would change it (a preview; nothing is written)'
    : 'its code beside your selection (only a correct candidate can be applied)';
}

function openDiff(run: Run, c: Candidate): void {
  select(run, c);
  if (c.path) post({ type: 'openDiff', runId: run.id, candidateId: c.id }); // no file yet: select only
  render();
}

function actionBar(run: Run, c: Candidate): HTMLElement {
  const label = candidateLabel(c, run);
  const finished = c.stage === 'done' || c.stage === 'failed' || c.stage === 'cancelled';
  const correct = c.report?.verdict === 'correct';
  const ids = { runId: run.id, candidateId: c.id };
  const btn = (text: string, key: string, msg: PanelToHostMessage, opts: { disabled?: boolean; primary?: boolean; title?: string } = {}) =>
    h('button', { class: opts.primary ? 'primary' : 'secondary', 'data-focus': key, disabled: opts.disabled, title: opts.title, onclick: () => post(msg) }, text);
  return h(
    'div',
    { class: 'toolbar actions', role: 'toolbar', 'aria-label': `Actions for candidate ${label}` },
    h('span', { class: 'actions-label' }, `Candidate ${label}:`),
    btn('Open diff', 'act-diff', { type: 'openDiff', ...ids }, { disabled: !c.path, title: diffTitle(c) }),
    btn('Diagnostics / report', 'act-report', { type: 'openReport', ...ids }, { disabled: !c.report }),
    btn('LLM reply', 'act-reply', { type: 'openReply', ...ids }, { disabled: c.stage === 'generating', title: 'The model\'s whole reply, as it was sent' }),
    btn('Apply', 'act-apply', { type: 'apply', ...ids }, { primary: true, disabled: !correct, title: correct ? undefined : 'Only a correct candidate can be applied' }),
    btn('Re-verify', 'act-reverify', { type: 'reverify', ...ids }, { disabled: !finished || !c.path }),
    // On the CPU interpreter a benchmark measures nothing worth repeating (try-out, session 7).
    run.device.interpreter ? null
      : btn('Benchmark again', 'act-bench', { type: 'benchmark', ...ids }, { disabled: !finished || !correct || !c.path }),
  );
}

function renderCharts(run: Run | null): void {
  chartsSection.hidden = !run;
  if (!run) {
    charts.update(canvases(), { bars: [], turns: [], roof: { points: [], peakGbps: null, peakTflops: null } });
    return;
  }
  const note = chartsSection.querySelector('.charts-note') as HTMLElement;
  // On the interpreter nothing is charted; elsewhere chartData keeps only honest timings.
  const meaningful = !run.device.interpreter;
  const d: ChartData = meaningful ? chartData(run) : { bars: [], turns: [], roof: { points: [], peakGbps: null, peakTflops: null } };
  note.hidden = meaningful && d.bars.length > 0;
  note.textContent = meaningful ? 'No correct candidate with trustworthy timings yet.' : `${NOT_MEANINGFUL}: no timing charts.`;
  for (const id of ['bars', 'turns', 'roof'] as ChartId[]) {
    const empty = id === 'bars' ? !d.bars.length : id === 'turns' ? !d.turns.length : !d.roof.points.length;
    figs[id].fig.hidden = empty;
  }
  // Text alternatives.
  figs.bars.head.replaceChildren(h('tr', {}, h('th', { scope: 'col' }, 'Implementation'), h('th', { scope: 'col', class: 'num' }, 'Median'), h('th', { scope: 'col', class: 'num' }, '95% CI')));
  figs.bars.body.replaceChildren(
    ...d.bars.map((b) => h('tr', {}, h('th', { scope: 'row' }, b.label), h('td', { class: 'num' }, fmtMs(b.median)), h('td', { class: 'num' }, b.interval ? `${fmtMs(b.interval[0])} – ${fmtMs(b.interval[1])}` : '—'))),
  );
  figs.turns.head.replaceChildren(h('tr', {}, h('th', { scope: 'col' }, 'Turn'), h('th', { scope: 'col', class: 'num' }, 'Best this turn'), h('th', { scope: 'col', class: 'num' }, 'Best so far')));
  figs.turns.body.replaceChildren(...d.turns.map((t) => h('tr', {}, h('th', { scope: 'row' }, String(t.turn)), h('td', { class: 'num' }, fmtSpeedup(t.best)), h('td', { class: 'num' }, fmtSpeedup(t.bestSoFar)))));
  figs.roof.head.replaceChildren(h('tr', {}, h('th', { scope: 'col' }, 'Candidate'), h('th', { scope: 'col', class: 'num' }, 'FLOP/byte'), h('th', { scope: 'col', class: 'num' }, 'TFLOP/s'), h('th', { scope: 'col', class: 'num' }, '% of roofline')));
  figs.roof.body.replaceChildren(
    ...d.roof.points.map((q) => h('tr', {}, h('th', { scope: 'row' }, q.label), h('td', { class: 'num' }, fmtNum(q.ai)), h('td', { class: 'num' }, fmtNum(q.tflops)), h('td', { class: 'num' }, q.pct != null ? `${q.pct.toFixed(0)}%` : '—'))),
    h('tr', { class: 'muted' }, h('th', { scope: 'row' }, 'roofs'), h('td', { colspan: 3 }, `memory ${d.roof.peakGbps != null ? fmtNum(d.roof.peakGbps) : '?'} GB/s, compute ${d.roof.peakTflops != null ? fmtNum(d.roof.peakTflops) : '?'} TFLOP/s`)),
  );
  charts.update(canvases(), d);
}

function renderHistory(): void {
  const history = state?.history ?? [];
  const current = state?.selectedRunId ?? state?.current?.id ?? null;
  historySection.replaceChildren(
    h('h2', { id: 'h-history' }, 'History'),
    history.length
      ? h(
          'ul',
          { class: 'history-list' },
          history.map((r) => {
            const d = new Date(r.startedAt);
            const when = Number.isNaN(d.getTime()) ? r.startedAt : d.toLocaleString();
            // RunSummary.bestSpeedup: vs Inductor when measured, else eager; null when none counts.
            const speed = r.bestSpeedup != null ? ` · best ${fmtSpeedup(r.bestSpeedup)}` : '';
            return h(
              'li',
              {},
              h(
                'button',
                {
                  class: 'history-item',
                  'data-focus': `run-${r.id}`,
                  'aria-current': r.id === current ? 'true' : undefined,
                  title: r.bestSpeedup != null ? 'Best speedup: vs Inductor when measured, else vs eager' : undefined,
                  onclick: () => post({ type: 'selectRun', runId: r.id }),
                },
                h('span', { class: 'problem' }, r.problemName),
                h('span', { class: 'muted' }, ` · ${when} · ${r.status} · ${r.candidateCount} candidate${r.candidateCount === 1 ? '' : 's'}${r.bestVerdict ? ` · ${r.bestVerdict}` : r.status === 'done' && r.candidateCount ? ' · no correct candidate' : ''}${speed}`),
              ),
            );
          }),
        )
      : h('p', { class: 'muted' }, 'No past runs.'),
  );
}

// ---------- messages ----------
window.addEventListener('message', (event: MessageEvent) => {
  const parsed = HostToPanel.safeParse(event.data);
  if (!parsed.success) {
    console.warn('tritonize panel: ignored invalid message', parsed.error.issues.slice(0, 5));
    return;
  }
  state = parsed.data.state;
  render();
});

// Theme change: VS Code swaps the body classes (vscode-light / vscode-dark / vscode-high-contrast…)
// and theme attributes, and rewrites the --vscode-* variables on <html>. Redraw once per frame.
let recolorPending = false;
const themeObserver = new MutationObserver(() => {
  if (recolorPending) return;
  recolorPending = true;
  requestAnimationFrame(() => {
    recolorPending = false;
    charts.recolor(canvases());
    inkBadges(app);
  });
});
themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind', 'data-vscode-theme-id', 'data-vscode-theme-name'] });
themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });

render();
post({ type: 'ready' });
