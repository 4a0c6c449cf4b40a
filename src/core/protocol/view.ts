// View logic both the extension host and the panel use (moved here from webview/model.ts so the
// extension imports nothing from webview/).
import type { Candidate, Run } from './panel';
import type { VerifyReport } from './report';

/** A candidate's label as the panel shows it: turn.index, 1-based unless a run numbers from 0. */
export function candidateLabel(c: Candidate, run: Run): string {
  const base = run.candidates.some((x) => x.index === 0) ? 1 : 0;
  return `${c.turn}.${c.index + base}`;
}

/** Seconds a candidate's model has sent nothing since its request (0 once a byte arrived, or when
 * the run predates `startedAt`). Shown from 5 s on by the panel and the status bar. */
export function silentSeconds(c: Candidate, now = Date.now()): number {
  if (c.stage !== 'generating' || c.code || !c.startedAt) return 0;
  return Math.max(0, Math.floor((now - Date.parse(c.startedAt)) / 1000));
}

export const REDUCED_SIZES_NOTE = 'checked at reduced sizes on the CPU; verify on a GPU for the full sizes';

/** Whether the backend checked this report at reduced sizes: `reduced_sizes` with at least one
 * change (an empty `changes` means the problem was cheap enough to run at its own sizes). */
export function atReducedSizes(report: VerifyReport | null | undefined): boolean {
  return Object.keys(report?.reduced_sizes?.changes ?? {}).length > 0;
}

/** "dim 16384→4095, batch_size 4096→63": what the reduced-size check changed. */
export function reducedSizesText(report: VerifyReport | null | undefined): string {
  return Object.entries(report?.reduced_sizes?.changes ?? {}).map(([k, [a, b]]) => `${k} ${a}→${b}`).join(', ');
}

/** " (checked at reduced sizes …)" after a summary, unless the backend's summary already says it. */
/** The verifier's flag shape_restricted: the kernel raised at other sizes than the problem's before
 * launching anything, so Apply makes the applied code check the sizes (exactSizes). */
export function shapeRestricted(report: VerifyReport | null | undefined): boolean {
  return Boolean(report?.correctness?.flags.some((f) => f.rule === 'shape_restricted'));
}

export function reducedSuffix(report: VerifyReport | null | undefined): string {
  return atReducedSizes(report) && !report!.summary.includes(REDUCED_SIZES_NOTE) ? ` (${REDUCED_SIZES_NOTE})` : '';
}
