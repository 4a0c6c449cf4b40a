// The `tritonize/*` LSP requests (client ⇄ `python -m tritonize.server`), mirroring docs/CONTRACT.md.
import { z } from 'zod';
import { VerifyReport } from './report';

export const Methods = {
  environment: 'tritonize/environment',
  validateProblem: 'tritonize/validateProblem',
  verify: 'tritonize/verify',
  extract: 'tritonize/extract',
  apply: 'tritonize/apply',
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

// -- Selection → problem, and Apply (python-backend/tritonize/extract) -------------------------

/** LSP position and range: 0-based line and character (UTF-16 code units, the LSP default); the end is exclusive. */
export const LspPosition = z.object({ line: z.number().int().min(0), character: z.number().int().min(0) });
export const LspRange = z.object({ start: LspPosition, end: LspPosition });
export type LspRange = z.infer<typeof LspRange>;
export const TextEdit = z.object({ range: LspRange, newText: z.string() });
export type TextEdit = z.infer<typeof TextEdit>;

export const ExtractParams = z.object({
  path: z.string().min(1),
  /** The file's text when the client has it open (unsaved edits); else the server reads `path`. */
  text: z.string().optional(),
  range: LspRange,
  /** Command that runs the selected code ("script.py args", "-m module args" or test function
   * names); default: the file's __main__ block or its test functions. */
  entry: z.string().optional(),
  /** The same, used only when the file has no entry point of its own (a model imported by
   * train.py); when it does not reach the selection the shapes are guessed and a warning says so. */
  defaultEntry: z.string().optional(),
  /** false: run nothing, guess shapes (marked). */
  record: z.boolean().optional(),
  timeout: z.number().positive().optional(),
});
export type ExtractParams = z.infer<typeof ExtractParams>;

export const ExtractedInput = z.looseObject({
  /** Parameter name in the problem. */
  name: z.string(),
  /** Expression at the call site (`h`, `self.up_bias`). */
  expr: z.string(),
  /** tensor: a forward input; scalar: a constructor input. */
  role: z.enum(['tensor', 'scalar']),
  /** get_inputs / get_init_inputs expression. */
  source: z.string(),
  guessed: z.boolean(),
  mutated: z.boolean(),
});

export const Extraction = z.looseObject({
  kind: z.enum(['expression', 'statements', 'function', 'module', 'problem']),
  name: z.string(),
  /** problem.py text. */
  problem: z.string(),
  inputs: z.array(ExtractedInput),
  outputs: z.array(z.looseObject({ target: z.string(), inplace: z.boolean() })),
  returns: z.boolean(),
  /** The code Apply replaces (whole statements, the expression, the def or the class). */
  range: LspRange,
  /** recorded: real shapes from running `entry`; guessed: some input is a guess (see `guessed`). */
  shapes: z.enum(['recorded', 'guessed', 'none']),
  entry: z.string().nullable(),
  guessed: z.array(z.string()),
  warnings: z.array(z.string()).default([]),
  /** The run's name for the user: the selected ops and where (`softmax+mul in Attn.forward`). */
  title: z.string().default(''),
  forwardArgs: z.array(z.string()),
  initArgs: z.array(z.string()),
});
export type Extraction = z.infer<typeof Extraction>;

export const ApplyParams = ExtractParams.extend({
  /** The verified candidate's code (a module defining ModelNew), or a path to it. */
  candidateCode: z.string().optional(),
  candidatePath: z.string().optional(),
  placement: z.enum(['same-file', 'module']),
  /** Accept guessed input shapes (the user confirmed them). */
  confirmShapes: z.boolean().optional(),
  /** The user states the code runs without gradients (lifts the autograd refusal; the kernel has no backward). */
  inferenceOnly: z.boolean().optional(),
  /** The candidate declined other sizes in verification (flag shape_restricted): the applied code checks every input's shape. */
  exactSizes: z.boolean().optional(),
  /** Shown in the kernel's header comment (run and candidate). */
  runLabel: z.string().optional(),
});
export type ApplyParams = z.infer<typeof ApplyParams>;

export const ApplyResult = z.looseObject({
  extraction: Extraction,
  /** Edits to the user's file, in its current text's coordinates; nothing is written by the server. */
  edits: z.array(TextEdit),
  /** placement 'module': the new file next to the user's. */
  module: z.object({ path: z.string(), text: z.string() }).nullable(),
  /** Unified diff of every change (the user's file and, if any, the new module). */
  diff: z.string(),
  /** The behaviour check: original and applied code run on the same inputs. */
  check: z.looseObject({ ok: z.boolean(), reason: z.string() }).nullable(),
});
export type ApplyResult = z.infer<typeof ApplyResult>;

/** Applies LSP text edits (non-overlapping, any order) to `text`. */
export function applyTextEdits(text: string, edits: TextEdit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const offset = (p: { line: number; character: number }) => (starts[p.line] ?? text.length) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}
