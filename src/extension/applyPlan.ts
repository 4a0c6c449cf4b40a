// Pure text planning for "Apply": how a verified candidate (a KernelBench `ModelNew` module) becomes
// code in the user's project. No vscode import, so it is easy to reason about and test.
//
// The candidate keeps its own module-level code (kernels, helpers); its `ModelNew` is renamed to a
// private class, and a small function with the selection's inputs as parameters wraps it, so the
// selection can be replaced by a plain call:
//     z = torch.relu(x) + y      →      z = tritonize_relu_add(x, y)

/**
 * How the selection is replaced, by what it was (core's problem builder kinds):
 * - `snippet`: lines or an expression → a call with the same inputs (and the same assignments);
 * - `function`: a whole `def` → the same signature whose body calls the kernel;
 * - `module`: an nn.Module class → the class name bound to the Triton class (ModelNew keeps
 *   Model's constructor signature, the KernelBench convention).
 */
export interface CallSpec {
  kind: 'snippet' | 'function' | 'module';
  /** Name for the wrapper function, a Python identifier (e.g. `tritonize_relu_add`). */
  functionName: string;
  /** forward()'s arguments, in order (names in scope at the call site). */
  args: string[];
  /** Constructor arguments of ModelNew (scalars from get_init_inputs), names in scope at the call site. */
  initNames: string[];
  /** Names the selection assigned (statement selection), or empty for an expression selection. */
  assigns: string[];
  /** `function`: the original decorators + `def …:` header lines. */
  defHeader?: string;
  /** `module`: the user's class name. */
  className?: string;
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

function pascal(fn: string): string {
  return '_' + fn.split('_').filter(Boolean).map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
}

/** The Triton class's name in the user's project. */
export function tritonClassName(spec: CallSpec): string {
  return spec.kind === 'module' && spec.className ? `_Tritonize${spec.className}` : pascal(spec.functionName);
}

/** Kernel code + (for snippet/function) a wrapper function, without imports. */
export function kernelBlock(c: Candidate, spec: CallSpec): { imports: string[]; block: string } {
  const { imports, body } = splitImports(c.code);
  const cls = tritonClassName(spec);
  const renamed = body.replace(/\bModelNew\b/g, cls);
  const lines = [
    `# --- Tritonize: run ${c.runId}, candidate ${c.candidateId} (${c.summary.replace(/\n/g, ' ')}) ---`,
    renamed.replace(/\s+$/, ''),
  ];
  if (spec.kind !== 'module') {
    const params = [...spec.args, ...spec.initNames].join(', ');
    const call = spec.args.join(', ');
    lines.push('', '');
    if (spec.initNames.length) {
      // Constructor arguments come from the call site, so the module is built per call.
      lines.push(`def ${spec.functionName}(${params}):`, `    """Triton replacement generated and verified by Tritonize."""`,
        `    return ${cls}(${spec.initNames.join(', ')})(${call})`);
    } else {
      const instance = `_${spec.functionName}_module`;
      lines.push(`${instance} = None`, '', '', `def ${spec.functionName}(${params}):`, `    """Triton replacement generated and verified by Tritonize."""`,
        `    global ${instance}`, `    if ${instance} is None:`, `        ${instance} = ${cls}()`, `    return ${instance}(${call})`);
    }
  }
  lines.push('# --- end Tritonize ---', '');
  return { imports, block: lines.join('\n') };
}

/** The name a file that uses the kernel must import from a new module. */
export function importedName(spec: CallSpec): string {
  return spec.kind === 'module' ? tritonClassName(spec) : spec.functionName;
}

/** The text replacing the selection. `indent` is the selection's first line's indentation. */
export function callText(spec: CallSpec, indent = ''): string {
  const call = `${spec.functionName}(${[...spec.args, ...spec.initNames].join(', ')})`;
  if (spec.kind === 'module') return `${spec.className} = ${tritonClassName(spec)}\n`;
  if (spec.kind === 'function') {
    const header = (spec.defHeader ?? '').replace(/\s+$/, '');
    const bodyIndent = (/^(\s*)(?:async\s+)?def\b/m.exec(header)?.[1] ?? indent) + '    ';
    return `${header}\n${bodyIndent}return ${call}\n`;
  }
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
