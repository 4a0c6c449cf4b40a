// Just enough Python lexing to reason about a selection without a Python interpreter: string and
// comment masking, bracket balance, logical lines. Positions are preserved so line numbers hold.
import { ProblemError } from './errors';

export interface Masked {
  /** The source with string contents and comments replaced by spaces (quotes kept). */
  code: string;
  /** Comment text per line (without '#'), '' when none. */
  comments: string[];
}

const STRING_START = /^([rRbBuUfF]{0,2})('''|"""|'|")/;

/** Masks strings and comments; throws `unbalanced` on an unterminated string. */
export function mask(src: string): Masked {
  const out: string[] = [];
  const lines = src.split('\n');
  const comments: string[] = lines.map(() => '');
  let line = 0;
  let i = 0;
  const n = src.length;
  while (i < n) {
    const ch = src[i]!;
    if (ch === '\n') { out.push(ch); line++; i++; continue; }
    if (ch === '#') {
      let j = i;
      while (j < n && src[j] !== '\n') j++;
      comments[line] = src.slice(i + 1, j);
      out.push(' '.repeat(j - i));
      i = j;
      continue;
    }
    const prevIdent = i > 0 && /[\w]/.test(src[i - 1]!);
    const m = prevIdent ? null : STRING_START.exec(src.slice(i, i + 5));
    if (m) {
      const quote = m[2]!;
      const startLine = line;
      let j = i + m[0].length;
      const raw = /r/i.test(m[1]!);
      let closed = false;
      while (j < n) {
        const c = src[j]!;
        if (c === '\\' && !raw) { if (src[j + 1] === '\n') line++; j += 2; continue; }
        if (c === '\\' && raw) { j += 2; continue; }
        if (c === '\n') {
          if (quote.length === 1) break; // unterminated single-line string
          line++;
        }
        if (src.startsWith(quote, j)) { j += quote.length; closed = true; break; }
        j++;
      }
      if (!closed) throw new ProblemError('unbalanced', `Unterminated string starting on line ${startLine + 1} of the selection; `
        + 'extend the selection to include its closing quote.', startLine + 1);
      const body = src.slice(i + m[0].length, j - quote.length);
      out.push(m[0], body.replace(/[^\n]/g, ' '), quote);
      i = j;
      continue;
    }
    out.push(ch);
    i++;
  }
  return { code: out.join(''), comments };
}

const OPEN = '([{';
const CLOSE = ')]}';

/** Throws `unbalanced` with the offending line when brackets do not pair up. */
export function checkBrackets(masked: string): void {
  const stack: { ch: string; line: number }[] = [];
  let line = 1;
  for (const ch of masked) {
    if (ch === '\n') line++;
    else if (OPEN.includes(ch)) stack.push({ ch, line });
    else if (CLOSE.includes(ch)) {
      const top = stack.pop();
      if (!top) throw new ProblemError('unbalanced', `Unmatched "${ch}" on line ${line} of the selection; `
        + 'the selection probably starts in the middle of an expression. Select whole statements.', line);
      if (OPEN.indexOf(top.ch) !== CLOSE.indexOf(ch))
        throw new ProblemError('unbalanced', `"${top.ch}" opened on line ${top.line} is closed by "${ch}" on line ${line}.`, line);
    }
  }
  const open = stack.pop();
  if (open) throw new ProblemError('unbalanced', `"${open.ch}" opened on line ${open.line} of the selection is never closed; `
    + 'extend the selection to the end of the statement.', open.line);
}

export interface LogicalLine {
  /** 0-based index of the first physical line. */
  line: number;
  /** Physical lines joined (masked). */
  code: string;
  /** Indentation of the first physical line. */
  indent: number;
}

/** Joins physical lines inside brackets or after a backslash; drops blank/comment-only lines. */
export function logicalLines(masked: string): LogicalLine[] {
  const phys = masked.split('\n');
  const out: LogicalLine[] = [];
  let depth = 0;
  let cur: LogicalLine | null = null;
  for (let i = 0; i < phys.length; i++) {
    const text = phys[i]!;
    if (!cur) {
      if (!text.trim()) continue;
      cur = { line: i, code: '', indent: indentOf(text) };
    }
    cur.code += (cur.code ? ' ' : '') + text.trim();
    for (const ch of text) {
      if (OPEN.includes(ch)) depth++;
      else if (CLOSE.includes(ch)) depth = Math.max(0, depth - 1);
    }
    if (depth === 0 && !text.trimEnd().endsWith('\\')) { out.push(cur); cur = null; }
    else if (cur.code.endsWith('\\')) cur.code = cur.code.slice(0, -1).trimEnd();
  }
  if (cur) out.push(cur);
  return out;
}

export function indentOf(line: string): number {
  let n = 0;
  for (const ch of line) {
    if (ch === ' ') n++;
    else if (ch === '\t') n += 8 - (n % 8);
    else break;
  }
  return n;
}

/** Removes the common indentation of non-blank lines (tabs count to the next multiple of 8). */
export function dedent(src: string): string {
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  const indents = lines.filter((l) => l.trim()).map(indentOf);
  const min = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => (l.trim() ? stripIndent(l, min) : '')).join('\n');
}

function stripIndent(line: string, n: number): string {
  let col = 0;
  let i = 0;
  while (i < line.length && col < n) {
    col = line[i] === '\t' ? col + 8 - (col % 8) : col + 1;
    i++;
  }
  return ' '.repeat(Math.max(0, col - n)) + line.slice(i);
}

export function indentBlock(src: string, prefix: string): string {
  return src.split('\n').map((l) => (l.trim() ? prefix + l : '')).join('\n');
}

export const PY_KEYWORDS = new Set(('False None True and as assert async await break class continue def del elif else except '
  + 'finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case').split(' '));

export const PY_BUILTINS = new Set(('abs all any ascii bin bool breakpoint bytearray bytes callable chr classmethod compile '
  + 'complex delattr dict dir divmod enumerate eval exec filter float format frozenset getattr globals hasattr hash help '
  + 'hex id input int isinstance issubclass iter len list locals map max memoryview min next object oct open ord pow '
  + 'print property range repr reversed round set setattr slice sorted staticmethod str sum super tuple type vars zip '
  + '__name__ __file__ Ellipsis NotImplemented Exception ValueError TypeError RuntimeError IndexError KeyError '
  + 'AssertionError NotImplementedError StopIteration ZeroDivisionError ArithmeticError').split(' '));
