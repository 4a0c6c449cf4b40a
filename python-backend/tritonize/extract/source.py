"""A parsed Python file with position conversions between (line, column) and text offsets.

`ast` reports columns as UTF-8 byte offsets; the protocol (LSP, VS Code, the CLI's edits) counts
UTF-16 code units; Python strings count code points. Everything in this package works on code-point
offsets into the text, converted here once: `lsp_to_col` for incoming LSP positions,
`SourceFile.lsp_position` for outgoing ones, `apply_lsp_edits` applies edits the way the clients do.
"""

from __future__ import annotations

import ast
import io
import symtable
import tokenize
from dataclasses import dataclass
from functools import cached_property

from .errors import ExtractError


@dataclass(frozen=True)
class Span:
    start: int  # character offset, inclusive
    end: int  # character offset, exclusive


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def lsp_to_col(text: str, line0: int, character: int) -> int:
    """An LSP position's character (UTF-16 code units) on 0-based `line0` → a code-point column."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not 0 <= line0 < len(lines):
        return character
    line, units = lines[line0], 0
    for k, ch in enumerate(line):
        if units >= character:
            return k
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(line) + max(0, character - units)


def apply_lsp_edits(text: str, edits: list[dict]) -> str:
    """What the clients write: src/core/protocol/lsp.ts applyTextEdits (UTF-16 offsets, line starts at
    each '\n' of the text as it is, edits applied from the last to the first)."""
    units = text.encode("utf-16-le", "surrogatepass")
    starts = [0]
    pos = 0
    for ch in text:
        pos += 2 if ord(ch) > 0xFFFF else 1
        if ch == "\n":
            starts.append(pos)
    total = len(units) // 2

    def off(p: dict) -> int:
        line = int(p["line"])
        return (starts[line] if line < len(starts) else total) + int(p["character"])

    out = units
    for e in sorted(edits, key=lambda e: off(e["range"]["start"]), reverse=True):
        a, b = off(e["range"]["start"]), off(e["range"]["end"])
        out = out[:2 * a] + e["newText"].encode("utf-16-le", "surrogatepass") + out[2 * b:]
    return out.decode("utf-16-le", "surrogatepass")


class SourceFile:
    def __init__(self, text: str, filename: str = "<file>"):
        self.text = text.replace("\r\n", "\n")
        self.filename = filename
        try:
            self.tree = ast.parse(self.text, filename)
        except SyntaxError as e:
            raise ExtractError(f"the file does not parse: {e.msg}", e.lineno) from None
        self.lines = self.text.split("\n")
        self._starts = [0]
        for line in self.lines[:-1]:
            self._starts.append(self._starts[-1] + len(line) + 1)
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node

    @cached_property
    def symbols(self) -> symtable.SymbolTable:
        return symtable.symtable(self.text, self.filename, "exec")

    # -- positions ---------------------------------------------------------------------------
    def offset(self, line: int, col_chars: int) -> int:
        """1-based line, 0-based character column → offset (clamped to the line)."""
        line = max(1, min(line, len(self.lines)))
        return self._starts[line - 1] + max(0, min(col_chars, len(self.lines[line - 1])))

    def lsp_position(self, offset: int) -> dict[str, int]:
        """Offset → LSP position (0-based line, character in UTF-16 code units)."""
        line = self.line_of(offset)
        return {"line": line - 1, "character": utf16_len(self.text[self._starts[line - 1]:offset])}

    def _char_col(self, line: int, col_bytes: int) -> int:
        return len(self.lines[line - 1].encode("utf-8")[:col_bytes].decode("utf-8", "replace"))

    def span(self, node: ast.AST) -> Span:
        """Character span of a node; decorators belong to their def/class."""
        line, col = node.lineno, node.col_offset  # type: ignore[attr-defined]
        for d in getattr(node, "decorator_list", []) or []:
            if (d.lineno, d.col_offset) < (line, col):
                line, col = d.lineno, d.col_offset - 1  # the '@'
        start = self.offset(line, self._char_col(line, col) if col >= 0 else 0)
        end = self.offset(node.end_lineno, self._char_col(node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]
        return Span(start, end)

    def line_of(self, offset: int) -> int:
        """1-based line of an offset."""
        lo, hi = 0, len(self._starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def line_start(self, offset: int) -> int:
        return self._starts[self.line_of(offset) - 1]

    def line_end(self, offset: int) -> int:
        line = self.line_of(offset)
        return self._starts[line - 1] + len(self.lines[line - 1])

    def segment(self, span: Span) -> str:
        return self.text[span.start:span.end]

    def significant(self, span: Span) -> Span | None:
        """The span trimmed to its first and last code token (no whitespace, comments or newlines)."""
        toks = []
        try:
            for tok in tokenize.generate_tokens(io.StringIO(self.text).readline):
                if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                                tokenize.DEDENT, tokenize.ENDMARKER):
                    continue
                s = self.offset(tok.start[0], tok.start[1])
                e = self.offset(tok.end[0], tok.end[1])
                if s >= span.start and e <= span.end:
                    toks.append((s, e))
                elif s < span.end and e > span.start:
                    # A token cut by the selection: the selection is not whole code.
                    if tok.type == tokenize.STRING and tok.string.lstrip("rRbBuU")[:1] in ("f", "F"):
                        raise ExtractError("the selection is inside an f-string; select the whole statement, "
                                           "or move the expression out of the f-string first", tok.start[0])
                    raise ExtractError("the selection cuts a token in half; select whole statements or one expression",
                                       tok.start[0])
        except tokenize.TokenError as e:
            raise ExtractError(f"the file does not tokenize: {e.args[0]}") from None
        if not toks:
            return None
        return Span(toks[0][0], toks[-1][1])
