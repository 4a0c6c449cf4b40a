// The three charts (chart.js v4, only the pieces used are registered). Colours come from the
// --vscode-* CSS variables at draw time; `Charts.recolor` re-reads them after a theme change.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
  type ChartType,
  type Plugin,
} from 'chart.js';
import type { Run } from './protocol';
import { baselineReport, bestPerTurn, candidateLabel, fmtMs, fmtNum, intervalMs, timingView } from './model';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LogarithmicScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Tooltip,
  Legend,
);

declare module 'chart.js' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface PluginOptionsByType<TType extends ChartType> {
    errorBars?: { intervals: ([number, number] | null)[]; color: string };
  }
}

/** Draws vertical error bars (with caps) over each bar of dataset 0 from `options.plugins.errorBars`. */
const errorBarsPlugin: Plugin<'bar'> = {
  id: 'errorBars',
  afterDatasetsDraw(chart, _args, opts: { intervals?: ([number, number] | null)[]; color?: string }) {
    const intervals = opts?.intervals;
    if (!intervals) return;
    const meta = chart.getDatasetMeta(0);
    const y = chart.scales.y;
    if (!meta || meta.hidden || !y) return;
    const ctx = chart.ctx;
    ctx.save();
    ctx.strokeStyle = opts.color ?? '#888';
    ctx.lineWidth = 1.5;
    meta.data.forEach((el, i) => {
      const iv = intervals[i];
      if (!iv) return;
      const x = el.x;
      const top = y.getPixelForValue(iv[1]);
      const bottom = y.getPixelForValue(Math.max(iv[0], y.min));
      const cap = Math.min(8, ((el as unknown as { width?: number }).width ?? 16) / 4);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.moveTo(x - cap, top);
      ctx.lineTo(x + cap, top);
      ctx.moveTo(x - cap, bottom);
      ctx.lineTo(x + cap, bottom);
      ctx.stroke();
    });
    ctx.restore();
  },
};

export interface Palette {
  fg: string;
  grid: string;
  eager: string;
  inductor: string;
  candidate: string;
  best: string;
  roof: string;
  font: string;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

export function readPalette(): Palette {
  const fg = cssVar('--vscode-charts-foreground', cssVar('--vscode-foreground', '#888'));
  return {
    fg,
    grid: cssVar('--vscode-charts-lines', cssVar('--vscode-widget-border', 'rgba(128,128,128,0.35)')),
    eager: cssVar('--vscode-charts-orange', '#d18616'),
    inductor: cssVar('--vscode-charts-purple', '#b180d7'),
    candidate: cssVar('--vscode-charts-blue', '#3794ff'),
    best: cssVar('--vscode-charts-green', '#89d185'),
    roof: cssVar('--vscode-charts-red', '#f14c4c'),
    font: cssVar('--vscode-font-family', 'sans-serif'),
  };
}

export interface BarRow {
  label: string;
  kind: 'eager' | 'inductor' | 'candidate' | 'best';
  median: number;
  interval: [number, number] | null;
}
export interface TurnRow {
  turn: number;
  best: number | null;
  bestSoFar: number | null;
}
export interface RoofPoint {
  label: string;
  ai: number;
  tflops: number;
  pct: number | null;
}
export interface ChartData {
  bars: BarRow[];
  turns: TurnRow[];
  roof: { points: RoofPoint[]; peakGbps: number | null; peakTflops: number | null };
}

/** What the charts plot: only honest (correct, meaningful, unflagged) timings. */
export function chartData(run: Run): ChartData {
  const bars: BarRow[] = [];
  const base = baselineReport(run)?.timings;
  if (base?.eager) bars.push({ label: 'eager', kind: 'eager', median: base.eager.median_ms, interval: intervalMs(base.eager) });
  if (base?.inductor)
    bars.push({ label: 'Inductor', kind: 'inductor', median: base.inductor.median_ms, interval: intervalMs(base.inductor) });
  const points: RoofPoint[] = [];
  let peakGbps: number | null = null;
  let peakTflops: number | null = null;
  for (const c of run.candidates) {
    const v = timingView(run, c);
    if (v.kind !== 'ok' || c.report?.verdict !== 'correct') continue;
    bars.push({
      label: candidateLabel(c, run),
      kind: c.id === run.bestCandidateId ? 'best' : 'candidate',
      median: v.stat.median_ms,
      interval: intervalMs(v.stat),
    });
    const rf = v.timings.roofline;
    if (rf) {
      peakGbps ??= rf.peak_gbps ?? null;
      peakTflops ??= rf.peak_tflops ?? null;
      if (rf.flops && rf.bytes && rf.achieved_tflops)
        points.push({ label: candidateLabel(c, run), ai: rf.flops / rf.bytes, tflops: rf.achieved_tflops, pct: rf.pct_of_roofline ?? null });
    }
  }
  const hasCandidate = bars.some((b) => b.kind === 'candidate' || b.kind === 'best');
  return {
    bars: hasCandidate ? bars : [],
    turns: bestPerTurn(run).filter(() => hasCandidate),
    roof: { points, peakGbps, peakTflops },
  };
}

function commonOptions(p: Palette) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const,
    color: p.fg,
    font: { family: p.font },
  };
}

