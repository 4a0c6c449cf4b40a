// Which names a snippet reads before assigning them (its free variables), which it assigns, and
// how it uses `self`. Works on masked logical lines (see lexer.ts); approximate by design: it only
// has to be right for the straight-line tensor code people select.
import { PY_BUILTINS, PY_KEYWORDS, type LogicalLine } from './lexer';

export interface NameAnalysis {
  /** Read before any assignment in the snippet, in order of first use. */
  free: string[];
  /** Assigned at statement level, in order of (last) assignment. */
  assigned: string[];
  /** `self.x` read as a value. */
  selfAttrs: string[];
  /** `self.f(...)` calls (submodules/methods: cannot be lifted out). */
  selfCalls: string[];
  /** The last statement is a bare expression (its value is the snippet's result). */
  endsWithExpression: boolean;
  hasReturn: boolean;
}

interface Tok { t: string; depth: number }

const TOKEN = /[A-Za-z_]\w*|\d[\w.]*(?:[eE][-+]?\d+)?|\*\*=|\/\/=|>>=|<<=|==|!=|<=|>=|->|:=|[-+*/%&|^@]=|\*\*|\/\/|\S/g;

function tokenize(code: string): Tok[] {
  const toks: Tok[] = [];
  let depth = 0;
  for (const m of code.matchAll(TOKEN)) {
    const t = m[0];
    if ('([{'.includes(t)) { toks.push({ t, depth }); depth++; continue; }
    if (')]}'.includes(t)) { depth = Math.max(0, depth - 1); toks.push({ t, depth }); continue; }
    toks.push({ t, depth });
  }
  return toks;
}

const isIdent = (t: string | undefined) => !!t && /^[A-Za-z_]\w*$/.test(t) && !PY_KEYWORDS.has(t);
const AUG = /^(?:[-+*/%&|^@]|\*\*|\/\/|>>|<<)=$/;

