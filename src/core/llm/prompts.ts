// What the model is told: the task, the target device, and the rules the verifier enforces
// (stated up front so the first candidate is not rejected for a rule it never heard of).
import type { EnvironmentResult, TensorSpec } from '../protocol/lsp';
import { effectiveSpeedup, type Diagnostic, type Stat, type VerifyReport } from '../protocol/report';
import type { ChatMessage } from './client';

export interface TargetDevice {
  /** "cuda" or "cpu" (the Triton interpreter). */
  type: 'cuda' | 'cpu';
  name: string;
  capability?: string | null;
  smCount?: number | null;
  memoryGb?: number | null;
  peakGbps?: number | null;
}

export interface PromptContext {
  problemSource: string;
  device: TargetDevice;
  inputs?: TensorSpec[];
  targetSpeedup?: number;
}

/** Picks the device description from the backend's environment answer. */
export function targetDevice(env: EnvironmentResult, device: 'cuda' | 'cpu', index = 0): TargetDevice {
  const gpu = env.devices[index];
  if (device === 'cpu' || !gpu) return { type: 'cpu', name: 'CPU (Triton interpreter, TRITON_INTERPRET=1)' };
  return { type: 'cuda', name: gpu.name, capability: gpu.capability, smCount: gpu.sm_count,
    memoryGb: gpu.memory_gb, peakGbps: gpu.peak_gbps };
}

export const TRITON_RULES = [
  'The output must be computed by @triton.jit kernels launched from ModelNew.forward. Allocating outputs '
    + '(torch.empty/empty_like), views/reshapes and computing launch grids in PyTorch is fine; computing the result with '
    + 'torch ops (matmul, sum, softmax, elementwise math, ...) is a "pytorch_fallback" and is rejected.',
  'No fallback paths: no try/except around the computation, no "if the kernel fails use torch" branches.',
  'Launch on the current stream only: no torch.cuda.Stream, no extra streams or graphs.',
  'Do not import, read, or call the reference `Model` (or its forward) in any way.',
  'No hard-coded shapes, sizes or strides: derive everything from the input tensors at run time '
    + '(the verifier also runs other shapes).',
  'Keep the dtype precision of the reference: return the same dtypes and shapes; accumulate in fp32 where the '
    + 'reference would, do not downcast inputs to go faster.',
  'Mask every tl.load/tl.store whose offsets can run past the end (tail blocks); use `other=` for masked loads.',
  'Do not modify the inputs in place.',
  'ModelNew must take the same __init__ arguments as Model and the same forward arguments.',
];

export function systemPrompt(): string {
  return [
    'You are an expert GPU kernel engineer. You rewrite PyTorch reference modules as fast, correct Triton kernels.',
    'You are given a KernelBench-style problem: a `class Model(nn.Module)`, `get_inputs()` and `get_init_inputs()`.',
    'Write `class ModelNew(nn.Module)` with the same interface whose forward computes the same outputs using Triton.',
    '',
    'Rules the verifier enforces (violations are rejected automatically):',
    ...TRITON_RULES.map((r) => `- ${r}`),
    '',
    'Reply format: one short paragraph on the approach, then ONE complete, self-contained Python module in a single '
      + '```python fenced block: the imports (torch, torch.nn, triton, triton.language as tl), the @triton.jit kernels and '
      + '`class ModelNew`. Do not include Model, get_inputs or get_init_inputs, and no test code.',
  ].join('\n');
}

export function describeDevice(d: TargetDevice): string {
  if (d.type === 'cpu')
    return 'Target: the Triton CPU interpreter (no GPU). Only correctness counts here and timings are not meaningful; '
      + 'write the kernel you would write for a modern NVIDIA GPU, but keep block sizes modest (the interpreter is slow).';
  const bits = [`Target GPU: ${d.name}`];
  if (d.capability) bits.push(`compute capability ${d.capability}`);
  if (d.smCount) bits.push(`${d.smCount} SMs`);
  if (d.memoryGb) bits.push(`${Math.round(d.memoryGb)} GB`);
  if (d.peakGbps) bits.push(`peak memory bandwidth ~${Math.round(d.peakGbps)} GB/s`);
  return bits.join(', ') + '.';
}

