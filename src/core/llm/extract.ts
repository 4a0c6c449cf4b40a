// Pulls the candidate module out of an LLM reply.

export interface ExtractedCode {
  code: string;
  /** How many fenced blocks the reply had (for the repair prompt when none fits). */
  blocks: number;
}

const FENCE = /^[ \t]*(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)^[ \t]*\1[ \t]*$/gm;
const DEFINES_MODEL_NEW = /^class\s+ModelNew\b/m;

/**
 * The candidate is the last fenced block that defines `class ModelNew` (replies often show a
 * broken version before the fix), preferring python-tagged blocks. An unterminated final fence
 * (reply cut off by max tokens) is accepted only if it defines ModelNew. Null when none fits.
 */
export function extractCandidate(reply: string): ExtractedCode | null {
  const blocks: { lang: string; body: string }[] = [];
  for (const m of reply.matchAll(FENCE)) blocks.push({ lang: m[2]!.toLowerCase(), body: m[3]! });
  const pythonish = (lang: string) => lang === '' || lang === 'python' || lang === 'py' || lang === 'python3';
  const withModel = blocks.filter((b) => DEFINES_MODEL_NEW.test(b.body));
  const pick = [...withModel].reverse().find((b) => pythonish(b.lang)) ?? withModel.at(-1);
  if (pick) return { code: normalise(pick.body), blocks: blocks.length };
  const open = /```(?:python|py)?[ \t]*\n([\s\S]*)$/.exec(reply.slice(lastClosedFenceEnd(reply)));
  if (open && DEFINES_MODEL_NEW.test(open[1]!)) return { code: normalise(open[1]!), blocks: blocks.length + 1 };
  // A bare module with no fences at all (some models ignore the format instruction).
  if (blocks.length === 0 && DEFINES_MODEL_NEW.test(reply) && /^import\s+triton\b/m.test(reply)) {
    return { code: normalise(reply.slice(reply.search(/^(?:import|from)\s/m))), blocks: 0 };
  }
  return null;
}

function lastClosedFenceEnd(reply: string): number {
  let end = 0;
  for (const m of reply.matchAll(FENCE)) end = m.index! + m[0].length;
  return end;
}

function normalise(code: string): string {
  return code.replace(/\r\n/g, '\n').replace(/\s+$/, '') + '\n';
}
