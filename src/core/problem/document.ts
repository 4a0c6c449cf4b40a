// What the rest of the file offers a selection: top-level imports, functions, classes and
// constants it may use, the function it sits in, and blocks/signatures by indentation.
import { indentOf, mask } from './lexer';
import { splitTopLevel } from './shapes';

export interface TopLevelItem {
  name: string;
  kind: 'import' | 'def' | 'class' | 'assign';
  /** Source to paste into the problem. */
  text: string;
  line: number;
}

export interface Param {
  name: string;
  annotation: string | null;
  default: string | null;
  /** `*args` / `**kwargs` */
  star: boolean;
}

export class PyDocument {
  readonly lines: string[];
  /** Lines with strings/comments masked (same line count); null when the file does not lex. */
  readonly masked: string[] | null;

  constructor(readonly text: string) {
    this.lines = text.replace(/\r\n?/g, '\n').split('\n');
    let masked: string[] | null = null;
    try {
      masked = mask(this.lines.join('\n')).code.split('\n');
    } catch {
      masked = null;
    }
    this.masked = masked;
  }

  /** Line index just past the block opened at `start` (a `def`/`class`/`if` line), by indentation. */
  blockEnd(start: number): number {
    const m = this.masked ?? this.lines;
    const base = indentOf(m[start]!);
    let i = start + 1;
    // the header itself may span lines (open brackets)
    let depth = bracketDelta(m[start]!);
    while (i < m.length && depth > 0) depth += bracketDelta(m[i++]!);
    let last = i - 1;
    for (; i < m.length; i++) {
      const l = m[i]!;
      if (!l.trim()) continue;
      if (indentOf(l) <= base) break;
      last = i;
    }
    return last + 1;
  }

  /** Decorator lines directly above `line`. */
  decoratorsStart(line: number): number {
    let s = line;
    while (s > 0 && /^\s*@/.test(this.lines[s - 1]!)) s--;
    return s;
  }

  topLevel(): Map<string, TopLevelItem> {
    const out = new Map<string, TopLevelItem>();
    const m = this.masked ?? this.lines;
    for (let i = 0; i < m.length; i++) {
      const l = m[i]!;
      if (!l.trim() || /^\s/.test(l)) continue;
      let mm: RegExpExecArray | null;
      if ((mm = /^(?:async\s+)?(def|class)\s+([A-Za-z_]\w*)/.exec(l))) {
        const end = this.blockEnd(i);
        const start = this.decoratorsStart(i);
        const name = mm[2]!;
        if (!out.has(name)) out.set(name, { name, kind: mm[1] as 'def' | 'class', text: this.lines.slice(start, end).join('\n'), line: i });
        i = end - 1;
      } else if ((mm = /^import\s+(.+)$/.exec(l))) {
        for (const part of splitTopLevel(mm[1]!.trim())) {
          const [mod, alias] = part.split(/\s+as\s+/).map((s) => s.trim());
          const bound = alias ?? mod!.split('.')[0]!;
          if (!out.has(bound)) out.set(bound, { name: bound, kind: 'import', text: alias ? `import ${mod} as ${alias}` : `import ${mod}`, line: i });
        }
      } else if ((mm = /^from\s+(\S+)\s+import\s+(.+)$/.exec(this.joinedHeader(i)))) {
        const names = mm[2]!.replace(/[()\\]/g, ' ');
        for (const part of splitTopLevel(names)) {
          const [name, alias] = part.split(/\s+as\s+/).map((s) => s.trim());
          if (!name) continue;
          const bound = alias ?? name;
          if (!out.has(bound)) out.set(bound, { name: bound, kind: 'import', text: `from ${mm[1]} import ${name}${alias ? ` as ${alias}` : ''}`, line: i });
        }
      } else if ((mm = /^([A-Za-z_]\w*)\s*(?::[^=]+)?=(?!=)/.exec(l))) {
        let end = i + 1;
        let depth = bracketDelta(l);
        while (end < m.length && depth > 0) depth += bracketDelta(m[end++]!);
        const name = mm[1]!;
        if (!out.has(name) && name !== '__all__') out.set(name, { name, kind: 'assign', text: this.lines.slice(i, end).join('\n'), line: i });
        i = end - 1;
      }
    }
    return out;
  }

  private joinedHeader(i: number): string {
    const m = this.masked ?? this.lines;
    let text = m[i]!;
    let depth = bracketDelta(text);
    for (let j = i + 1; depth > 0 && j < m.length; j++) { text += ' ' + m[j]!.trim(); depth += bracketDelta(m[j]!); }
    return text;
  }

