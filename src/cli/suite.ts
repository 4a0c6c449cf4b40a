// `tritonize-agent suite PROBLEMS_DIR --model M`: the agent loop over every problem of a directory.
// Each finished problem leaves OUT/results/<name>.json (and OUT/candidates/<name>.py, the best
// correct candidate or the last one tried), so an interrupted suite resumes where it stopped and
// `tritonize suite PROBLEMS_DIR OUT/candidates` re-checks the same files. OUT/summary.json and
// OUT/summary.md carry the same summary as `tritonize suite` (python-backend/tritonize/suite/summary.py).
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runAgent, type AgentEvent, type FailureSource } from '../core/agent';
import { assertUsable, BackendClient, BackendError } from '../core/backend';
import { LlmClient, targetDevice } from '../core/llm';
import type { Run, VerifyReport } from '../core/protocol';
import { RunStore } from '../core/store';

const EXIT = { ok: 0, usage: 2, llm: 3, cancelled: 130 } as const;

export const SUITE_HELP = `Usage: tritonize-agent suite PROBLEMS_DIR --model MODEL [options]

Runs the generate → verify → repair agent on every problem (*.py) of PROBLEMS_DIR and writes,
under --out: results/<name>.json per problem, candidates/<name>.py (best correct candidate, else
the last one tried), summary.json and summary.md (correct rate, fast_1/fast_p vs eager and vs
Inductor, geomean speedups). Problems that already have results/<name>.json are skipped, so an
interrupted suite resumes where it stopped.

Options:
  --model M          model name sent to the API (required)
  --turns N          rounds per problem (default 4)
  --candidates K     parallel candidates per round (default 1)
  --target X         stop a problem once a correct candidate is X times faster (default 1)
  --p P              threshold of fast_p in the summary (default 1.5)
  --base-url U       OpenAI-compatible API (default https://api.openai.com/v1)
  --temperature T    sampling temperature (default 0.2)
  --max-tokens N     completion tokens per reply (default 8192)
  --python P         Python with torch and triton (default: $TRITONIZE_PYTHON, the extension's .venv, else python3)
  --device D         cpu | cuda | auto (default auto)
  --size-scale S     auto | full: on the CPU, check at reduced sizes (default auto) or the problems' sizes
  --timeout S        per-candidate verification limit in seconds (default 120)
  --out DIR          output directory (default ./tritonize-suite)
  --quiet            no progress on stderr

Exit codes: 0 the suite ran (verdicts are data), 2 usage or environment error, 3 LLM failure
(the problem being generated is left unfinished and resumes next time), 130 cancelled.
`;

class UsageError extends Error {}

interface SuiteOptions {
  problems: string; model: string; turns: number; candidates: number; target: number; p: number; baseURL: string;
  temperature: number; maxTokens: number; python: string; device: 'cpu' | 'cuda' | 'auto'; sizeScale: 'auto' | 'full';
  timeout: number; out: string; quiet: boolean;
}

/** One problem's line of the suite: the same fields as `tritonize suite`'s rows. */
export interface SuiteRow {
  name: string; verdict: string; summary: string | null; candidate_ms: number | null; eager_ms: number | null;
  inductor_ms: number | null; speedup_vs_eager: number | null; speedup_vs_inductor: number | null;
  /** The verdict's flags (shape_restricted, lower_precision, ...), as `tritonize suite`'s rows. */
  flags: string[];
  diagnostics: unknown[]; reduced_sizes: unknown; turns: number; candidates: number; tokens: { prompt: number; completion: number };
  run_id: string;
}

