// The `tritonize/*` LSP requests (client ⇄ `python -m tritonize.server`), mirroring docs/CONTRACT.md.
import { z } from 'zod';
import { VerifyReport } from './report';

export const Methods = {
  environment: 'tritonize/environment',
  validateProblem: 'tritonize/validateProblem',
  verify: 'tritonize/verify',
} as const;

/** LSP/JSON-RPC error codes the client reacts to. */
export const ErrorCodes = {
  requestCancelled: -32800,
  requestFailed: -32803,
  serverNotInitialized: -32002,
  invalidParams: -32602,
  internalError: -32603,
} as const;

/** Stages reported through `$/progress` while verifying. */
export const STAGES = ['queued', 'starting', 'compiling', 'checking', 'benchmarking', 'done'] as const;
export type VerifyStage = (typeof STAGES)[number];

const nullableNum = z.number().nullable().optional();

export const DeviceInfo = z.looseObject({
  index: z.number().int(),
  name: z.string(),
  capability: z.string().nullable().optional(),
  sm_count: z.number().int().nullable().optional(),
  memory_gb: nullableNum,
  peak_gbps: nullableNum,
  peak_tflops: z.record(z.string(), z.number().nullable()).nullable().optional(),
});
export type DeviceInfo = z.infer<typeof DeviceInfo>;

export const EnvironmentParams = z.object({});
export const EnvironmentResult = z.looseObject({
  python: z.string(),
  torch: z.string().nullable(),
  triton: z.string().nullable(),
  tritonize: z.string(),
  devices: z.array(DeviceInfo),
  /** True when no CUDA device is usable and kernels run under the Triton CPU interpreter. */
  interpreter: z.boolean(),
  problems: z.array(z.string()).default([]),
  /** Set by the server when torch/triton are missing: the fix to show the user. */
  error: z.string().nullable().optional(),
  missing: z.array(z.string()).optional(),
  python_executable: z.string().optional(),
});
export type EnvironmentResult = z.infer<typeof EnvironmentResult>;

export const TensorSpec = z.looseObject({
  shape: z.array(z.number().int()).nullable().optional(),
  dtype: z.string().nullable().optional(),
});
export type TensorSpec = z.infer<typeof TensorSpec>;

export const ValidateProblemParams = z.object({
  problemPath: z.string().min(1),
  device: z.string().optional(),
  timeout: z.number().positive().optional(),
});
export type ValidateProblemParams = z.infer<typeof ValidateProblemParams>;

export const ValidateProblemResult = z.looseObject({
  ok: z.boolean(),
  error: z.looseObject({ message: z.string(), line: z.number().int().nullable().optional() }).nullable().optional(),
  inputs: z.array(TensorSpec).default([]),
  outputs: z.array(TensorSpec).default([]),
  init_inputs: z.array(z.unknown()).default([]),
});
export type ValidateProblemResult = z.infer<typeof ValidateProblemResult>;

export const VerifyParams = z.object({
  problemPath: z.string().min(1),
  candidatePath: z.string().min(1),
  device: z.enum(['cpu', 'cuda']).or(z.string().regex(/^cuda:\d+$/)).optional(),
  timeout: z.number().positive().optional(),
  benchmark: z.boolean(),
  options: z.record(z.string(), z.unknown()).optional(),
  workDoneToken: z.union([z.string(), z.number().int()]).optional(),
});
export type VerifyParams = z.infer<typeof VerifyParams>;

export const VerifyResult = VerifyReport;
