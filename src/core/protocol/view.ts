// View logic both the extension host and the panel use (moved here from webview/model.ts so the
// extension imports nothing from webview/).
import type { Candidate, Run } from './panel';

/** A candidate's label as the panel shows it: turn.index, 1-based unless a run numbers from 0. */
export function candidateLabel(c: Candidate, run: Run): string {
  const base = run.candidates.some((x) => x.index === 0) ? 1 : 0;
  return `${c.turn}.${c.index + base}`;
}