export function describeInputs(inputs: TensorSpec[] | undefined): string | null {
  if (!inputs?.length) return null;
  const lines = inputs.map((s, i) =>
    `  input ${i}: ${s.shape ? `shape [${s.shape.join(', ')}]` : 'not a tensor'}${s.dtype ? `, ${s.dtype}` : ''}`);
  return ['Inputs from get_inputs() (the verifier also tries other shapes):', ...lines].join('\n');
}

export function initialMessages(ctx: PromptContext): ChatMessage[] {
  const parts = [
    'Problem:', '```python', ctx.problemSource.trimEnd(), '```', '', describeDevice(ctx.device),
  ];
  const inputs = describeInputs(ctx.inputs);
  if (inputs) parts.push(inputs);
  if (ctx.device.type === 'cuda' && ctx.targetSpeedup)
    parts.push(`Goal: at least ${ctx.targetSpeedup}x faster than the PyTorch reference (torch.compile when available), while exactly correct.`);
  parts.push('', 'Write ModelNew.');
  return [{ role: 'system', content: systemPrompt() }, { role: 'user', content: parts.join('\n') }];
}

export interface RepairContext {
  /** The code the report is about (shown with line numbers so diagnostics can be located). */
  code: string;
  report: VerifyReport;
  targetSpeedup?: number;
  /** One line per earlier attempt in this lineage, oldest first. */
  history?: string[];
}

/** The user message that follows a verified candidate: the evidence and what to do about it. */
export function repairPrompt(ctx: RepairContext): string {
  const r = ctx.report;
  const out: string[] = [`The verifier ran your ModelNew. Verdict: ${r.verdict}. ${r.summary}`];
  const diags = r.diagnostics.filter((d) => d.severity !== 'info' || r.verdict !== 'correct');
  if (diags.length) {
    out.push('', 'Diagnostics:');
    for (const d of diags.slice(0, 12)) out.push(`- ${formatDiagnostic(d, ctx.code)}`);
    if (diags.length > 12) out.push(`- … ${diags.length - 12} more`);
  }
  const mismatch = describeMismatches(r);
  if (mismatch.length) out.push('', 'Correctness checks that failed:', ...mismatch);
  for (const f of r.correctness?.flags ?? []) out.push(`- flag ${f.rule}: ${f.message}`);
  const ac = r.anticheat;
  if (ac && (r.verdict === 'rejected' || ac.torch_compute_ops.length)) {
    out.push('', `Triton kernels seen: ${ac.triton_kernels.join(', ') || 'none'} (${ac.triton_launches} launches); `
      + `torch compute ops seen: ${ac.torch_compute_ops.join(', ') || 'none'}`
      + (ac.time_coverage != null ? `; kernels covered ${(ac.time_coverage * 100).toFixed(0)}% of the time` : '') + '.');
  }
  const timing = describeTimings(r);
  if (timing.length) out.push('', ...timing);
  if (ctx.history?.length) out.push('', 'Earlier attempts:', ...ctx.history.map((h) => `- ${h}`));
  out.push('', nextStep(r, ctx.targetSpeedup));
  out.push('Reply with the complete corrected module in one ```python block.');
  return out.join('\n');
}

/** Short text for a reply that had no usable code. */
export function noCodePrompt(): string {
  return 'Your reply did not contain a ```python block defining `class ModelNew`. '
    + 'Reply with the complete module (imports, @triton.jit kernels, class ModelNew) in one ```python block.';
}

function formatDiagnostic(d: Diagnostic, code: string): string {
  const where = d.line > 0 ? `${d.file} line ${d.line}` : d.file;
  let s = `[${d.severity}] ${where} (${d.rule}): ${d.message}`;
  if (d.file === 'candidate' && d.line > 0) {
    const src = code.split('\n')[d.line - 1];
    if (src !== undefined && src.trim()) s += `\n    ${d.line} | ${src.trim()}`;
  }
  return s;
}