  /** The innermost `def` containing `line` (0-based), with its parameters and extent. */
  enclosingFunction(line: number): { name: string; start: number; end: number; params: Param[] } | null {
    const m = this.masked ?? this.lines;
    let indent = Infinity;
    for (let i = line; i < m.length && i >= 0; i++) if (m[i]!.trim()) { indent = indentOf(m[i]!); break; }
    for (let i = line - 1; i >= 0; i--) {
      const l = m[i]!;
      if (!l.trim()) continue;
      const ind = indentOf(l);
      if (ind >= indent) continue;
      const mm = /^\s*(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(/.exec(l);
      if (mm) {
        const end = this.blockEnd(i);
        if (end > line) return { name: mm[1]!, start: i, end, params: parseParams(this.signatureAt(i) ?? '') };
      }
      indent = ind;
    }
    return null;
  }

  /** The text between the parentheses of the `def` at `line`. */
  signatureAt(line: number): string | null {
    return signatureOf(this.lines.slice(line, line + 40).join('\n'));
  }
}

function bracketDelta(line: string): number {
  let d = 0;
  for (const ch of line) {
    if ('([{'.includes(ch)) d++;
    else if (')]}'.includes(ch)) d--;
  }
  return d;
}

/** Parameter list text of the first `def name(...)` in `src` (comments removed). */
export function signatureOf(src: string): string | null {
  let code: string;
  try {
    code = mask(src).code;
  } catch {
    code = src;
  }
  const m = /\bdef\s+\w+\s*\(/.exec(code);
  if (!m) return null;
  let depth = 1;
  let i = m.index + m[0].length;
  const start = i;
  for (; i < code.length && depth > 0; i++) {
    if ('([{'.includes(code[i]!)) depth++;
    else if (')]}'.includes(code[i]!)) depth--;
  }
  // take the real text (string defaults intact), minus comments
  return src.slice(start, i - 1).split('\n').map((l) => l.replace(/#.*$/, '')).join(' ');
}

export function parseParams(sig: string): Param[] {
  const out: Param[] = [];
  for (const raw of splitTopLevel(sig)) {
    const p = raw.trim();
    if (!p || p === '*' || p === '/') continue;
    const star = p.startsWith('*');
    const body = p.replace(/^\*{1,2}/, '');
    const eq = topLevelIndex(body, '=');
    const head = eq >= 0 ? body.slice(0, eq) : body;
    const colon = head.indexOf(':');
    out.push({
      name: (colon >= 0 ? head.slice(0, colon) : head).trim(),
      annotation: colon >= 0 ? head.slice(colon + 1).trim() : null,
      default: eq >= 0 ? body.slice(eq + 1).trim() : null,
      star,
    });
  }
  return out;
}

function topLevelIndex(s: string, ch: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ch && depth === 0 && s[i + 1] !== '=' && !'!<>='.includes(s[i - 1] ?? '')) return i;
  }
  return -1;
}

/** Arguments of the first call `name(...)` in `text` outside `exclude` lines: positional and keyword. */
export function callArguments(name: string, lines: string[], exclude: [number, number] = [-1, -1]):
  { positional: string[]; keyword: Record<string, string> } | null {
  const re = new RegExp(`(?<![\\w.])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\(`);
  for (let i = 0; i < lines.length; i++) {
    if (i >= exclude[0] && i < exclude[1]) continue;
    const l = lines[i]!;
    if (/^\s*(?:def|class)\s/.test(l)) continue;
    const m = re.exec(l.replace(/#.*$/, ''));
    if (!m) continue;
    const text = lines.slice(i, i + 20).join('\n').slice(m.index + m[0].length);
    let depth = 1;
    let j = 0;
    for (; j < text.length && depth > 0; j++) {
      if ('([{'.includes(text[j]!)) depth++;
      else if (')]}'.includes(text[j]!)) depth--;
    }
    const args = splitTopLevel(text.slice(0, j - 1).replace(/#[^\n]*/g, ''));
    const positional: string[] = [];
    const keyword: Record<string, string> = {};
    for (const a of args) {
      const kw = /^([A-Za-z_]\w*)\s*=(?!=)\s*([\s\S]+)$/.exec(a);
      if (kw) keyword[kw[1]!] = kw[2]!.trim();
      else if (!a.startsWith('*')) positional.push(a.trim());
    }
    return { positional, keyword };
  }
  return null;
}
