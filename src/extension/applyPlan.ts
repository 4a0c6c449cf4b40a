// Pure text planning for "Apply": how a verified candidate (a KernelBench `ModelNew` module) becomes
// code in the user's project. No vscode import, so it is easy to reason about and test.
//
// The candidate keeps its own module-level code (kernels, helpers); its `ModelNew` is renamed to a
// private class, and a small function with the selection's inputs as parameters wraps it, so the
// selection can be replaced by a plain call:
//     z = torch.relu(x) + y      →      z = tritonize_relu_add(x, y)

export interface CallSpec {
  /** Name for the wrapper function, a Python identifier (e.g. `tritonize_relu_add`). */
  functionName: string;
  /** Free variables of the selection, in the order the problem's forward() takes them. */
  args: string[];
  /** Names the selection assigned (statement selection), or empty for an expression selection. */
  assigns: string[];
  /** Keyword-free literal source for ModelNew's constructor arguments (from get_init_inputs), usually "". */
  initArgs: string;
}

export interface Candidate {
  code: string;
  runId: string;
  candidateId: string;
  summary: string;
}

const IMPORT_LINE = /^(?:import\s+[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*|from\s+[\w.]+\s+import\s+[^(\\]+)\s*(?:#.*)?$/;

/** Splits top-level single-line imports (kept for dedup) from the rest of the module. */
export function splitImports(code: string): { imports: string[]; body: string } {
  const imports: string[] = [];
  const body: string[] = [];
  let inBody = false;
  for (const line of code.replace(/\r\n/g, '\n').split('\n')) {
    if (!inBody && IMPORT_LINE.test(line)) imports.push(line.trim());
    else if (!inBody && (line.trim() === '' || line.trim().startsWith('#'))) continue; // header comments/blank lines
    else {
      inBody = true;
      body.push(line);
    }
  }
  return { imports, body: body.join('\n').replace(/\s+$/, '') + '\n' };
}

function className(fn: string): string {
  return '_' + fn.split('_').filter(Boolean).map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
}

/** Kernel code + wrapper function, without imports. */
export function kernelBlock(c: Candidate, spec: CallSpec): { imports: string[]; block: string } {
  const { imports, body } = splitImports(c.code);
  const cls = className(spec.functionName);
  const renamed = body.replace(/\bModelNew\b/g, cls);
  const params = spec.args.join(', ');
  const instance = `_${spec.functionName}_module`;
  const block = [
    `# --- Tritonize: run ${c.runId}, candidate ${c.candidateId} (${c.summary.replace(/\n/g, ' ')}) ---`,
    renamed.replace(/\s+$/, ''),
    '',
    '',
    `${instance} = None`,
    '',
    '',
    `def ${spec.functionName}(${params}):`,
    `    """Triton replacement generated and verified by Tritonize."""`,
    `    global ${instance}`,
    `    if ${instance} is None:`,
    `        ${instance} = ${cls}(${spec.initArgs})`,
    `    return ${instance}(${params})`,
    `# --- end Tritonize ---`,
    '',
  ].join('\n');
  return { imports, block };
}

/** The text replacing the selection: a call, assigned to the same names when the selection assigned. */
export function callText(spec: CallSpec): string {
  const call = `${spec.functionName}(${spec.args.join(', ')})`;
  return spec.assigns.length ? `${spec.assigns.join(', ')} = ${call}` : call;
}

/** Imports from `wanted` that the file does not already have (line-exact match, trimmed). */
export function missingImports(fileText: string, wanted: string[]): string[] {
  const have = new Set(fileText.split('\n').map((l) => l.trim()));
  return [...new Set(wanted)].filter((w) => !have.has(w));
}

/**
 * 0-based line after which new top-level code goes: after the module docstring, `__future__`
 * imports and the leading import block; 0 means "at the very top".
 */
export function insertionLine(fileText: string): number {
  const lines = fileText.split('\n');
  let after = 0;
  let i = 0;
  // module docstring
  const doc = /^\s*[rRuU]?("""|\'\'\')/.exec(lines[0] ?? '');
  if (doc) {
    const q = doc[1]!;
    const rest = lines[0]!.slice(lines[0]!.indexOf(q) + 3);
    i = 1;
    if (!rest.includes(q)) {
      while (i < lines.length && !lines[i]!.includes(q)) i++;
      i++;
    }
    after = i;
  }
  for (; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() === '' || l.trim().startsWith('#')) continue;
    if (IMPORT_LINE.test(l)) after = i + 1;
    else break;
  }
  return after;
}

/** A module name for the new file next to `stem.py`: `stem_triton`. */
export function siblingModuleName(fileStem: string): string {
  const clean = fileStem.replace(/[^\w]/g, '_');
  return /^\d/.test(clean) ? `_${clean}_triton` : `${clean}_triton`;
}

/** A Python identifier for the wrapper from the problem name ("relu add" → tritonize_relu_add). */
export function functionNameFor(problemName: string): string {
  const base = problemName.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
  return `tritonize_${base || 'kernel'}`;
}
