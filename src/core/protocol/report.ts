// The verify report (Python → everything else), mirroring docs/CONTRACT.md.
// Strict on what decisions are made from (verdict, summary, diagnostics, speedups); loose objects
// elsewhere so fields the Python side adds later pass through instead of failing validation.
import { z } from 'zod';

export const VERDICTS = ['correct', 'incorrect', 'rejected', 'compile_error', 'runtime_error', 'timeout'] as const;
export const Verdict = z.enum(VERDICTS);
export type Verdict = z.infer<typeof Verdict>;

export const Severity = z.enum(['error', 'warning', 'info']);

export const Diagnostic = z.looseObject({
  file: z.enum(['candidate', 'problem']),
  /** 1-based; 0 = the whole file. */
  line: z.number().int().min(0),
  message: z.string(),
  rule: z.string(),
  severity: Severity,
});
export type Diagnostic = z.infer<typeof Diagnostic>;

export const ReportDevice = z.looseObject({
  type: z.enum(['cuda', 'cpu']).nullable(),
  // null when the candidate never reached a device (e.g. rejected before running)
  name: z.string().nullable(),
  interpreter: z.boolean().nullable(),
  capability: z.string().nullable().optional(),
});
export type ReportDevice = z.infer<typeof ReportDevice>;

const num = z.number();
const optNum = num.nullable().optional();

export const OutputCheck = z.looseObject({
  index: z.number().int(),
  shape: z.array(z.number().int()).nullable().optional(),
  dtype: z.string().nullable().optional(),
  ok: z.boolean(),
  max_abs_err: optNum,
  max_rel_err: optNum,
  cand_err_vs_fp64: optNum,
  ref_err_vs_fp64: optNum,
  allowed_err: optNum,
  first_mismatch: z.array(z.number().int()).nullable().optional(),
  candidate_value: z.union([num, z.boolean(), z.string()]).nullable().optional(),
  expected_value: z.union([num, z.boolean(), z.string()]).nullable().optional(),
  min_tol_to_pass: optNum,
  passes_kernelbench_tol: z.boolean().nullable().optional(),
  reason: z.string().nullable().optional(),
  n_bad: z.number().int().nullable().optional(),
  /** ||cand - ref|| / ||ref|| over finite values, only on a wrong output. */
  norm_rel_err: optNum,
});
export type OutputCheck = z.infer<typeof OutputCheck>;

export const Trial = z.looseObject({
  name: z.string(),
  passed: z.boolean(),
  outputs: z.array(OutputCheck),
  /** A trial whose mismatch is a flag, not a verdict (special-values: NaN/inf in the inputs). */
  flag_only: z.boolean().optional(),
});
export type Trial = z.infer<typeof Trial>;

export const Flag = z.looseObject({ rule: z.string(), message: z.string() });
export type Flag = z.infer<typeof Flag>;

export const Correctness = z.looseObject({
  trials: z.array(Trial),
  policy: z.looseObject({ precision: z.string(), factor: num }).optional(),
  flags: z.array(Flag).default([]),
});
export type Correctness = z.infer<typeof Correctness>;

export const Anticheat = z.looseObject({
  triton_kernels: z.array(z.string()).default([]),
  triton_launches: z.number().int().default(0),
  torch_compute_ops: z.array(z.string()).default([]),
  time_coverage: num.nullable().optional(),
});
export type Anticheat = z.infer<typeof Anticheat>;

export const Stat = z.looseObject({
  median_ms: num,
  mean_ms: num,
  std_ms: num,
  ci95_ms: z.tuple([num, num]),
  min_ms: num,
  n: z.number().int(),
  rel_spread: num,
});
export type Stat = z.infer<typeof Stat>;

export const Roofline = z.looseObject({
  bytes: optNum,
  flops: optNum,
  achieved_gbps: optNum,
  achieved_tflops: optNum,
  peak_gbps: optNum,
  peak_tflops: optNum,
  pct_of_roofline: optNum,
});
export type Roofline = z.infer<typeof Roofline>;