function parse(argv: string[], env: NodeJS.ProcessEnv, root: string): SuiteOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: {
      model: { type: 'string' }, turns: { type: 'string' }, candidates: { type: 'string' }, target: { type: 'string' },
      p: { type: 'string' }, 'base-url': { type: 'string' }, temperature: { type: 'string' }, 'max-tokens': { type: 'string' },
      python: { type: 'string' }, device: { type: 'string' }, 'size-scale': { type: 'string' }, timeout: { type: 'string' },
      out: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const [problems, ...extra] = positionals;
  if (!problems) throw new UsageError('missing PROBLEMS_DIR');
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (!values.model) throw new UsageError('--model is required');
  const int = (name: string, v: string | undefined, def: number, min: number) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}`);
    return n;
  };
  const num = (name: string, v: string | undefined, def: number) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number`);
    return n;
  };
  const device = values.device ?? 'auto';
  if (device !== 'cpu' && device !== 'cuda' && device !== 'auto') throw new UsageError('--device must be cpu, cuda or auto');
  const sizeScale = values['size-scale'] ?? 'auto';
  if (sizeScale !== 'auto' && sizeScale !== 'full') throw new UsageError('--size-scale must be auto or full');
  const venv = join(root, '.venv', 'bin', 'python');
  return {
    problems: resolve(problems), model: values.model, turns: int('turns', values.turns, 4, 1),
    candidates: int('candidates', values.candidates, 1, 1), target: num('target', values.target, 1), p: num('p', values.p, 1.5),
    baseURL: values['base-url'] ?? 'https://api.openai.com/v1', temperature: num('temperature', values.temperature, 0.2),
    maxTokens: int('max-tokens', values['max-tokens'], 8192, 16),
    python: values.python ?? env.TRITONIZE_PYTHON ?? (existsSync(venv) ? venv : 'python3'), device, sizeScale,
    timeout: num('timeout', values.timeout, 120), out: resolve(values.out ?? 'tritonize-suite'), quiet: values.quiet ?? false,
  };
}

export function rowFromRun(name: string, run: Run): SuiteRow {
  const best = run.candidates.find((c) => c.id === run.bestCandidateId) ?? null;
  const last = [...run.candidates].reverse().find((c) => c.report) ?? null;
  const report: VerifyReport | null = (best ?? last)?.report ?? null;
  const t = report?.timings ?? null;
  const ms = (s: { median_ms?: number } | null | undefined) => s?.median_ms ?? null;
  const meaningful = !!t && t.meaningful && t.flags.length === 0;
  return {
    name, verdict: report?.verdict ?? (run.status === 'failed' ? 'failed' : 'no_candidate'), summary: report?.summary ?? run.error,
    candidate_ms: ms(t?.candidate), eager_ms: ms(t?.eager), inductor_ms: ms(t?.inductor),
    speedup_vs_eager: meaningful ? t!.speedup_vs_eager ?? null : null, speedup_vs_inductor: meaningful ? t!.speedup_vs_inductor ?? null : null,
    flags: (report?.correctness?.flags ?? []).map((f) => f.rule),
    diagnostics: (report?.diagnostics ?? []).slice(0, 10), reduced_sizes: (report as Record<string, unknown> | null)?.reduced_sizes ?? null,
    turns: run.turn, candidates: run.candidates.length, tokens: run.tokens, run_id: run.id,
  };
}

const geomean = (xs: (number | null)[]) => {
  const v = xs.filter((x): x is number => x != null && x > 0);
  return v.length ? Math.round(Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length) * 1e4) / 1e4 : null;
};

/** Mirrors summarize() in python-backend/tritonize/suite/summary.py. */
export function summarize(rows: SuiteRow[], p: number) {
  const total = rows.length;
  const correct = rows.filter((r) => r.verdict === 'correct');
  const verdicts: Record<string, number> = {};
  for (const r of rows) verdicts[r.verdict] = (verdicts[r.verdict] ?? 0) + 1;
  const timed = correct.some((r) => r.speedup_vs_eager != null || r.speedup_vs_inductor != null);
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  const fast = (key: 'speedup_vs_eager' | 'speedup_vs_inductor', th: number) =>
    timed && total ? round(correct.filter((r) => (r[key] ?? 0) > th).length / total) : null;
  return {
    total, correct: correct.length, correct_rate: total ? round(correct.length / total) : null, verdicts, p, timed,
    fast_1_vs_eager: fast('speedup_vs_eager', 1), fast_p_vs_eager: fast('speedup_vs_eager', p),
    fast_1_vs_inductor: fast('speedup_vs_inductor', 1), fast_p_vs_inductor: fast('speedup_vs_inductor', p),
    geomean_speedup_vs_eager: geomean(correct.map((r) => r.speedup_vs_eager)),
    geomean_speedup_vs_inductor: geomean(correct.map((r) => r.speedup_vs_inductor)),
  };
}

/** Flags shown next to the verdict in the table, as _TABLE_FLAGS in python-backend/tritonize/suite/summary.py. */
const TABLE_FLAGS = ['shape_restricted', 'lower_precision', 'other_sizes_precision'];

