// Pure derivations from PanelState to what the panel shows. No DOM here, so the honesty rules
// (what may be presented as a speedup) live in one testable place.
import type { Candidate, Run, Stat, Timings, VerifyReport } from './protocol';

export const NOT_MEANINGFUL = 'CPU interpreter — timings not meaningful';
export { atReducedSizes, reducedSizesText, REDUCED_SIZES_NOTE, silentSeconds } from '../src/core/protocol/view';

export type TimingView =
  | { kind: 'none'; text: string }
  | { kind: 'not_meaningful'; text: string }
  | { kind: 'flagged'; text: string; messages: string[]; rules: string[] }
  | { kind: 'ok'; timings: Timings; stat: Stat };

/** How a candidate's timings may be presented. Only `ok` timings may be shown as a speedup. */
export function timingView(run: Run, c: Candidate): TimingView {
  const r = c.report;
  const t = r?.timings;
  if (run.device.interpreter || r?.device?.interpreter) return { kind: 'not_meaningful', text: NOT_MEANINGFUL };
  if (t && t.meaningful === false) return { kind: 'not_meaningful', text: t.note ? `Timings not meaningful: ${t.note}` : 'Timings not meaningful' };
  if (!t || !t.candidate) return { kind: 'none', text: r ? 'not benchmarked' : '' };
  if (t.flags.length)
    return {
      kind: 'flagged',
      text: 'FLAGGED',
      messages: t.flags.map((f) => f.message),
      rules: t.flags.map((f) => f.rule),
    };
  return { kind: 'ok', timings: t, stat: t.candidate };
}

/** A speedup is presented only for a correct candidate with meaningful, unflagged timings. */
export function honestSpeedups(run: Run, c: Candidate): { eager: number | null; inductor: number | null } | null {
  const v = timingView(run, c);
  if (v.kind !== 'ok' || c.report?.verdict !== 'correct') return null;
  return { eager: v.timings.speedup_vs_eager ?? null, inductor: v.timings.speedup_vs_inductor ?? null };
}

/** "turn.index", 1-based (CONTRACT.md does not say whether `index` counts from 0 or 1: a run
 * with an index 0 is taken as 0-based). */
export function candidateLabel(c: Candidate, run: Run): string {
  const base = run.candidates.some((x) => x.index === 0) ? 1 : 0;
  return `${c.turn}.${c.index + base}`;
}

export const VERDICT_TEXT: Record<VerifyReport['verdict'], string> = {
  correct: 'correct',
  incorrect: 'incorrect',
  rejected: 'rejected',
  compile_error: 'compile error',
  runtime_error: 'runtime error',
  timeout: 'timeout',
};

/** Verdict text, or the live stage while there is no report yet. */
export function verdictOf(c: Candidate): { key: string; text: string; pending: boolean } {
  if (c.report) return { key: c.report.verdict, text: VERDICT_TEXT[c.report.verdict], pending: false };
  if (c.stage === 'failed') return { key: 'failed', text: 'failed', pending: false };
  if (c.stage === 'cancelled') return { key: 'cancelled', text: 'cancelled', pending: false };
  if (c.stage === 'done') return { key: 'none', text: 'no report', pending: false };
  return { key: 'pending', text: c.stage, pending: true };
}

/** Why a candidate is not correct, in one line (rule first when there is one). */
export function reasonOf(c: Candidate): string | null {
  const r = c.report;
  if (c.stage === 'cancelled') return 'stopped before a verdict: says nothing about this kernel';
  if (!r) return c.error;
  if (r.verdict === 'correct') return null;
  const diag = r.diagnostics.find((d) => d.severity === 'error') ?? r.diagnostics[0];
  if (r.verdict === 'rejected') {
    const rule = diag?.rule ?? 'rule';
    return `rule ${rule}: ${diag?.message ?? r.summary}`;
  }
  if (r.verdict === 'incorrect') {
    const out = r.correctness?.trials.flatMap((t) => t.outputs.map((o) => ({ t, o }))).find((x) => !x.o.ok);
    if (out) {
      const { t, o } = out;
      if (o.reason) return `${t.name}, output ${o.index}: ${o.reason}`;
      const at = o.first_mismatch ? ` at [${o.first_mismatch.join(', ')}]` : '';
      const vals =
        o.candidate_value !== undefined && o.expected_value !== undefined
          ? `: got ${fmtVal(o.candidate_value)}, expected ${fmtVal(o.expected_value)}`
          : '';
      const err = o.max_abs_err != null ? ` (max abs err ${fmtNum(o.max_abs_err)}` + (o.allowed_err != null ? `, allowed ${fmtNum(o.allowed_err)})` : ')') : '';
      return `${t.name}, output ${o.index} mismatch${at}${vals}${err}`;
    }
  }
  return r.summary || diag?.message || null;
}

function fmtVal(v: unknown): string {
  return typeof v === 'number' ? fmtNum(v) : JSON.stringify(v);
}

export function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(2);
  return Number(x.toPrecision(4)).toString();
}

/** Milliseconds with 3 significant digits; below 0.1 ms in µs. `unitOf` forces the unit of
 * another value (so "56.0 µs ± 1.12 µs", "0.121 ms ± 0.004 ms"). */
