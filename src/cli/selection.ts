// `tritonize-agent extract|apply`: the selection → problem and Apply requests of the kernel server,
// headless. Lines and columns are 1-based, the end column exclusive; `--lines A-B` selects whole lines.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BackendClient, BackendError } from '../core/backend';
import { applyTextEdits, type LspRange } from '../core/protocol';

export const SELECTION_HELP = `Usage:
  tritonize-agent extract FILE (--range L1:C1-L2:C2 | --lines A-B) [--out PROBLEM.py] [options]
  tritonize-agent apply FILE (--range L1:C1-L2:C2 | --lines A-B) --candidate CANDIDATE.py
                  [--placement same-file|module] [--dry-run] [options]

extract writes the selection as a KernelBench problem (stdout without --out). Input shapes and
dtypes are recorded by running the file's __main__ block (or its test functions, or --entry) once;
without an entry point they are guessed and marked GUESSED.
apply replaces the selection by a call to CANDIDATE.py's ModelNew (same signature as the problem's
Model), after checking that the edited file parses and that the new code gives the original's
results on the recorded inputs; --dry-run prints the unified diff instead of writing.

Options:
  --entry CMD        what runs the selected code: "script.py args", "-m module args" or test names
  --no-record        run nothing; guess shapes (apply then needs --confirm-shapes)
  --confirm-shapes   apply: accept guessed shapes
  --inference-only   apply: the code never needs gradients here (inputs that require grad are then accepted;
                     the kernel has no backward)
  --exact-sizes      apply: the candidate declined other sizes (verify flag shape_restricted); the applied
                     code checks every input's shape
  --timeout S        limit for recording and for the behaviour check (default 120)
  --python P         Python with torch and triton (default: $TRITONIZE_PYTHON, ./.venv/bin/python, python3)
  --json             print the server's answer as JSON

Exit codes: 0 done; 2 the selection cannot be extracted or applied (one line on stderr), or usage.
`;

class UsageError extends Error {}

/** Column `col` (0-based, in characters = code points, as the CLI documents) of `line` → UTF-16 code
 * units, the unit of LSP positions; past the end of the line counts one unit per column. */
export function codePointsToUtf16(line: string, col: number): number {
  const chars = [...line];
  return chars.slice(0, col).join('').length + Math.max(0, col - chars.length);
}

/** 1-based inclusive-start / exclusive-end columns (characters) → an LSP range (0-based, UTF-16). */
export function parseRange(text: string, range: string | undefined, lines: string | undefined): LspRange {
  const fileLines = text.replace(/\r\n/g, '\n').split('\n');
  if (range !== undefined) {
    const m = /^(\d+):(\d+)-(\d+):(\d+)$/.exec(range.trim());
    if (!m) throw new UsageError(`--range must look like L1:C1-L2:C2 (got "${range}")`);
    const [l1, c1, l2, c2] = m.slice(1).map(Number) as [number, number, number, number];
    if (l1 < 1 || c1 < 1 || l2 < l1 || c2 < 1 || (l1 === l2 && c2 < c1)) throw new UsageError(`--range ${range} is empty or reversed`);
    if (l2 > fileLines.length) throw new UsageError(`--range ${range} is outside the file (${fileLines.length} lines)`);
    return { start: { line: l1 - 1, character: codePointsToUtf16(fileLines[l1 - 1] ?? '', c1 - 1) },
      end: { line: l2 - 1, character: codePointsToUtf16(fileLines[l2 - 1] ?? '', c2 - 1) } };
  }
  if (lines !== undefined) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(lines.trim());
    if (!m) throw new UsageError(`--lines must look like A-B (got "${lines}")`);
    const a = Number(m[1]);
    const b = Number(m[2] ?? m[1]);
    if (a < 1 || b < a || b > fileLines.length) throw new UsageError(`--lines ${lines} is outside the file (1-${fileLines.length})`);
    return { start: { line: a - 1, character: 0 }, end: { line: b - 1, character: fileLines[b - 1]!.length } };
  }
  throw new UsageError('give --range L1:C1-L2:C2 or --lines A-B');
}