export function markdown(rows: SuiteRow[], s: ReturnType<typeof summarize>, title: string): string {
  const f = (x: number | null, d: number, suffix = '') => (x == null ? '—' : `${x.toFixed(d)}${suffix}`);
  const pct = (x: number | null) => (x == null ? '—' : `${Math.round(100 * x)}%`);
  const lines = [`### ${title}`, '', '| Problem | Verdict | Turns | Candidate (ms) | Eager (ms) | Inductor (ms) | vs eager | vs Inductor |',
    '|---|---|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    const shown = (r.flags ?? []).filter((x) => TABLE_FLAGS.includes(x));
    const verdict = shown.length ? `${r.verdict} (${shown.join(', ')})` : r.verdict;
    lines.push(`| ${r.name} | ${verdict} | ${r.turns} | ${f(r.candidate_ms, 4)} | ${f(r.eager_ms, 4)} | ${f(r.inductor_ms, 4)} | ` +
      `${f(r.speedup_vs_eager, 2, 'x')} | ${f(r.speedup_vs_inductor, 2, 'x')} |`);
  }
  lines.push('', `**${s.correct}/${s.total} correct** (${pct(s.correct_rate)}). fast_1 vs eager ${pct(s.fast_1_vs_eager)}, ` +
    `fast_${s.p} vs eager ${pct(s.fast_p_vs_eager)}; fast_1 vs Inductor ${pct(s.fast_1_vs_inductor)}, fast_${s.p} vs Inductor ` +
    `${pct(s.fast_p_vs_inductor)}. Geomean speedup (correct problems) ${f(s.geomean_speedup_vs_eager, 2, 'x')} vs eager, ` +
    `${f(s.geomean_speedup_vs_inductor, 2, 'x')} vs Inductor.`);
  if (!s.timed) lines.push('No meaningful timings (CPU interpreter): fast_p and speedups are not reported.');
  return lines.join('\n') + '\n';
}

/** Written through a temp file and a rename: a result file exists only complete. */
async function writeAtomic(path: string, text: string): Promise<void> {
  await writeFile(path + '.tmp', text);
  await rename(path + '.tmp', path);
}