export function fmtMs(ms: number, unitOf: number = ms): string {
  const micro = Math.abs(unitOf) < 0.1;
  const unit = micro ? 'µs' : 'ms';
  const v = micro ? ms * 1000 : ms;
  const ref = Math.abs(micro ? unitOf * 1000 : unitOf);
  // As many decimals as `ref` shows with 3 significant digits.
  const decimals = ref > 0 ? Math.min(6, Math.max(0, 2 - Math.floor(Math.log10(ref)))) : 3;
  return `${v.toFixed(decimals)} ${unit}`;
}

/** Half-width of the spread shown as "± x": the 95% CI when there is one, else the std. */
export function spreadMs(s: Stat): number | null {
  if (s.ci95_ms) return (s.ci95_ms[1] - s.ci95_ms[0]) / 2;
  if (s.std_ms != null) return s.std_ms;
  if (s.rel_spread != null) return s.rel_spread * s.median_ms;
  return null;
}

export function fmtStat(s: Stat): string {
  const sp = spreadMs(s);
  return sp == null ? fmtMs(s.median_ms) : `${fmtMs(s.median_ms)} ± ${fmtMs(sp, s.median_ms)}`;
}

/** Error-bar interval [lo, hi] in ms: the 95% CI, else median ± std. */
export function intervalMs(s: Stat): [number, number] | null {
  if (s.ci95_ms) return [s.ci95_ms[0], s.ci95_ms[1]];
  if (s.std_ms != null) return [s.median_ms - s.std_ms, s.median_ms + s.std_ms];
  return null;
}

export function fmtSpeedup(x: number | null): string {
  return x == null ? '—' : `${x.toFixed(2)}×`;
}

/** Achieved throughput: GB/s when memory-bound (intensity below the ridge), else TFLOP/s. */
export function throughputOf(t: Timings): { text: string; pct: string; bound: 'memory' | 'compute' } | null {
  const rf = t.roofline;
  if (!rf) return null;
  const ai = rf.flops != null && rf.bytes ? rf.flops / rf.bytes : null;
  const ridge = rf.peak_tflops && rf.peak_gbps ? (rf.peak_tflops * 1e12) / (rf.peak_gbps * 1e9) : null;
  const memoryBound = ai == null || ridge == null ? rf.achieved_tflops == null : ai < ridge;
  const pct = rf.pct_of_roofline != null ? `${rf.pct_of_roofline.toFixed(0)}%` : '—';
  if (memoryBound && rf.achieved_gbps != null) return { text: `${fmtNum(rf.achieved_gbps)} GB/s`, pct, bound: 'memory' };
  if (rf.achieved_tflops != null) return { text: `${fmtNum(rf.achieved_tflops)} TFLOP/s`, pct, bound: 'compute' };
  if (rf.achieved_gbps != null) return { text: `${fmtNum(rf.achieved_gbps)} GB/s`, pct, bound: 'memory' };
  return null;
}

export function fmtPct(x: number | null | undefined): string {
  return x == null ? '—' : `${(x * 100).toFixed(0)}%`;
}

export function fmtTokens(t: { prompt: number; completion: number }): string {
  return (t.prompt + t.completion).toLocaleString('en-US');
}

/** The report whose eager/Inductor baselines the charts use: the best candidate's, else the first
 * honest one's. Null when nothing has meaningful timings. */
export function baselineReport(run: Run): VerifyReport | null {
  const honest = run.candidates.filter((c) => timingView(run, c).kind === 'ok');
  const best = honest.find((c) => c.id === run.bestCandidateId);
  return (best ?? honest[0])?.report ?? null;
}

/** Best honest speedup vs eager among candidates of each turn, and the best so far. */
export function bestPerTurn(run: Run): { turn: number; best: number | null; bestSoFar: number | null }[] {
  const rows = [];
  let soFar: number | null = null;
  const last = Math.max(run.turn, ...run.candidates.map((c) => c.turn), 0);
  for (let turn = 1; turn <= last; turn++) {
    let best: number | null = null;
    for (const c of run.candidates) {
      if (c.turn !== turn) continue;
      const s = honestSpeedups(run, c)?.eager;
      if (s != null && (best == null || s > best)) best = s;
    }
    if (best != null && (soFar == null || best > soFar)) soFar = best;
    rows.push({ turn, best, bestSoFar: soFar });
  }
  return rows;
}

export function runTimingsMeaningful(run: Run): boolean {
  if (run.device.interpreter) return false;
  return !run.candidates.some((c) => c.report?.timings?.meaningful === false || c.report?.device?.interpreter);
}

/** Lines of a streaming reply shown while a candidate is generated. */
export const STREAM_TAIL_LINES = 40;

/** The last `n` lines of `text` (what the streaming view shows; the full reply can be long). */
export function tailLines(text: string, n: number = STREAM_TAIL_LINES): string {
  const lines = text.split('\n');
  return lines.length <= n ? text : lines.slice(-n).join('\n');
}

/** One plain line on the run's candidate sandbox (the latest report that has one), or null. */
export function sandboxLine(run: Run): { text: string; enforced: boolean } | null {
  const sb = [...run.candidates].reverse().find((c) => c.report?.sandbox)?.report?.sandbox;
  return sb ? { text: `Sandbox: ${sb.summary}`, enforced: sb.enforced } : null;
}