export const Timings = z.looseObject({
  meaningful: z.boolean(),
  note: z.string().nullable().optional(),
  eager: Stat,
  inductor: Stat.nullable().optional(),
  candidate: Stat,
  /** null when the timing is flagged: a flagged timing never counts as a speedup. */
  speedup_vs_eager: num.nullable(),
  speedup_vs_inductor: num.nullable().optional(),
  flags: z.array(Flag).default([]),
  roofline: Roofline.nullable().optional(),
  /** Which clock eager/inductor/candidate and the speedups come from (docs/benchmark.md). */
  clock: z.enum(['span', 'kernel', 'event', 'wall']).optional(),
  clock_source: z.string().optional(),
  event: z.record(z.string(), Stat).nullable().optional(),
  kernel: z.record(z.string(), Stat).nullable().optional(),
  span: z.record(z.string(), Stat).nullable().optional(),
  speedups: z.record(z.string(), z.record(z.string(), num.nullable())).nullable().optional(),
  outside: z.looseObject({ judge_ms_per_call: num, claimed_ms_per_call: num }).nullable().optional(),
  recheck: z.looseObject({ sampled_calls: z.number().int(), failed: z.looseObject({ reason: z.string().nullable() }).nullable() }).optional(),
  gpu_state: z.looseObject({ available: z.boolean(), throttled: z.boolean().optional(), clock_changed: z.boolean().optional() }).nullable().optional(),
  cuda_graph: z.looseObject({ used: z.record(z.string(), z.boolean()) }).nullable().optional(),
  notes: z.array(z.string()).optional(),
});
export type Timings = z.infer<typeof Timings>;

/** Which protections held the candidate's worker (Landlock, seccomp, no_new_privs); absent in
 * reports from before the sandbox and when no candidate process ran (e.g. a static rejection). */
export const SandboxStatus = z.looseObject({
  enforced: z.boolean(),
  summary: z.string(),
  landlock_abi: z.number().int().nullable().optional(),
  protections: z.record(z.string(), z.looseObject({ enforced: z.boolean(), detail: z.string() })).optional(),
});
export type SandboxStatus = z.infer<typeof SandboxStatus>;

const SizeChanges = z.record(z.string(), z.tuple([z.number().int(), z.number().int()]));

/** CPU reduced-size mode (docs/suite.md): what was changed, [problem's, checked]; `changes` is
 * empty when the problem was already cheap enough and ran at its own sizes. */
export const ReducedSizes = z.looseObject({
  changes: SizeChanges,
  note: z.string().nullable().optional(),
  /** Each full-extent trial's sizes: one size at its full value, the others reduced further. */
  full_extent: z.array(SizeChanges).optional(),
});
export type ReducedSizes = z.infer<typeof ReducedSizes>;

export const VerifyReport = z.looseObject({
  schema: z.literal(1),
  verdict: Verdict,
  summary: z.string(),
  problem: z.string().optional(),
  candidate: z.string().optional(),
  device: ReportDevice.optional(),
  diagnostics: z.array(Diagnostic).default([]),
  correctness: Correctness.nullable().optional(),
  anticheat: Anticheat.nullable().optional(),
  timings: Timings.nullable().optional(),
  sandbox: SandboxStatus.nullable().optional(),
  elapsed_s: num.optional(),
  versions: z.record(z.string(), z.string().nullable()).optional(),
  reduced_sizes: ReducedSizes.nullable().optional(),
});
export type VerifyReport = z.infer<typeof VerifyReport>;

/** The speedup that counts for stopping and ranking: vs Inductor when measured, else vs eager;
 * null when the timing is missing, flagged, or not meaningful (CPU interpreter). */
export function effectiveSpeedup(report: VerifyReport | null | undefined): number | null {
  const t = report?.timings;
  if (!report || report.verdict !== 'correct' || !t || !t.meaningful || t.flags.length > 0) return null;
  if (t.inductor && t.speedup_vs_inductor != null) return t.speedup_vs_inductor;
  return t.speedup_vs_eager ?? null;
}

/** Which baseline `effectiveSpeedup` measured against. */
export function speedupBaseline(report: VerifyReport | null | undefined): 'inductor' | 'eager' | null {
  if (effectiveSpeedup(report) == null) return null;
  return report!.timings!.inductor && report!.timings!.speedup_vs_inductor != null ? 'inductor' : 'eager';
}
