// Selection → self-contained KernelBench problem (`class Model`, `get_inputs`, `get_init_inputs`).
// Four shapes of selection: a problem already, an nn.Module class, a function, or some lines of a
// function. Pure text logic; the backend's validateProblem is the real check afterwards.
import { callArguments, parseParams, PyDocument, signatureOf, type Param, type TopLevelItem } from './document';
import { ProblemError } from './errors';
import { checkBrackets, dedent, indentBlock, logicalLines, mask, type LogicalLine } from './lexer';
import { analyzeNames } from './names';
import {
  hintFromAssignment, hintFromCreation, hintFromDeclarationComment, hintFromText, integerConstants, renderTensor,
  resolveDims, scalarLiteral, type Hint,
} from './shapes';

export interface SelectionInput {
  /** The selected text. */
  selection: string;
  /** The whole file, for context (imports, helpers, shape hints). */
  document?: string;
  /** 0-based line of the selection's first line in `document`. */
  startLine?: number;
  fileName?: string;
}

export type ProblemKind = 'problem' | 'module' | 'function' | 'snippet';

export interface BuiltProblem {
  kind: ProblemKind;
  source: string;
  /** Suggested name (the class or function, or the enclosing function for lines). */
  name: string;
  /** Some input could not be inferred: the source has `# TODO: set …` placeholders to fill. */
  needsInput: boolean;
  /** One line per placeholder, for the UI. */
  todos: string[];
  /** Names of forward()'s arguments, in order. */
  forwardArgs: string[];
}

const STD_ALIASES: Record<string, string> = {
  torch: 'import torch',
  nn: 'import torch.nn as nn',
  F: 'import torch.nn.functional as F',
  math: 'import math',
  np: 'import numpy as np',
  Tensor: 'from torch import Tensor',
};