function axis(p: Palette, title: string) {
  return {
    ticks: { color: p.fg },
    grid: { color: p.grid },
    border: { color: p.grid },
    title: { display: true, text: title, color: p.fg },
  };
}

const isPow10 = (v: number) => {
  const l = Math.log10(v);
  return Math.abs(l - Math.round(l)) < 1e-6;
};
const pow10Below = (x: number) => 10 ** Math.floor(Math.log10(x));
const pow10Above = (x: number) => 10 ** Math.ceil(Math.log10(x));

/** Log axis labelled at powers of ten only (chart.js labels 1-2-5 steps, which collide). */
function logAxis(p: Palette, title: string) {
  const a = axis(p, title);
  return {
    ...a,
    ticks: {
      ...a.ticks,
      autoSkip: false,
      maxRotation: 0,
      callback: (v: string | number) => (isPow10(Number(v)) ? fmtNum(Number(v)) : ''),
    },
    grid: { color: (ctx: { tick?: { value: number } }) => (ctx.tick && isPow10(ctx.tick.value) ? p.grid : 'transparent') },
  };
}

function barConfig(d: ChartData, p: Palette): ChartConfiguration<'bar'> {
  const colour = (k: BarRow['kind']) => ({ eager: p.eager, inductor: p.inductor, candidate: p.candidate, best: p.best })[k];
  const maxHi = Math.max(0, ...d.bars.map((b) => b.interval?.[1] ?? b.median));
  return {
    type: 'bar',
    data: {
      labels: d.bars.map((b) => b.label),
      datasets: [
        {
          label: 'median time (ms)',
          data: d.bars.map((b) => b.median),
          backgroundColor: d.bars.map((b) => colour(b.kind)),
          borderColor: d.bars.map((b) => colour(b.kind)),
          borderWidth: 1,
        },
      ],
    },
    options: {
      ...commonOptions(p),
      scales: {
        x: axis(p, ''),
        y: { ...axis(p, 'median time (ms), 95% CI'), beginAtZero: true, suggestedMax: maxHi * 1.08 },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (item) => {
              const b = d.bars[item.dataIndex];
              const iv = b.interval ? ` (95% CI ${fmtMs(b.interval[0])}–${fmtMs(b.interval[1])})` : '';
              return `${fmtMs(b.median)}${iv}`;
            },
          },
        },
        errorBars: { intervals: d.bars.map((b) => b.interval), color: p.fg },
      },
    },
    plugins: [errorBarsPlugin],
  };
}

function turnsConfig(d: ChartData, p: Palette): ChartConfiguration<'line'> {
  return {
    type: 'line',
    data: {
      labels: d.turns.map((t) => `turn ${t.turn}`),
      datasets: [
        {
          label: 'best so far',
          data: d.turns.map((t) => t.bestSoFar),
          borderColor: p.best,
          backgroundColor: p.best,
          pointRadius: 3,
          spanGaps: true,
        },
        {
          label: 'best this turn',
          data: d.turns.map((t) => t.best),
          borderColor: p.candidate,
          backgroundColor: p.candidate,
          showLine: false,
          pointRadius: 5,
          pointStyle: 'rectRot',
        },
        {
          label: 'eager (1×)',
          data: d.turns.map(() => 1),
          borderColor: p.eager,
          borderDash: [4, 4],
          borderWidth: 1,
          pointRadius: 0,
        },
      ],
    },
    options: {
      ...commonOptions(p),
      scales: {
        x: axis(p, ''),
        y: { ...axis(p, 'speedup vs eager (×)'), beginAtZero: true },
      },
      plugins: { legend: { labels: { color: p.fg, boxWidth: 12 } } },
    },
  };
}

