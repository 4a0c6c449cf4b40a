"""Open text documents (full sync: every didChange carries the whole text) and URI <-> path."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import pathname2url


@dataclass
class Document:
    uri: str
    text: str
    version: int
    language_id: str = "python"


def uri_to_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def path_to_uri(path: str | Path) -> str:
    return "file://" + pathname2url(str(Path(path).resolve()))


def same_file(uri: str, path: str | Path) -> bool:
    p = uri_to_path(uri)
    try:
        return p is not None and p.resolve() == Path(path).resolve()
    except OSError:
        return False


class Documents:
    """Thread-safe: job threads read texts (for lens/diagnostic ranges) while the main thread edits."""

    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}
        self._lock = threading.Lock()

    def open(self, uri: str, text: str, version: int, language_id: str) -> Document:
        doc = Document(uri, text, version, language_id)
        with self._lock:
            self._docs[uri] = doc
        return doc

    def change(self, uri: str, version: int, changes: list[dict]) -> Document | None:
        with self._lock:
            doc = self._docs.get(uri)
            if doc is None:
                return None
            for change in changes:
                # Full sync was announced; a ranged change would mean a confused client, and
                # guessing would corrupt the text, so only whole-text changes are applied.
                if "range" not in change and isinstance(change.get("text"), str):
                    doc.text = change["text"]
            doc.version = version
            return doc

    def close(self, uri: str) -> None:
        with self._lock:
            self._docs.pop(uri, None)

    def get(self, uri: str) -> Document | None:
        with self._lock:
            return self._docs.get(uri)

    def find_path(self, path: str | Path) -> Document | None:
        with self._lock:
            docs = list(self._docs.values())
        return next((d for d in docs if same_file(d.uri, path)), None)