export function buildProblem(input: SelectionInput): BuiltProblem {
  const doc = input.document !== undefined ? new PyDocument(input.document) : null;
  const text = expandFirstLine(input, doc);
  if (!text.trim()) throw new ProblemError('empty', 'Nothing is selected: select a PyTorch nn.Module class, a function, or the lines to turn into a kernel.');
  const src = dedent(text).replace(/^\n+/, '').replace(/\s+$/, '') + '\n';
  const masked = mask(src);
  checkBrackets(masked.code);
  const lines = logicalLines(masked.code);
  assertPython(src, lines);

  if (isProblem(src)) return { kind: 'problem', source: src, name: problemName(input, 'problem'), needsInput: false, todos: [], forwardArgs: forwardArgsOf(src, 'Model') };
  if (doc && /^class\s+Model\s*\(/m.test(src) && isProblem(doc.text))
    return { kind: 'problem', source: doc.text, name: problemName(input, 'problem'), needsInput: false, todos: [], forwardArgs: forwardArgsOf(doc.text, 'Model') };

  const b = new Builder(input, doc, src, lines);
  const head = lines.find((l) => !l.code.startsWith('@'));
  const top = lines.filter((l) => l.indent === 0 && !l.code.startsWith('@'));
  if (head && /^class\s/.test(head.code) && top.every((l) => /^(class|def|async def)\s/.test(l.code))) return b.module();
  if (head && /^(async\s+)?def\s/.test(head.code) && top.every((l) => /^(class|def|async def)\s/.test(l.code))) return b.func();
  return b.snippet();
}

/** When the selection starts mid-indentation, take its first line from the document whole. */
function expandFirstLine(input: SelectionInput, doc: PyDocument | null): string {
  const sel = input.selection.replace(/\r\n?/g, '\n');
  if (!doc || input.startLine === undefined) return sel;
  const docLine = doc.lines[input.startLine];
  const first = sel.split('\n')[0]!;
  if (docLine === undefined || !docLine.endsWith(first) || !first.trim()) return sel;
  const prefix = docLine.slice(0, docLine.length - first.length);
  return prefix.trim() ? sel : prefix + sel;
}

function isProblem(src: string): boolean {
  return /^class\s+Model\s*\(/m.test(src) && /^def\s+get_inputs\s*\(/m.test(src) && /^def\s+get_init_inputs\s*\(/m.test(src);
}

function forwardArgsOf(src: string, cls: string): string[] {
  const at = src.search(new RegExp(`^class\\s+${cls}\\b`, 'm'));
  const fwd = at >= 0 ? src.slice(at).search(/^\s+def\s+forward\s*\(/m) : -1;
  if (fwd < 0) return [];
  const sig = signatureOf(src.slice(at + fwd));
  return sig ? parseParams(sig).filter((p) => p.name !== 'self' && !p.star).map((p) => p.name) : [];
}

function problemName(input: SelectionInput, fallback: string): string {
  const base = input.fileName?.split(/[\\/]/).pop()?.replace(/\.py$/, '');
  return base || fallback;
}

const NOT_PYTHON = /^(#include|using\s+namespace|public\s|private\s|function\s|const\s+\w+\s*=|let\s|var\s|fn\s|int\s+\w+\s*\(|void\s|\}\s*else|SELECT\s)/i;

function assertPython(src: string, lines: LogicalLine[]): void {
  const code = lines.map((l) => l.code);
  const cish = code.filter((c) => /[;{]$/.test(c) || /^}/.test(c) || NOT_PYTHON.test(c)).length;
  if (cish > 0 && cish >= code.length / 2)
    throw new ProblemError('not_python', 'The selection does not look like Python (braces or semicolons at line ends). '
      + 'Select PyTorch code in a .py file.', 1 + (lines.find((l) => /[;{]$/.test(l.code) || /^}/.test(l.code) || NOT_PYTHON.test(l.code))?.line ?? 0));
  if (!/[A-Za-z_]/.test(src)) throw new ProblemError('not_python', 'The selection has no Python code in it.');
  // Indentation must follow block openers.
  for (let i = 1; i < lines.length; i++) {
    const prev = lines[i - 1]!;
    const cur = lines[i]!;
    if (cur.indent > prev.indent && !prev.code.endsWith(':'))
      throw new ProblemError('indentation', `Unexpected indentation on line ${cur.line + 1} of the selection. `
        + 'Select whole statements (the selection may start inside a block).', cur.line + 1);
  }
  if (lines.length && lines[0]!.indent > 0)
    throw new ProblemError('indentation', 'The selection starts inside a block that it does not include; extend it to the '
      + 'enclosing statement (e.g. the `if`/`for` line), or select only lines at one indentation level.', lines[0]!.line + 1);
}

interface InputSpec {
  name: string;
  /** Python expression for get_inputs / get_init_inputs. */
  expr: string;
  todo: string | null;
}

class Builder {
  private readonly consts: Map<string, number>;
  private readonly top: Map<string, TopLevelItem>;
  private readonly todos: string[] = [];
  private readonly context: string;

  constructor(private readonly input: SelectionInput, private readonly doc: PyDocument | null, private readonly src: string,
    private readonly lines: LogicalLine[]) {
    this.top = doc?.topLevel() ?? new Map();
    this.context = (doc?.text ?? '') + '\n' + src;
    this.consts = integerConstants(this.context);
  }

  module(): BuiltProblem {
    const classes = [...this.src.matchAll(/^class\s+([A-Za-z_]\w*)\s*(\(([^)]*)\))?\s*:/gm)];
    const modules = classes.filter((c) => /Module\b/.test(c[3] ?? ''));
    const main = modules.at(-1) ?? classes.at(-1)!;
    const cls = main[1]!;
    if (!/Module\b/.test(main[3] ?? ''))
      throw new ProblemError('unsupported', `class ${cls} is not an nn.Module. Select an nn.Module class, a function, or the lines that compute the result.`, 1);
    const clsText = this.src.slice(main.index!);
    const fwdAt = clsText.search(/^\s+def\s+forward\s*\(/m);
    if (fwdAt < 0) throw new ProblemError('unsupported', `class ${cls} has no forward() method in the selection; select the whole class.`, 1);
    const fwdParams = parseParams(signatureOf(clsText.slice(fwdAt)) ?? '').filter((p) => p.name !== 'self');
    const initAt = clsText.search(/^\s+def\s+__init__\s*\(/m);
    const initParams = initAt >= 0 ? parseParams(signatureOf(clsText.slice(initAt)) ?? '').filter((p) => p.name !== 'self') : [];

    const call = this.doc ? callArguments(cls, this.doc.lines, this.selectionRange()) : null;
    const initInputs: InputSpec[] = [];
    initParams.forEach((p, i) => {
      if (p.star) return;
      const given = call?.keyword[p.name] ?? call?.positional[i];
      if (given !== undefined || p.default === null) initInputs.push(this.valueOr(p.name, given, `${cls}.__init__`));
      else if (initInputs.length === i) { /* defaults after: stop positional list */ }
    });
    const inputs = fwdParams.filter((p) => !p.star && !(p.default !== null && scalarLiteral(p.default) !== null))
      .map((p) => this.inputFor(p, clsText));
    const body: string[] = [];
    if (cls !== 'Model') body.push(`class Model(${cls}):`, `    """The selected ${cls}, under the name the harness expects."""`, '', '    pass');
    return this.finish('module', cls, this.src, body.join('\n'), inputs, initInputs, this.helpersFor(this.src));
  }

  func(): BuiltProblem {
    const defs = [...this.src.matchAll(/^(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(/gm)];
    // The entry point: the last top-level function no other selected function calls.
    const names = defs.map((d) => d[1]!);
    const called = (n: string) => defs.some((d) => d[1] !== n && new RegExp(`\\b${n}\\s*\\(`).test(this.blockOf(d.index!)));
    const fn = [...names].reverse().find((n) => !called(n)) ?? names.at(-1)!;
    const at = defs.find((d) => d[1] === fn)!.index!;
    const params = parseParams(signatureOf(this.src.slice(at)) ?? '');
    if (params[0]?.name === 'self' || params[0]?.name === 'cls') {
      if (/\bself\.\w+/.test(this.blockOf(at)))
        throw new ProblemError('unsupported', `${fn} is a method that uses self; select the whole nn.Module class instead.`, 1);
      params.shift();
    }
    const fnText = this.src.replace(/^\s*@(?:torch\.compile|torch\.jit\.script|torch\.no_grad)\b.*\n/gm, '')
      .replace(/^(\s*def\s+\w+\s*\()\s*(?:self|cls)\s*,?\s*/m, '$1');
    const call = this.doc ? callArguments(fn, this.doc.lines, this.selectionRange()) : null;
    const fwdArgs: string[] = [];
    const callArgs: string[] = [];
    const inputs: InputSpec[] = [];
    const initInputs: InputSpec[] = [];
    const initNames: string[] = [];
    params.forEach((p, i) => {
      if (p.star) {
        this.todos.push(`${fn} takes ${p.name.startsWith('*') ? '**' : '*'}${p.name}: add any extra arguments by hand`);
        return;
      }
      const given = call?.keyword[p.name] ?? call?.positional[i];
      if (this.isScalar(p, given)) {
        if (p.default !== null && given === undefined) return; // keep its default
        initNames.push(p.name);
        callArgs.push(`${p.name}=self.${p.name}`);
        initInputs.push(this.valueOr(p.name, given, fn));
        return;
      }
      fwdArgs.push(p.name);
      callArgs.push(p.default !== null ? `${p.name}=${p.name}` : p.name);
      inputs.push(this.inputFor(p, this.src, given));
    });
    const body = [
      'class Model(nn.Module):',
      `    """Calls ${fn}, the selected function."""`,
      '',
      `    def __init__(self${initNames.map((n) => `, ${n}`).join('')}):`,
      '        super().__init__()',
      ...initNames.map((n) => `        self.${n} = ${n}`),
      '',
      `    def forward(self${fwdArgs.map((a) => `, ${a}`).join('')}):`,
      `        return ${fn}(${callArgs.join(', ')})`,
    ];
    return this.finish('function', fn, fnText, body.join('\n'), inputs, initInputs, this.helpersFor(fnText));
  }

  snippet(): BuiltProblem {
    const known = new Set([...this.top.keys(), ...Object.keys(STD_ALIASES)]);
    const names = analyzeNames(this.lines, known);
    if (names.selfCalls.length)
      throw new ProblemError('unsupported', `The selection calls self.${names.selfCalls[0]}(…), a submodule or method of its class; `
        + 'select the whole nn.Module class instead.', 1);
    const enclosing = this.doc && this.input.startLine !== undefined ? this.doc.enclosingFunction(this.input.startLine) : null;
    const fnParams = new Map((enclosing?.params ?? []).map((p) => [p.name, p]));
    let code = this.src;
    // self.weight → weight: attributes become inputs of the extracted computation.
    const attrArgs = names.selfAttrs.map((a) => (names.free.includes(a) || names.assigned.includes(a) ? `self_${a}` : a));
    names.selfAttrs.forEach((a, i) => { code = code.replace(new RegExp(`\\bself\\.${a}\\b(?!\\s*\\()`, 'g'), attrArgs[i]!); });

    const scalars: { p: Param; spec: InputSpec }[] = [];
    const inputs: InputSpec[] = [];
    const fwdArgs: string[] = [];
    for (const name of names.free) {
      const p = fnParams.get(name) ?? { name, annotation: null, default: null, star: false };
      if (this.isScalar(p, undefined)) {
        scalars.push({ p, spec: p.default !== null && scalarLiteral(p.default) ? { name, expr: p.default, todo: null } : this.placeholderScalar(name, enclosing?.name ?? 'the selection') });
        continue;
      }
      fwdArgs.push(name);
      inputs.push(this.inputFor(p, this.enclosingText(enclosing)));
    }
    names.selfAttrs.forEach((a, i) => {
      const scalar = this.scalarAttr(a);
      if (scalar) {
        scalars.push({ p: { name: attrArgs[i]!, annotation: null, default: null, star: false }, spec: { ...scalar, name: attrArgs[i]! } });
        return;
      }
      fwdArgs.push(attrArgs[i]!);
      inputs.push(this.attrInput(a, attrArgs[i]!));
    });

    let ret = '';
    if (!names.hasReturn) {
      const bodyLines = code.replace(/\s+$/, '').split('\n');
      if (names.endsWithExpression) {
        const last = this.lines.at(-1)!;
        bodyLines[last.line] = 'return ' + bodyLines[last.line]!.trimStart();
        code = bodyLines.join('\n') + '\n';
      } else {
        const outs = this.outputsOf(names.assigned, enclosing);
        if (!outs.length) throw new ProblemError('unsupported', 'The selection computes nothing to return (no assignment or expression); '
          + 'select the lines that compute the result.', 1);
        ret = `return ${outs.join(', ')}`;
      }
    }
    const fnName = enclosing?.name ?? problemName(this.input, 'selection');
    const body = [
      'class Model(nn.Module):',
      `    """Lines selected from ${fnName}${this.input.fileName ? ` (${this.input.fileName.split(/[\\/]/).pop()}` + (this.input.startLine !== undefined ? `:${this.input.startLine + 1})` : ')') : ''}."""`,
      '',
      `    def __init__(self${scalars.map((s) => `, ${s.p.name}`).join('')}):`,
      '        super().__init__()',
      ...scalars.map((s) => `        self.${s.p.name} = ${s.p.name}`),
      '',
      `    def forward(self${fwdArgs.map((a) => `, ${a}`).join('')}):`,
      ...scalars.map((s) => `        ${s.p.name} = self.${s.p.name}`),
      indentBlock(code.replace(/\s+$/, ''), '        '),
      ...(ret ? [`        ${ret}`] : []),
    ];
    return this.finish('snippet', enclosing ? `${enclosing.name}_lines` : fnName, '', body.join('\n'), inputs,
      scalars.map((s) => s.spec), this.helpersFor(code));
  }

  // -- pieces -------------------------------------------------------------------------------

  private finish(kind: ProblemKind, name: string, selected: string, model: string, inputs: InputSpec[],
    initInputs: InputSpec[], helpers: { imports: string[]; defs: string[] }): BuiltProblem {
    const out: string[] = [];
    out.push(...dedupe(['import torch', 'import torch.nn as nn', ...helpers.imports]));
    out.push('');
    for (const d of helpers.defs) out.push('', d.replace(/\s+$/, ''), '');
    if (selected.trim()) out.push('', selected.replace(/\s+$/, ''), '');
    if (model.trim()) out.push('', model, '');
    out.push('', 'def get_inputs():');
    for (const i of inputs) out.push(`    ${i.name} = ${i.expr}${i.todo ? `  # TODO: ${i.todo}` : ''}`);
    out.push(`    return [${inputs.map((i) => i.name).join(', ')}]`, '', '');
    out.push('def get_init_inputs():');
    if (initInputs.length) out.push('    return [', ...initInputs.map((i) => `        ${i.expr},${i.todo ? `  # TODO: ${i.todo}` : ` # ${i.name}`}`), '    ]');
    else out.push('    return []');
    const source = out.join('\n').replace(/\n{3,}/g, '\n\n\n').replace(/^\n+/, '') + '\n';
    const todos = [...this.todos, ...[...inputs, ...initInputs].filter((i) => i.todo).map((i) => `${i.name}: ${i.todo}`)];
    return { kind, source, name, needsInput: todos.length > 0, todos, forwardArgs: inputs.map((i) => i.name) };
  }

  /** Imports and top-level definitions of the document that `code` uses (transitively). */
  private helpersFor(code: string): { imports: string[]; defs: string[] } {
    const imports: string[] = [];
    const defs: TopLevelItem[] = [];
    const seen = new Set<string>();
    const selectedDefs = new Set([...this.src.matchAll(/^(?:class|def|async def)\s+([A-Za-z_]\w*)/gm)].map((m) => m[1]!));
    const visit = (text: string, depth: number) => {
      for (const name of identifiers(text)) {
        if (seen.has(name) || selectedDefs.has(name)) continue;
        seen.add(name);
        const item = this.top.get(name);
        if (item?.kind === 'import') imports.push(item.text);
        else if (item && depth < 4) {
          defs.push(item);
          visit(item.text, depth + 1);
        } else if (!item && STD_ALIASES[name]) imports.push(STD_ALIASES[name]!);
      }
    };
    visit(code, 0);
    defs.sort((a, b) => a.line - b.line);
    return { imports, defs: defs.map((d) => d.text) };
  }

  private isScalar(p: Param, given: string | undefined): boolean {
    const ann = p.annotation ?? '';
    if (/^(int|float|bool|str)\b/.test(ann) || /^Optional\[(int|float|bool|str)\]/.test(ann)) return true;
    if (/Tensor/.test(ann)) return false;
    if (given !== undefined) {
      const v = this.resolveValue(given);
      if (v !== null) return scalarLiteral(v) !== null;
    }
    if (p.default !== null) return scalarLiteral(p.default) !== null;
    return /^(dim|axis|eps|n|k|num_\w+|\w+_size|\w+_dim|p|alpha|beta|scale|stride|padding|dilation|groups)$/.test(p.name)
      && !this.tensorHint(p.name, '');
  }

  private tensorHint(name: string, near: string): Hint | null {
    const ctxLines = (near + '\n' + this.context).split('\n');
    return hintFromText(name, near) ?? hintFromDeclarationComment(name, near.split('\n'))
      ?? hintFromText(name, this.context) ?? hintFromDeclarationComment(name, ctxLines) ?? hintFromAssignment(name, this.context);
  }

  private inputFor(p: Param, near: string, given?: string): InputSpec {
    let hint = this.tensorHint(p.name, near);
    if (!hint && given !== undefined) hint = hintFromCreation(given) ?? (/^[A-Za-z_]\w*$/.test(given) ? this.tensorHint(given, '') : null);
    if (!hint && p.default !== null) {
      const lit = scalarLiteral(p.default);
      if (lit) return { name: p.name, expr: lit, todo: null };
    }
    if (hint?.kind === 'tensor') {
      const { shape, unresolved } = resolveDims(hint.shape, this.consts);
      if (!unresolved.length) return { name: p.name, expr: renderTensor(shape, hint.dtype), todo: null };
      return { name: p.name, expr: renderTensor(shape.map((d) => (typeof d === 'number' ? d : 1024)), hint.dtype),
        todo: `set ${unresolved.join(', ')} (shape was [${hint.shape.join(', ')}])` };
    }
    return { name: p.name, expr: 'torch.randn(1024, 1024)', todo: `set shape (and dtype) of ${p.name}` };
  }

  /** `self.eps = eps` where eps is a scalar parameter of __init__ (or a literal): its value, else null. */
  private scalarAttr(attr: string): InputSpec | null {
    const m = this.context.match(new RegExp(`self\\.${attr}\\s*=\\s*([^#\\n]+)`));
    if (!m) return null;
    const rhs = m[1]!.trim();
    if (scalarLiteral(rhs) !== null) return { name: attr, expr: rhs, todo: null };
    if (!/^[A-Za-z_]\w*$/.test(rhs)) return null;
    const before = this.context.slice(0, m.index);
    const init = [...before.matchAll(/def\s+__init__\s*\(/g)].at(-1);
    const param = init ? parseParams(signatureOf(before.slice(init.index!)) ?? '').find((p) => p.name === rhs) : undefined;
    if (!param || !this.isScalar(param, undefined)) return null;
    if (param.default !== null && scalarLiteral(param.default) !== null) return { name: attr, expr: param.default, todo: null };
    return this.placeholderScalar(rhs, '__init__');
  }

  private attrInput(attr: string, argName: string): InputSpec {
    const m = this.context.match(new RegExp(`self\\.${attr}\\s*=\\s*(.+)`));
    const h = m ? hintFromCreation(m[1]!) : null;
    if (h) {
      const { shape, unresolved } = resolveDims(h.shape, this.consts);
      if (!unresolved.length) return { name: argName, expr: renderTensor(shape, h.dtype), todo: null };
      return { name: argName, expr: renderTensor(shape.map((d) => (typeof d === 'number' ? d : 1024)), h.dtype),
        todo: `set ${unresolved.join(', ')} (self.${attr} has shape [${h.shape.join(', ')}])` };
    }
    const hint = this.tensorHint(argName, '') ?? this.tensorHint(attr, '');
    if (hint?.kind === 'tensor') {
      const { shape, unresolved } = resolveDims(hint.shape, this.consts);
      if (!unresolved.length) return { name: argName, expr: renderTensor(shape, hint.dtype), todo: null };
    }
    return { name: argName, expr: 'torch.randn(1024, 1024)', todo: `set shape (and dtype) of self.${attr}` };
  }

  private placeholderScalar(name: string, where: string): InputSpec {
    const v = this.consts.get(name) ?? this.consts.get(name.toUpperCase());
    if (v !== undefined) return { name, expr: String(v), todo: null };
    return { name, expr: 'None', todo: `set ${name} (argument of ${where})` };
  }

  /** A call-site argument: a literal, a known integer constant, or kept as written. */
  private resolveValue(expr: string): string | null {
    const t = expr.trim();
    if (this.consts.has(t)) return String(this.consts.get(t));
    if (scalarLiteral(t) !== null || hintFromCreation(t)) return t;
    return null; // a variable of the caller: unknown here
  }

  private valueOr(name: string, given: string | undefined, where: string): InputSpec {
    const v = given === undefined ? null : this.resolveValue(given);
    return v !== null ? { name, expr: v, todo: null } : this.placeholderScalar(name, where);
  }

  /** Assigned names the rest of the enclosing function reads; else the last one assigned. */
  private outputsOf(assigned: string[], enclosing: { start: number; end: number } | null): string[] {
    if (!assigned.length) return [];
    if (this.doc && enclosing && this.input.startLine !== undefined) {
      const after = this.doc.lines.slice(this.input.startLine + this.input.selection.split('\n').length, enclosing.end)
        .map((l) => l.replace(/#.*$/, '')).join('\n');
      const used = assigned.filter((n) => new RegExp(`(?<![\\w.])${n}\\b`).test(after));
      if (used.length) return used;
    }
    return [assigned.at(-1)!];
  }

  private enclosingText(enclosing: { start: number; end: number } | null): string {
    if (!this.doc || !enclosing) return this.src;
    return this.doc.lines.slice(enclosing.start, enclosing.end).join('\n');
  }

  private selectionRange(): [number, number] {
    if (this.input.startLine === undefined) return [-1, -1];
    return [this.input.startLine, this.input.startLine + this.input.selection.split('\n').length];
  }

  private blockOf(index: number): string {
    const rest = this.src.slice(index);
    const next = rest.slice(1).search(/^\S/m);
    return next < 0 ? rest : rest.slice(0, next + 1);
  }
}

function identifiers(text: string): string[] {
  let code: string;
  try {
    code = mask(text).code;
  } catch {
    code = text;
  }
  const out = new Set<string>();
  for (const m of code.matchAll(/(?<![\w.])[A-Za-z_]\w*/g)) out.add(m[0]);
  return [...out];
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