function roofConfig(d: ChartData, p: Palette): ChartConfiguration<'scatter'> {
  const { points, peakGbps, peakTflops } = d.roof;
  const ais = points.map((q) => q.ai);
  const ridge = peakGbps && peakTflops ? (peakTflops * 1000) / peakGbps : null;
  const xmin = pow10Below(Math.min(...ais, ridge ?? Infinity) / 3);
  const xmax = pow10Above(Math.max(...ais, ridge ?? 0) * 3);
  const roof =
    ridge && peakGbps && peakTflops
      ? [
          { x: xmin, y: (xmin * peakGbps) / 1000 },
          { x: ridge, y: peakTflops },
          { x: xmax, y: peakTflops },
        ]
      : [];
  const ys = [...points.map((q) => q.tflops), ...roof.map((r) => r.y)];
  return {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: 'candidates',
          data: points.map((q) => ({ x: q.ai, y: q.tflops })),
          backgroundColor: p.candidate,
          borderColor: p.candidate,
          pointRadius: 5,
        },
        {
          label: `roof (${peakGbps != null ? fmtNum(peakGbps) : '?'} GB/s, ${peakTflops != null ? fmtNum(peakTflops) : '?'} TFLOP/s)`,
          data: roof,
          borderColor: p.roof,
          backgroundColor: p.roof,
          showLine: true,
          pointRadius: 0,
          borderWidth: 1.5,
        },
      ],
    },
    options: {
      ...commonOptions(p),
      scales: {
        x: { ...logAxis(p, 'arithmetic intensity (FLOP/byte)'), type: 'logarithmic', min: xmin, max: xmax },
        y: { ...logAxis(p, 'achieved TFLOP/s'), type: 'logarithmic', min: pow10Below(Math.min(...ys) / 3), max: pow10Above(Math.max(...ys) * 1.5) },
      },
      plugins: {
        legend: { labels: { color: p.fg, boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (item) => {
              if (item.datasetIndex !== 0) return `roof: ${fmtNum(item.parsed.y ?? 0)} TFLOP/s`;
              const q = points[item.dataIndex];
              return `${q.label}: ${fmtNum(q.ai)} FLOP/B, ${fmtNum(q.tflops)} TFLOP/s` + (q.pct != null ? `, ${q.pct.toFixed(0)}% of roofline` : '');
            },
          },
        },
      },
    },
  };
}

export type ChartId = 'bars' | 'turns' | 'roof';

/** Owns the chart instances; rebuilds a chart only when its data or palette changed. */
export class Charts {
  private charts = new Map<ChartId, { chart: Chart; key: string }>();
  private data: ChartData | null = null;

  update(canvases: Record<ChartId, HTMLCanvasElement | null>, data: ChartData, force = false): void {
    this.data = data;
    const palette = readPalette();
    const configs: Record<ChartId, (() => ChartConfiguration) | null> = {
      bars: data.bars.length ? () => barConfig(data, palette) as unknown as ChartConfiguration : null,
      turns: data.turns.length ? () => turnsConfig(data, palette) as unknown as ChartConfiguration : null,
      roof: data.roof.points.length ? () => roofConfig(data, palette) as unknown as ChartConfiguration : null,
    };
    for (const id of Object.keys(configs) as ChartId[]) {
      const canvas = canvases[id];
      const make = configs[id];
      const existing = this.charts.get(id);
      if (!canvas || !make) {
        existing?.chart.destroy();
        this.charts.delete(id);
        continue;
      }
      const key = JSON.stringify([id === 'bars' ? data.bars : id === 'turns' ? data.turns : data.roof, palette]);
      if (existing && existing.key === key && existing.chart.canvas === canvas && !force) continue;
      existing?.chart.destroy();
      this.charts.set(id, { chart: new Chart(canvas, make()), key });
    }
  }

  /** Re-read the theme colours and redraw the charts whose colours changed (after a theme change). */
  recolor(canvases: Record<ChartId, HTMLCanvasElement | null>): void {
    if (this.data) this.update(canvases, this.data);
  }
}
