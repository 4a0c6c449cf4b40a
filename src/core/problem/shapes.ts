// Input shapes and dtypes from what people write near their code: comments like
// `# x: [4096, 4096] float16`, docstrings, `x = torch.randn(...)` calls, call sites, constants.

export type Dim = number | string;

export interface TensorHint {
  kind: 'tensor';
  shape: Dim[];
  dtype: string | null;
  /** Where it came from, for the TODO note when it is incomplete. */
  source: string;
}

export interface ScalarHint {
  kind: 'scalar';
  /** Python literal. */
  value: string;
  source: string;
}

export type Hint = TensorHint | ScalarHint;

const DTYPES: Record<string, string> = {
  float16: 'float16', half: 'float16', fp16: 'float16', f16: 'float16',
  bfloat16: 'bfloat16', bf16: 'bfloat16',
  float32: 'float32', float: 'float32', fp32: 'float32', f32: 'float32',
  float64: 'float64', double: 'float64', fp64: 'float64',
  int8: 'int8', uint8: 'uint8', int16: 'int16', short: 'int16', int32: 'int32', int: 'int32', int64: 'int64', long: 'int64',
  bool: 'bool',
  float8_e4m3fn: 'float8_e4m3fn', float8_e5m2: 'float8_e5m2',
};

export function normaliseDtype(word: string | undefined | null): string | null {
  if (!word) return null;
  const w = word.replace(/^torch\./, '').toLowerCase();
  return DTYPES[w] ?? null;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Splits at top-level commas. */
export function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function parseDims(text: string): Dim[] | null {
  const parts = splitTopLevel(text.replace(/^[[(]|[\])]$/g, ''));
  if (!parts.length) return null;
  const dims: Dim[] = [];
  for (const p of parts) {
    if (/^\d+$/.test(p)) dims.push(Number(p));
    else if (/^[A-Za-z_]\w*$/.test(p) && !normaliseDtype(p) && !/^(Tensor|int|float|bool|str|Any|Optional)$/.test(p)) dims.push(p);
    else if (/^[\w\s*+\-/]+$/.test(p) && /[A-Za-z_\d]/.test(p)) dims.push(p.replace(/\s+/g, ''));
    else return null;
  }
  return dims;
}

/** `# x: [4096, 4096] float16`, `x (Tensor): (B, N) fp16`, `x: shape [M, K], dtype=torch.bfloat16`. */
export function hintFromText(name: string, text: string): TensorHint | null {
  const re = new RegExp(`(?:^|[\\s#,(])${esc(name)}\\s*(?:\\([^)]*\\))?\\s*:\\s*(?:(?:torch\\.)?Tensor\\s*,?\\s*)?(?:shape\\s*=?\\s*)?`
    + `([[(][^\\])\\n]*[\\])])\\s*,?\\s*(?:dtype\\s*=?\\s*)?((?:torch\\.)?\\w+)?`, 'm');
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const shape = parseDims(m[1]!);
    if (!shape) continue;
    return { kind: 'tensor', shape, dtype: normaliseDtype(m[2]), source: 'comment' };
  }
  return null;
}

/** A comment on the line that declares `name` (a parameter line or an assignment) giving a shape. */
export function hintFromDeclarationComment(name: string, lines: string[]): TensorHint | null {
  const decl = new RegExp(`^\\s*(?:def\\s+\\w+\\s*\\()?.*\\b${esc(name)}\\b\\s*(?::[^#=]*)?[,=)]?[^#]*#\\s*(?:shape\\s*)?([[(][^\\])]*[\\])])\\s*,?\\s*((?:torch\\.)?\\w+)?`);
  for (const line of lines) {
    const m = decl.exec(line);
    if (!m) continue;
    const shape = parseDims(m[1]!);
    if (shape) return { kind: 'tensor', shape, dtype: normaliseDtype(m[2]), source: 'comment' };
  }
  return null;
}

