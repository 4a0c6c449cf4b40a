// PROVISIONAL panel-side schemas, mirroring docs/CONTRACT.md ("Verify report", "Webview messages").
// src/core/protocol/{panel,report}.ts owns these; once it lands this file becomes a re-export of it.
// Everything the panel receives goes through HostToPanel.safeParse: an invalid message is logged
// and ignored, never rendered.
import { z } from 'zod';

const num = z.number();

export const Stat = z.looseObject({
  median_ms: num,
  mean_ms: num.optional(),
  std_ms: num.optional(),
  ci95_ms: z.tuple([num, num]).nullable().optional(),
  min_ms: num.optional(),
  n: num.optional(),
  rel_spread: num.nullable().optional(),
});
export type Stat = z.infer<typeof Stat>;

const Flag = z.looseObject({ rule: z.string(), message: z.string() });

export const Verdict = z.enum(['correct', 'incorrect', 'rejected', 'compile_error', 'runtime_error', 'timeout']);
export type Verdict = z.infer<typeof Verdict>;

const Diagnostic = z.looseObject({
  file: z.string(),
  line: num,
  message: z.string(),
  rule: z.string(),
  severity: z.enum(['error', 'warning', 'info']),
});

const OutputCheck = z.looseObject({
  index: num,
  ok: z.boolean(),
  shape: z.array(num).optional(),
  dtype: z.string().optional(),
  max_abs_err: num.nullable().optional(),
  max_rel_err: num.nullable().optional(),
  allowed_err: num.nullable().optional(),
  first_mismatch: z.array(num).nullable().optional(),
  candidate_value: z.unknown().optional(),
  expected_value: z.unknown().optional(),
  reason: z.string().nullable().optional(),
});

export const Roofline = z.looseObject({
  bytes: num.nullable().optional(),
  flops: num.nullable().optional(),
  achieved_gbps: num.nullable().optional(),
  achieved_tflops: num.nullable().optional(),
  peak_gbps: num.nullable().optional(),
  peak_tflops: num.nullable().optional(),
  pct_of_roofline: num.nullable().optional(),
});
export type Roofline = z.infer<typeof Roofline>;

export const Timings = z.looseObject({
  meaningful: z.boolean(),
  note: z.string().nullable().optional(),
  eager: Stat.nullable(),
  inductor: Stat.nullable().optional(),
  candidate: Stat.nullable(),
  speedup_vs_eager: num.nullable().optional(),
  speedup_vs_inductor: num.nullable().optional(),
  flags: z.array(Flag).default([]),
  roofline: Roofline.nullable().optional(),
});
export type Timings = z.infer<typeof Timings>;

export const VerifyReport = z.looseObject({
  schema: z.literal(1),
  verdict: Verdict,
  summary: z.string(),
  problem: z.string().optional(),
  candidate: z.string().optional(),
  device: z.looseObject({
    type: z.enum(['cuda', 'cpu']),
    name: z.string(),
    interpreter: z.boolean(),
    capability: z.string().nullable().optional(),
  }),
  diagnostics: z.array(Diagnostic).default([]),
  correctness: z
    .looseObject({
      trials: z.array(z.looseObject({ name: z.string(), passed: z.boolean(), outputs: z.array(OutputCheck).default([]) })),
      policy: z.looseObject({ precision: z.string(), factor: num.optional() }).optional(),
      flags: z.array(Flag).default([]),
    })
    .nullable()
    .optional(),
  anticheat: z
    .looseObject({
      triton_kernels: z.array(z.string()).default([]),
      triton_launches: num.nullable().optional(),
      torch_compute_ops: z.array(z.string()).default([]),
      time_coverage: num.nullable().optional(),
    })
    .nullable()
    .optional(),
  timings: Timings.nullable().optional(),
  elapsed_s: num.optional(),
  versions: z.record(z.string(), z.string().nullable()).optional(),
});
export type VerifyReport = z.infer<typeof VerifyReport>;

const Tokens = z.object({ prompt: num, completion: num });

export const Stage = z.enum(['generating', 'compiling', 'checking', 'benchmarking', 'done', 'failed']);
export type Stage = z.infer<typeof Stage>;

export const Candidate = z.looseObject({
  id: z.string(),
  turn: num,
  index: num,
  stage: Stage,
  code: z.string(),
  path: z.string().nullable(),
  report: VerifyReport.nullable(),
  error: z.string().nullable(),
  tokens: Tokens,
});
export type Candidate = z.infer<typeof Candidate>;

export const RunStatus = z.enum(['running', 'done', 'cancelled', 'failed']);

export const Run = z.looseObject({
  id: z.string(),
  problemName: z.string(),
  problemPath: z.string(),
  device: z.looseObject({ name: z.string(), interpreter: z.boolean() }),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: RunStatus,
  turn: num,
  maxTurns: num,
  bestCandidateId: z.string().nullable(),
  tokens: Tokens,
  error: z.string().nullable(),
  candidates: z.array(Candidate),
});
export type Run = z.infer<typeof Run>;

// CONTRACT.md names RunSummary without fields; the panel needs id/problemName/startedAt/status and
// shows the rest when present.
export const RunSummary = z.looseObject({
  id: z.string(),
  problemName: z.string(),
  startedAt: z.string(),
  status: RunStatus,
  device: z.looseObject({ name: z.string(), interpreter: z.boolean() }).optional(),
  finishedAt: z.string().nullable().optional(),
  bestSpeedup: num.nullable().optional(),
  bestVerdict: z.string().nullable().optional(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const PanelState = z.object({
  current: Run.nullable(),
  history: z.array(RunSummary),
  selectedRunId: z.string().nullable(),
});
export type PanelState = z.infer<typeof PanelState>;

export const HostToPanel = z.discriminatedUnion('type', [z.object({ type: z.literal('state'), state: PanelState })]);
export type HostToPanelMessage = z.infer<typeof HostToPanel>;

const ids = { runId: z.string(), candidateId: z.string() };
const ReportFormat = z.enum(['markdown', 'json']);
export const PanelToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('apply'), ...ids }),
  z.object({ type: z.literal('openDiff'), ...ids }),
  z.object({ type: z.literal('openReport'), ...ids }),
  z.object({ type: z.literal('reverify'), ...ids }),
  z.object({ type: z.literal('benchmark'), ...ids }),
  z.object({ type: z.literal('cancel'), runId: z.string() }),
  z.object({ type: z.literal('copyReport'), runId: z.string(), format: ReportFormat }),
  z.object({ type: z.literal('exportReport'), runId: z.string(), format: ReportFormat }),
  z.object({ type: z.literal('selectRun'), runId: z.string() }),
]);
export type PanelToHostMessage = z.infer<typeof PanelToHost>;
