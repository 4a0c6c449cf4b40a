"""`python -m tritonize.extract extract|apply FILE --range L1:C1-L2:C2 | --lines A-B ...`

The same functions the kernel server's `tritonize/extract` and `tritonize/apply` requests call.
Exit 0 on success, 2 with one line on stderr when the selection cannot be extracted or applied.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import tokenize
from pathlib import Path

from .errors import ExtractError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        sys.stderr.write(f"tritonize extract: {message}\n")
        raise SystemExit(2)


def parse_range(text: str, rng: str | None, lines: str | None) -> tuple[tuple[int, int], tuple[int, int]]:
    """1-based lines and columns, end column exclusive; `--lines A-B` selects whole lines."""
    src_lines = text.replace("\r\n", "\n").split("\n")
    if rng:
        m = re.fullmatch(r"(\d+):(\d+)-(\d+):(\d+)", rng.strip())
        if not m:
            raise ExtractError(f"--range must look like L1:C1-L2:C2 (got '{rng}')")
        l1, c1, l2, c2 = map(int, m.groups())
        return (l1, c1), (l2, c2)
    if lines:
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", lines.strip())
        if not m:
            raise ExtractError(f"--lines must look like A-B (got '{lines}')")
        a, b = int(m.group(1)), int(m.group(2) or m.group(1))
        if not (1 <= a <= b <= len(src_lines)):
            raise ExtractError(f"--lines {lines} is outside the file (1-{len(src_lines)})")
        return (a, 1), (b, len(src_lines[b - 1]) + 1)
    raise ExtractError("give --range L1:C1-L2:C2 or --lines A-B")


def read_source(path: Path) -> tuple[str, str]:
    """The file's text exactly as stored (no newline translation) and the codec that writes it back
    byte for byte: its declared encoding (PEP 263), `utf-8-sig` when it starts with a BOM."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ExtractError(f"cannot read {path}: {e.strerror}") from None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        return raw.decode(encoding), encoding
    except (SyntaxError, UnicodeDecodeError, LookupError) as e:
        raise ExtractError(f"cannot decode {path}: {e}".splitlines()[0]) from None


def main(argv: list[str] | None = None) -> int:
    ap = _Parser(prog="python -m tritonize.extract")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("extract", "apply"):
        p = sub.add_parser(name)
        p.add_argument("file", type=Path)
        p.add_argument("--range")
        p.add_argument("--lines")
        p.add_argument("--entry", help="command that runs the selected code: 'script.py args', '-m module args' "
                                       "or test function names (default: the file's __main__ block or tests)")
        p.add_argument("--no-record", action="store_true", help="do not run anything; guess input shapes")
        p.add_argument("--timeout", type=float, default=120.0)
        p.add_argument("--json", action="store_true")
        if name == "extract":
            p.add_argument("--out", type=Path)
        else:
            p.add_argument("--candidate", type=Path, required=True)
            p.add_argument("--placement", choices=["same-file", "module"], default="same-file")
            p.add_argument("--dry-run", action="store_true")
            p.add_argument("--confirm-shapes", action="store_true", help="accept guessed input shapes")
            p.add_argument("--inference-only", action="store_true",
                           help="the code never needs gradients here: apply even where inputs require grad")
            p.add_argument("--exact-sizes", action="store_true",
                           help="the candidate declined other sizes (verify flag shape_restricted): the applied "
                                "code checks every input's shape")
    args = ap.parse_args(argv)
    try:
        text, encoding = read_source(args.file)
        start, end = parse_range(text, args.range, args.lines)
        if args.cmd == "extract":
            from .problem import extract
            ext, src = extract(text, str(args.file), start, end, entry=args.entry,
                               record_inputs=not args.no_record, timeout=args.timeout)
            if args.out:
                args.out.write_text(ext.problem)
            if args.json:
                print(json.dumps(ext.to_json(src)))
            elif not args.out:
                sys.stdout.write(ext.problem)
            if ext.guessed:
                sys.stderr.write("tritonize extract: guessed shapes for " + ", ".join(ext.guessed)
                                 + " (marked GUESSED in the problem); confirm them\n")
            for w in ext.warnings:
                sys.stderr.write(f"tritonize extract: note: {w}\n")
            return 0
        from .apply import apply_candidate
        try:
            code = args.candidate.read_text()
        except OSError as e:
            raise ExtractError(f"cannot read {args.candidate}: {e.strerror}") from None
        res = apply_candidate(text, str(args.file), start, end, code, placement=args.placement, entry=args.entry,
                              timeout=args.timeout, confirmed_shapes=args.confirm_shapes or args.no_record,
                              inference_only=args.inference_only, exact_sizes=args.exact_sizes)
        if args.dry_run:
            sys.stdout.write(res["diff"])
        else:
            # Bytes outside the edit stay as they were: line endings (CRLF, even mixed) and a BOM.
            args.file.write_bytes(res["text"].encode(encoding))
            if res["module"]:
                Path(res["module"]["path"]).write_bytes(res["module"]["text"].encode("utf-8"))
        if args.json:
            print(json.dumps({k: v for k, v in res.items() if k != "text"}))
        return 0
    except ExtractError as e:
        sys.stderr.write(f"tritonize {args.cmd}: {e.one_line()}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