export function analyzeNames(lines: LogicalLine[], known: Set<string> = new Set()): NameAnalysis {
  const assigned = new Set<string>();
  const assignedOrder: string[] = [];
  const free: string[] = [];
  const selfAttrs: string[] = [];
  const selfCalls: string[] = [];
  let endsWithExpression = false;
  let hasReturn = false;

  const assign = (name: string) => {
    assigned.add(name);
    const at = assignedOrder.indexOf(name);
    if (at >= 0) assignedOrder.splice(at, 1);
    assignedOrder.push(name);
  };
  const read = (name: string, locals: Set<string>) => {
    if (assigned.has(name) || locals.has(name) || known.has(name) || PY_BUILTINS.has(name) || free.includes(name)) return;
    free.push(name);
  };

  for (const ll of lines) {
    const toks = tokenize(ll.code);
    if (!toks.length) continue;
    const first = toks[0]!.t;
    // Names local to this line: comprehension and lambda variables.
    const locals = new Set<string>();
    for (let i = 0; i < toks.length; i++) {
      if (toks[i]!.t === 'for' && (toks[i]!.depth > 0 || i > 0)) {
        for (let j = i + 1; j < toks.length && toks[j]!.t !== 'in'; j++) if (isIdent(toks[j]!.t)) locals.add(toks[j]!.t);
      }
      if (toks[i]!.t === 'lambda') {
        for (let j = i + 1; j < toks.length && toks[j]!.t !== ':'; j++) if (isIdent(toks[j]!.t) && toks[j - 1]!.t !== '=') locals.add(toks[j]!.t);
      }
    }
    // Statement-level targets that are not `=` assignments.
    const targets: string[] = [];
    let readFrom = 0;
    if (first === 'for') {
      let j = 1;
      for (; j < toks.length && !(toks[j]!.t === 'in' && toks[j]!.depth === 0); j++) if (isIdent(toks[j]!.t)) targets.push(toks[j]!.t);
      readFrom = j;
    } else if (first === 'def' || first === 'class') {
      if (isIdent(toks[1]?.t)) targets.push(toks[1]!.t);
      // parameters and bases: parameters are locals of the nested def
      for (let j = 2; j < toks.length; j++) if (isIdent(toks[j]!.t) && first === 'def') locals.add(toks[j]!.t);
      readFrom = toks.length;
    } else if (first === 'import' || first === 'from') {
      const asIdx = toks.map((t) => t.t);
      for (let j = 1; j < toks.length; j++) {
        const t = toks[j]!.t;
        if (first === 'from' && j < asIdx.indexOf('import')) continue;
        if (isIdent(t) && toks[j - 1]!.t !== '.' && toks[j + 1]?.t !== '.' && (toks[j + 1]?.t !== 'as')) targets.push(t);
      }
      readFrom = toks.length;
    } else if (['global', 'nonlocal', 'pass', 'break', 'continue'].includes(first)) {
      readFrom = toks.length;
    }
    if (first === 'return') hasReturn = true;
    // `with x as y`, `except E as y`
    for (let j = 1; j < toks.length; j++) if (toks[j - 1]!.t === 'as' && isIdent(toks[j]!.t) && (first === 'with' || first === 'except')) targets.push(toks[j]!.t);

    // `=` assignments: everything before the last depth-0 `=` is a target list.
    let lastEq = -1;
    let aug = -1;
    if (readFrom === 0) {
      for (let j = 0; j < toks.length; j++) {
        if (toks[j]!.depth !== 0) continue;
        if (toks[j]!.t === '=') lastEq = j;
        else if (AUG.test(toks[j]!.t) && aug < 0 && lastEq < 0) aug = j;
      }
    }
    const targetEnd = lastEq >= 0 ? lastEq : aug >= 0 ? aug : -1;
    const skip = new Set<number>(); // token indexes consumed as targets/kwargs/attributes
    if (targetEnd >= 0) {
      let annotated = false;
      for (let j = 0; j < targetEnd; j++) {
        const tk = toks[j]!;
        if (tk.t === ':' && tk.depth === 0) annotated = true; // `x: T = v`: rest is the annotation (read)
        if (annotated || !isIdent(tk.t) || tk.depth !== 0 || toks[j - 1]?.t === '.') continue;
        const next = toks[j + 1]?.t;
        if (next === '[' || next === '.') continue; // x[i] = / x.a = : a read of x
        if (toks[j + 1]?.t === '=' && j + 1 !== lastEq) { /* chained a = b = v */ }
        targets.push(tk.t);
        if (aug < 0 || lastEq >= 0) skip.add(j); // augmented assignment also reads the target
      }
    }
    // Reads, in source order.
    for (let j = readFrom; j < toks.length; j++) {
      if (skip.has(j)) continue;
      const tk = toks[j]!;
      if (tk.t === 'self' && toks[j + 1]?.t === '.' && isIdent(toks[j + 2]?.t)) {
        const attr = toks[j + 2]!.t;
        const list = toks[j + 3]?.t === '(' ? selfCalls : selfAttrs;
        if (!list.includes(attr)) list.push(attr);
        j += 2;
        continue;
      }
      if (!isIdent(tk.t) || toks[j - 1]?.t === '.') continue;
      if (tk.depth > 0 && toks[j + 1]?.t === '=' && (toks[j - 1]?.t === ',' || toks[j - 1]?.t === '(')) continue; // kwarg
      if (targets.includes(tk.t) && first === 'for' && j < readFrom) continue;
      if (tk.t === ':=' ) continue;
      if (toks[j + 1]?.t === ':=') { targets.push(tk.t); continue; }
      read(tk.t, locals);
    }
    for (const t of targets) assign(t);
    const statement = /^(if|elif|else|for|while|with|try|except|finally|def|class|return|raise|assert|del|import|from|pass|break|continue|global|nonlocal|yield)$/.test(first);
    endsWithExpression = !statement && targetEnd < 0 && ll.indent === lines[0]!.indent;
  }
  return { free, assigned: assignedOrder, selfAttrs, selfCalls, endsWithExpression, hasReturn };
}
