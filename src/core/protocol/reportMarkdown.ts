// One candidate's verification report as Markdown, for people: the verdict and why, each trial and
// output, the diagnostics with their lines, the anti-cheat evidence, the timings and which clock
// they come from. The raw JSON follows at the end for tools (the try-out of session 10 was handed
// the JSON alone under "Diagnostics / report").
import type { Candidate, Run } from './panel';
import type { VerifyReport } from './report';
import { candidateLabel, reducedSizesText, atReducedSizes } from './view';

const fmt = (x: number | null | undefined, digits = 3): string =>
  x == null ? '—' : Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : x.toFixed(digits).replace(/\.?0+$/, '') || '0';
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function candidateReportMarkdown(run: Run, cand: Candidate): string {
  const r = cand.report as VerifyReport | null;
  const label = candidateLabel(cand, run);
  const out = [`# Candidate ${label} of ${run.problemName}`, ''];
  if (!r) {
    out.push(`No report: ${cand.stage}${cand.error ? ` — ${cand.error}` : ''}.`, '');
    return out.join('\n');
  }
  out.push(`**${r.verdict}** — ${r.summary}`, '');
  if (atReducedSizes(r)) out.push(`Checked at reduced sizes on the CPU (${reducedSizesText(r)}); verify on a GPU for the full sizes.`, '');
  // The device name may say "interpreter" already ("CPU (Triton interpreter)"): not twice.
  if (r.device) {
    const name = r.device.name ?? r.device.type ?? '?';
    out.push(`Device: ${name}${r.device.interpreter && !/interpreter/i.test(name) ? ' (Triton CPU interpreter)' : ''}`, '');
  }

  const diags = r.diagnostics ?? [];
  if (diags.length) {
    out.push('## Diagnostics', '', '| where | rule | message |', '|---|---|---|');
    for (const d of diags) out.push(`| ${d.file}${d.line ? `:${d.line}` : ''} | ${d.rule} | ${cell(d.message)} |`);
    out.push('');
  }

  const trials = r.correctness?.trials ?? [];
  if (trials.length) {
    out.push('## Trials', '', '| trial | output | shape | result | max abs err | max rel err | allowed | first mismatch |', '|---|---|---|---|---|---|---|---|');
    for (const t of trials) {
      for (const o of t.outputs) {
        const where = o.first_mismatch ? `[${o.first_mismatch.join(', ')}]: ${o.candidate_value ?? '?'} vs ${o.expected_value ?? '?'}` : '';
        out.push(`| ${t.name} | ${o.index} | ${o.shape ? `(${o.shape.join(', ')})` : '—'} ${o.dtype ?? ''} | ${o.ok ? 'ok' : `**wrong**${o.n_bad ? ` (${o.n_bad} values)` : ''}`} | `
          + `${fmt(o.max_abs_err)} | ${fmt(o.max_rel_err)} | ${fmt(o.allowed_err)} | ${cell(where || (o.reason ?? ''))} |`);
      }
    }
    const flags = r.correctness?.flags ?? [];
    if (flags.length) out.push('', ...flags.map((f) => `- flag \`${f.rule}\`: ${f.message}`));
    out.push('');
  }

  const a = r.anticheat;
  if (a) {
    out.push('## Evidence', '',
      `- Triton kernels launched: ${a.triton_kernels.length ? a.triton_kernels.map((k) => `\`${k}\``).join(', ') : 'none'} (${a.triton_launches} launches)`,
      `- PyTorch compute ops in the candidate's forward: ${a.torch_compute_ops.length ? a.torch_compute_ops.map((k) => `\`${k}\``).join(', ') : 'none'}`);
    if (a.time_coverage != null) out.push(`- Share of GPU time in Triton kernels: ${(a.time_coverage * 100).toFixed(0)}%`);
    out.push('');
  }

  const t = r.timings;
  if (t) {
    out.push('## Timings', '');
    if (!t.meaningful) out.push(`Not meaningful${t.note ? `: ${t.note}` : ''}.`, '');
    out.push(`Clock: ${t.clock ?? 'event'}${t.clock_source ? ` (${t.clock_source})` : ''}`, '',
      '| | median ms | 95% CI |', '|---|---|---|');
    for (const [name, s] of [['eager', t.eager], ['Inductor', t.inductor], ['candidate', t.candidate]] as const) {
      if (s) out.push(`| ${name} | ${fmt(s.median_ms, 4)} | ${fmt(s.ci95_ms[0], 4)} – ${fmt(s.ci95_ms[1], 4)} |`);
    }
    out.push('', `Speedup vs eager: ${fmt(t.speedup_vs_eager, 2)}; vs Inductor: ${fmt(t.speedup_vs_inductor ?? null, 2)}`);
    for (const f of t.flags) out.push(`- flag \`${f.rule}\`: ${f.message}`);
    out.push('');
  }
  if (r.sandbox) out.push('## Sandbox', '', r.sandbox.summary, '');
  out.push('## Raw report', '', '```json', JSON.stringify(r, null, 2), '```', '');
  return out.join('\n');
}
