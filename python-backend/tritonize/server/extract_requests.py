"""`tritonize/extract` and `tritonize/apply`: the selection → problem and Apply requests.

Both run on their own thread (recording and the behaviour check start child interpreters) and
answer once. Neither writes a file: the client shows the edit and writes it after the user accepts.
Ranges are LSP ranges (0-based line and character in UTF-16 code units, end exclusive); a document the client has open
is read from its buffer, so unsaved edits count.
"""

from __future__ import annotations

import logging
import threading
import traceback
from pathlib import Path
from typing import Any, Callable

from .dispatch import DEFERRED, INTERNAL_ERROR, REQUEST_FAILED, RequestContext, invalid_params

log = logging.getLogger("tritonize.server")


def _range(params: dict[str, Any], text: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """LSP characters are UTF-16 code units; extract() takes 1-based code-point columns."""
    from tritonize.extract.source import lsp_to_col
    r = params.get("range")
    try:
        s, e = r["start"], r["end"]
        start = (int(s["line"]) + 1, lsp_to_col(text, int(s["line"]), int(s["character"])) + 1)
        end = (int(e["line"]) + 1, lsp_to_col(text, int(e["line"]), int(e["character"])) + 1)
    except (TypeError, KeyError, ValueError):
        raise invalid_params("range must be {start: {line, character}, end: {line, character}}") from None
    return start, end


def _common(params: Any, text_of: Callable[[Path], str | None]) -> tuple[Path, str, Any, Any]:
    if not isinstance(params, dict):
        raise invalid_params("params must be an object")
    p = params.get("path")
    if not isinstance(p, str) or not p:
        raise invalid_params("path is required")
    path = Path(p)
    text = params.get("text")
    if not isinstance(text, str):
        text = text_of(path)
        if text is None:
            raise invalid_params(f"cannot read {path}")
    start, end = _range(params, text)
    return path, text, start, end


def extract_request(params: Any, ctx: RequestContext, text_of: Callable[[Path], str | None]) -> Any:
    path, text, start, end = _common(params, text_of)

    def run() -> dict[str, Any]:
        from tritonize.extract.problem import extract
        ext, src = extract(text, str(path), start, end, entry=params.get("entry") or None,
                           default_entry=params.get("defaultEntry") or None,
                           record_inputs=params.get("record", True) is not False,
                           timeout=float(params.get("timeout") or 120))
        return ext.to_json(src)

    return _on_thread(ctx, run)


def apply_request(params: Any, ctx: RequestContext, text_of: Callable[[Path], str | None]) -> Any:
    path, text, start, end = _common(params, text_of)
    code = params.get("candidateCode")
    if not isinstance(code, str):
        cp = params.get("candidatePath")
        if not isinstance(cp, str):
            raise invalid_params("candidateCode or candidatePath is required")
        try:
            code = Path(cp).read_text()
        except OSError as exc:
            raise invalid_params(f"cannot read {cp}: {exc.strerror}") from None
    placement = params.get("placement", "same-file")

    def run() -> dict[str, Any]:
        from tritonize.extract.apply import apply_candidate
        res = apply_candidate(text, str(path), start, end, code, placement=placement,
                              entry=params.get("entry") or None, default_entry=params.get("defaultEntry") or None,
                              timeout=float(params.get("timeout") or 120),
                              run_label=str(params.get("runLabel") or ""),
                              confirmed_shapes=bool(params.get("confirmShapes")),
                              inference_only=bool(params.get("inferenceOnly")),
                              exact_sizes=bool(params.get("exactSizes")))
        res.pop("text", None)  # the client applies `edits`; the whole text would double the message
        return res

    return _on_thread(ctx, run)


def _on_thread(ctx: RequestContext, body: Callable[[], dict[str, Any]]) -> Any:
    from tritonize.extract.errors import ExtractError

    def job() -> None:
        try:
            result = body()
        except ExtractError as exc:
            ctx.fail(REQUEST_FAILED, exc.one_line(), {"kind": "selection", "line": exc.line, "reason": exc.why})
            return
        except Exception as exc:  # noqa: BLE001 - one answer per request, whatever happens
            log.error("%s failed:\n%s", ctx.method, traceback.format_exc())
            ctx.fail(INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
            return
        ctx.respond(result)

    threading.Thread(target=job, name=ctx.method, daemon=True).start()
    return DEFERRED