export async function selectionCommand(argv: string[], env: NodeJS.ProcessEnv, root: string): Promise<number> {
  const fail = (message: string) => { process.stderr.write(`tritonize-agent: ${message.split('\n')[0]}\n`); return 2; };
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        range: { type: 'string' }, lines: { type: 'string' }, out: { type: 'string' }, candidate: { type: 'string' },
        placement: { type: 'string' }, 'dry-run': { type: 'boolean' }, entry: { type: 'string' }, 'no-record': { type: 'boolean' },
        'confirm-shapes': { type: 'boolean' }, 'inference-only': { type: 'boolean' }, 'exact-sizes': { type: 'boolean' }, timeout: { type: 'string' }, python: { type: 'string' }, json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return fail(`${(err as Error).message} (see tritonize-agent ${argv[0] ?? ''} --help)`);
  }
  const [command, file, ...extra] = positionals;
  if (values.help) {
    process.stdout.write(SELECTION_HELP);
    return 0;
  }
  if (!file) return fail(`missing FILE (tritonize-agent ${command} FILE --range L1:C1-L2:C2)`);
  if (extra.length) return fail(`unexpected argument "${extra[0]}"`);
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return fail(`cannot read ${path}`);
  }
  let range: LspRange;
  const placement = (values.placement as string | undefined) ?? 'same-file';
  const timeout = values.timeout !== undefined ? Number(values.timeout) : undefined;
  try {
    range = parseRange(text, values.range as string | undefined, values.lines as string | undefined);
    if (command === 'apply' && !values.candidate) throw new UsageError('apply needs --candidate CANDIDATE.py');
    if (placement !== 'same-file' && placement !== 'module') throw new UsageError('--placement must be same-file or module');
    if (timeout !== undefined && !(timeout > 0)) throw new UsageError('--timeout must be a positive number of seconds');
  } catch (err) {
    return fail((err as Error).message);
  }
  const venv = join(root, '.venv', 'bin', 'python');
  const python = (values.python as string | undefined) ?? env.TRITONIZE_PYTHON ?? (existsSync(venv) ? venv : 'python3');
  let backend: BackendClient | null = null;
  try {
    backend = await BackendClient.start({ python, extensionRoot: root, workspaceRoot: process.cwd(), env, poolSize: 0,
      onLog: (l) => { if (env.TRITONIZE_DEBUG) process.stderr.write(`[server] ${l}\n`); } });
    const common = { path, text, range, entry: values.entry as string | undefined, record: !values['no-record'], timeout };
    if (command === 'extract') {
      const ext = await backend.extract(common);
      if (values.out) await writeFile(resolve(values.out as string), ext.problem);
      if (values.json) process.stdout.write(JSON.stringify(ext) + '\n');
      else if (!values.out) process.stdout.write(ext.problem);
      if (ext.guessed.length) process.stderr.write(`tritonize-agent: guessed shapes for ${ext.guessed.join(', ')} (marked GUESSED); confirm them\n`);
      for (const w of ext.warnings) process.stderr.write(`tritonize-agent: note: ${w}\n`);
      return 0;
    }
    let candidateCode: string;
    try {
      candidateCode = await readFile(resolve(values.candidate as string), 'utf8');
    } catch {
      return fail(`cannot read ${resolve(values.candidate as string)}`);
    }
    const res = await backend.apply({ ...common, candidateCode, placement: placement as 'same-file' | 'module',
      confirmShapes: Boolean(values['confirm-shapes'] || values['no-record']), inferenceOnly: Boolean(values['inference-only']),
      exactSizes: Boolean(values['exact-sizes']) });
    if (values['dry-run']) process.stdout.write(res.diff);
    else {
      await writeFile(path, applyTextEdits(text, res.edits));
      if (res.module) await writeFile(res.module.path, res.module.text, { flag: 'wx' });
    }
    if (values.json) process.stdout.write(JSON.stringify(res) + '\n');
    return 0;
  } catch (err) {
    return fail(err instanceof BackendError || err instanceof Error ? err.message : String(err));
  } finally {
    await backend?.dispose();
  }
}
