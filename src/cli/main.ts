// `tritonize-agent`: the extension's core without VS Code. Generates a Triton ModelNew for a
// KernelBench-style problem with an OpenAI-compatible LLM, verified by the local Python backend.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runAgent, type AgentEvent, type FailureSource } from '../core/agent';
import { assertUsable, BackendClient, BackendError } from '../core/backend';
import { LlmClient, targetDevice } from '../core/llm';
import { effectiveSpeedup, type Run } from '../core/protocol';
import { RunStore } from '../core/store';
import { SELECTION_HELP, selectionCommand } from './selection';

export const EXIT = { ok: 0, noCorrect: 1, usage: 2, llm: 3, cancelled: 130 } as const;

const HELP = `Usage: tritonize-agent generate PROBLEM.py --model MODEL [options]

Generates a Triton ModelNew for a KernelBench-style problem (class Model, get_inputs,
get_init_inputs), verifies every candidate with the local Python backend, repairs it with the
verifier's evidence, and writes the best correct candidate and a JSON report.

Options:
  --model M          model name sent to the API (required)
  --turns N          generate → verify → repair rounds (default 4)
  --candidates K     parallel candidates per round (default 1)
  --target X         stop once a correct candidate is X times faster than PyTorch (default 1;
                     vs torch.compile when measured, else eager; ignored on the CPU interpreter)
  --base-url U       OpenAI-compatible API (default https://api.openai.com/v1)
  --temperature T    sampling temperature (default 0.2)
  --max-tokens N     completion tokens per reply (default 8192)
  --python P         Python with torch and triton (default: $TRITONIZE_PYTHON, ./.venv/bin/python
                     of the extension, else python3)
  --device D         cpu | cuda | auto (default auto: cuda when a GPU is visible)
  --timeout S        per-candidate verification limit in seconds (default 120)
  --out DIR          where best.py and report.json go (default ./tritonize-out)
  --workspace DIR    run history goes to DIR/.tritonize/runs (default: current directory)
  --quiet            no progress on stderr
  -h, --help         this text

The API key is read from OPENAI_API_KEY (never passed to the Python backend).

Exit codes:
  0    a correct candidate was found (best.py written)
  1    no candidate was correct within the budget
  2    usage or environment error (bad arguments, missing file, Python/torch/triton problem,
       broken problem, backend failure)
  3    LLM failure (bad key, unknown model, rate limit/server/network errors after retries)
  130  cancelled (Ctrl-C)
`;

class UsageError extends Error {}

interface Options {
  problem: string; model: string; turns: number; candidates: number; target: number; baseURL: string;
  temperature: number; maxTokens: number; python: string; device: 'cpu' | 'cuda' | 'auto'; timeout: number;
  out: string; workspace: string; quiet: boolean;
}