function describeMismatches(r: VerifyReport): string[] {
  const lines: string[] = [];
  for (const t of r.correctness?.trials ?? []) {
    if (t.passed || t.flag_only) continue; // NaN/inf handling is a flag, not what to repair
    for (const o of t.outputs) {
      if (o.ok) continue;
      const bits = [`- trial ${t.name}, output ${o.index}${o.shape ? ` shape [${o.shape.join(', ')}]` : ''}${o.dtype ? ` ${o.dtype}` : ''}`];
      if (o.reason) bits.push(o.reason);
      if (o.max_abs_err != null) bits.push(`max abs err ${fmt(o.max_abs_err)}`);
      if (o.max_rel_err != null) bits.push(`max rel err ${fmt(o.max_rel_err)}`);
      if (o.allowed_err != null) bits.push(`allowed ${fmt(o.allowed_err)}`);
      if (o.first_mismatch) bits.push(`first mismatch at [${o.first_mismatch.join(', ')}]: got ${o.candidate_value}, expected ${o.expected_value}`);
      lines.push(bits.join('; '));
      if (lines.length >= 6) return lines;
    }
  }
  return lines;
}

function describeTimings(r: VerifyReport): string[] {
  const t = r.timings;
  if (!t) return [];
  if (!t.meaningful) return [`Timings: ${t.note ?? 'not meaningful on this device'}.`];
  const ms = (s: Stat | null | undefined) => (s ? `${fmt(s.median_ms)} ms` : 'n/a');
  const lines = [`Timings (median): candidate ${ms(t.candidate)}, eager PyTorch ${ms(t.eager)}`
    + (t.inductor ? `, torch.compile ${ms(t.inductor)}` : '') + '.'];
  const sp: string[] = [];
  if (t.speedup_vs_eager != null) sp.push(`${t.speedup_vs_eager.toFixed(2)}x vs eager`);
  if (t.speedup_vs_inductor != null) sp.push(`${t.speedup_vs_inductor.toFixed(2)}x vs torch.compile`);
  if (sp.length) lines.push(`Speedup: ${sp.join(', ')}.`);
  const rf = t.roofline;
  if (rf?.pct_of_roofline != null) {
    const bw = rf.achieved_gbps != null ? `, ${fmt(rf.achieved_gbps)} GB/s achieved` : '';
    lines.push(`Roofline: ${rf.pct_of_roofline.toFixed(0)}% of the device's roofline${bw}.`);
  }
  for (const f of t.flags) lines.push(`Timing flagged (${f.rule}): ${f.message}. Flagged timings do not count.`);
  return lines;
}

function nextStep(r: VerifyReport, target?: number): string {
  switch (r.verdict) {
    case 'correct': {
      const s = effectiveSpeedup(r);
      if (s == null) return 'It is correct. Make it faster if you can without changing the results, keeping every rule.';
      return `It is correct at ${s.toFixed(2)}x${target ? ` (goal ${target}x)` : ''}. Make it faster: better block sizes, `
        + 'fusion, vectorised/coalesced access, fewer launches, autotuning — without breaking correctness or the rules.';
    }
    case 'rejected': return 'It was rejected for breaking a rule above. Fix that while keeping the results correct.';
    case 'compile_error': return 'It did not compile. Fix the error at the line shown.';
    case 'runtime_error': return 'It failed at run time. Fix the cause (often out-of-bounds access, wrong pointer/stride arithmetic, or a bad launch grid).';
    case 'timeout': return 'It did not finish in time: look for an infinite loop, a grid far too large, or a deadlock.';
    default: return 'Its outputs are wrong. Find the bug (indexing, masking, reduction, dtype/accumulation) and fix it.';
  }
}

function fmt(n: number): string {
  if (n === 0) return '0';
  const a = Math.abs(n);
  return a >= 0.01 && a < 1e5 ? String(Number(n.toPrecision(4))) : n.toExponential(2);
}
