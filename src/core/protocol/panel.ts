// Webview ⇄ extension-host messages and the run model they carry, mirroring docs/CONTRACT.md.
// Both sides validate with these schemas; the run store persists `Run` as-is.
import { z } from 'zod';
import { Verdict, VerifyReport } from './report';

export const Tokens = z.object({ prompt: z.number().int().min(0), completion: z.number().int().min(0) });
export type Tokens = z.infer<typeof Tokens>;

// `cancelled`: the user stopped the run before this candidate had a verdict (not a failure of the kernel).
export const CANDIDATE_STAGES = ['generating', 'compiling', 'checking', 'benchmarking', 'done', 'failed', 'cancelled'] as const;
export const CandidateStage = z.enum(CANDIDATE_STAGES);
export type CandidateStage = z.infer<typeof CandidateStage>;

export const Candidate = z.object({
  id: z.string().min(1),
  turn: z.number().int().min(1),
  index: z.number().int().min(0),
  stage: CandidateStage,
  code: z.string(),
  path: z.string().nullable(),
  report: VerifyReport.nullable(),
  error: z.string().nullable(),
  tokens: Tokens,
  /** The LLM's whole reply (the code above is extracted from it); absent in runs of older versions. */
  reply: z.string().optional(),
  /** When the request for it was sent (ISO): the panel shows how long a silent model has taken. */
  startedAt: z.string().optional(),
});
export type Candidate = z.infer<typeof Candidate>;

export const RUN_STATUSES = ['running', 'done', 'cancelled', 'failed'] as const;
export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;

export const Run = z.object({
  id: z.string().min(1),
  problemName: z.string(),
  problemPath: z.string(),
  device: z.object({ name: z.string(), interpreter: z.boolean() }),
  /** ISO-8601 timestamps. */
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: RunStatus,
  turn: z.number().int().min(0),
  maxTurns: z.number().int().min(1),
  bestCandidateId: z.string().nullable(),
  tokens: Tokens,
  error: z.string().nullable(),
  candidates: z.array(Candidate),
});
export type Run = z.infer<typeof Run>;

/** One line of run history: enough to list past runs without loading their candidates. */
export const RunSummary = z.object({
  id: z.string().min(1),
  problemName: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: RunStatus,
  candidateCount: z.number().int().min(0),
  bestCandidateId: z.string().nullable(),
  bestVerdict: Verdict.nullable(),
  /** Speedup of the best candidate (vs Inductor when measured, else eager); null when none counts. */
  bestSpeedup: z.number().nullable(),
});
export type RunSummary = z.infer<typeof RunSummary>;

/** A question the host waits on (confirm the problem, accept an Apply): the panel shows it with
 * its buttons, since the notification that asks it too hides after a few seconds. */
export const Question = z.object({
  id: z.string().min(1),
  text: z.string().min(1),
  actions: z.array(z.string().min(1)).min(1).max(6),
});
export type Question = z.infer<typeof Question>;

export const PanelState = z.object({
  current: Run.nullable(),
  history: z.array(RunSummary),
  selectedRunId: z.string().nullable(),
  /** Absent in states of older versions (and in the fixtures that predate it). */
  question: Question.nullable().optional(),
});
export type PanelState = z.infer<typeof PanelState>;

export const HostToPanel = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), state: PanelState }),
]);
export type HostToPanel = z.infer<typeof HostToPanel>;

const runId = z.string().min(1);
const candidateId = z.string().min(1);
export const ReportFormat = z.enum(['markdown', 'json']);
export type ReportFormat = z.infer<typeof ReportFormat>;

export const PanelToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('apply'), runId, candidateId }),
  z.object({ type: z.literal('openDiff'), runId, candidateId }),
  z.object({ type: z.literal('openReport'), runId, candidateId }),
  z.object({ type: z.literal('openReply'), runId, candidateId }),
  z.object({ type: z.literal('reverify'), runId, candidateId }),
  z.object({ type: z.literal('benchmark'), runId, candidateId }),
  z.object({ type: z.literal('cancel'), runId }),
  z.object({ type: z.literal('copyReport'), runId, format: ReportFormat }),
  z.object({ type: z.literal('exportReport'), runId, format: ReportFormat }),
  z.object({ type: z.literal('selectRun'), runId }),
  z.object({ type: z.literal('answer'), questionId: z.string().min(1), action: z.string().min(1) }),
]);
export type PanelToHost = z.infer<typeof PanelToHost>;