const CREATORS = /torch\.(randn|rand|zeros|ones|empty|full|randint|arange|normal)\s*\(/;

/** Shape and dtype of a `torch.randn(4096, 4096, dtype=torch.float16)`-style expression. */
export function hintFromCreation(expr: string): TensorHint | null {
  const m = CREATORS.exec(expr);
  if (!m) return null;
  const open = m.index + m[0].length;
  let depth = 1;
  let end = open;
  for (; end < expr.length && depth > 0; end++) {
    if ('([{'.includes(expr[end]!)) depth++;
    else if (')]}'.includes(expr[end]!)) depth--;
  }
  const args = splitTopLevel(expr.slice(open, end - 1));
  const pos = args.filter((a) => !/^\w+\s*=/.test(a));
  const kw = Object.fromEntries(args.filter((a) => /^\w+\s*=/.test(a)).map((a) => {
    const i = a.indexOf('=');
    return [a.slice(0, i).trim(), a.slice(i + 1).trim()];
  }));
  let dims: Dim[] | null = null;
  const fn = m[1]!;
  const sizeArgs = fn === 'randint' ? pos.slice(pos.length >= 3 ? 2 : 1) : fn === 'full' ? pos.slice(0, 1) : pos;
  const size = kw.size ?? (sizeArgs.length === 1 && /^[[(]/.test(sizeArgs[0]!) ? sizeArgs[0] : null);
  if (fn === 'arange') dims = pos.length === 1 ? parseDims(pos[0]!) : null;
  else if (size) dims = parseDims(size);
  else if (sizeArgs.length) dims = parseDims(sizeArgs.join(','));
  if (!dims) return null;
  let dtype = normaliseDtype(kw.dtype);
  if (!dtype && (fn === 'randint' || fn === 'arange')) dtype = 'int64';
  return { kind: 'tensor', shape: dims, dtype, source: 'creation' };
}

/** `name = torch.randn(...)` anywhere in `text`. */
export function hintFromAssignment(name: string, text: string): TensorHint | null {
  const re = new RegExp(`^\\s*${esc(name)}\\s*(?::[^=]+)?=\\s*(.*torch\\.\\w+\\s*\\(.*)$`, 'gm');
  for (const m of text.matchAll(re)) {
    const h = hintFromCreation(m[1]!);
    if (h) return h;
  }
  return null;
}

/** Integer constants (`B = 16`, `N: int = 4096`, `M, K = 128, 256`) defined anywhere in `text`. */
export function integerConstants(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^\s*([A-Za-z_]\w*)\s*(?::\s*int\s*)?=\s*(\d[\d_]*)\s*(?:#.*)?$/gm)) {
    if (!out.has(m[1]!)) out.set(m[1]!, Number(m[2]!.replace(/_/g, '')));
  }
  // Lower priority: integer parameter defaults (`hidden: int = 1024` in a signature).
  for (const m of text.matchAll(/[(,]\s*([A-Za-z_]\w*)\s*(?::\s*int\s*)?=\s*(\d+)\s*(?=[,)])/g)) {
    if (!out.has(m[1]!) && /\bdef\b/.test(lineAt(text, m.index!))) out.set(m[1]!, Number(m[2]!));
  }
  for (const m of text.matchAll(/^\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)+)\s*=\s*(\d+(?:\s*,\s*\d+)+)\s*$/gm)) {
    const names = m[1]!.split(',').map((s) => s.trim());
    const vals = m[2]!.split(',').map((s) => Number(s.trim()));
    if (names.length === vals.length) names.forEach((n, i) => { if (!out.has(n)) out.set(n, vals[i]!); });
  }
  return out;
}

function lineAt(text: string, index: number): string {
  return text.slice(text.lastIndexOf('\n', index) + 1, text.indexOf('\n', index) >>> 0);
}

/** Replaces symbolic dims with known constants; returns the names left unresolved. */
export function resolveDims(shape: Dim[], consts: Map<string, number>): { shape: Dim[]; unresolved: string[] } {
  const unresolved: string[] = [];
  const out = shape.map((d) => {
    if (typeof d === 'number') return d;
    if (consts.has(d)) return consts.get(d)!;
    if (/^[\w*+\-/]+$/.test(d)) {
      const names = d.match(/[A-Za-z_]\w*/g) ?? [];
      if (names.every((n) => consts.has(n))) {
        const expr = d.replace(/[A-Za-z_]\w*/g, (n) => String(consts.get(n)));
        if (/^[\d*+\-/]+$/.test(expr)) {
          const v = Function(`"use strict"; return (${expr.replace(/\/\//g, '/')});`)() as number;
          if (Number.isFinite(v)) return Math.floor(v);
        }
      }
    }
    unresolved.push(d);
    return d;
  });
  return { shape: out, unresolved };
}

/** Python for one input tensor. */
export function renderTensor(shape: Dim[], dtype: string | null): string {
  const dims = shape.map(String).join(', ') + (shape.length === 1 ? ',' : '');
  const dt = dtype && dtype !== 'float32' ? `, dtype=torch.${dtype}` : '';
  if (dtype === 'bool') return `torch.rand(${dims.replace(/,$/, '')}) > 0.5`;
  if (dtype && /int/.test(dtype)) return `torch.randint(0, 16, (${dims})${dt})`;
  return `torch.randn(${shape.map(String).join(', ')}${dt})`;
}

/** A scalar from a Python literal (default values, keyword arguments). */
export function scalarLiteral(text: string | undefined): string | null {
  if (text === undefined) return null;
  const t = text.trim();
  if (/^-?(\d[\d_]*\.?\d*(e[-+]?\d+)?|\.\d+)$/i.test(t) || /^(True|False|None)$/.test(t) || /^(['"]).*\1$/.test(t)) return t;
  return null;
}