export async function suiteMain(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const root = env.TRITONIZE_EXTENSION_ROOT ?? join(__dirname, '..');
  let opts: SuiteOptions | 'help';
  try {
    opts = parse(argv, env, root);
  } catch (err) {
    process.stderr.write(`tritonize-agent suite: ${(err as Error).message}\nRun tritonize-agent suite --help for usage.\n`);
    return EXIT.usage;
  }
  if (opts === 'help') { process.stdout.write(SUITE_HELP); return EXIT.ok; }
  const o = opts;
  const log = (line: string) => { if (!o.quiet) process.stderr.write(line + '\n'); };
  const fail = (code: number, message: string) => { process.stderr.write(`tritonize-agent suite: ${message}\n`); return code; };

  let names: string[];
  try {
    names = (await readdir(o.problems)).filter((f) => f.endsWith('.py') && !f.startsWith('_')).sort().map((f) => basename(f, '.py'));
  } catch {
    return fail(EXIT.usage, `cannot read the directory ${o.problems}`);
  }
  if (!names.length) return fail(EXIT.usage, `no problem files (*.py) in ${o.problems}`);
  const apiKey = env.OPENAI_API_KEY ?? '';
  if (!apiKey && /api\.openai\.com/.test(o.baseURL)) return fail(EXIT.usage, 'set OPENAI_API_KEY (the key for --base-url)');
  const dirs = { results: join(o.out, 'results'), candidates: join(o.out, 'candidates') };
  await mkdir(dirs.results, { recursive: true });
  await mkdir(dirs.candidates, { recursive: true });

  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(EXIT.cancelled);
    log('cancelling… the current problem resumes next time (Ctrl-C again to quit at once)');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  let backend: BackendClient | null = null;
  let code: number = EXIT.ok;
  try {
    const todo = names.filter((n) => !existsSync(join(dirs.results, `${n}.json`)));
    if (todo.length < names.length) log(`resuming: ${names.length - todo.length} of ${names.length} problems already finished`);
    if (todo.length) {
      backend = await BackendClient.start({ python: o.python, extensionRoot: root, workspaceRoot: o.out, env,
        onLog: (l) => { if (env.TRITONIZE_DEBUG) process.stderr.write(`[server] ${l}\n`); } });
      const environment = await backend.environment();
      assertUsable(environment);
      const gpu = environment.devices.length > 0 && !environment.interpreter;
      if (o.device === 'cuda' && !gpu) return fail(EXIT.usage, `--device cuda, but ${o.python} sees no CUDA GPU`);
      const device: 'cpu' | 'cuda' = o.device === 'auto' ? (gpu ? 'cuda' : 'cpu') : o.device;
      const target = targetDevice(environment, device);
      const llm = new LlmClient({ baseURL: o.baseURL, model: o.model, temperature: o.temperature, maxTokens: o.maxTokens, apiKey });
      const store = new RunStore(o.out);
      const verifyOptions = device === 'cpu' && o.sizeScale === 'auto' ? { size_scale: 'auto' } : undefined;
      for (const [i, name] of todo.entries()) {
        if (abort.signal.aborted) break;
        const path = join(o.problems, `${name}.py`);
        log(`[${names.length - todo.length + i + 1}/${names.length}] ${name}`);
        const source = await readFile(path, 'utf8');
        const check = await backend.validateProblem(path, { device, timeout: o.timeout, signal: abort.signal });
        let run: Run | null = null;
        let failure: { source: FailureSource; message: string } | null = null;
        if (check.ok) {
          const onEvent = (e: AgentEvent) => { if (e.type === 'failed') failure = { source: e.source, message: e.message }; };
          run = await runAgent({ problemName: name, problemSource: source, device: target, inputs: check.inputs },
            { maxTurns: o.turns, candidates: o.candidates, targetSpeedup: o.target, device, timeoutS: o.timeout, benchmark: true, verifyOptions },
            { llm, verifier: backend, store, onEvent }, abort.signal);
          if (run.status === 'cancelled') break;
          const f = failure as { source: FailureSource; message: string } | null;
          if (run.status === 'failed' && (f?.source ?? 'llm') === 'llm') {
            code = EXIT.llm;
            log(`LLM failure on ${name}: ${run.error}; stopping (this problem resumes next time)`);
            break;
          }
        }
        const row: SuiteRow = run ? rowFromRun(name, run) : {
          name, verdict: 'problem_error', summary: `the problem does not run: ${check.error?.message ?? 'unknown error'}`,
          candidate_ms: null, eager_ms: null, inductor_ms: null, speedup_vs_eager: null, speedup_vs_inductor: null,
          flags: [],
          diagnostics: [], reduced_sizes: null, turns: 0, candidates: 0, tokens: { prompt: 0, completion: 0 }, run_id: '' };
        const pick = run ? (run.candidates.find((c) => c.id === run!.bestCandidateId) ?? [...run.candidates].reverse().find((c) => c.path)) : null;
        if (pick?.path) await copyFile(pick.path, join(dirs.candidates, `${name}.py`));
        await writeAtomic(join(dirs.results, `${name}.json`), JSON.stringify(row, null, 2) + '\n');
        log(`  ${row.verdict}: ${row.summary ?? ''}`);
      }
    }
    // The summary covers every finished problem, this session's and earlier ones'.
    const rows: SuiteRow[] = [];
    for (const n of names) {
      const p = join(dirs.results, `${n}.json`);
      if (existsSync(p)) rows.push(JSON.parse(await readFile(p, 'utf8')) as SuiteRow);
    }
    const summary = { ...summarize(rows, o.p), problems: names.length, finished: rows.length };
    await writeAtomic(join(o.out, 'summary.json'), JSON.stringify({ schema: 1, problems_dir: o.problems, model: o.model, rows, summary }, null, 2) + '\n');
    const md = markdown(rows, summary, `${basename(o.problems)} — ${o.model}` + (rows.length < names.length ? ` (${rows.length}/${names.length} finished)` : ''));
    await writeAtomic(join(o.out, 'summary.md'), md);
    if (!o.quiet) process.stderr.write(md);
    if (abort.signal.aborted) return fail(EXIT.cancelled, `cancelled; ${rows.length}/${names.length} problems finished, run again to resume`);
    return code;
  } catch (err) {
    if (err instanceof BackendError) return fail(err.kind === 'cancelled' ? EXIT.cancelled : EXIT.usage, err.message);
    return fail(EXIT.usage, err instanceof Error ? err.message : String(err));
  } finally {
    process.off('SIGINT', onSigint);
    await backend?.dispose();
  }
}