function parse(argv: string[], env: NodeJS.ProcessEnv, root: string): Options | 'help' {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: {
      model: { type: 'string' }, turns: { type: 'string' }, candidates: { type: 'string' }, target: { type: 'string' },
      'base-url': { type: 'string' }, temperature: { type: 'string' }, 'max-tokens': { type: 'string' },
      python: { type: 'string' }, device: { type: 'string' }, timeout: { type: 'string' }, out: { type: 'string' },
      workspace: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) return 'help';
  const [command, problem, ...extra] = positionals;
  if (command !== 'generate') throw new UsageError(`unknown command "${command}" (expected generate, extract or apply)`);
  if (!problem) throw new UsageError('missing PROBLEM.py');
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
  const venv = join(root, '.venv', 'bin', 'python');
  return {
    problem: resolve(problem), model: values.model, turns: int('turns', values.turns, 4, 1), candidates: int('candidates', values.candidates, 1, 1),
    target: num('target', values.target, 1), baseURL: values['base-url'] ?? 'https://api.openai.com/v1',
    temperature: num('temperature', values.temperature, 0.2), maxTokens: int('max-tokens', values['max-tokens'], 8192, 16),
    python: values.python ?? env.TRITONIZE_PYTHON ?? (existsSync(venv) ? venv : 'python3'), device,
    timeout: num('timeout', values.timeout, 120), out: resolve(values.out ?? 'tritonize-out'),
    workspace: resolve(values.workspace ?? '.'), quiet: values.quiet ?? false,
  };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv[0] === 'suite') return (await import('./suite')).suiteMain(argv.slice(1), env);
  const root = env.TRITONIZE_EXTENSION_ROOT ?? join(__dirname, '..');
  if (argv[0] === 'extract' || argv[0] === 'apply') return selectionCommand(argv, env, root);
  let opts: Options | 'help';
  try {
    opts = parse(argv, env, root);
  } catch (err) {
    process.stderr.write(`tritonize-agent: ${(err as Error).message}\nRun tritonize-agent --help for usage.\n`);
    return EXIT.usage;
  }
  if (opts === 'help') {
    process.stdout.write(HELP + '\n' + SELECTION_HELP);
    return EXIT.ok;
  }
  const o = opts;
  const log = (line: string) => { if (!o.quiet) process.stderr.write(line + '\n'); };
  const fail = (code: number, message: string) => { process.stderr.write(`tritonize-agent: ${message}\n`); return code; };

  let source: string;
  try {
    source = await readFile(o.problem, 'utf8');
  } catch {
    return fail(EXIT.usage, `cannot read ${o.problem}`);
  }
  const apiKey = env.OPENAI_API_KEY ?? '';
  if (!apiKey && /api\.openai\.com/.test(o.baseURL)) return fail(EXIT.usage, 'set OPENAI_API_KEY (the key for --base-url)');

  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(EXIT.cancelled);
    log('cancelling… (Ctrl-C again to quit at once)');
    abort.abort();
  };
  process.on('SIGINT', onSigint);

  let backend: BackendClient | null = null;
  try {
    log(`starting the kernel server with ${o.python}`);
    backend = await BackendClient.start({ python: o.python, extensionRoot: root, workspaceRoot: o.workspace, env,
      onLog: (l) => { if (env.TRITONIZE_DEBUG) process.stderr.write(`[server] ${l}\n`); } });
    const environment = await backend.environment();
    assertUsable(environment);
    const gpu = environment.devices.length > 0 && !environment.interpreter;
    if (o.device === 'cuda' && !gpu) return fail(EXIT.usage, `--device cuda, but ${o.python} sees no CUDA GPU`);
    const device: 'cpu' | 'cuda' = o.device === 'auto' ? (gpu ? 'cuda' : 'cpu') : o.device;
    const target = targetDevice(environment, device);
    log(`device: ${target.name}`);

    const check = await backend.validateProblem(o.problem, { device, timeout: o.timeout, signal: abort.signal });
    if (!check.ok) {
      const line = check.error?.line ? ` (line ${check.error.line})` : '';
      return fail(EXIT.usage, `the problem does not run: ${check.error?.message ?? 'unknown error'}${line}`);
    }

    const llm = new LlmClient({ baseURL: o.baseURL, model: o.model, temperature: o.temperature, maxTokens: o.maxTokens, apiKey });
    const store = new RunStore(o.workspace);
    let failure: { source: FailureSource; message: string } | null = null;
    const stages = new Map<string, string>();
    const onEvent = (e: AgentEvent) => {
      if (e.type === 'failed') failure = { source: e.source, message: e.message };
      else if (e.type === 'log') log(e.message);
      else if (e.type === 'update') {
        for (const c of e.run.candidates) {
          const shown = c.stage === 'done' ? `${c.report?.verdict}: ${c.report?.summary}` : c.stage === 'failed' ? `failed: ${c.error}` : c.stage;
          if (stages.get(c.id) !== shown) { stages.set(c.id, shown); log(`[turn ${c.turn}/${e.run.maxTurns} #${c.index}] ${shown}`); }
        }
      }
    };
    const run = await runAgent(
      { problemName: basename(o.problem, '.py'), problemSource: source, device: target, inputs: check.inputs },
      { maxTurns: o.turns, candidates: o.candidates, targetSpeedup: o.target, device, timeoutS: o.timeout, benchmark: true },
      { llm, verifier: backend, store, onEvent }, abort.signal);

    await writeOutputs(o, run);
    if (run.status === 'cancelled') return fail(EXIT.cancelled, 'cancelled');
    const f = failure as { source: FailureSource; message: string } | null;
    if (run.status === 'failed') return fail(f?.source === 'llm' || !f ? EXIT.llm : EXIT.usage, run.error ?? 'failed');
    const best = run.candidates.find((c) => c.id === run.bestCandidateId);
    if (!best) {
      log(`no correct candidate in ${run.turn} turn(s); report: ${join(o.out, 'report.json')}`);
      return EXIT.noCorrect;
    }
    const s = effectiveSpeedup(best.report);
    log(`best: ${best.id}, ${best.report?.summary}${s != null ? ` (${s.toFixed(2)}x)` : ''}`);
    log(`wrote ${join(o.out, 'best.py')} and ${join(o.out, 'report.json')}`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof BackendError) return fail(err.kind === 'cancelled' ? EXIT.cancelled : EXIT.usage, err.message);
    return fail(EXIT.usage, err instanceof Error ? err.message : String(err));
  } finally {
    process.off('SIGINT', onSigint);
    await backend?.dispose();
  }
}

async function writeOutputs(o: Options, run: Run): Promise<void> {
  await mkdir(o.out, { recursive: true });
  const best = run.candidates.find((c) => c.id === run.bestCandidateId) ?? null;
  if (best?.path) await copyFile(best.path, join(o.out, 'best.py'));
  const report = {
    schema: 1, problem: o.problem, model: o.model, baseURL: o.baseURL, status: run.status, error: run.error,
    runId: run.id, runDir: join(o.workspace, '.tritonize', 'runs', run.id), turns: run.turn, tokens: run.tokens,
    best: best ? { id: best.id, speedup: effectiveSpeedup(best.report), report: best.report } : null,
    candidates: run.candidates.map((c) => ({ id: c.id, turn: c.turn, index: c.index, stage: c.stage, verdict: c.report?.verdict ?? null,
      summary: c.report?.summary ?? null, speedup: effectiveSpeedup(c.report), error: c.error, tokens: c.tokens, path: c.path })),
  };
  await writeFile(join(o.out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    process.stderr.write(`tritonize-agent: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(EXIT.usage);
  });
}
